// AudioStore: uploads converted to 16 kHz mono and written atomically (src/audio).

#include "audio/audio_store.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "media/wav.hpp"
#include "unit/audio/wav_builder.hpp"
#include "unit/store/temp_dir.hpp"

namespace cohort::audio {
namespace {

namespace fs = std::filesystem;
using test::tone_wav;
using test::zero_crossing_hz;
using TempDir = store::testing::TempDir;

std::unique_ptr<AudioStore> open_store(const std::string& dir, const Clock& clock) {
  auto s = AudioStore::open(dir, clock);
  EXPECT_TRUE(s) << s.error().message;
  return s ? std::move(*s) : nullptr;
}

SystemTime at_ms(std::int64_t ms) {
  return SystemTime(std::chrono::milliseconds(ms));
}

TEST(AudioStore, ConvertsA44k1Stereo24BitUploadTo16kMono) {
  TempDir dir;
  ManualClock clock(at_ms(1'700'000'000'123));
  auto store = open_store(dir.file("audio"), clock);
  const auto wav = tone_wav(1000, 2.0, 44100, 2, 24);
  auto put = store->put(Owner::kGroup, 3, Kind::kGreeting, wav);
  ASSERT_TRUE(put) << put.error().message;
  EXPECT_EQ(put->duration_ms, 2000);
  EXPECT_EQ(put->sample_rate, 16000u);
  EXPECT_EQ(put->updated_at_ms, 1'700'000'000'123);

  auto pcm = store->load_pcm(Owner::kGroup, 3, Kind::kGreeting);
  ASSERT_TRUE(pcm);
  EXPECT_EQ(pcm->sample_rate, 16000u);
  EXPECT_EQ(pcm->pcm.size(), 32000u);
  EXPECT_NEAR(zero_crossing_hz(pcm->pcm, 16000), 1000, 10);

  // On disk: a WAV any reader opens, 16 kHz mono 16-bit, the same length.
  auto bytes = store->get_wav(Owner::kGroup, 3, Kind::kGreeting);
  ASSERT_TRUE(bytes);
  auto parsed = media::parse_wav(*bytes);
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->channels, 1);
  EXPECT_EQ(parsed->sample_rate, 16000u);
  EXPECT_EQ(parsed->bits_per_sample, 16);
  EXPECT_EQ(parsed->frames, 32000u);
  EXPECT_TRUE(fs::exists(store->path_of(Owner::kGroup, 3, Kind::kGreeting)));
}

TEST(AudioStore, DurationsOfCommonLayouts) {
  TempDir dir;
  ManualClock clock;
  auto store = open_store(dir.file("audio"), clock);
  struct Case {
    std::uint32_t rate;
    std::uint16_t channels, bits;
    double seconds;
    std::int64_t ms;
  };
  for (const Case& c : {Case{8000, 1, 16, 0.5, 500}, Case{48000, 2, 16, 3.25, 3250},
                        Case{22050, 1, 24, 1.0, 1000}, Case{11025, 2, 16, 7.0, 7000}}) {
    auto put = store->put(Owner::kUser, 9, Kind::kGreeting,
                          tone_wav(440, c.seconds, c.rate, c.channels, c.bits));
    ASSERT_TRUE(put) << put.error().message;
    EXPECT_EQ(put->duration_ms, c.ms) << c.rate << "/" << c.channels << "/" << c.bits;
    EXPECT_EQ(store->info(Owner::kUser, 9, Kind::kGreeting)->duration_ms, c.ms);
    auto pcm = store->load_pcm(Owner::kUser, 9, Kind::kGreeting);
    ASSERT_TRUE(pcm);
    EXPECT_NEAR(static_cast<double>(pcm->pcm.size()), c.seconds * 16000, 1);
  }
}

TEST(AudioStore, ReplaceGivesTheNewAudioAndANewVersion) {
  TempDir dir;
  ManualClock clock(at_ms(5000));  // a clock that does not move: versions must still change
  auto store = open_store(dir.file("audio"), clock);
  auto first = store->put(Owner::kGroup, 1, Kind::kWaitingMusic, tone_wav(440, 1, 8000, 1, 16));
  auto second = store->put(Owner::kGroup, 1, Kind::kWaitingMusic, tone_wav(880, 1, 8000, 1, 16));
  ASSERT_TRUE(first && second);
  EXPECT_GT(second->version, first->version);
  EXPECT_NEAR(zero_crossing_hz(store->load_pcm(Owner::kGroup, 1, Kind::kWaitingMusic)->pcm, 16000),
              880, 10);
  // Remove and put again: still a version never used before.
  ASSERT_TRUE(*store->remove(Owner::kGroup, 1, Kind::kWaitingMusic));
  auto third = store->put(Owner::kGroup, 1, Kind::kWaitingMusic, tone_wav(440, 1, 8000, 1, 16));
  ASSERT_TRUE(third);
  EXPECT_GT(third->version, second->version);
  // One file per (owner, id, kind): no temporary file left behind.
  std::size_t files = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(store->dir())) {
    ++files;
  }
  EXPECT_EQ(files, 1u);
}

