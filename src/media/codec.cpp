#include "media/codec.hpp"

#include <array>
#include <cctype>

#include "media/g711.hpp"
#include "media/g722_codec.hpp"
#include "media/opus_codec.hpp"

namespace cohort::media {
namespace {

constexpr std::array<CodecInfo, 4> kCodecs{{
    {CodecId::kPcmu, "PCMU", 0, 8000, 8000, 1},
    {CodecId::kPcma, "PCMA", 8, 8000, 8000, 1},
    {CodecId::kG722, "G722", 9, 8000, 16000, 1},
    {CodecId::kOpus, "opus", 111, 48000, 48000, 2},
}};

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

class G711Codec final : public Codec {
 public:
  explicit G711Codec(CodecId id) : info_(codec_info(id)) {}
  const CodecInfo& info() const override { return info_; }
  Result<std::vector<std::uint8_t>> encode(std::span<const std::int16_t> pcm) override {
    return info_.id == CodecId::kPcmu ? encode_ulaw(pcm) : encode_alaw(pcm);
  }
  Result<std::vector<std::int16_t>> decode(std::span<const std::uint8_t> payload) override {
    return info_.id == CodecId::kPcmu ? decode_ulaw(payload) : decode_alaw(payload);
  }

 private:
  CodecInfo info_;
};

}  // namespace

std::vector<std::int16_t> Codec::conceal(std::uint32_t samples) {
  return std::vector<std::int16_t>(samples, 0);
}

const CodecInfo& codec_info(CodecId id) {
  return kCodecs[static_cast<std::size_t>(id)];
}

std::unique_ptr<Codec> make_codec(CodecId id, std::uint8_t dynamic_payload_type,
                                  std::uint32_t opus_sample_rate) {
  switch (id) {
    case CodecId::kPcmu:
    case CodecId::kPcma:
      return std::make_unique<G711Codec>(id);
    case CodecId::kG722:
      return std::make_unique<G722Codec>();
    case CodecId::kOpus:
      return std::make_unique<OpusCodec>(dynamic_payload_type, opus_sample_rate);
  }
  return nullptr;
}

std::optional<CodecId> find_codec(std::string_view encoding_name, std::uint32_t clock_rate) {
  for (const CodecInfo& c : kCodecs) {
    if (iequals(c.name, encoding_name) && c.clock_rate == clock_rate) {
      return c.id;
    }
  }
  return std::nullopt;
}

}  // namespace cohort::media
