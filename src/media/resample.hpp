#pragma once
// Sample-rate conversion for prompts: a windowed-sinc (Kaiser, β = 8) polyphase filter at the
// exact rational ratio out/in, 16 zero crossings each side, cut-off at 92% of the lower
// Nyquist frequency, so 44.1 kHz music becomes 8 kHz telephone audio without aliasing and
// 8 kHz prompts become 48 kHz for Opus without images. Whole buffers (a prompt is converted
// once and cached), not streaming.

#include <cstdint>
#include <span>
#include <vector>

#include "common/errc.hpp"

namespace cohort::media {

/// Converts mono samples from in_rate to out_rate (each 1..384000). The output has
/// ceil(in.size() · out_rate / in_rate) samples, aligned with the input (no delay).
std::vector<float> resample(std::span<const float> in, std::uint32_t in_rate,
                            std::uint32_t out_rate);

/// The same for 16-bit PCM.
std::vector<std::int16_t> resample_pcm16(std::span<const std::int16_t> in, std::uint32_t in_rate,
                                         std::uint32_t out_rate);

/// A WAV upload to 16-bit mono at `out_rate`: parse (wav.hpp rules), decode any accepted
/// sample format, average the channels, resample. The errors are parse_wav()'s.
Result<std::vector<std::int16_t>> wav_to_mono_pcm16(std::span<const std::uint8_t> wav_bytes,
                                                    std::uint32_t out_rate);

}  // namespace cohort::media
