// Playout pacing arithmetic: deadlines on the 20 ms grid from the start (no drift), sequence
// numbers and timestamps from random initial values with wrap, and how many packets are due.
#include "media/pacer.hpp"

#include <gtest/gtest.h>

namespace cohort::media {
namespace {

using namespace std::chrono_literals;

const TimePoint kStart = TimePoint{} + 5h + 123us;

TEST(Pacer, DeadlinesAreOnTheGridFromTheStart) {
  const PacerPlan p{kStart, 20ms, 65530, 0xFFFFFF00u, 160};
  EXPECT_EQ(deadline(p, 0), kStart);
  EXPECT_EQ(deadline(p, 1), kStart + 20ms);
  EXPECT_EQ(deadline(p, 50), kStart + 1s);
  // An hour later the grid has not drifted by a nanosecond.
  EXPECT_EQ(deadline(p, 180000), kStart + 1h);
}

TEST(Pacer, SequenceAndTimestampWrap) {
  const PacerPlan p{kStart, 20ms, 65534, 0xFFFFFE00u, 160};
  struct Row {
    std::uint64_t n;
    std::uint16_t seq;
    std::uint32_t ts;
  };
  for (const Row& r :
       {Row{0, 65534, 0xFFFFFE00u}, Row{1, 65535, 0xFFFFFEA0u}, Row{2, 0, 0xFFFFFF40u},
        Row{3, 1, 0xFFFFFFE0u}, Row{4, 2, 0x80u}, Row{65536, 65534, 0xFFFFFE00u + 65536u * 160}}) {
    EXPECT_EQ(sequence_of(p, r.n), r.seq) << r.n;
    EXPECT_EQ(timestamp_of(p, r.n), r.ts) << r.n;
  }
  const PacerPlan opus{kStart, 20ms, 0, 0, 960};
  EXPECT_EQ(timestamp_of(opus, 3), 2880u);
}

TEST(Pacer, DueCountAfterLateWakeUps) {
  const PacerPlan p{kStart, 20ms, 0, 0, 160};
  EXPECT_EQ(due_count(p, kStart - 1ns), 0u);
  EXPECT_EQ(due_count(p, kStart), 1u);
  EXPECT_EQ(due_count(p, kStart + 19999us), 1u);
  EXPECT_EQ(due_count(p, kStart + 20ms), 2u);
  // Woke 35 ms late for packet 10: 11 and 12 are due too; the grid, not the wake-up, decides.
  EXPECT_EQ(due_count(p, deadline(p, 10) + 35ms), 12u);
  EXPECT_EQ(due_count(PacerPlan{kStart, 0ms, 0, 0, 160}, kStart + 1s), 0u);
}

}  // namespace
}  // namespace cohort::media
