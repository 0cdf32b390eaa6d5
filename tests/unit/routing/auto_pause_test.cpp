// Auto-pause counting rules (docs/routing.md "Auto-pause"): which offer results are misses,
// which reset the count, which leave it alone, and when the member is paused.

#include "routing/auto_pause.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace cohort::routing {
namespace {

using model::AttemptResult;

model::Group group(int after, bool unreachable = false) {
  model::Group g;
  g.id = 7;
  g.auto_pause_after = after;
  g.auto_pause_unreachable = unreachable;
  return g;
}

/// Plays `results` from a count of 0 and returns each step.
std::vector<AutoPauseStep> play(const model::Group& g, const std::vector<AttemptResult>& results) {
  std::vector<AutoPauseStep> out;
  int misses = 0;
  for (AttemptResult r : results) {
    out.push_back(count_offer(g, misses, r));
    misses = out.back().misses;
  }
  return out;
}

TEST(AutoPauseTest, ClassifiesEveryAttemptResult) {
  EXPECT_EQ(classify(AttemptResult::kAnswered), OfferCount::kAnswer);
  EXPECT_EQ(classify(AttemptResult::kNoAnswer), OfferCount::kMiss);
  EXPECT_EQ(classify(AttemptResult::kBusy), OfferCount::kMiss);
  EXPECT_EQ(classify(AttemptResult::kDeclined), OfferCount::kMiss);
  EXPECT_EQ(classify(AttemptResult::kCancelled), OfferCount::kNeutral);
  EXPECT_EQ(classify(AttemptResult::kFailed), OfferCount::kUnreachable);
  EXPECT_EQ(classify(AttemptResult::kUnreachable), OfferCount::kUnreachable);
  EXPECT_EQ(model::attempt_results().size(), 7u) << "a new result needs a rule here";
}

TEST(AutoPauseTest, ThirdMissInARowPauses) {
  const auto steps =
      play(group(3), {AttemptResult::kNoAnswer, AttemptResult::kBusy, AttemptResult::kDeclined});
  EXPECT_EQ(steps[0], (AutoPauseStep{1, std::nullopt}));
  EXPECT_EQ(steps[1], (AutoPauseStep{2, std::nullopt}));
  EXPECT_EQ(steps[2], (AutoPauseStep{0, PauseCause::kMissedCalls})) << "the count starts again";
}

TEST(AutoPauseTest, AnAnswerResetsTheCount) {
  const auto steps =
      play(group(3), {AttemptResult::kNoAnswer, AttemptResult::kNoAnswer, AttemptResult::kAnswered,
                      AttemptResult::kNoAnswer, AttemptResult::kNoAnswer});
  EXPECT_EQ(steps[2], (AutoPauseStep{0, std::nullopt}));
  EXPECT_EQ(steps[4], (AutoPauseStep{2, std::nullopt})) << "two misses after the answer";
}

TEST(AutoPauseTest, ACancelledOfferNeitherCountsNorResets) {
  const auto steps = play(group(2), {AttemptResult::kBusy, AttemptResult::kCancelled,
                                     AttemptResult::kCancelled, AttemptResult::kBusy});
  EXPECT_EQ(steps[1], (AutoPauseStep{1, std::nullopt}));
  EXPECT_EQ(steps[2], (AutoPauseStep{1, std::nullopt}));
  EXPECT_EQ(steps[3], (AutoPauseStep{0, PauseCause::kMissedCalls}));
}

TEST(AutoPauseTest, OneMissIsEnoughWithAThresholdOfOne) {
  EXPECT_EQ(count_offer(group(1), 0, AttemptResult::kNoAnswer),
            (AutoPauseStep{0, PauseCause::kMissedCalls}));
}

TEST(AutoPauseTest, OffCountsNothing) {
  for (AttemptResult r : model::attempt_results()) {
    EXPECT_EQ(count_offer(group(0), 0, r), AutoPauseStep{}) << model::to_string(r);
  }
  EXPECT_FALSE(auto_pause_enabled(group(0)));
  EXPECT_TRUE(auto_pause_enabled(group(0, true)));
  EXPECT_TRUE(auto_pause_enabled(group(5)));
}

TEST(AutoPauseTest, UnreachablePausesAtOnceWhenTheGroupSaysSo) {
  for (AttemptResult r : {AttemptResult::kFailed, AttemptResult::kUnreachable}) {
    EXPECT_EQ(count_offer(group(3, true), 1, r), (AutoPauseStep{0, PauseCause::kUnreachable}));
    EXPECT_EQ(count_offer(group(0, true), 0, r), (AutoPauseStep{0, PauseCause::kUnreachable}));
  }
}

TEST(AutoPauseTest, UnreachableIsAMissWithoutTheUnreachableRule) {
  EXPECT_EQ(count_offer(group(3), 1, AttemptResult::kFailed), (AutoPauseStep{2, std::nullopt}));
  EXPECT_EQ(count_offer(group(2), 1, AttemptResult::kUnreachable),
            (AutoPauseStep{0, PauseCause::kMissedCalls}));
}

TEST(AutoPauseTest, UnreachableRuleAloneCountsNoMisses) {
  const auto steps = play(
      group(0, true), {AttemptResult::kNoAnswer, AttemptResult::kBusy, AttemptResult::kNoAnswer});
  for (const AutoPauseStep& s : steps) {
    EXPECT_EQ(s, AutoPauseStep{});
  }
}

TEST(AutoPauseTest, ReasonsSayWhy) {
  EXPECT_EQ(pause_reason(PauseCause::kMissedCalls, 3), "auto: 3 missed calls");
  EXPECT_EQ(pause_reason(PauseCause::kMissedCalls, 1), "auto: 1 missed call");
  EXPECT_EQ(pause_reason(PauseCause::kUnreachable, 3), "auto: phone unreachable");
  EXPECT_EQ(to_string(PauseCause::kMissedCalls), "missed_calls");
  EXPECT_EQ(to_string(PauseCause::kUnreachable), "unreachable");
}

}  // namespace
}  // namespace cohort::routing
