#include "media/g722_codec.hpp"

#include <spandsp.h>

#include <climits>

namespace cohort::media {

struct G722Codec::State {
  struct EncoderFree {
    void operator()(g722_encode_state_t* s) const { g722_encode_free(s); }
  };
  struct DecoderFree {
    void operator()(g722_decode_state_t* s) const { g722_decode_free(s); }
  };
  std::unique_ptr<g722_encode_state_t, EncoderFree> encoder{g722_encode_init(nullptr, 64000, 0)};
  std::unique_ptr<g722_decode_state_t, DecoderFree> decoder{g722_decode_init(nullptr, 64000, 0)};
};

G722Codec::G722Codec() : state_(std::make_unique<State>()) {}
G722Codec::~G722Codec() = default;

const CodecInfo& G722Codec::info() const {
  return codec_info(CodecId::kG722);
}

Result<std::vector<std::uint8_t>> G722Codec::encode(std::span<const std::int16_t> pcm) {
  if (pcm.size() > INT_MAX / 2) {
    return fail(Error::invalid("pcm", "G.722: frame too long"));
  }
  std::vector<std::uint8_t> out((pcm.size() + 1) / 2);
  const int n =
      g722_encode(state_->encoder.get(), out.data(), pcm.data(), static_cast<int>(pcm.size()));
  out.resize(static_cast<std::size_t>(n < 0 ? 0 : n));
  return out;
}

Result<std::vector<std::int16_t>> G722Codec::decode(std::span<const std::uint8_t> payload) {
  if (payload.size() > INT_MAX / 4) {
    return fail(Error::invalid("payload", "G.722: payload too long"));
  }
  std::vector<std::int16_t> out(payload.size() * 2);
  const int n = g722_decode(state_->decoder.get(), out.data(), payload.data(),
                            static_cast<int>(payload.size()));
  out.resize(static_cast<std::size_t>(n < 0 ? 0 : n));
  return out;
}

}  // namespace cohort::media
