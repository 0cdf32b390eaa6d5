// AudioCatalog: the upload when there is one, else the default naming its owner.

#include "audio/audio_catalog.hpp"

#include <gtest/gtest.h>

#include "audio/builtin_music.hpp"
#include "unit/audio/wav_builder.hpp"
#include "unit/store/temp_dir.hpp"

namespace cohort::audio {
namespace {

using store::testing::TempDir;
using test::tone_wav;
using test::zero_crossing_hz;

model::Snapshot snapshot() {
  model::SnapshotPatch p;
  model::User ann;
  ann.id = 5;
  ann.name = "Ann Lee";
  ann.extension = "1005";
  p.users.emplace_back(5, ann);
  model::Group sales;
  sales.id = 3;
  sales.name = "Sales";
  p.groups.emplace_back(3, sales);
  model::Group support;
  support.id = 4;
  support.name = "Support";
  p.groups.emplace_back(4, support);
  model::IvrMenu menu;
  menu.id = 2;
  menu.name = "Main menu";
  menu.options = {{'1', model::DestGroup{3}},
                  {'2', model::DestUser{5}},
                  {'3', model::DestVoicemail{model::DestVoicemail::Box::kGroup, 4}},
                  {'4', model::DestNumber{"+15551234"}},
                  {'5', model::DestGroup{99}},  // a routing gap: not read
                  {'#', model::DestHangup{}}};
  menu.direct_dial = true;
  p.ivr_menus.emplace_back(2, menu);
  return model::Snapshot().apply(p);
}

class AudioCatalogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = AudioStore::open(dir_.file("audio"), clock_);
    ASSERT_TRUE(s);
    store_ = std::move(*s);
    catalog_ = std::make_unique<AudioCatalog>(*store_, speech_);
  }
  TempDir dir_;
  ManualClock clock_;
  std::unique_ptr<AudioStore> store_;
  Speech speech_;
  std::unique_ptr<AudioCatalog> catalog_;
  model::Snapshot snap_ = snapshot();
};

TEST_F(AudioCatalogTest, AGroupGreetingDefaultNamesTheGroupAndHasAClosedVariant) {
  auto open = catalog_->resolve(snap_, Owner::kGroup, 3, Kind::kGreeting, false);
  auto closed = catalog_->resolve(snap_, Owner::kGroup, 3, Kind::kGreeting, true);
  ASSERT_TRUE(open && closed);
  EXPECT_FALSE(open->uploaded);
  EXPECT_NE(open->words.find("You have reached Sales."), std::string::npos) << open->words;
  EXPECT_NE(closed->words.find("We are closed right now"), std::string::npos) << closed->words;
  EXPECT_NE(closed->words.find("Sales"), std::string::npos);
  EXPECT_NE(open->key, closed->key);
  EXPECT_TRUE(open->key.starts_with("tts:"));
  auto pcm = open->load();
  ASSERT_TRUE(pcm);
  EXPECT_GT(pcm->pcm.size(), 16000u * 2);  // a sentence: seconds
  // Another group's default says another name, under another key.
  auto other = catalog_->resolve(snap_, Owner::kGroup, 4, Kind::kGreeting, false);
  EXPECT_NE(other->key, open->key);
}

TEST_F(AudioCatalogTest, AnUploadReplacesTheDefaultUnderAKeyThatChangesWithIt) {
  ASSERT_TRUE(store_->put(Owner::kGroup, 3, Kind::kGreeting, tone_wav(600, 1, 8000, 1, 16)));
  auto first = catalog_->resolve(snap_, Owner::kGroup, 3, Kind::kGreeting, true);
  ASSERT_TRUE(first);
  EXPECT_TRUE(first->uploaded);
  EXPECT_TRUE(first->key.starts_with("upload:group:3:greeting:v")) << first->key;
  auto pcm = first->load();
  ASSERT_TRUE(pcm);
  EXPECT_NEAR(zero_crossing_hz(pcm->pcm, pcm->sample_rate), 600, 10);

  ASSERT_TRUE(store_->put(Owner::kGroup, 3, Kind::kGreeting, tone_wav(700, 1, 8000, 1, 16)));
  auto second = catalog_->resolve(snap_, Owner::kGroup, 3, Kind::kGreeting, true);
  EXPECT_NE(second->key, first->key);

  ASSERT_TRUE(store_->remove(Owner::kGroup, 3, Kind::kGreeting));
  auto back = catalog_->resolve(snap_, Owner::kGroup, 3, Kind::kGreeting, true);
  EXPECT_FALSE(back->uploaded);
  EXPECT_TRUE(back->key.starts_with("tts:"));
}

TEST_F(AudioCatalogTest, UserGreetingMusicAndPromptDefaults) {
  auto user = catalog_->resolve(snap_, Owner::kUser, 5, Kind::kGreeting);
  ASSERT_TRUE(user);
  EXPECT_EQ(user->key, "greeting_user_unavailable");
  ASSERT_TRUE(user->load());

  auto music = catalog_->resolve(snap_, Owner::kGroup, 3, Kind::kWaitingMusic);
  ASSERT_TRUE(music);
  EXPECT_EQ(music->key, kBuiltinMusicKey);
  auto m = music->load();
  ASSERT_TRUE(m);
  EXPECT_EQ(m->sample_rate, 16000u);
  EXPECT_EQ(m->pcm.size(), 16u * 16000u);

  auto prompt = catalog_->resolve(snap_, Owner::kIvrMenu, 2, Kind::kPrompt);
  ASSERT_TRUE(prompt);
  EXPECT_EQ(prompt->words,
            "For Sales, press 1. For Ann Lee, press 2. For the voicemail of Support, press 3. "
            "For 1 5 5 5 1 2 3 4, press 4. To end the call, press pound. "
            "Or dial the extension you want at any time.");
  ASSERT_TRUE(prompt->load());
}

TEST_F(AudioCatalogTest, UnknownOwnersAndKindsResolveToNothing) {
  EXPECT_FALSE(catalog_->resolve(snap_, Owner::kGroup, 42, Kind::kGreeting));
  EXPECT_FALSE(catalog_->resolve(snap_, Owner::kUser, 42, Kind::kGreeting));
  EXPECT_FALSE(catalog_->resolve(snap_, Owner::kIvrMenu, 42, Kind::kPrompt));
  EXPECT_FALSE(catalog_->resolve(snap_, Owner::kUser, 5, Kind::kWaitingMusic));
  EXPECT_FALSE(catalog_->resolve(snap_, Owner::kIvrMenu, 2, Kind::kGreeting));
}

TEST(BuiltinMusic, IsAudibleDeterministicAndLoopsWithoutAClick) {
  const media::PromptAudio a = builtin_music();
  const media::PromptAudio b = builtin_music();
  EXPECT_EQ(a.pcm, b.pcm);
  int peak = 0;
  for (std::int16_t v : a.pcm) {
    peak = std::max(peak, std::abs(static_cast<int>(v)));
  }
  EXPECT_GT(peak, 6000);
  EXPECT_LT(peak, 16000);
  // The loop point: the last sample runs into the first without a jump.
  EXPECT_LT(std::abs(a.pcm.back() - a.pcm.front()), 2000);
}

}  // namespace
}  // namespace cohort::audio
