#pragma once
// A prompt (greeting, beep, menu, waiting music) encoded once for one codec into 20 ms RTP
// payloads, so that playing it costs a copy per packet. Built by the shell when a prompt is
// loaded and cached per codec; shared read-only between sessions (shared_ptr<const>).
// Pure computation.

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "common/errc.hpp"
#include "media/codec.hpp"

namespace cohort::media {

/// The PCM rate Cohort runs Opus at, both ways (wideband voice; the RTP clock stays 48000).
inline constexpr std::uint32_t kOpusPcmRate = 16000;

/// The PCM rate a codec is run at by prompts and sessions: 8000 for G.711, 16000 for G.722
/// and (kOpusPcmRate) Opus.
std::uint32_t pcm_rate_of(CodecId codec);

/// The codec object a session or prompt uses for `codec` (Opus at kOpusPcmRate).
std::unique_ptr<Codec> make_session_codec(CodecId codec, std::uint8_t payload_type);

class EncodedPrompt {
 public:
  EncodedPrompt() = default;
  explicit EncodedPrompt(CodecId codec) : codec_(codec) {}

  CodecId codec() const { return codec_; }
  std::size_t frame_count() const { return offsets_.empty() ? 0 : offsets_.size() - 1; }
  /// Frame i's payload. Precondition: i < frame_count().
  std::span<const std::uint8_t> frame(std::size_t i) const;
  std::chrono::milliseconds duration() const {
    return std::chrono::milliseconds(20 * static_cast<std::int64_t>(frame_count()));
  }
  void append_frame(std::span<const std::uint8_t> payload);

 private:
  CodecId codec_ = CodecId::kPcmu;
  std::vector<std::uint8_t> data_;
  std::vector<std::uint32_t> offsets_;  // frame i is data_[offsets_[i], offsets_[i + 1])
};

/// Mono 16-bit PCM at `sample_rate` → 20 ms frames of `codec` (resampled to pcm_rate_of()
/// with resample.hpp; the last frame padded with silence). Errors are the encoder's.
Result<EncodedPrompt> encode_prompt(std::span<const std::int16_t> pcm, std::uint32_t sample_rate,
                                    CodecId codec);

/// The prompts one after another (e.g. greeting + beep). Precondition: all of one codec.
EncodedPrompt concat_prompts(std::span<const EncodedPrompt* const> parts);

}  // namespace cohort::media
