#include "media/resample.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <numeric>

#include "media/pcm.hpp"
#include "media/wav.hpp"

namespace cohort::media {
namespace {

constexpr double kZeroCrossings = 16.0;
constexpr double kBeta = 8.0;               // Kaiser window: ~80 dB stop-band
constexpr double kPassFraction = 0.92;      // cut-off as a fraction of the lower Nyquist
constexpr std::uint64_t kMaxPhases = 4096;  // above, phases are rounded to the nearest table row

// Zeroth-order modified Bessel function of the first kind, by its power series.
double bessel_i0(double x) {
  double sum = 1.0;
  double term = 1.0;
  const double q = x * x / 4.0;
  for (int k = 1; k < 50; ++k) {
    term *= q / (static_cast<double>(k) * k);
    sum += term;
    if (term < sum * 1e-12) {
      break;
    }
  }
  return sum;
}

class Polyphase {
 public:
  Polyphase(std::uint32_t in_rate, std::uint32_t out_rate) {
    const std::uint32_t g = std::gcd(in_rate, out_rate);
    up_ = out_rate / g;
    down_ = in_rate / g;
    // Cut-off in cycles per input sample.
    const double fc = 0.5 * kPassFraction * std::min(1.0, static_cast<double>(up_) / down_);
    half_ = static_cast<std::size_t>(std::ceil(kZeroCrossings / (2.0 * fc)));
    phases_ = std::min<std::uint64_t>(up_, kMaxPhases);
    const std::size_t taps = 2 * half_;
    table_.resize(phases_ * taps);
    const double i0_beta = bessel_i0(kBeta);
    for (std::uint64_t p = 0; p < phases_; ++p) {
      const double frac = static_cast<double>(p) / static_cast<double>(phases_);
      float* row = &table_[p * taps];
      double sum = 0.0;
      for (std::size_t j = 0; j < taps; ++j) {
        // Distance, in input samples, from the output instant to tap j's input sample.
        const double t = static_cast<double>(j) - static_cast<double>(half_) + 1.0 - frac;
        const double x = 2.0 * fc * t;
        const double sinc =
            x == 0.0 ? 1.0 : std::sin(std::numbers::pi * x) / (std::numbers::pi * x);
        const double r = t / static_cast<double>(half_);
        const double w =
            std::abs(r) >= 1.0 ? 0.0 : bessel_i0(kBeta * std::sqrt(1.0 - r * r)) / i0_beta;
        const double h = 2.0 * fc * sinc * w;
        row[j] = static_cast<float>(h);
        sum += h;
      }
      // Unity gain at DC for every phase.
      for (std::size_t j = 0; j < taps; ++j) {
        row[j] = static_cast<float>(row[j] / sum);
      }
    }
  }

  std::vector<float> run(std::span<const float> in) const {
    const std::uint64_t n_out = (static_cast<std::uint64_t>(in.size()) * up_ + down_ - 1) / down_;
    std::vector<float> out(n_out);
    const std::size_t taps = 2 * half_;
    const auto n_in = static_cast<std::int64_t>(in.size());
    for (std::uint64_t n = 0; n < n_out; ++n) {
      const std::uint64_t pos = n * down_;
      const auto i0 = static_cast<std::int64_t>(pos / up_);
      const std::uint64_t rem = pos % up_;
      const std::uint64_t p = phases_ == up_ ? rem : (rem * phases_ + up_ / 2) / up_;
      // Rounding may reach the next sample's phase 0.
      const std::int64_t base = (p == phases_ ? i0 + 1 : i0) - static_cast<std::int64_t>(half_) + 1;
      const float* row = &table_[(p == phases_ ? 0 : p) * taps];
      const std::int64_t j_lo = std::max<std::int64_t>(0, -base);
      const std::int64_t j_hi =
          std::min<std::int64_t>(static_cast<std::int64_t>(taps), n_in - base);
      double acc = 0.0;
      for (std::int64_t j = j_lo; j < j_hi; ++j) {
        acc += static_cast<double>(row[j]) * in[static_cast<std::size_t>(base + j)];
      }
      out[n] = static_cast<float>(acc);
    }
    return out;
  }

 private:
  std::uint64_t up_ = 1;
  std::uint64_t down_ = 1;
  std::uint64_t phases_ = 1;
  std::size_t half_ = 1;
  std::vector<float> table_;
};

}  // namespace

std::vector<float> resample(std::span<const float> in, std::uint32_t in_rate,
                            std::uint32_t out_rate) {
  if (in_rate == 0 || out_rate == 0) {
    return {};
  }
  if (in_rate == out_rate) {
    return {in.begin(), in.end()};
  }
  return Polyphase(in_rate, out_rate).run(in);
}

std::vector<std::int16_t> resample_pcm16(std::span<const std::int16_t> in, std::uint32_t in_rate,
                                         std::uint32_t out_rate) {
  const auto f = to_float(in);
  return to_pcm16(resample(f, in_rate, out_rate));
}

Result<std::vector<std::int16_t>> wav_to_mono_pcm16(std::span<const std::uint8_t> wav_bytes,
                                                    std::uint32_t out_rate) {
  COHORT_TRY_ASSIGN(const WavView wav, parse_wav(wav_bytes));
  const auto mono = downmix(wav_samples(wav), wav.channels);
  return to_pcm16(resample(mono, wav.sample_rate, out_rate));
}

}  // namespace cohort::media
