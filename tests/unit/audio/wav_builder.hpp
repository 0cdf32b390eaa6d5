#pragma once
// WAV files of any layout for the audio tests, built by hand (not by the code under test).

#include <cmath>
#include <cstdint>
#include <cstring>
#include <numbers>
#include <vector>

namespace cohort::audio::test {

/// A PCM WAV of a sine at `hz` for `seconds`: `channels` channels (all the same), `bits`
/// 16 or 24, at `rate`.
inline std::vector<std::uint8_t> tone_wav(double hz, double seconds, std::uint32_t rate,
                                          std::uint16_t channels, std::uint16_t bits,
                                          double amplitude = 0.5) {
  const auto frames = static_cast<std::uint32_t>(seconds * rate);
  const std::uint16_t bytes_per_sample = bits / 8;
  const std::uint32_t data = frames * channels * bytes_per_sample;
  // Sized once and written by position (g++ 12 at -O2 misreads inserts of a literal's bytes
  // as an overflow).
  std::vector<std::uint8_t> out(44 + std::size_t{data});
  std::size_t at = 0;
  const auto put = [&](std::uint32_t v, int n) {
    for (int i = 0; i < n; ++i) {
      out[at++] = static_cast<std::uint8_t>(v >> (8 * i));
    }
  };
  const auto tag = [&](const char* t) {
    std::memcpy(&out[at], t, 4);
    at += 4;
  };
  tag("RIFF");
  put(36 + data, 4);
  tag("WAVE");
  tag("fmt ");
  put(16, 4);
  put(1, 2);
  put(channels, 2);
  put(rate, 4);
  put(rate * channels * bytes_per_sample, 4);
  put(channels * bytes_per_sample, 2);
  put(bits, 2);
  tag("data");
  put(data, 4);
  const double full = bits == 24 ? 8388607.0 : 32767.0;
  for (std::uint32_t i = 0; i < frames; ++i) {
    const auto v = static_cast<std::int32_t>(
        std::lround(amplitude * full * std::sin(2 * std::numbers::pi * hz * i / rate)));
    for (std::uint16_t c = 0; c < channels; ++c) {
      put(static_cast<std::uint32_t>(v), bytes_per_sample);
    }
  }
  return out;
}

/// Rough frequency of mono PCM by zero crossings.
inline double zero_crossing_hz(const std::vector<std::int16_t>& pcm, std::uint32_t rate) {
  std::size_t crossings = 0;
  for (std::size_t i = 1; i < pcm.size(); ++i) {
    if ((pcm[i - 1] < 0) != (pcm[i] < 0)) {
      ++crossings;
    }
  }
  return pcm.empty() ? 0.0 : crossings / 2.0 * rate / static_cast<double>(pcm.size());
}

}  // namespace cohort::audio::test
