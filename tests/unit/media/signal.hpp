#pragma once
// Test helpers: synthetic signals and the measurements the media tests check them with.

#include <cmath>
#include <cstdint>
#include <numbers>
#include <span>
#include <vector>

namespace cohort::media::test {

/// `n` samples of a sine at `freq` Hz, peak `amplitude` (16-bit scale).
inline std::vector<std::int16_t> sine(double freq, std::uint32_t rate, std::size_t n,
                                      double amplitude = 10000.0, double phase = 0.0) {
  std::vector<std::int16_t> out(n);
  for (std::size_t i = 0; i < n; ++i) {
    out[i] = static_cast<std::int16_t>(std::lround(
        amplitude *
        std::sin(2.0 * std::numbers::pi * freq * static_cast<double>(i) / rate + phase)));
  }
  return out;
}

inline double rms(std::span<const std::int16_t> s) {
  if (s.empty()) {
    return 0.0;
  }
  double sum = 0.0;
  for (std::int16_t v : s) {
    sum += static_cast<double>(v) * v;
  }
  return std::sqrt(sum / static_cast<double>(s.size()));
}

/// Frequency from the count of rising zero crossings (for a clean tone).
inline double zero_crossing_frequency(std::span<const std::int16_t> s, std::uint32_t rate) {
  std::size_t first = 0;
  std::size_t last = 0;
  std::size_t crossings = 0;
  for (std::size_t i = 1; i < s.size(); ++i) {
    if (s[i - 1] < 0 && s[i] >= 0) {
      if (crossings == 0) {
        first = i;
      }
      last = i;
      ++crossings;
    }
  }
  if (crossings < 2) {
    return 0.0;
  }
  return static_cast<double>(crossings - 1) * rate / static_cast<double>(last - first);
}

/// Power of `freq` in `s` (Goertzel), normalised so a full-scale sine gives about 0.5.
inline double tone_power(std::span<const std::int16_t> s, double freq, std::uint32_t rate) {
  const double w = 2.0 * std::numbers::pi * freq / rate;
  const double coeff = 2.0 * std::cos(w);
  double s1 = 0.0;
  double s2 = 0.0;
  for (std::int16_t v : s) {
    const double s0 = v / 32768.0 + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  const double power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
  const double n = static_cast<double>(s.size());
  return 2.0 * power / (n * n);
}

}  // namespace cohort::media::test
