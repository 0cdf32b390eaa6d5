// In-band DTMF through spandsp: our generated digits are detected, silence and noise are not;
// and the tone generator, level meter and silence timer the voicemail uses.
#include "media/dtmf_detector.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "media/g711.hpp"
#include "media/tones.hpp"
#include "unit/media/signal.hpp"

namespace cohort::media {
namespace {

using namespace std::chrono_literals;

TEST(DtmfDetector, DetectsGeneratedDigits) {
  DtmfDetector rx;
  EXPECT_EQ(rx.feed(dtmf_tones("123#", 8000)), "123#");
  DtmfDetector all;
  EXPECT_EQ(all.feed(dtmf_tones("0123456789*#ABCD", 8000, 60ms, 60ms)), "0123456789*#ABCD");
}

TEST(DtmfDetector, DetectsAcrossSmallFeedsAndThroughG711) {
  // 20 ms at a time, as packets arrive, after a µ-law round trip.
  const auto tones = decode_ulaw(encode_ulaw(dtmf_tones("*97", 8000, 100ms, 100ms, -20.0)));
  DtmfDetector rx;
  std::string got;
  for (std::size_t at = 0; at < tones.size(); at += 160) {
    got += rx.feed(std::span(tones).subspan(at, std::min<std::size_t>(160, tones.size() - at)));
  }
  EXPECT_EQ(got, "*97");
}

TEST(DtmfDetector, SilenceAndNoiseAndSpeechLikeSoundsYieldNothing) {
  DtmfDetector rx;
  EXPECT_EQ(rx.feed(std::vector<std::int16_t>(8000, 0)), "");
  std::mt19937 rng(7);
  std::normal_distribution<double> noise(0.0, 3000.0);
  std::vector<std::int16_t> n(16000);
  for (auto& s : n) {
    s = static_cast<std::int16_t>(std::clamp(noise(rng), -32768.0, 32767.0));
  }
  EXPECT_EQ(rx.feed(n), "");
  // Vowel-like: a 120 Hz pitch with harmonics whose frequency wanders.
  std::vector<std::int16_t> voice(16000);
  double phase = 0.0;
  for (std::size_t i = 0; i < voice.size(); ++i) {
    const double f0 = 120.0 + 30.0 * std::sin(2 * std::numbers::pi * 3.0 * i / 8000.0);
    phase += 2 * std::numbers::pi * f0 / 8000.0;
    double v = 0.0;
    for (int h = 1; h <= 12; ++h) {
      v += std::sin(h * phase) / h;
    }
    voice[i] = static_cast<std::int16_t>(6000.0 * v);
  }
  EXPECT_EQ(rx.feed(voice), "");
  // A single tone (a beep) is not a digit either.
  EXPECT_EQ(rx.feed(test::sine(1000.0, 8000, 8000)), "");
}

TEST(Tones, DtmfFrequenciesFollowQ23) {
  EXPECT_EQ(dtmf_frequencies('1'), (std::pair{697.0, 1209.0}));
  EXPECT_EQ(dtmf_frequencies('#'), (std::pair{941.0, 1477.0}));
  EXPECT_EQ(dtmf_frequencies('d'), (std::pair{941.0, 1633.0}));
  EXPECT_EQ(dtmf_frequencies('x'), std::nullopt);
  const auto five = dtmf_tones("5", 8000, 100ms, 50ms);
  ASSERT_EQ(five.size(), 1200u);
  const auto on = std::span(five).first(800);
  EXPECT_GT(test::tone_power(on, 770, 8000), 100 * test::tone_power(on, 697, 8000));
  EXPECT_GT(test::tone_power(on, 1336, 8000), 100 * test::tone_power(on, 1209, 8000));
  EXPECT_EQ(test::rms(std::span(five).subspan(800)), 0.0);
}

TEST(Tones, RingbackCadenceAndContinuousPhase) {
  ToneGenerator ring({440.0, 480.0}, 8000, 2000ms, 4000ms);
  std::vector<std::int16_t> all;
  for (int i = 0; i < 300; ++i) {  // 6 s in 20 ms frames
    const auto f = ring.next(160);
    all.insert(all.end(), f.begin(), f.end());
  }
  EXPECT_FALSE(ring.done());
  const auto on = std::span(all).first(16000);
  const auto off = std::span(all).subspan(16000);
  EXPECT_NEAR(rms_dbfs(on), -13.0, 0.2);  // two tones at -13 dBFS peak each
  EXPECT_EQ(test::rms(off), 0.0);
  // The frame-by-frame output equals one long generation.
  ToneGenerator whole({440.0, 480.0}, 8000, 2000ms, 4000ms);
  EXPECT_EQ(whole.next(48000), all);
}

TEST(Tones, BeepPlaysOnce) {
  ToneGenerator beep({1000.0}, 8000, 500ms, 0ms, -6.0, true);
  const auto b = beep.next(8000);
  EXPECT_TRUE(beep.done());
  EXPECT_NEAR(test::zero_crossing_frequency(std::span(b).first(4000), 8000), 1000.0, 3.0);
  EXPECT_EQ(test::rms(std::span(b).subspan(4000)), 0.0);
  EXPECT_NEAR(rms_dbfs(std::span(b).first(4000)), -9.0, 0.1);  // -6 dBFS peak sine
}

TEST(Level, RmsDbfs) {
  EXPECT_TRUE(std::isinf(rms_dbfs(std::vector<std::int16_t>(100, 0))));
  EXPECT_TRUE(std::isinf(rms_dbfs({})));
  EXPECT_NEAR(rms_dbfs(std::vector<std::int16_t>(100, -32768)), 0.0, 1e-9);
  EXPECT_NEAR(rms_dbfs(test::sine(1000, 8000, 8000, 32767.0)), -3.01, 0.01);
}

TEST(Level, SilenceDetectorCountsContiguousQuietTime) {
  SilenceDetector d(8000, -40.0);
  const auto loud = test::sine(300, 8000, 8000, 3000.0);  // about -23 dBFS
  const auto quiet = test::sine(300, 8000, 8000, 100.0);  // about -53 dBFS
  EXPECT_EQ(d.feed(loud), 0ms);
  EXPECT_EQ(d.feed(std::span(quiet).first(4000)), 500ms);
  EXPECT_EQ(d.feed(std::span(quiet).first(100)), 500ms);  // a partial window waits
  EXPECT_EQ(d.feed(std::span(quiet).first(60)), 520ms);
  EXPECT_EQ(d.feed(std::span(loud).first(160)), 0ms);  // speech resets it
  for (int i = 0; i < 250; ++i) {
    (void)d.feed(std::span(quiet).first(160));
  }
  EXPECT_EQ(d.silent_for(), 5000ms);
  d.reset();
  EXPECT_EQ(d.silent_for(), 0ms);
}

}  // namespace
}  // namespace cohort::media
