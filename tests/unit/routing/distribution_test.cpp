#include "routing/distribution.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace cohort::routing {
namespace {

using model::RingStrategy;
using model::UserId;

using Order = std::vector<UserId>;
using Skipped = std::vector<std::pair<UserId, std::string>>;

constexpr int kRingTimeout = 15;
constexpr std::int64_t kStart = 1'800'000'000'000;  // ms; any fixed "now"

/// Each attempt's users, checking on the way that the attempts cover the plan's `order`
/// exactly: back to back from its start, none empty, nothing left over.
std::vector<Order> attempts_of(const DistributionPlan& p) {
  std::vector<Order> out;
  std::size_t next = 0;
  for (const Attempt& a : p.attempts) {
    EXPECT_EQ(a.first, next);
    EXPECT_GT(a.count, 0u);
    next = static_cast<std::size_t>(a.first) + a.count;
    if (next > p.order.size()) {
      ADD_FAILURE() << "attempt [" << a.first << ", +" << a.count << ") past the order's "
                    << p.order.size() << " users";
      break;
    }
    const std::span<const UserId> users = p.users(a);
    out.emplace_back(users.begin(), users.end());
  }
  EXPECT_EQ(next, p.order.size());
  return out;
}

/// One group over a sequence of calls: the members' facts, the persisted cursor and the
/// clock, as pbx/ would keep them. Each call is answered by the first member offered and
/// lasts a minute; that member's last_call_end_ms and answered_today are updated.
struct Group {
  DistributionPolicy policy;
  std::vector<MemberFacts> members;
  DistributionState state;
  std::int64_t now = kStart;

  explicit Group(RingStrategy s, std::vector<UserId> users) {
    policy.strategy = s;
    policy.ring_timeout_s = kRingTimeout;
    for (UserId u : users) {
      join(u);
    }
  }

  MemberFacts& at(UserId u) {
    auto it = std::find_if(members.begin(), members.end(),
                           [&](const MemberFacts& m) { return m.user == u; });
    EXPECT_NE(it, members.end()) << "no member " << u;
    return *it;
  }
  void join(UserId u) {
    MemberFacts m;
    m.user = u;
    m.position = static_cast<int>(members.size()) + 1;
    members.push_back(m);
  }
  /// Leaving renumbers the positions densely, as the store does.
  void leave(UserId u) {
    std::erase_if(members, [&](const MemberFacts& m) { return m.user == u; });
    for (std::size_t i = 0; i < members.size(); ++i) {
      members[i].position = static_cast<int>(i) + 1;
    }
  }

  DistributionPlan plan(std::uint64_t seed = 0) const {
    return distribute(policy, members, state, now, seed);
  }

  /// The order offered for one call; the first member answers it.
  std::vector<UserId> call(std::uint64_t seed = 0) {
    DistributionPlan p = plan(seed);
    state = p.next_state;
    for (const Attempt& a : p.attempts) {
      EXPECT_EQ(p.users(a).size(), 1u);
      EXPECT_EQ(a.timeout_s, kRingTimeout);
    }
    std::vector<UserId> order;
    for (const Order& users : attempts_of(p)) {
      order.insert(order.end(), users.begin(), users.end());
    }
    now += 60'000;
    if (!order.empty()) {
      MemberFacts& m = at(order.front());
      m.last_call_end_ms = now;
      ++m.answered_today;
    }
    now += 1'000;
    return order;
  }

