// WAV parsing of every accepted layout, the named errors of broken files, upload limits, the
// writer, and a fuzz-style sweep of truncations and random mutations that must never crash.
#include "media/wav.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>

#include "unit/media/signal.hpp"

namespace cohort::media {
namespace {

using Bytes = std::vector<std::uint8_t>;

void put2(Bytes& b, std::uint16_t v) {
  b.push_back(static_cast<std::uint8_t>(v));
  b.push_back(static_cast<std::uint8_t>(v >> 8));
}
void put4(Bytes& b, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) {
    b.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
  }
}
void tag(Bytes& b, std::string_view t) {
  b.insert(b.end(), t.begin(), t.end());
}
void chunk(Bytes& b, std::string_view id, const Bytes& body, bool pad = true) {
  tag(b, id);
  put4(b, static_cast<std::uint32_t>(body.size()));
  b.insert(b.end(), body.begin(), body.end());
  if (pad && body.size() % 2 == 1) {
    b.push_back(0);
  }
}

struct Fmt {
  std::uint16_t code = 1;
  std::uint16_t channels = 1;
  std::uint32_t rate = 8000;
  std::uint16_t bits = 16;
  std::int32_t block_align = -1;           // -1: channels · bytes per sample
  std::uint16_t extensible_subformat = 0;  // non-zero: write WAVE_FORMAT_EXTENSIBLE
};

Bytes fmt_body(const Fmt& f) {
  Bytes b;
  const std::uint16_t align = f.block_align >= 0
                                  ? static_cast<std::uint16_t>(f.block_align)
                                  : static_cast<std::uint16_t>(f.channels * ((f.bits + 7) / 8));
  put2(b, f.extensible_subformat != 0 ? 0xFFFE : f.code);
  put2(b, f.channels);
  put4(b, f.rate);
  put4(b, f.rate * align);
  put2(b, align);
  put2(b, f.bits);
  if (f.extensible_subformat != 0) {
    put2(b, 22);
    put2(b, f.bits);
    put4(b, f.channels == 1 ? 0x4 : 0x3);
    put2(b, f.extensible_subformat);
    const std::uint8_t tail[] = {0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80,
                                 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71};
    b.insert(b.end(), std::begin(tail), std::end(tail));
  }
  return b;
}

Bytes wav(const Fmt& f, const Bytes& data,
          const std::vector<std::pair<std::string, Bytes>>& before = {}) {
  Bytes body;
  tag(body, "WAVE");
  for (const auto& [id, b] : before) {
    chunk(body, id, b);
  }
  chunk(body, "fmt ", fmt_body(f));
  chunk(body, "data", data);
  Bytes out;
  tag(out, "RIFF");
  put4(out, static_cast<std::uint32_t>(body.size()));
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

Bytes bytes_of(std::string_view s) {
  return Bytes(s.begin(), s.end());
}

struct AcceptCase {
  std::string name;
  Fmt fmt;
  Bytes data;
  SampleFormat format;
  std::uint64_t frames;
  std::vector<float> first_samples;  // interleaved
};

class WavAccepts : public ::testing::TestWithParam<AcceptCase> {};

TEST_P(WavAccepts, ParsesFormatAndSamples) {
  const AcceptCase& c = GetParam();
  const Bytes file = wav(c.fmt, c.data, {{"LIST", bytes_of("INFOISFT")}, {"junk", {1, 2, 3}}});
  auto w = parse_wav(file);
  ASSERT_TRUE(w) << w.error().message;
  EXPECT_EQ(w->sample_format, c.format);
  EXPECT_EQ(w->channels, c.fmt.channels);
  EXPECT_EQ(w->sample_rate, c.fmt.rate);
  EXPECT_EQ(w->frames, c.frames);
  const auto samples = wav_samples(*w);
  ASSERT_GE(samples.size(), c.first_samples.size());
  for (std::size_t i = 0; i < c.first_samples.size(); ++i) {
    EXPECT_NEAR(samples[i], c.first_samples[i], 1e-6) << i;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Layouts, WavAccepts,
    ::testing::Values(
        AcceptCase{"pcm8",
                   {1, 1, 8000, 8},
                   {0x80, 0xFF, 0x00},
                   SampleFormat::kU8,
                   3,
                   {0.0F, 127.0F / 128, -1.0F}},
        AcceptCase{"pcm16",
                   {1, 1, 16000, 16},
                   {0x00, 0x40, 0x00, 0x80},
                   SampleFormat::kS16,
                   2,
                   {0.5F, -1.0F}},
        AcceptCase{"pcm16_stereo",
                   {1, 2, 44100, 16},
                   {0x00, 0x40, 0x00, 0xC0, 0, 0, 0, 0},
                   SampleFormat::kS16,
                   2,
                   {0.5F, -0.5F, 0.0F, 0.0F}},
        AcceptCase{"pcm24",
                   {1, 1, 48000, 24},
                   {0x00, 0x00, 0x40, 0x00, 0x00, 0x80},
                   SampleFormat::kS24,
                   2,
                   {0.5F, -1.0F}},
        AcceptCase{
            "pcm32", {1, 1, 22050, 32}, {0x00, 0x00, 0x00, 0x40}, SampleFormat::kS32, 1, {0.5F}},
        AcceptCase{"float32",
                   {3, 1, 11025, 32},
                   {0x00, 0x00, 0x00, 0x3F, 0x00, 0x00, 0x80, 0xBF},
                   SampleFormat::kF32,
                   2,
                   {0.5F, -1.0F}},
        AcceptCase{"alaw",
                   {6, 1, 8000, 8},
                   {0xD5, 0x55},
                   SampleFormat::kAlaw,
                   2,
                   {8.0F / 32768, -8.0F / 32768}},
        AcceptCase{"mulaw",
                   {7, 1, 8000, 8},
                   {0x80, 0xFF},
                   SampleFormat::kMulaw,
                   2,
                   {32124.0F / 32768, 0.0F}},
        AcceptCase{"extensible_pcm24_6ch",
                   {1, 6, 48000, 24, -1, 1},
                   Bytes(18 * 2, 0),
                   SampleFormat::kS24,
                   2,
                   {0.0F}},
        AcceptCase{"extensible_float",
                   {3, 2, 96000, 32, -1, 3},
                   Bytes(8, 0),
                   SampleFormat::kF32,
                   1,
                   {0.0F, 0.0F}},
        // 12-bit samples in 16-bit containers read as 16-bit; a partial frame is dropped.
        AcceptCase{"pcm12_in_16_partial_frame",
                   {1, 1, 8000, 12},
                   {0x00, 0x40, 0x00},
                   SampleFormat::kS16,
                   1,
                   {0.5F}},
        AcceptCase{"odd_sized_data", {1, 1, 8000, 8}, {0x80}, SampleFormat::kU8, 1, {0.0F}}),
    [](const auto& info) { return info.param.name; });

TEST(Wav, DurationWithoutDecoding) {
  const Bytes file = wav({1, 2, 44100, 16}, Bytes(44100 * 4 * 3 / 2, 0));  // 1.5 s stereo
  auto w = parse_wav(file);
  ASSERT_TRUE(w);
  EXPECT_EQ(w->frames, 66150u);
  EXPECT_EQ(w->duration(), std::chrono::milliseconds(1500));
}

TEST(Wav, FmtAfterDataAndStreamedDataSize) {
  Bytes body;
  tag(body, "WAVE");
  chunk(body, "data", {0, 0, 1, 0});
  chunk(body, "fmt ", fmt_body({1, 1, 8000, 16}));
  Bytes file;
  tag(file, "RIFF");
  put4(file, 0);  // a wrong RIFF size is tolerated
  file.insert(file.end(), body.begin(), body.end());
  auto w = parse_wav(file);
  ASSERT_TRUE(w) << w.error().message;
  EXPECT_EQ(w->frames, 2u);

  // 0xFFFFFFFF: the data runs to the end of the file.
  Bytes streamed;
  tag(streamed, "RIFF");
  put4(streamed, 0xFFFFFFFF);
  tag(streamed, "WAVE");
  chunk(streamed, "fmt ", fmt_body({1, 1, 8000, 16}));
  tag(streamed, "data");
  put4(streamed, 0xFFFFFFFF);
  streamed.insert(streamed.end(), 10, 0);
  auto s = parse_wav(streamed);
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->frames, 5u);
}

TEST(Wav, TrailingJunkAfterACompleteFileIsIgnored) {
  Bytes file = wav({1, 1, 8000, 16}, {0, 0});
  tag(file, "id3 ");
  put4(file, 1000);  // truncated trailing chunk
  file.push_back(1);
  auto w = parse_wav(file);
  ASSERT_TRUE(w) << w.error().message;
  file.push_back('x');  // and a partial chunk header
  EXPECT_TRUE(parse_wav(file));
}

struct RejectCase {
  std::string name;
  Bytes file;
  std::string message;  // must appear in the error
};

Bytes with_bytes_replaced(Bytes b, std::size_t at, std::string_view s) {
  std::memcpy(b.data() + at, s.data(), s.size());
  return b;
}

std::vector<RejectCase> reject_cases() {
  const Bytes good = wav({1, 1, 8000, 16}, Bytes(100, 0));
  Bytes no_fmt;
  tag(no_fmt, "RIFF");
  put4(no_fmt, 12);
  tag(no_fmt, "WAVE");
  chunk(no_fmt, "data", {0, 0});
  Bytes no_data;
  tag(no_data, "RIFF");
  put4(no_data, 28);
  tag(no_data, "WAVE");
  chunk(no_data, "fmt ", fmt_body({}));
  Bytes two_fmt = good;
  chunk(two_fmt, "fmt ", fmt_body({}));
  Bytes short_fmt;
  tag(short_fmt, "RIFF");
  put4(short_fmt, 0);
  tag(short_fmt, "WAVE");
  chunk(short_fmt, "fmt ", {1, 0, 1, 0});
  chunk(short_fmt, "data", {0, 0});
  Bytes bad_ext = wav({1, 1, 8000, 16, -1, 1}, {0, 0});
  bad_ext[20 + 24 + 2] = 0x99;  // corrupt the GUID tail
  Bytes short_ext = wav({1, 1, 8000, 16}, {0, 0});
  short_ext[20] = 0xFE;
  short_ext[21] = 0xFF;
  return {
      {"empty", {}, "not a WAV file: 0 bytes, too short"},
      {"text", bytes_of("hello, this is not audio at all"), "not a WAV file: no RIFF header"},
      {"avi", with_bytes_replaced(good, 8, "AVI "), "RIFF form type is 'AVI ', not 'WAVE'"},
      {"rf64", with_bytes_replaced(good, 0, "RF64"), "RF64 is not accepted"},
      {"no_fmt", no_fmt, "no fmt chunk"},
      {"no_data", no_data, "no data chunk"},
      {"two_fmt", two_fmt, "more than one fmt chunk"},
      {"short_fmt", short_fmt, "fmt chunk too short: 4 bytes"},
      {"adpcm", wav({2, 1, 8000, 4}, {0, 0}), "unsupported format code 2"},
      {"mp3", wav({85, 1, 8000, 0}, {0, 0}), "unsupported format code 85"},
      {"zero_channels", wav({1, 0, 8000, 16, 2}, {0, 0}), "zero channels"},
      {"many_channels", wav({1, 64, 8000, 16}, {0, 0}), "too many channels: 64"},
      {"zero_rate", wav({1, 1, 0, 16}, {0, 0}), "zero sample rate"},
      {"huge_rate", wav({1, 1, 10000000, 16}, {0, 0}), "sample rate 10000000 Hz out of range"},
      {"pcm_40_bits", wav({1, 1, 8000, 40}, {0, 0}), "unsupported bits per sample 40 for PCM"},
      {"float_16", wav({3, 1, 8000, 16}, {0, 0}), "unsupported bits per sample 16 for float"},
      {"alaw_16", wav({6, 1, 8000, 16}, {0, 0}), "unsupported bits per sample 16 for A-law"},
      {"block_align", wav({1, 2, 8000, 16, 2}, {0, 0}), "block align 2 does not match 2 channel"},
      {"bad_subformat", bad_ext, "unsupported WAVE_FORMAT_EXTENSIBLE subformat"},
      {"short_extensible", short_ext, "WAVE_FORMAT_EXTENSIBLE fmt chunk too short"},
      {"truncated_data", Bytes(good.begin(), good.end() - 10),
       "truncated data: the data chunk declares 100 bytes but 90 follow"},
      {"truncated_chunk_header", Bytes(good.begin(), good.begin() + 16),
       "truncated: a chunk header at offset 12"},
      {"truncated_fmt", Bytes(good.begin(), good.begin() + 30),
       "truncated: chunk 'fmt ' declares 16 bytes but 10 remain"},
  };
}

class WavRejects : public ::testing::TestWithParam<RejectCase> {};

TEST_P(WavRejects, WithAMessageNamingTheProblem) {
  const RejectCase& c = GetParam();
  auto w = parse_wav(c.file);
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().code, Errc::kInvalid);
  EXPECT_EQ(w.error().field, "wav");
  EXPECT_NE(w.error().message.find(c.message), std::string::npos) << w.error().message;
}

INSTANTIATE_TEST_SUITE_P(Broken, WavRejects, ::testing::ValuesIn(reject_cases()),
                         [](const auto& info) { return info.param.name; });

TEST(Wav, UploadLimits) {
  const WavLimits limits{2000, std::chrono::milliseconds(100)};
  const Bytes ok = wav({1, 1, 8000, 16}, Bytes(800 * 2, 0));  // exactly 100 ms
  EXPECT_TRUE(check_wav_upload(ok, limits));

  const Bytes long_file = wav({1, 1, 8000, 16}, Bytes(801 * 2, 0));
  auto too_long = check_wav_upload(long_file, limits);
  ASSERT_FALSE(too_long);
  EXPECT_EQ(too_long.error().message, "too long: 0.1 s, at most 0 s");

  const Bytes big = wav({1, 1, 8000, 16}, Bytes(2000, 0));
  auto too_big = check_wav_upload(big, limits);
  ASSERT_FALSE(too_big);
  EXPECT_EQ(too_big.error().message, "too big: 2044 bytes, at most 2000");

  auto empty = check_wav_upload(wav({1, 1, 8000, 16}, {}), limits);
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().message, "no audio: the data chunk is empty");

