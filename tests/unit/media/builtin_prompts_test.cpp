// The built-in prompts as the build spoke and packed them: every entry of prompts/en.tsv is
// there, at the packed rate, with speech in it (not silence, not a truncated clip).
#include "media/builtin_prompts.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <string>

#include "media/tones.hpp"

namespace cohort::media {
namespace {

std::set<std::string> ids_in_table() {
  std::ifstream in(COHORT_PROMPT_TABLE);
  std::set<std::string> ids;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line[0] != '#') {
      ids.insert(line.substr(0, line.find('\t')));
    }
  }
  return ids;
}

TEST(BuiltinPrompts, EveryTableEntryIsSpokenSpeech) {
  const auto table = ids_in_table();
  ASSERT_GE(table.size(), 40u);
  const auto ids = builtin_prompt_ids();
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()), table);
  for (const auto& id : table) {
    const auto audio = builtin_prompt(id);
    ASSERT_TRUE(audio) << id;
    EXPECT_EQ(audio->sample_rate, 16000u) << id;
    const double seconds = static_cast<double>(audio->pcm.size()) / audio->sample_rate;
    EXPECT_GT(seconds, 0.2) << id;
    EXPECT_LT(seconds, 12.0) << id;
    EXPECT_GT(rms_dbfs(audio->pcm), -35.0) << id;  // speech, not silence
    EXPECT_FALSE(builtin_prompt_words(id).empty()) << id;
  }
}

TEST(BuiltinPrompts, LongerWordsTakeLonger) {
  const auto one = builtin_prompt("n1");
  const auto greeting = builtin_prompt("greeting_closed");
  ASSERT_TRUE(one && greeting);
  EXPECT_GT(greeting->pcm.size(), 4 * one->pcm.size());
  EXPECT_EQ(builtin_prompt_words("n7"), "seven");
}

TEST(BuiltinPrompts, AnUnknownIdIsNone) {
  EXPECT_FALSE(builtin_prompt("no_such_prompt"));
  EXPECT_EQ(builtin_prompt_words("no_such_prompt"), "");
}

}  // namespace
}  // namespace cohort::media
