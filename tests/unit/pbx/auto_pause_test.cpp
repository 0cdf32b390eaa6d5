// Auto-pause in the shell: MissedCalls keeps each member's count per group and says when a
// pause is due (with the group's scope and the reason); AutoPauseWriter writes it through a
// real SQLite store, as the API's pause does, and publishes the new snapshot.

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <thread>

#include "common/clock.hpp"
#include "pbx/auto_pause_writer.hpp"
#include "pbx/missed_calls.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "unit/store/temp_dir.hpp"

namespace cohort::pbx {
namespace {

using model::AttemptResult;
using model::AutoPauseScope;

model::Group group(model::GroupId id, int after, AutoPauseScope scope = AutoPauseScope::kGroup,
                   bool unreachable = false) {
  model::Group g;
  g.id = id;
  g.auto_pause_after = after;
  g.auto_pause_scope = scope;
  g.auto_pause_unreachable = unreachable;
  return g;
}

/// Each offer from a call of its own.
std::uint64_t next_call() {
  static std::uint64_t n = 0;
  return ++n;
}

TEST(MissedCallsTest, PausesAtTheThresholdWithTheGroupsScopeAndReason) {
  MissedCalls missed;
  const model::Group g = group(4, 2);
  EXPECT_FALSE(missed.record(g, 9, AttemptResult::kBusy, next_call()));
  EXPECT_EQ(missed.misses(4, 9), 1);
  auto order = missed.record(g, 9, AttemptResult::kNoAnswer, next_call());
  ASSERT_TRUE(order);
  EXPECT_EQ(*order, (AutoPauseOrder{4, 9, AutoPauseScope::kGroup, routing::PauseCause::kMissedCalls,
                                    "auto: 2 missed calls"}));
  EXPECT_EQ(missed.misses(4, 9), 0) << "a pause starts the count again";

  const model::Group all = group(5, 1, AutoPauseScope::kAll);
  order = missed.record(all, 9, AttemptResult::kDeclined, next_call());
  ASSERT_TRUE(order);
  EXPECT_EQ(order->scope, AutoPauseScope::kAll);
  EXPECT_EQ(order->group, 5);
}

TEST(MissedCallsTest, CountsPerGroupAndPerMember) {
  MissedCalls missed;
  const model::Group sales = group(1, 3);
  const model::Group support = group(2, 3);
  missed.record(sales, 9, AttemptResult::kNoAnswer, next_call());
  missed.record(sales, 9, AttemptResult::kNoAnswer, next_call());
  missed.record(support, 9, AttemptResult::kNoAnswer, next_call());
  missed.record(sales, 8, AttemptResult::kNoAnswer, next_call());
  EXPECT_EQ(missed.misses(1, 9), 2);
  EXPECT_EQ(missed.misses(2, 9), 1);
  EXPECT_EQ(missed.misses(1, 8), 1);
  missed.record(support, 9, AttemptResult::kAnswered, next_call());
  EXPECT_EQ(missed.misses(2, 9), 0);
  EXPECT_EQ(missed.misses(1, 9), 2) << "an answer in another group does not reset this one";
  missed.record(sales, 9, AttemptResult::kCancelled, next_call());
  EXPECT_EQ(missed.misses(1, 9), 2);
}

TEST(MissedCallsTest, OneCallCountsOnceHoweverManyRoundsOfferIt) {
  MissedCalls missed;
  const model::Group g = group(4, 2);
  EXPECT_FALSE(missed.record(g, 9, AttemptResult::kNoAnswer, 100));
  EXPECT_FALSE(missed.record(g, 9, AttemptResult::kBusy, 100)) << "the next round, same call";
  EXPECT_EQ(missed.misses(4, 9), 1);
  EXPECT_TRUE(missed.record(g, 9, AttemptResult::kNoAnswer, 101));
  EXPECT_FALSE(missed.record(g, 9, AttemptResult::kNoAnswer, 101))
      << "the call that paused the member does not count toward the next pause";
  EXPECT_EQ(missed.misses(4, 9), 0);
  EXPECT_FALSE(missed.record(g, 9, AttemptResult::kNoAnswer, 102));
  EXPECT_EQ(missed.misses(4, 9), 1);
}

TEST(MissedCallsTest, UnreachablePausesAtOnce) {
  MissedCalls missed;
  auto order = missed.record(group(3, 0, AutoPauseScope::kGroup, true), 9, AttemptResult::kFailed,
                             next_call());
  ASSERT_TRUE(order);
  EXPECT_EQ(order->cause, routing::PauseCause::kUnreachable);
  EXPECT_EQ(order->reason, "auto: phone unreachable");
}

TEST(MissedCallsTest, OffGroupsKeepNoCount) {
  MissedCalls missed;
  for (int i = 0; i < 200; ++i) {
    EXPECT_FALSE(missed.record(group(3, 0), 9, AttemptResult::kNoAnswer, next_call()));
  }
  EXPECT_EQ(missed.misses(3, 9), 0);
}

TEST(MissedCallsTest, ResetOneGroupOrAll) {
  MissedCalls missed;
  missed.record(group(1, 5), 9, AttemptResult::kNoAnswer, next_call());
  missed.record(group(2, 5), 9, AttemptResult::kNoAnswer, next_call());
  missed.record(group(1, 5), 10, AttemptResult::kNoAnswer, next_call());
  missed.reset(9, model::GroupId{1});
  EXPECT_EQ(missed.misses(1, 9), 0);
  EXPECT_EQ(missed.misses(2, 9), 1);
  missed.record(group(1, 5), 9, AttemptResult::kNoAnswer, next_call());
  missed.reset(9);
  EXPECT_EQ(missed.misses(1, 9), 0);
  EXPECT_EQ(missed.misses(2, 9), 0);
  EXPECT_EQ(missed.misses(1, 10), 1) << "another member keeps its count";
}

class AutoPauseWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = store::sqlite::open(dir_.file("cohort.db"), clock_);
    ASSERT_TRUE(opened) << opened.error().message;
    store_ = std::move(*opened);
    auto made = store_->transact([&](store::Transaction& tx) -> Result<void> {
      for (int i = 0; i < 2; ++i) {
        model::User u;
        u.name = "Agent " + std::to_string(i);
        u.email = "agent" + std::to_string(i) + "@example.com";
        u.extension = std::to_string(1001 + i);
        COHORT_TRY_ASSIGN(model::User created, tx.users().create(u));
        users_.push_back(created.id);
      }
      model::Group g;
      g.name = "Sales";
      g.auto_pause_after = 2;
      COHORT_TRY_ASSIGN(model::Group created, tx.groups().create(g));
      group_ = created.id;
      for (model::UserId u : users_) {
        COHORT_TRY(tx.memberships().put(group_, u, std::nullopt));
      }
      return {};
    });
    ASSERT_TRUE(made) << made.error().message;
  }

