#include "media/tones.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>

namespace cohort::media {
namespace {

double amplitude_of(double dbfs) {
  // A sine peaking at full scale is 0 dBFS peak here.
  return 32767.0 * std::pow(10.0, dbfs / 20.0);
}

std::uint64_t samples_of(std::chrono::milliseconds d, std::uint32_t rate) {
  return d.count() <= 0 ? 0 : static_cast<std::uint64_t>(d.count()) * rate / 1000;
}

std::int16_t clip(double v) {
  return static_cast<std::int16_t>(std::clamp(std::lround(v), -32768L, 32767L));
}

}  // namespace

std::optional<std::pair<double, double>> dtmf_frequencies(char digit) {
  // Q.23: rows 697, 770, 852, 941 Hz; columns 1209, 1336, 1477, 1633 Hz.
  constexpr std::string_view kKeys = "123A456B789C*0#D";
  constexpr double kRows[] = {697, 770, 852, 941};
  constexpr double kCols[] = {1209, 1336, 1477, 1633};
  if (digit >= 'a' && digit <= 'd') {
    digit = static_cast<char>(digit - 'a' + 'A');
  }
  const auto at = kKeys.find(digit);
  if (at == std::string_view::npos) {
    return std::nullopt;
  }
  return std::pair{kRows[at / 4], kCols[at % 4]};
}

std::vector<std::int16_t> dtmf_tones(std::string_view digits, std::uint32_t rate,
                                     std::chrono::milliseconds on, std::chrono::milliseconds off,
                                     double level_dbfs) {
  const std::uint64_t on_n = samples_of(on, rate);
  const std::uint64_t off_n = samples_of(off, rate);
  const double a = amplitude_of(level_dbfs);
  std::vector<std::int16_t> out;
  out.reserve(digits.size() * (on_n + off_n));
  for (char d : digits) {
    const auto f = dtmf_frequencies(d);
    for (std::uint64_t i = 0; i < on_n; ++i) {
      double v = 0.0;
      if (f) {
        const double t = static_cast<double>(i) / rate;
        v = a * (std::sin(2 * std::numbers::pi * f->first * t) +
                 std::sin(2 * std::numbers::pi * f->second * t));
      }
      out.push_back(clip(v));
    }
    out.insert(out.end(), off_n, 0);
  }
  return out;
}

ToneGenerator::ToneGenerator(std::vector<double> frequencies, std::uint32_t sample_rate,
                             std::chrono::milliseconds on, std::chrono::milliseconds off,
                             double level_dbfs, bool once)
    : frequencies_(std::move(frequencies)),
      rate_(std::max<std::uint32_t>(sample_rate, 1)),
      on_samples_(samples_of(on, rate_)),
      period_samples_(std::max<std::uint64_t>(1, samples_of(on, rate_) + samples_of(off, rate_))),
      amplitude_(amplitude_of(level_dbfs)),
      once_(once) {}

bool ToneGenerator::done() const {
  return once_ && position_ >= on_samples_;
}

std::vector<std::int16_t> ToneGenerator::next(std::size_t samples) {
  std::vector<std::int16_t> out(samples, 0);
  for (std::size_t i = 0; i < samples; ++i, ++position_) {
    if (once_ && position_ >= on_samples_) {
      continue;
    }
    if (position_ % period_samples_ >= on_samples_) {
      continue;
    }
    // The phase follows the absolute position: continuous across calls and cadence gaps.
    const double t = static_cast<double>(position_) / rate_;
    double v = 0.0;
    for (double f : frequencies_) {
      v += std::sin(2 * std::numbers::pi * f * t);
    }
    out[i] = clip(amplitude_ * v);
  }
  return out;
}

double rms_dbfs(std::span<const std::int16_t> samples) {
  double sum = 0.0;
  for (std::int16_t s : samples) {
    sum += static_cast<double>(s) * s;
  }
  if (samples.empty() || sum == 0.0) {
    return -std::numeric_limits<double>::infinity();
  }
  const double rms = std::sqrt(sum / static_cast<double>(samples.size()));
  return 20.0 * std::log10(rms / 32768.0);
}

SilenceDetector::SilenceDetector(std::uint32_t sample_rate, double threshold_dbfs,
                                 std::chrono::milliseconds window)
    : rate_(std::max<std::uint32_t>(sample_rate, 1)),
      threshold_(threshold_dbfs),
      window_(std::max<std::size_t>(1, samples_of(window, rate_))) {}

std::chrono::milliseconds SilenceDetector::feed(std::span<const std::int16_t> samples) {
  for (std::int16_t s : samples) {
    partial_.push_back(s);
    if (partial_.size() == window_) {
      if (rms_dbfs(partial_) < threshold_) {
        silent_samples_ += window_;
      } else {
        silent_samples_ = 0;
      }
      partial_.clear();
    }
  }
  return silent_for();
}

std::chrono::milliseconds SilenceDetector::silent_for() const {
  return std::chrono::milliseconds(silent_samples_ * 1000 / rate_);
}

void SilenceDetector::reset() {
  partial_.clear();
  silent_samples_ = 0;
}

}  // namespace cohort::media
