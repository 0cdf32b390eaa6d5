#pragma once
// Linear PCM conversions for prompts: interleaved samples of any common encoding to float,
// channel downmix, float to 16-bit. Pure functions over byte buffers.

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace cohort::media {

/// How one sample is stored (little-endian, as in WAV).
enum class SampleFormat : std::uint8_t {
  kU8,     ///< unsigned 8-bit, 128 = 0 (WAV's 8-bit PCM)
  kS16,    ///< signed 16-bit
  kS24,    ///< signed 24-bit packed in 3 bytes
  kS32,    ///< signed 32-bit
  kF32,    ///< IEEE float 32, full scale ±1.0
  kF64,    ///< IEEE float 64
  kMulaw,  ///< G.711 µ-law, one byte
  kAlaw,   ///< G.711 A-law, one byte
};
std::string_view to_string(SampleFormat f);
/// Bytes per sample of one channel.
std::uint32_t bytes_per_sample(SampleFormat f);

/// Interleaved little-endian samples -> floats in [-1, 1] (still interleaved). Trailing
/// bytes that do not make a whole sample are ignored; NaN and infinities become 0, floats
/// are clamped.
std::vector<float> to_float(std::span<const std::uint8_t> bytes, SampleFormat format);
std::vector<float> to_float(std::span<const std::int16_t> pcm);

/// The mean of the channels of each frame (equal weight). channels == 0 gives nothing.
std::vector<float> downmix(std::span<const float> interleaved, std::uint32_t channels);

/// Floats -> 16-bit with rounding and clipping at full scale.
std::vector<std::int16_t> to_pcm16(std::span<const float> samples);

}  // namespace cohort::media