  const model::Member& member(model::UserId user) const {
    static model::Member none;
    const auto members = snapshot_->members(group_);
    auto it = std::find_if(members.begin(), members.end(),
                           [&](const model::Member& m) { return m.user == user; });
    return it == members.end() ? none : *it;
  }
  void refresh() { snapshot_ = store_->snapshot(); }

  store::testing::TempDir dir_;
  ManualClock clock_{SystemTime{std::chrono::seconds(1'700'000'000)}};
  std::unique_ptr<store::Store> store_;
  model::SnapshotPtr snapshot_;
  std::vector<model::UserId> users_;
  model::GroupId group_ = 0;
};

TEST_F(AutoPauseWriterTest, PausesTheMembershipAndPublishesTheSnapshot) {
  AutoPauseWriter writer(*store_);
  EXPECT_TRUE(writer.apply({group_, users_[0], AutoPauseScope::kGroup,
                            routing::PauseCause::kMissedCalls, "auto: 2 missed calls"}));
  refresh();
  EXPECT_TRUE(member(users_[0]).paused);
  EXPECT_EQ(member(users_[0]).pause_reason, "auto: 2 missed calls");
  EXPECT_FALSE(member(users_[1]).paused);
  EXPECT_FALSE(snapshot_->user(users_[0])->paused) << "scope group leaves the user alone";
  EXPECT_EQ(writer.applied(routing::PauseCause::kMissedCalls), 1u);
}

TEST_F(AutoPauseWriterTest, ScopeAllPausesTheUser) {
  AutoPauseWriter writer(*store_);
  EXPECT_TRUE(writer.apply({group_, users_[1], AutoPauseScope::kAll,
                            routing::PauseCause::kUnreachable, "auto: phone unreachable"}));
  refresh();
  EXPECT_TRUE(snapshot_->user(users_[1])->paused);
  EXPECT_EQ(snapshot_->user(users_[1])->pause_reason, "auto: phone unreachable");
  EXPECT_FALSE(member(users_[1]).paused);
  EXPECT_EQ(writer.applied(routing::PauseCause::kUnreachable), 1u);
}

TEST_F(AutoPauseWriterTest, APauseByHandKeepsItsReason) {
  ASSERT_TRUE(store_->transact([&](store::Transaction& tx) -> Result<void> {
    COHORT_TRY(tx.memberships().set_pause(group_, users_[0], true, "lunch"));
    return {};
  }));
  AutoPauseWriter writer(*store_);
  EXPECT_FALSE(writer.apply({group_, users_[0], AutoPauseScope::kGroup,
                             routing::PauseCause::kMissedCalls, "auto: 2 missed calls"}));
  EXPECT_FALSE(writer.apply({group_, 999, AutoPauseScope::kGroup, routing::PauseCause::kMissedCalls,
                             "auto: 2 missed calls"}))
      << "not a user any more";
  refresh();
  EXPECT_EQ(member(users_[0]).pause_reason, "lunch");
  EXPECT_EQ(writer.applied(routing::PauseCause::kMissedCalls), 0u);
}

TEST_F(AutoPauseWriterTest, QueuedPausesAreWrittenOnTheWritersThread) {
  AutoPauseWriter writer(*store_);
  writer.start();
  writer.queue({group_, users_[0], AutoPauseScope::kGroup, routing::PauseCause::kMissedCalls,
                "auto: 2 missed calls"});
  for (int i = 0; i < 500 && writer.applied(routing::PauseCause::kMissedCalls) == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  writer.stop();
  refresh();
  EXPECT_TRUE(member(users_[0]).paused);
}

}  // namespace
}  // namespace cohort::pbx
