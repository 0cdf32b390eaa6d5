// Every codec behind the Codec interface: its description, and a 1 kHz sine through encode
// and decode keeps its frequency and level; Opus conceals a lost packet; lookups by SDP name.
#include "media/codec.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "unit/media/signal.hpp"

namespace cohort::media {
namespace {

struct CodecCase {
  CodecId id;
  std::string_view name;
  std::uint8_t pt;
  std::uint32_t clock_rate;
  std::uint32_t sample_rate;
  std::size_t payload_bytes_20ms;  // 0: variable
  double level_tolerance_db;
  std::size_t codec_delay;  // samples to skip at the start (filter and look-ahead delay)
};

class CodecRoundTrip : public ::testing::TestWithParam<CodecCase> {};

TEST_P(CodecRoundTrip, DescribesItself) {
  const CodecCase& c = GetParam();
  auto codec = make_codec(c.id);
  ASSERT_NE(codec, nullptr);
  const CodecInfo& info = codec->info();
  EXPECT_EQ(info.id, c.id);
  EXPECT_EQ(info.name, c.name);
  EXPECT_EQ(info.payload_type, c.pt);
  EXPECT_EQ(info.clock_rate, c.clock_rate);
  EXPECT_EQ(info.sample_rate, c.sample_rate);
  EXPECT_EQ(info.frame_samples(), c.sample_rate / 50);
  EXPECT_EQ(info.frame_ticks(), c.clock_rate / 50);
}

TEST_P(CodecRoundTrip, OneKilohertzSineKeepsFrequencyAndLevel) {
  const CodecCase& c = GetParam();
  auto codec = make_codec(c.id);
  const std::uint32_t rate = codec->info().sample_rate;
  const std::uint32_t frame = codec->info().frame_samples();
  constexpr std::size_t kFrames = 50;  // one second
  const auto input = test::sine(1000.0, rate, frame * kFrames, 10000.0);
  std::vector<std::int16_t> output;
  for (std::size_t f = 0; f < kFrames; ++f) {
    auto payload = codec->encode(std::span(input).subspan(f * frame, frame));
    ASSERT_TRUE(payload) << payload.error().message;
    if (c.payload_bytes_20ms != 0) {
      EXPECT_EQ(payload->size(), c.payload_bytes_20ms);
    }
    auto pcm = codec->decode(*payload);
    ASSERT_TRUE(pcm) << pcm.error().message;
    ASSERT_EQ(pcm->size(), frame);
    output.insert(output.end(), pcm->begin(), pcm->end());
  }
  // Skip the codec's start-up (filters settling, Opus' look-ahead) and compare the rest.
  const auto steady = std::span(output).subspan(c.codec_delay + frame * 5);
  const auto reference = std::span(input).subspan(frame * 5);
  EXPECT_NEAR(test::zero_crossing_frequency(steady, rate), 1000.0, 5.0);
  const double level_db = 20.0 * std::log10(test::rms(steady) / test::rms(reference));
  EXPECT_NEAR(level_db, 0.0, c.level_tolerance_db);
  // The energy is in the tone, not spread over others.
  EXPECT_GT(test::tone_power(steady, 1000.0, rate), 50.0 * test::tone_power(steady, 1500.0, rate));
}

INSTANTIATE_TEST_SUITE_P(
    Codecs, CodecRoundTrip,
    ::testing::Values(CodecCase{CodecId::kPcmu, "PCMU", 0, 8000, 8000, 160, 0.2, 0},
                      CodecCase{CodecId::kPcma, "PCMA", 8, 8000, 8000, 160, 0.2, 0},
                      CodecCase{CodecId::kG722, "G722", 9, 8000, 16000, 160, 1.0, 64},
                      CodecCase{CodecId::kOpus, "opus", 111, 48000, 48000, 0, 1.5, 312}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(Codec, FindsCodecsBySdpNameAndClockRate) {
  EXPECT_EQ(find_codec("PCMU", 8000), CodecId::kPcmu);
  EXPECT_EQ(find_codec("pcmu", 8000), CodecId::kPcmu);
  EXPECT_EQ(find_codec("PCMA", 8000), CodecId::kPcma);
  EXPECT_EQ(find_codec("G722", 8000), CodecId::kG722);
  EXPECT_EQ(find_codec("OPUS", 48000), CodecId::kOpus);
  EXPECT_EQ(find_codec("G722", 16000), std::nullopt);
  EXPECT_EQ(find_codec("G729", 8000), std::nullopt);
  EXPECT_EQ(find_codec("", 8000), std::nullopt);
}

TEST(Codec, OpusTakesTheDynamicPayloadTypeAndRate) {
  auto opus = make_codec(CodecId::kOpus, 96, 16000);
  EXPECT_EQ(opus->info().payload_type, 96);
  EXPECT_EQ(opus->info().clock_rate, 48000u);
  EXPECT_EQ(opus->info().sample_rate, 16000u);
  EXPECT_EQ(opus->info().frame_samples(), 320u);
  EXPECT_EQ(opus->info().frame_ticks(), 960u);
  const auto pcm = test::sine(1000.0, 16000, 320);
  auto payload = opus->encode(pcm);
  ASSERT_TRUE(payload);
  auto decoded = opus->decode(*payload);
  ASSERT_TRUE(decoded);
  EXPECT_EQ(decoded->size(), 320u);
}

TEST(Codec, OpusRejectsCorruptAndEmptyPayloads) {
  auto opus = make_codec(CodecId::kOpus);
  EXPECT_FALSE(opus->decode({}));
  // TOC byte announcing code 3 (arbitrary frame count) with no frame-count byte.
  const std::uint8_t truncated[] = {0x03};
  EXPECT_FALSE(opus->decode(truncated));
  auto bad = opus->encode(std::vector<std::int16_t>(123, 0));  // not an Opus frame size
  EXPECT_FALSE(bad);
}

TEST(Codec, OpusConcealsALostFrameWithTheTone) {
  auto opus = make_codec(CodecId::kOpus);
  const std::uint32_t frame = opus->info().frame_samples();
  const auto input = test::sine(1000.0, 48000, frame * 20, 10000.0);
  for (std::size_t f = 0; f < 20; ++f) {
    auto payload = opus->encode(std::span(input).subspan(f * frame, frame));
    ASSERT_TRUE(payload);
    ASSERT_TRUE(opus->decode(*payload));
  }
  const auto concealed = opus->conceal(frame);
  ASSERT_EQ(concealed.size(), frame);
  // PLC continues the tone rather than going silent.
  EXPECT_GT(test::rms(concealed), 1000.0);
  // Any length, truncated to what was asked.
  EXPECT_EQ(opus->conceal(100).size(), 100u);
  EXPECT_EQ(opus->conceal(0).size(), 0u);
}

TEST(Codec, G711AndG722ConcealWithSilence) {
  for (CodecId id : {CodecId::kPcmu, CodecId::kPcma, CodecId::kG722}) {
    auto codec = make_codec(id);
    const auto pcm = codec->conceal(160);
    ASSERT_EQ(pcm.size(), 160u);
    EXPECT_EQ(test::rms(pcm), 0.0);
  }
}

TEST(Codec, G711DecodesAnyPayloadLength) {
  auto pcmu = make_codec(CodecId::kPcmu);
  const std::uint8_t odd[] = {0xFF, 0x80, 0x00};
  auto pcm = pcmu->decode(odd);
  ASSERT_TRUE(pcm);
  EXPECT_EQ(*pcm, (std::vector<std::int16_t>{0, 32124, -32124}));
}

}  // namespace
}  // namespace cohort::media
