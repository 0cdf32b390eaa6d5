#include "media/opus_codec.hpp"

#include <opus.h>

#include <algorithm>
#include <string>

namespace cohort::media {
namespace {

std::uint32_t supported_rate(std::uint32_t rate) {
  switch (rate) {
    case 8000:
    case 12000:
    case 16000:
    case 24000:
    case 48000:
      return rate;
    default:
      return 48000;
  }
}

constexpr std::size_t kMaxPacket = 1500;  // RFC 6716 §3.4: at most 1275 bytes per frame

}  // namespace

struct OpusCodec::State {
  struct EncoderFree {
    void operator()(OpusEncoder* e) const { opus_encoder_destroy(e); }
  };
  struct DecoderFree {
    void operator()(OpusDecoder* d) const { opus_decoder_destroy(d); }
  };
  std::unique_ptr<OpusEncoder, EncoderFree> encoder;
  std::unique_ptr<OpusDecoder, DecoderFree> decoder;
};

OpusCodec::OpusCodec(std::uint8_t payload_type, std::uint32_t sample_rate)
    : info_(codec_info(CodecId::kOpus)), state_(std::make_unique<State>()) {
  info_.payload_type = payload_type;
  info_.sample_rate = supported_rate(sample_rate);
  int err = OPUS_OK;
  const auto rate = static_cast<opus_int32>(info_.sample_rate);
  state_->encoder.reset(opus_encoder_create(rate, 1, OPUS_APPLICATION_VOIP, &err));
  state_->decoder.reset(opus_decoder_create(rate, 1, &err));
}

OpusCodec::~OpusCodec() = default;

Result<std::vector<std::uint8_t>> OpusCodec::encode(std::span<const std::int16_t> pcm) {
  if (!state_->encoder) {
    return fail(Error::internal("opus: no encoder"));
  }
  std::vector<std::uint8_t> out(kMaxPacket);
  const opus_int32 n = opus_encode(state_->encoder.get(), pcm.data(), static_cast<int>(pcm.size()),
                                   out.data(), static_cast<opus_int32>(out.size()));
  if (n < 0) {
    return fail(Error::invalid("pcm", std::string("opus: cannot encode: ") + opus_strerror(n)));
  }
  out.resize(static_cast<std::size_t>(n));
  return out;
}

Result<std::vector<std::int16_t>> OpusCodec::decode(std::span<const std::uint8_t> payload) {
  if (!state_->decoder) {
    return fail(Error::internal("opus: no decoder"));
  }
  if (payload.empty() || payload.size() > kMaxPacket * 4) {
    return fail(Error::invalid("payload", "opus: empty or oversized packet"));
  }
  // RFC 6716 §3.2.1: a packet holds at most 120 ms.
  std::vector<std::int16_t> out(info_.sample_rate * 120 / 1000);
  const int n =
      opus_decode(state_->decoder.get(), payload.data(), static_cast<opus_int32>(payload.size()),
                  out.data(), static_cast<int>(out.size()), 0);
  if (n < 0) {
    return fail(Error::invalid("payload", std::string("opus: cannot decode: ") + opus_strerror(n)));
  }
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::vector<std::int16_t> OpusCodec::conceal(std::uint32_t samples) {
  std::vector<std::int16_t> out;
  out.reserve(samples);
  const std::uint32_t step = info_.sample_rate / 400;  // 2.5 ms, the smallest Opus frame
  const std::uint32_t frame = info_.frame_samples();
  while (out.size() < samples && state_->decoder) {
    const auto left = static_cast<std::uint32_t>(samples - out.size());
    const std::uint32_t want = std::min(frame, (left + step - 1) / step * step);
    std::vector<std::int16_t> chunk(want);
    const int n =
        opus_decode(state_->decoder.get(), nullptr, 0, chunk.data(), static_cast<int>(want), 0);
    if (n <= 0) {
      break;
    }
    chunk.resize(std::min<std::size_t>(static_cast<std::size_t>(n), left));
    out.insert(out.end(), chunk.begin(), chunk.end());
  }
  out.resize(samples, 0);
  return out;
}

}  // namespace cohort::media
