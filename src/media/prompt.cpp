// Prompts encoded once per codec (prompt.hpp).
#include "media/prompt.hpp"

#include <algorithm>
#include <cassert>

#include "media/resample.hpp"

namespace cohort::media {

std::uint32_t pcm_rate_of(CodecId codec) {
  return codec == CodecId::kOpus ? kOpusPcmRate : codec_info(codec).sample_rate;
}

std::unique_ptr<Codec> make_session_codec(CodecId codec, std::uint8_t payload_type) {
  return make_codec(codec, payload_type, kOpusPcmRate);
}

std::span<const std::uint8_t> EncodedPrompt::frame(std::size_t i) const {
  assert(i + 1 < offsets_.size());
  return std::span<const std::uint8_t>(data_).subspan(offsets_[i], offsets_[i + 1] - offsets_[i]);
}

void EncodedPrompt::append_frame(std::span<const std::uint8_t> payload) {
  if (offsets_.empty()) {
    offsets_.push_back(0);
  }
  data_.insert(data_.end(), payload.begin(), payload.end());
  offsets_.push_back(static_cast<std::uint32_t>(data_.size()));
}

Result<EncodedPrompt> encode_prompt(std::span<const std::int16_t> pcm, std::uint32_t sample_rate,
                                    CodecId codec) {
  const std::uint32_t rate = pcm_rate_of(codec);
  std::vector<std::int16_t> resampled;
  if (sample_rate != rate && !pcm.empty()) {
    resampled = resample_pcm16(pcm, sample_rate, rate);
    pcm = resampled;
  }
  auto encoder = make_session_codec(codec, codec_info(codec).payload_type);
  const std::size_t frame = rate / 50;
  EncodedPrompt out(codec);
  std::vector<std::int16_t> last(frame, 0);
  for (std::size_t at = 0; at < pcm.size(); at += frame) {
    std::span<const std::int16_t> chunk = pcm.subspan(at, std::min(frame, pcm.size() - at));
    if (chunk.size() < frame) {
      std::copy(chunk.begin(), chunk.end(), last.begin());
      chunk = last;
    }
    auto payload = encoder->encode(chunk);
    if (!payload) {
      return fail(payload.error());
    }
    out.append_frame(*payload);
  }
  return out;
}

EncodedPrompt concat_prompts(std::span<const EncodedPrompt* const> parts) {
  EncodedPrompt out(parts.empty() ? CodecId::kPcmu : parts.front()->codec());
  for (const EncodedPrompt* p : parts) {
    assert(p->codec() == out.codec());
    for (std::size_t i = 0; i < p->frame_count(); ++i) {
      out.append_frame(p->frame(i));
    }
  }
  return out;
}

}  // namespace cohort::media