TEST(AudioStore, RemoveAndRemoveAll) {
  TempDir dir;
  ManualClock clock;
  auto store = open_store(dir.file("audio"), clock);
  const auto wav = tone_wav(440, 0.5, 8000, 1, 16);
  ASSERT_TRUE(store->put(Owner::kGroup, 1, Kind::kGreeting, wav));
  ASSERT_TRUE(store->put(Owner::kGroup, 1, Kind::kWaitingMusic, wav));
  ASSERT_TRUE(store->put(Owner::kGroup, 2, Kind::kGreeting, wav));
  ASSERT_TRUE(store->put(Owner::kIvrMenu, 1, Kind::kPrompt, wav));

  auto removed = store->remove(Owner::kGroup, 2, Kind::kGreeting);
  ASSERT_TRUE(removed);
  EXPECT_TRUE(*removed);
  EXPECT_FALSE(store->info(Owner::kGroup, 2, Kind::kGreeting));
  EXPECT_FALSE(store->get_wav(Owner::kGroup, 2, Kind::kGreeting));
  EXPECT_FALSE(fs::exists(store->path_of(Owner::kGroup, 2, Kind::kGreeting)));
  EXPECT_FALSE(*store->remove(Owner::kGroup, 2, Kind::kGreeting));  // nothing left

  store->remove_all(Owner::kGroup, 1);
  EXPECT_FALSE(store->info(Owner::kGroup, 1, Kind::kGreeting));
  EXPECT_FALSE(store->info(Owner::kGroup, 1, Kind::kWaitingMusic));
  EXPECT_TRUE(store->info(Owner::kIvrMenu, 1, Kind::kPrompt));  // another owner's id 1
}

TEST(AudioStore, BadUploadsChangeNothing) {
  TempDir dir;
  ManualClock clock;
  auto store = open_store(dir.file("audio"), clock);
  ASSERT_TRUE(store->put(Owner::kUser, 4, Kind::kGreeting, tone_wav(440, 1, 8000, 1, 16)));
  const AudioInfo before = *store->info(Owner::kUser, 4, Kind::kGreeting);

  const std::string text = "this is not audio at all";
  const std::vector<std::uint8_t> garbage(text.begin(), text.end());
  struct Case {
    std::vector<std::uint8_t> bytes;
    std::string message;
  };
  std::vector<Case> cases;
  cases.push_back({garbage, "not a WAV file"});
  cases.push_back({tone_wav(440, 301, 8000, 1, 16), "too long: 301.0 s, at most 300 s"});
  cases.push_back({std::vector<std::uint8_t>(10 * 1024 * 1024 + 1, 0), "too big: 10485761 bytes"});
  cases.push_back({tone_wav(440, 0, 8000, 1, 16), "no audio"});
  for (const Case& c : cases) {
    auto put = store->put(Owner::kUser, 4, Kind::kGreeting, c.bytes);
    ASSERT_FALSE(put) << c.message;
    EXPECT_EQ(put.error().code, Errc::kInvalid);
    EXPECT_EQ(put.error().field, "wav");
    EXPECT_NE(put.error().message.find(c.message), std::string::npos) << put.error().message;
    EXPECT_EQ(*store->info(Owner::kUser, 4, Kind::kGreeting), before);
  }
  auto wrong_kind = store->put(Owner::kUser, 4, Kind::kWaitingMusic, tone_wav(440, 1, 8000, 1, 16));
  ASSERT_FALSE(wrong_kind);
  EXPECT_EQ(wrong_kind.error().code, Errc::kInvalid);
  EXPECT_FALSE(store->info(Owner::kUser, 4, Kind::kWaitingMusic));
}

