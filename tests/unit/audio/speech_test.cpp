// Speech: espeak-ng at run time, 16 kHz mono, cached by text (src/audio/speech.hpp).

#include "audio/speech.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <thread>

namespace cohort::audio {
namespace {

double rms(const std::vector<std::int16_t>& pcm) {
  double sum = 0;
  for (std::int16_t v : pcm) {
    sum += static_cast<double>(v) * v;
  }
  return pcm.empty() ? 0 : std::sqrt(sum / static_cast<double>(pcm.size()));
}

TEST(Speech, SpeaksASentenceAt16kHzWithAPlausibleDuration) {
  Speech speech;
  auto audio = speech.say("You have reached Sales. Please leave a message after the tone.");
  ASSERT_TRUE(audio) << audio.error().message;
  EXPECT_EQ((*audio)->sample_rate, 16000u);
  const double seconds = static_cast<double>((*audio)->pcm.size()) / 16000;
  // Eleven words at 155 words a minute: about 4 s with the pauses.
  EXPECT_GT(seconds, 2.0);
  EXPECT_LT(seconds, 8.0);
  EXPECT_GT(rms((*audio)->pcm), 300.0);  // speech, not silence
}

TEST(Speech, LongerTextLastsLonger) {
  Speech speech;
  auto short_one = speech.say("Sales.");
  auto long_one = speech.say(
      "For Sales, press 1. For Support, press 2. For the voicemail of "
      "Accounts, press 3.");
  ASSERT_TRUE(short_one && long_one);
  EXPECT_GT((*long_one)->pcm.size(), 3 * (*short_one)->pcm.size());
}

TEST(Speech, TheSameTextIsSpokenOnce) {
  Speech speech;
  auto first = speech.say("You have reached Support.");
  ASSERT_TRUE(first);
  EXPECT_EQ(speech.synthesised(), 1u);
  auto again = speech.say("You have reached Support.");
  ASSERT_TRUE(again);
  EXPECT_EQ(speech.synthesised(), 1u);
  EXPECT_EQ(first->get(), again->get());  // the very same buffer
  ASSERT_TRUE(speech.say("You have reached Sales."));
  EXPECT_EQ(speech.synthesised(), 2u);
}

TEST(Speech, TheCacheIsBounded) {
  Speech speech(SpeechOptions{.cache_entries = 2});
  ASSERT_TRUE(speech.say("one"));
  ASSERT_TRUE(speech.say("two"));
  ASSERT_TRUE(speech.say("three"));  // "one" goes
  ASSERT_TRUE(speech.say("three"));
  EXPECT_EQ(speech.synthesised(), 3u);
  ASSERT_TRUE(speech.say("one"));
  EXPECT_EQ(speech.synthesised(), 4u);
}

TEST(Speech, ThreadsMaySpeakAtOnce) {
  // espeak-ng is not reentrant: the lock inside makes concurrent callers safe.
  Speech speech;
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      for (int j = 0; j < 3; ++j) {
        if (auto a = speech.say("Group number " + std::to_string(i * 10 + j));
            a && !(*a)->pcm.empty()) {
          ++ok;
        }
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  EXPECT_EQ(ok.load(), 12);
}

TEST(Speech, EmptyTextIsRefusedAndKeysDependOnTheWords) {
  Speech speech;
  EXPECT_FALSE(speech.say("  "));
  EXPECT_EQ(Speech::key_of("Sales"), Speech::key_of("Sales"));
  EXPECT_NE(Speech::key_of("Sales"), Speech::key_of("Sales 2"));
  EXPECT_TRUE(Speech::key_of("x").starts_with("tts:"));
}

}  // namespace
}  // namespace cohort::audio