  auto not_wav = check_wav_upload(bytes_of("<html>"), limits);
  ASSERT_FALSE(not_wav);
  EXPECT_NE(not_wav.error().message.find("not a WAV file"), std::string::npos);

  // The defaults: 10 MB and 5 minutes.
  const WavLimits defaults;
  EXPECT_EQ(defaults.max_bytes, 10u * 1024 * 1024);
  EXPECT_EQ(defaults.max_duration, std::chrono::minutes(5));
  const Bytes six_minutes_8bit = wav({7, 1, 8000, 8}, Bytes(8000 * 360, 0xFF));
  auto six = check_wav_upload(six_minutes_8bit);
  ASSERT_FALSE(six);
  EXPECT_EQ(six.error().message, "too long: 360.0 s, at most 300 s");
}

TEST(Wav, WriteThenParseRoundTrips) {
  const auto pcm = test::sine(440.0, 8000, 1234);
  const Bytes file = write_wav(pcm, 8000);
  ASSERT_EQ(file.size(), 44u + 1234 * 2);
  EXPECT_EQ(std::string(file.begin(), file.begin() + 4), "RIFF");
  auto w = parse_wav(file);
  ASSERT_TRUE(w) << w.error().message;
  EXPECT_EQ(w->format_code, 1);
  EXPECT_EQ(w->channels, 1);
  EXPECT_EQ(w->sample_rate, 8000u);
  EXPECT_EQ(w->bits_per_sample, 16);
  ASSERT_EQ(w->frames, 1234u);
  const auto samples = wav_samples(*w);
  for (std::size_t i = 0; i < pcm.size(); ++i) {
    ASSERT_EQ(std::lround(samples[i] * 32768.0F), pcm[i]) << i;
  }
}

