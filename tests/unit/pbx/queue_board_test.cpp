// QueueBoard: positions in line by arrival, leaving, seniority kept across groups, and the
// expected wait from the group's recent answers.
#include "pbx/queue_board.hpp"

#include <gtest/gtest.h>

namespace cohort::pbx {
namespace {

TEST(QueueBoard, PositionsFollowArrivalAndCloseUpWhenACallerLeaves) {
  QueueBoard q;
  q.join(1, 10, 1000);
  q.join(1, 11, 2000);
  q.join(1, 12, 1500);  // arrived earlier elsewhere (a fallback): ahead of 11
  q.join(1, 10, 9000);  // again: no change
  EXPECT_EQ(q.position(1, 10), 1);
  EXPECT_EQ(q.position(1, 12), 2);
  EXPECT_EQ(q.position(1, 11), 3);
  EXPECT_EQ(q.position(2, 10), 0);  // another group's line
  q.leave(1, 10);
  EXPECT_EQ(q.position(1, 12), 1);
  EXPECT_EQ(q.position(1, 11), 2);
  EXPECT_EQ(q.position(1, 10), 0);
  q.leave(1, 99);  // unknown: nothing
  q.leave(3, 1);
  EXPECT_EQ(q.position(1, 11), 2);
}

TEST(QueueBoard, ExpectedWaitIsTheRecentMeanTimesThePosition) {
  QueueBoard q;
  EXPECT_FALSE(q.expected_wait_ms(1, 1));  // no answer yet
  q.answered(1, 30'000);
  q.answered(1, 90'000);
  EXPECT_EQ(q.expected_wait_ms(1, 1), 60'000);
  EXPECT_EQ(q.expected_wait_ms(1, 3), 180'000);
  EXPECT_FALSE(q.expected_wait_ms(2, 1));
  EXPECT_FALSE(q.expected_wait_ms(1, 0));
  // Only the last kRecentAnswers count.
  for (std::size_t i = 0; i < QueueBoard::kRecentAnswers; ++i) {
    q.answered(1, 10'000);
  }
  EXPECT_EQ(q.expected_wait_ms(1, 1), 10'000);
  q.answered(1, -5);  // a clock step: never negative
  EXPECT_GE(*q.expected_wait_ms(1, 1), 0);
}

}  // namespace
}  // namespace cohort::pbx
