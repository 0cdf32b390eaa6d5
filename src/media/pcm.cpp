#include "media/pcm.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

#include "media/g711.hpp"

namespace cohort::media {
namespace {

std::uint32_t le32(const std::uint8_t* p) {
  return static_cast<std::uint32_t>(p[0]) | static_cast<std::uint32_t>(p[1]) << 8 |
         static_cast<std::uint32_t>(p[2]) << 16 | static_cast<std::uint32_t>(p[3]) << 24;
}

float clean(double v) {
  if (!std::isfinite(v)) {
    return 0.0F;
  }
  return static_cast<float>(std::clamp(v, -1.0, 1.0));
}

float sample_at(const std::uint8_t* p, SampleFormat format) {
  switch (format) {
    case SampleFormat::kU8:
      return (static_cast<float>(p[0]) - 128.0F) / 128.0F;
    case SampleFormat::kS16:
      return static_cast<float>(static_cast<std::int16_t>(p[0] | p[1] << 8)) / 32768.0F;
    case SampleFormat::kS24: {
      // Sign-extend the 24-bit value through the top of a 32-bit one.
      const auto u = static_cast<std::uint32_t>(p[0]) << 8 |
                     static_cast<std::uint32_t>(p[1]) << 16 |
                     static_cast<std::uint32_t>(p[2]) << 24;
      return static_cast<float>(static_cast<double>(static_cast<std::int32_t>(u)) / 2147483648.0);
    }
    case SampleFormat::kS32:
      return static_cast<float>(static_cast<double>(static_cast<std::int32_t>(le32(p))) /
                                2147483648.0);
    case SampleFormat::kF32:
      return clean(static_cast<double>(std::bit_cast<float>(le32(p))));
    case SampleFormat::kF64: {
      const std::uint64_t u =
          static_cast<std::uint64_t>(le32(p)) | static_cast<std::uint64_t>(le32(p + 4)) << 32;
      return clean(std::bit_cast<double>(u));
    }
    case SampleFormat::kMulaw:
      return static_cast<float>(ulaw_to_linear(p[0])) / 32768.0F;
    case SampleFormat::kAlaw:
      return static_cast<float>(alaw_to_linear(p[0])) / 32768.0F;
  }
  return 0.0F;
}

}  // namespace

std::string_view to_string(SampleFormat f) {
  switch (f) {
    case SampleFormat::kU8:
      return "8-bit PCM";
    case SampleFormat::kS16:
      return "16-bit PCM";
    case SampleFormat::kS24:
      return "24-bit PCM";
    case SampleFormat::kS32:
      return "32-bit PCM";
    case SampleFormat::kF32:
      return "32-bit float";
    case SampleFormat::kF64:
      return "64-bit float";
    case SampleFormat::kMulaw:
      return "G.711 mu-law";
    case SampleFormat::kAlaw:
      return "G.711 A-law";
  }
  return "?";
}

std::uint32_t bytes_per_sample(SampleFormat f) {
  switch (f) {
    case SampleFormat::kU8:
    case SampleFormat::kMulaw:
    case SampleFormat::kAlaw:
      return 1;
    case SampleFormat::kS16:
      return 2;
    case SampleFormat::kS24:
      return 3;
    case SampleFormat::kS32:
    case SampleFormat::kF32:
      return 4;
    case SampleFormat::kF64:
      return 8;
  }
  return 1;
}

std::vector<float> to_float(std::span<const std::uint8_t> bytes, SampleFormat format) {
  const std::uint32_t width = bytes_per_sample(format);
  const std::size_t n = bytes.size() / width;
  std::vector<float> out(n);
  for (std::size_t i = 0; i < n; ++i) {
    out[i] = sample_at(bytes.data() + i * width, format);
  }
  return out;
}

std::vector<float> to_float(std::span<const std::int16_t> pcm) {
  std::vector<float> out(pcm.size());
  std::transform(pcm.begin(), pcm.end(), out.begin(),
                 [](std::int16_t s) { return static_cast<float>(s) / 32768.0F; });
  return out;
}

std::vector<float> downmix(std::span<const float> interleaved, std::uint32_t channels) {
  if (channels == 0) {
    return {};
  }
  if (channels == 1) {
    return {interleaved.begin(), interleaved.end()};
  }
  const std::size_t frames = interleaved.size() / channels;
  std::vector<float> out(frames);
  for (std::size_t f = 0; f < frames; ++f) {
    double sum = 0.0;
    for (std::uint32_t c = 0; c < channels; ++c) {
      sum += interleaved[f * channels + c];
    }
    out[f] = static_cast<float>(sum / channels);
  }
  return out;
}

std::vector<std::int16_t> to_pcm16(std::span<const float> samples) {
  std::vector<std::int16_t> out(samples.size());
  for (std::size_t i = 0; i < samples.size(); ++i) {
    const float v = std::isfinite(samples[i]) ? samples[i] : 0.0F;
    const long s = std::lround(static_cast<double>(v) * 32768.0);
    out[i] = static_cast<std::int16_t>(std::clamp(s, -32768L, 32767L));
  }
  return out;
}

}  // namespace cohort::media