// Every prefix and thousands of random mutations of valid files: parse_wav returns a value
// or an error, never crashes or reads outside the buffer (run under ASan with
// -DCOHORT_SANITIZE=ON), and a returned view lies inside the input.
TEST(Wav, SurvivesTruncationsAndMutations) {
  const std::vector<Bytes> seeds = {
      write_wav(test::sine(440.0, 8000, 300), 8000),
      wav({1, 2, 44100, 24}, Bytes(6 * 50, 7), {{"LIST", bytes_of("INFOabc")}}),
      wav({3, 1, 48000, 32, -1, 3}, Bytes(4 * 20, 0)),
      wav({7, 1, 8000, 8}, Bytes(161, 0xFF)),
  };
  const auto check = [](const Bytes& b) {
    auto w = parse_wav(b);
    if (w) {
      ASSERT_GE(w->data.data(), b.data());
      ASSERT_LE(w->data.data() + w->data.size(), b.data() + b.size());
      ASSERT_EQ(w->data.size(), w->frames * w->block_align);
      (void)wav_samples(*w);
    } else {
      ASSERT_FALSE(w.error().message.empty());
    }
  };
  std::mt19937 rng(1234);
  for (const Bytes& seed : seeds) {
    for (std::size_t n = 0; n <= seed.size(); ++n) {
      check(Bytes(seed.begin(), seed.begin() + static_cast<std::ptrdiff_t>(n)));
    }
    for (int round = 0; round < 3000; ++round) {
      Bytes m = seed;
      const int edits = 1 + static_cast<int>(rng() % 4);
      for (int e = 0; e < edits; ++e) {
        // Mostly in the headers, where the structure is.
        const std::size_t limit = (rng() % 4 == 0) ? m.size() : std::min<std::size_t>(m.size(), 80);
        const std::size_t at = rng() % limit;
        switch (rng() % 3) {
          case 0:
            m[at] = static_cast<std::uint8_t>(rng());
            break;
          case 1:
            m[at] ^= static_cast<std::uint8_t>(1u << (rng() % 8));
            break;
          default:
            m.resize(at);
            break;
        }
        if (m.empty()) {
          break;
        }
      }
      check(m);
    }
  }
}

}  // namespace
}  // namespace cohort::media
