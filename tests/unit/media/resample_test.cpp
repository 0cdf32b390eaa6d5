// Rate conversion between the telephone rates and the common file rates: length, a tone in
// the pass band keeps its frequency and level, a tone above the new Nyquist is removed; the
// sample-format conversions and downmix; a whole WAV to 8 kHz mono.
#include "media/resample.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <string>

#include "media/pcm.hpp"
#include "media/wav.hpp"
#include "unit/media/signal.hpp"

namespace cohort::media {
namespace {

struct RateCase {
  std::uint32_t in;
  std::uint32_t out;
};

class Resample : public ::testing::TestWithParam<RateCase> {};

TEST_P(Resample, KeepsAPassBandToneAndRemovesAliases) {
  const auto [in_rate, out_rate] = GetParam();
  const std::size_t n = in_rate / 2;  // 0.5 s
  const auto tone = test::sine(1000.0, in_rate, n, 10000.0);
  const auto out = resample_pcm16(tone, in_rate, out_rate);
  EXPECT_EQ(out.size(), (static_cast<std::uint64_t>(n) * out_rate + in_rate - 1) / in_rate);
  const auto middle = std::span(out).subspan(out.size() / 4, out.size() / 2);
  EXPECT_NEAR(test::zero_crossing_frequency(middle, out_rate), 1000.0, 2.0);
  EXPECT_NEAR(20 * std::log10(test::rms(middle) / (10000.0 / std::sqrt(2.0))), 0.0, 0.1);
  if (in_rate > out_rate) {
    // A tone between the new Nyquist and the old one must not fold back.
    const double high = out_rate / 2.0 + (in_rate / 2.0 - out_rate / 2.0) / 2.0;
    const auto alias_in = test::sine(std::min(high, 0.45 * in_rate), in_rate, n, 10000.0);
    const auto aliased = resample_pcm16(alias_in, in_rate, out_rate);
    const auto mid = std::span(aliased).subspan(aliased.size() / 4, aliased.size() / 2);
    EXPECT_LT(test::rms(mid), 10000.0 * 0.01) << "alias of " << high << " Hz";  // < -40 dB
  }
}

INSTANTIATE_TEST_SUITE_P(
    Rates, Resample,
    ::testing::Values(RateCase{8000, 16000}, RateCase{8000, 48000}, RateCase{16000, 8000},
                      RateCase{48000, 8000}, RateCase{16000, 48000}, RateCase{48000, 16000},
                      RateCase{11025, 8000}, RateCase{22050, 8000}, RateCase{44100, 8000},
                      RateCase{44100, 16000}, RateCase{44100, 48000}, RateCase{22050, 48000},
                      RateCase{11025, 16000}, RateCase{44101, 8000}),
    [](const auto& info) {
      return std::to_string(info.param.in) + "_to_" + std::to_string(info.param.out);
    });

TEST(Resample, SameRateCopiesAndBadRatesGiveNothing) {
  const std::vector<float> x = {0.1F, -0.2F, 0.3F};
  EXPECT_EQ(resample(x, 8000, 8000), x);
  EXPECT_TRUE(resample(x, 0, 8000).empty());
  EXPECT_TRUE(resample({}, 44100, 8000).empty());
}

TEST(Pcm, ConversionsClampAndRound) {
  const std::vector<float> f = {0.0F, 0.5F, -1.0F, 1.5F, -2.0F, NAN};
  EXPECT_EQ(to_pcm16(f), (std::vector<std::int16_t>{0, 16384, -32768, 32767, -32768, 0}));
  const std::uint8_t f32_nan[] = {0x00, 0x00, 0xC0, 0x7F};
  EXPECT_EQ(to_float(f32_nan, SampleFormat::kF32), std::vector<float>{0.0F});
  const std::uint8_t f64_half[] = {0, 0, 0, 0, 0, 0, 0xE0, 0x3F};
  EXPECT_EQ(to_float(f64_half, SampleFormat::kF64), std::vector<float>{0.5F});
  EXPECT_EQ(to_float(std::vector<std::int16_t>{-32768, 16384}), (std::vector<float>{-1.0F, 0.5F}));
}

TEST(Pcm, DownmixAveragesChannels) {
  const std::vector<float> stereo = {1.0F, 0.0F, 0.5F, 0.5F, -1.0F, 1.0F};
  EXPECT_EQ(downmix(stereo, 2), (std::vector<float>{0.5F, 0.5F, 0.0F}));
  const auto three = downmix(stereo, 3);
  ASSERT_EQ(three.size(), 2u);
  EXPECT_FLOAT_EQ(three[0], 0.5F);
  EXPECT_FLOAT_EQ(three[1], 0.5F / 3);
  EXPECT_EQ(downmix(stereo, 1), stereo);
  EXPECT_TRUE(downmix(stereo, 0).empty());
}

TEST(Resample, StereoFloatWavTo8kMono) {
  // 0.25 s of 44.1 kHz stereo float: 1 kHz left, silence right -> half level mono.
  const auto left = test::sine(1000.0, 44100, 11025, 16384.0);
  std::vector<std::uint8_t> data;
  for (std::int16_t s : left) {
    const float l = s / 32768.0F;
    for (float v : {l, 0.0F}) {
      std::uint32_t u;
      std::memcpy(&u, &v, 4);
      for (int i = 0; i < 4; ++i) {
        data.push_back(static_cast<std::uint8_t>(u >> (8 * i)));
      }
    }
  }
  std::vector<std::uint8_t> file = {'R',  'I', 'F', 'F', 0,    0,    0,   0,   'W',  'A',
                                    'V',  'E', 'f', 'm', 't',  ' ',  16,  0,   0,    0,
                                    3,    0,   2,   0,   0x44, 0xAC, 0,   0,   0x20, 0x62,
                                    0x05, 0,   8,   0,   32,   0,    'd', 'a', 't',  'a'};
  const auto size = static_cast<std::uint32_t>(data.size());
  for (int i = 0; i < 4; ++i) {
    file.push_back(static_cast<std::uint8_t>(size >> (8 * i)));
  }
  file.insert(file.end(), data.begin(), data.end());
  auto pcm = wav_to_mono_pcm16(file, 8000);
  ASSERT_TRUE(pcm) << pcm.error().message;
  EXPECT_EQ(pcm->size(), 2000u);
  const auto mid = std::span(*pcm).subspan(500, 1000);
  EXPECT_NEAR(test::zero_crossing_frequency(mid, 8000), 1000.0, 2.0);
  EXPECT_NEAR(test::rms(mid), 8192.0 / std::sqrt(2.0), 100.0);
  EXPECT_FALSE(wav_to_mono_pcm16(std::vector<std::uint8_t>{1, 2, 3}, 8000));
}

}  // namespace
}  // namespace cohort::media