TEST(AudioStore, AReopenedStoreKnowsWhatIsStored) {
  TempDir dir;
  ManualClock clock(at_ms(1'000'000));
  AudioInfo stored;
  {
    auto store = open_store(dir.file("audio"), clock);
    stored = *store->put(Owner::kIvrMenu, 7, Kind::kPrompt, tone_wav(440, 1.5, 16000, 1, 16));
  }
  auto store = open_store(dir.file("audio"), clock);
  auto info = store->info(Owner::kIvrMenu, 7, Kind::kPrompt);
  ASSERT_TRUE(info);
  EXPECT_EQ(*info, stored);
  EXPECT_EQ(info->duration_ms, 1500);
  // New versions keep increasing after a restart, even with a clock that went back.
  clock.set(at_ms(10));
  auto again = store->put(Owner::kIvrMenu, 7, Kind::kPrompt, tone_wav(440, 1, 16000, 1, 16));
  ASSERT_TRUE(again);
  EXPECT_GT(again->version, stored.version);
}

TEST(AudioStore, ATemporaryFileACrashLeftIsDeletedAtOpen) {
  TempDir dir;
  ManualClock clock;
  {
    auto store = open_store(dir.file("audio"), clock);
    ASSERT_TRUE(store->put(Owner::kGroup, 1, Kind::kGreeting, tone_wav(440, 1, 8000, 1, 16)));
  }
  const std::string partial = dir.file("audio/.tmp-group-1-greeting.wav-abcdef");
  std::ofstream(partial) << "RIFF half a file";
  auto store = open_store(dir.file("audio"), clock);
  EXPECT_FALSE(fs::exists(partial));
  EXPECT_EQ(store->info(Owner::kGroup, 1, Kind::kGreeting)->duration_ms, 1000);
}

TEST(AudioStore, KillDuringPutsLeavesTheOldOrTheNewNeverHalf) {
  TempDir dir;
  ManualClock clock;
  const std::string audio_dir = dir.file("audio");
  const std::array<double, 2> tones = {440, 880};
  {
    auto store = open_store(audio_dir, clock);
    ASSERT_TRUE(
        store->put(Owner::kGroup, 1, Kind::kGreeting, tone_wav(tones[0], 20, 16000, 1, 16)));
  }
  for (int round = 0; round < 6; ++round) {
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      // Puts 20 s tones (640 kB each) back to back until killed.
      auto s = AudioStore::open(audio_dir, clock);
      for (int i = 0;; ++i) {
        (void)(*s)->put(Owner::kGroup, 1, Kind::kGreeting,
                        tone_wav(tones[static_cast<std::size_t>(i % 2)], 20, 16000, 1, 16));
      }
    }
    ::usleep(static_cast<useconds_t>(20'000 + round * 17'000));
    ::kill(child, SIGKILL);
    int status = 0;
    ::waitpid(child, &status, 0);

    auto store = open_store(audio_dir, clock);
    auto info = store->info(Owner::kGroup, 1, Kind::kGreeting);
    ASSERT_TRUE(info) << "round " << round;
    EXPECT_EQ(info->duration_ms, 20000);
    auto pcm = store->load_pcm(Owner::kGroup, 1, Kind::kGreeting);
    ASSERT_TRUE(pcm);
    ASSERT_EQ(pcm->pcm.size(), 320000u);
    const double hz = zero_crossing_hz(pcm->pcm, 16000);
    EXPECT_TRUE(std::abs(hz - 440) < 5 || std::abs(hz - 880) < 5) << hz;
    for (const auto& e : fs::directory_iterator(audio_dir)) {
      EXPECT_FALSE(e.path().filename().string().starts_with(".tmp-")) << e.path();
    }
  }
}

}  // namespace
}  // namespace cohort::audio