  /// Who is offered each of the next n calls first.
  std::vector<UserId> firsts(int n) {
    std::vector<UserId> out;
    for (int i = 0; i < n; ++i) {
      const std::vector<UserId> order = call();
      out.push_back(order.empty() ? 0 : order.front());
    }
    return out;
  }
};

// --- availability -----------------------------------------------------------------------

TEST(Distribution, SimultaneousRingsEveryAvailableMemberInOneAttempt) {
  Group g(RingStrategy::kSimultaneous, {1, 2, 3, 4, 5, 6});
  g.at(2).state = AgentState::kBusy;
  g.at(4).paused_in_group = true;
  g.at(6).registered = false;
  const DistributionPlan p = g.plan();
  ASSERT_EQ(p.attempts.size(), 1u);
  EXPECT_EQ(attempts_of(p)[0], (Order{1, 3, 5}));
  EXPECT_EQ(p.attempts[0].timeout_s, kRingTimeout);
  EXPECT_EQ(p.skipped, (Skipped{{2, "busy"}, {4, "paused"}, {6, "unregistered"}}));
  EXPECT_EQ(p.next_state, g.state);
}

TEST(Distribution, EachReasonForLeavingAMemberOut) {
  Group g(RingStrategy::kSequential, {1, 2, 3, 4, 5, 6, 7, 8});
  g.policy.wrap_up_s = 30;
  g.at(1).state = AgentState::kPaused;
  g.at(2).paused_in_group = true;
  g.at(3).registered = false;
  g.at(4).state = AgentState::kRinging;  // ringing for another group
  g.at(5).state = AgentState::kBusy;
  g.at(6).state = AgentState::kWrapUp;
  g.at(7).last_call_end_ms = g.now - 29'999;  // wrap-up not over yet
  g.at(8).last_call_end_ms = g.now - 30'000;  // just over
  const DistributionPlan p = g.plan();
  EXPECT_EQ(p.skipped, (Skipped{{1, "paused"},
                                {2, "paused"},
                                {3, "unregistered"},
                                {4, "ringing"},
                                {5, "busy"},
                                {6, "wrap_up"},
                                {7, "wrap_up"}}));
  ASSERT_EQ(p.attempts.size(), 1u);
  EXPECT_EQ(attempts_of(p)[0], (Order{8}));
}

TEST(Distribution, TheFirstReasonThatAppliesIsReported) {
  Group g(RingStrategy::kSequential, {1, 2, 3});
  g.policy.wrap_up_s = 30;
  g.at(1).paused_in_group = true;  // and unregistered and busy
  g.at(1).registered = false;
  g.at(1).state = AgentState::kBusy;
  g.at(2).registered = false;  // and ringing
  g.at(2).state = AgentState::kRinging;
  g.at(3).state = AgentState::kBusy;  // and within wrap-up of its previous call
  g.at(3).last_call_end_ms = g.now - 1'000;
  EXPECT_EQ(g.plan().skipped, (Skipped{{1, "paused"}, {2, "unregistered"}, {3, "busy"}}));
}

TEST(Distribution, RingInUseOffersBusyMembersButNeverRingingOnes) {
  Group g(RingStrategy::kSequential, {1, 2, 3});
  g.policy.ring_in_use = true;
  g.at(1).state = AgentState::kBusy;
  g.at(2).state = AgentState::kRinging;
  const DistributionPlan p = g.plan();
  EXPECT_EQ(p.skipped, (Skipped{{2, "ringing"}}));
  ASSERT_EQ(p.attempts.size(), 2u);
  EXPECT_EQ(attempts_of(p)[0], (Order{1}));
  EXPECT_EQ(attempts_of(p)[1], (Order{3}));
}

TEST(Distribution, RingInUseStillHonoursTheWrapUpOfTheMembersPreviousCall) {
  Group g(RingStrategy::kSequential, {1, 2});
  g.policy.ring_in_use = true;
  g.policy.wrap_up_s = 30;
  g.at(1).state = AgentState::kBusy;
  g.at(1).last_call_end_ms = g.now - 20'000;
  g.at(2).state = AgentState::kBusy;
  g.at(2).last_call_end_ms = g.now - 40'000;
  const DistributionPlan p = g.plan();
  EXPECT_EQ(p.skipped, (Skipped{{1, "wrap_up"}}));
  ASSERT_EQ(p.attempts.size(), 1u);
  EXPECT_EQ(attempts_of(p)[0], (Order{2}));
}

TEST(Distribution, UnregisteredMembersAreOfferedWhenTheGroupSaysSo) {
  Group g(RingStrategy::kSimultaneous, {1, 2});
  g.at(2).registered = false;
  g.policy.skip_unregistered = false;
  const DistributionPlan p = g.plan();
  EXPECT_TRUE(p.skipped.empty());
  ASSERT_EQ(p.attempts.size(), 1u);
  EXPECT_EQ(attempts_of(p)[0], (Order{1, 2}));
}

TEST(Distribution, NeverCalledMembersAreNotInWrapUpWhateverTheClock) {
  Group g(RingStrategy::kSimultaneous, {1, 2});
  g.policy.wrap_up_s = 60;
  g.now = 10'000;  // a clock close to 0: now - 0 < 60 s, yet nobody has had a call
  ASSERT_EQ(g.plan().attempts.size(), 1u);
  EXPECT_EQ(attempts_of(g.plan())[0], (Order{1, 2}));
}

TEST(Distribution, WithoutWrapUpAMemberIsOfferedRightAfterItsCall) {
  Group g(RingStrategy::kSequential, {1, 2});
  g.at(1).last_call_end_ms = g.now;  // its call ended this millisecond
  EXPECT_EQ(g.call(), (Order{1, 2}));
}

TEST(Distribution, NobodyAvailableMeansNoAttemptAndAnUnchangedCursor) {
  for (RingStrategy s :
       {RingStrategy::kSimultaneous, RingStrategy::kRoundRobin, RingStrategy::kLeastRecent,
        RingStrategy::kSequential, RingStrategy::kFewestCalls, RingStrategy::kRandom}) {
    Group g(s, {1, 2});
    g.state.last_offered = 2;
    g.at(1).state = AgentState::kBusy;
    g.at(2).state = AgentState::kPaused;
    const DistributionPlan p = g.plan(7);
    EXPECT_TRUE(p.attempts.empty()) << model::to_string(s);
    EXPECT_TRUE(p.order.empty()) << model::to_string(s);
    EXPECT_EQ(p.next_state.last_offered, std::optional<UserId>(2)) << model::to_string(s);
    EXPECT_EQ(p.skipped.size(), 2u) << model::to_string(s);
  }
  Group empty(RingStrategy::kRoundRobin, {});
  EXPECT_TRUE(empty.plan().attempts.empty());
  EXPECT_EQ(empty.plan().next_state, DistributionState{});
}

TEST(Distribution, AMemberRingingForAnotherGroupIsSkippedByEveryStrategy) {
  for (RingStrategy s :
       {RingStrategy::kSimultaneous, RingStrategy::kRoundRobin, RingStrategy::kLeastRecent,
        RingStrategy::kSequential, RingStrategy::kFewestCalls, RingStrategy::kRandom}) {
    Group g(s, {1, 2, 3});
    g.policy.ring_in_use = true;
    g.at(2).state = AgentState::kRinging;
    const DistributionPlan p = g.plan(3);
    EXPECT_EQ(p.skipped, (Skipped{{2, "ringing"}})) << model::to_string(s);
    Order offered;
    for (const Order& users : attempts_of(p)) {
      offered.insert(offered.end(), users.begin(), users.end());
    }
    std::sort(offered.begin(), offered.end());
    EXPECT_EQ(offered, (Order{1, 3})) << model::to_string(s);
  }
}

// --- order over sequences of calls -----------------------------------------------------

TEST(Distribution, SequentialAlwaysStartsFromTheFirstAvailablePosition) {
  Group g(RingStrategy::kSequential, {1, 2, 3});
  EXPECT_EQ(g.call(), (Order{1, 2, 3}));
  EXPECT_EQ(g.call(), (Order{1, 2, 3}));  // 1 answered the last call: still first
  g.at(1).state = AgentState::kBusy;
  EXPECT_EQ(g.call(), (Order{2, 3}));
  g.at(1).state = AgentState::kAvailable;
  g.join(4);
  EXPECT_EQ(g.call(), (Order{1, 2, 3, 4}));
  g.leave(1);
  EXPECT_EQ(g.call(), (Order{2, 3, 4}));
  EXPECT_EQ(g.state, DistributionState{});  // sequential keeps no cursor
}

TEST(Distribution, RoundRobinStartsAfterTheMemberOfferedThePreviousCall) {
  Group g(RingStrategy::kRoundRobin, {1, 2, 3, 4});
  EXPECT_EQ(g.call(), (Order{1, 2, 3, 4}));
  EXPECT_EQ(g.state.last_offered, std::optional<UserId>(1));
  EXPECT_EQ(g.call(), (Order{2, 3, 4, 1}));
  EXPECT_EQ(g.call(), (Order{3, 4, 1, 2}));
  EXPECT_EQ(g.call(), (Order{4, 1, 2, 3}));
  EXPECT_EQ(g.call(), (Order{1, 2, 3, 4}));  // wrapped around
  EXPECT_EQ(g.firsts(8), (Order{2, 3, 4, 1, 2, 3, 4, 1}));
}

TEST(Distribution, RoundRobinPassesOverUnavailableMembers) {
  Group g(RingStrategy::kRoundRobin, {1, 2, 3, 4});
  EXPECT_EQ(g.firsts(1), (Order{1}));
  g.at(2).state = AgentState::kBusy;
  EXPECT_EQ(g.call(), (Order{3, 4, 1}));  // 2 is passed over, the cursor moves to 3
  g.at(2).state = AgentState::kAvailable;
  g.at(4).paused_in_group = true;
  EXPECT_EQ(g.call(), (Order{1, 2, 3}));  // after 3: 4 paused, so 1
  g.at(4).paused_in_group = false;
  g.at(3).state = AgentState::kRinging;  // ringing for another group
  EXPECT_EQ(g.call(), (Order{2, 4, 1}));
  g.at(3).state = AgentState::kAvailable;
  // 2 answered the previous call 1 s ago, the others over a minute ago.
  g.policy.wrap_up_s = 30;
  EXPECT_EQ(g.call(), (Order{3, 4, 1}));
  // The member offered last time may itself be unavailable now: the round goes on after it.
  g.at(3).registered = false;
  EXPECT_EQ(g.call(), (Order{4, 1, 2}));
}

TEST(Distribution, RoundRobinWithMembersJoiningAndLeaving) {
  Group g(RingStrategy::kRoundRobin, {1, 2, 3});
  EXPECT_EQ(g.firsts(2), (Order{1, 2}));
  g.join(4);  // position 4: its turn comes after 3
  EXPECT_EQ(g.firsts(3), (Order{3, 4, 1}));
  // The member at the cursor leaves (positions renumber): its old position is not known, so
  // the next round starts at the first position.
  g.leave(1);
  EXPECT_EQ(g.call(), (Order{2, 3, 4}));
  EXPECT_EQ(g.call(), (Order{3, 4, 2}));
  // A member before the cursor leaves: the cursor is a user, not a position, so it stays
  // on 3 and the round goes on with 4.
  g.leave(2);
  EXPECT_EQ(g.call(), (Order{4, 3}));
  // A member who rejoins takes the last position and its turn comes there.
  g.join(1);
  EXPECT_EQ(g.firsts(4), (Order{1, 3, 4, 1}));
}

TEST(Distribution, RoundRobinIsTheOnlyStrategyThatMovesTheCursor) {
  for (RingStrategy s :
       {RingStrategy::kSimultaneous, RingStrategy::kLeastRecent, RingStrategy::kSequential,
        RingStrategy::kFewestCalls, RingStrategy::kRandom}) {
    Group g(s, {1, 2, 3});
    g.state.last_offered = 2;
    EXPECT_EQ(g.plan(5).next_state.last_offered, std::optional<UserId>(2)) << model::to_string(s);
  }
  // So a group switched away from round_robin and back resumes where it was.
  Group g(RingStrategy::kRoundRobin, {1, 2, 3});
  EXPECT_EQ(g.firsts(1), (Order{1}));
  g.policy.strategy = RingStrategy::kSequential;
  EXPECT_EQ(g.firsts(2), (Order{1, 1}));
  g.policy.strategy = RingStrategy::kRoundRobin;
  EXPECT_EQ(g.firsts(1), (Order{2}));
}

TEST(Distribution, LeastRecentOffersTheLongestIdleMemberFirst) {
  Group g(RingStrategy::kLeastRecent, {1, 2, 3, 4});
  // Nobody called yet: ties by position; each answer sends its member to the back.
  EXPECT_EQ(g.call(), (Order{1, 2, 3, 4}));
  EXPECT_EQ(g.call(), (Order{2, 3, 4, 1}));
  EXPECT_EQ(g.call(), (Order{3, 4, 1, 2}));
  // 4 took a call in another group, ending between 2's and 3's (DESIGN.md: the last call
  // counts across all groups).
  g.at(4).last_call_end_ms = g.at(2).last_call_end_ms + 1;
  EXPECT_EQ(g.call(), (Order{1, 2, 4, 3}));
  // A newcomer has never been called: first, ahead of everyone.
  g.join(5);
  EXPECT_EQ(g.call(), (Order{5, 2, 4, 3, 1}));
  // Equal end times: by position.
  g.at(2).last_call_end_ms = g.at(3).last_call_end_ms;
  g.at(4).last_call_end_ms = g.at(3).last_call_end_ms;
  EXPECT_EQ(g.call(), (Order{2, 3, 4, 1, 5}));
  // The longest idle is busy: the next one is first.
  g.at(3).state = AgentState::kBusy;
  EXPECT_EQ(g.call(), (Order{4, 1, 5, 2}));
}

TEST(Distribution, FewestCallsOffersTheMemberWithTheFewestAnswersToday) {
  Group g(RingStrategy::kFewestCalls, {1, 2, 3});
  EXPECT_EQ(g.call(), (Order{1, 2, 3}));  // 0, 0, 0: by position
  EXPECT_EQ(g.call(), (Order{2, 3, 1}));  // 1 answered
  EXPECT_EQ(g.call(), (Order{3, 1, 2}));
  EXPECT_EQ(g.call(), (Order{1, 2, 3}));  // 1, 1, 1: by position again
  // Answers in other groups count too (the caller computes answered_today).
  g.at(2).answered_today += 5;
  EXPECT_EQ(g.firsts(5), (Order{3, 1, 3, 1, 3}));
  EXPECT_EQ(g.call(), (Order{1, 3, 2}));  // 4, 6, 4
}

TEST(Distribution, FewestCallsAfterANewDayAndANewcomer) {
  Group g(RingStrategy::kFewestCalls, {1, 2, 3});
  g.at(1).answered_today = 3;
  g.at(2).answered_today = 1;
  g.at(3).answered_today = 2;
  EXPECT_EQ(g.call(), (Order{2, 3, 1}));
  EXPECT_EQ(g.call(), (Order{2, 3, 1}));  // 2 now has 2: tie with 3, by position
  EXPECT_EQ(g.call(), (Order{3, 1, 2}));  // 3, 3, 2
  g.join(4);
  g.at(4).paused_in_group = true;
  EXPECT_EQ(g.call(), (Order{1, 2, 3}));  // 3, 3, 3; 4 paused
  g.at(4).paused_in_group = false;
  EXPECT_EQ(g.firsts(3), (Order{4, 4, 4}));  // 0, 1, 2 against 3 and more
  for (MemberFacts& m : g.members) {         // midnight in the group's time zone
    m.answered_today = 0;
  }
  EXPECT_EQ(g.call(), (Order{1, 2, 3, 4}));
}

TEST(Distribution, RandomIsDeterministicPerSeedAndAPermutationOfTheAvailable) {
  Group g(RingStrategy::kRandom, {1, 2, 3, 4, 5, 6, 7, 8});
  g.at(3).state = AgentState::kBusy;
  const auto order = [&](std::uint64_t seed) {
    const DistributionPlan p = g.plan(seed);
    for (const Attempt& a : p.attempts) {
      EXPECT_EQ(p.users(a).size(), 1u);
      EXPECT_EQ(a.timeout_s, kRingTimeout);
    }
    Order out;
    for (const Order& users : attempts_of(p)) {
      out.insert(out.end(), users.begin(), users.end());
    }
    return out;
  };
  int differing = 0;
  for (std::uint64_t seed = 0; seed < 50; ++seed) {
    const Order o = order(seed);
    EXPECT_EQ(o, order(seed)) << seed;
    Order sorted = o;
    std::sort(sorted.begin(), sorted.end());
    EXPECT_EQ(sorted, (Order{1, 2, 4, 5, 6, 7, 8})) << seed;
    differing += o != order(seed + 1000) ? 1 : 0;
  }
  EXPECT_GE(differing, 45);  // other seeds, other orders (7! = 5040 of them)
}

TEST(Distribution, RandomPutsEachMemberFirstAboutEquallyOften) {
  Group g(RingStrategy::kRandom, {1, 2, 3, 4, 5});
  g.join(6);
  g.at(6).state = AgentState::kPaused;
  constexpr int kSeeds = 20'000;
  std::map<UserId, int> first;
  std::map<UserId, int> last;
  for (std::uint64_t seed = 0; seed < kSeeds; ++seed) {
    const DistributionPlan p = g.plan(seed * 0x9e3779b97f4a7c15ULL + 12345);
    ASSERT_EQ(p.attempts.size(), 5u);
    ++first[p.users(p.attempts.front())[0]];
    ++last[p.users(p.attempts.back())[0]];
  }
  // Expected 4,000 each; a binomial standard deviation is ~57, the bounds are ±10 %.
  for (UserId u = 1; u <= 5; ++u) {
    EXPECT_GT(first[u], 3'600) << u;
    EXPECT_LT(first[u], 4'400) << u;
    EXPECT_GT(last[u], 3'600) << u;
    EXPECT_LT(last[u], 4'400) << u;
  }
  EXPECT_EQ(first.count(6), 0u);
}

TEST(Distribution, RandomOverASequenceOfCallsOffersEveryoneFirstSometimes) {
  Group g(RingStrategy::kRandom, {1, 2, 3});
  std::map<UserId, int> first;
  for (std::uint64_t call = 0; call < 300; ++call) {
    const Order o = g.call(call);
    ASSERT_EQ(o.size(), 3u);
    ++first[o.front()];
  }
  for (UserId u = 1; u <= 3; ++u) {
    EXPECT_GT(first[u], 60) << u;  // expected 100
  }
}

}  // namespace
}  // namespace cohort::routing
