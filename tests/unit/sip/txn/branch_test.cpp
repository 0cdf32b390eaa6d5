// Branch minting with the shard inside (STYLE practice 8), RFC 3261 §8.1.1.7.

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

#include "sip/txn/branch.hpp"
#include "sip/txn/key.hpp"

namespace cohort::sip::txn {
namespace {

TEST(Branch, StartsWithTheMagicCookieAndEncodesShardAndRandom) {
  EXPECT_EQ(make_branch(3, 0x1234), "z9hG4bKc3.0000000000001234");
  EXPECT_EQ(make_branch(0, 0), "z9hG4bKc0.0000000000000000");
  EXPECT_TRUE(is_rfc3261_branch(make_branch(7, 42)));
}

TEST(Branch, ShardRoundTrips) {
  for (std::uint32_t shard :
       {0u, 1u, 15u, 16u, 255u, 65536u, std::numeric_limits<std::uint32_t>::max()}) {
    for (std::uint64_t random : {std::uint64_t{0}, std::uint64_t{0xdeadbeefcafef00d},
                                 std::numeric_limits<std::uint64_t>::max()}) {
      EXPECT_EQ(shard_of_branch(make_branch(shard, random)), shard) << shard << " " << random;
    }
  }
}

TEST(Branch, DifferentRandomsGiveDifferentBranches) {
  EXPECT_NE(make_branch(1, 1), make_branch(1, 2));
  EXPECT_NE(make_branch(1, 1), make_branch(2, 1));
}

TEST(Branch, ForeignBranchesHaveNoShard) {
  for (const char* foreign :
       {"", "z9hG4bK", "z9hG4bK776asdhds", "abc.def", "z9hG4bKc", "z9hG4bKc.1234", "z9hG4bKc1.",
        "z9hG4bKcxyz.12", "z9hG4bKc12", "z9hG4bKc123456789.1", "Z9HG4BKc1.12", "z9hG4bKc-1.12",
        "z9hG4bKc1g.12"}) {
    EXPECT_EQ(shard_of_branch(foreign), std::nullopt) << foreign;
  }
}

TEST(Branch, MagicCookieIsCaseSensitive) {
  EXPECT_TRUE(is_rfc3261_branch("z9hG4bK-anything"));
  EXPECT_FALSE(is_rfc3261_branch("z9hg4bk-anything"));
  EXPECT_FALSE(is_rfc3261_branch("1234"));
  EXPECT_FALSE(is_rfc3261_branch(""));
}

}  // namespace
}  // namespace cohort::sip::txn
