#include "model/references.hpp"

#include <gtest/gtest.h>

#include "unit/model/builders.hpp"

namespace cohort::model {
namespace {

using testing::make_group;
using testing::make_route;
using testing::make_rule;
using testing::make_schedule;
using testing::make_trunk;
using testing::make_user;
using testing::with;
using testing::with_routes;
using testing::with_rules;
using testing::with_schedules;

using Path = std::vector<GroupId>;

/// The cycle exit_cycle finds from group `group`, as group ids (these snapshots hold groups
/// only; cycles through IVR menus are in ivr_references_test.cpp).
std::optional<Path> fallback_cycle(const Snapshot& s, GroupId group,
                                   const std::optional<Destination>& exit) {
  auto cycle = exit_cycle(s, FlowNode{FlowNode::Kind::kGroup, group}, exit);
  if (!cycle) {
    return std::nullopt;
  }
  Path out;
  for (const FlowNode& n : *cycle) {
    EXPECT_EQ(n.kind, FlowNode::Kind::kGroup);
    out.push_back(n.id);
  }
  return out;
}

Group group_falling_back(GroupId id, std::string name, std::optional<Destination> fallback) {
  Group g = make_group(id, std::move(name));
  g.fallback = std::move(fallback);
  return g;
}

class References : public ::testing::Test {
 protected:
  References() {
    Group sales = group_falling_back(1, "Sales", DestGroup{2});
    sales.trunk = 9;
    Group support = group_falling_back(2, "Support", DestVoicemail{DestVoicemail::Box::kUser, 5});
    Group night = group_falling_back(3, "Night", DestUser{5});
    night.trunk = 9;
    Group billing = group_falling_back(4, "Billing", DestVoicemail{DestVoicemail::Box::kGroup, 2});
    Group outside = group_falling_back(6, "Outside", DestNumber{"+15551234"});
    s = with(Snapshot{}, {make_user(5)}, {sales, support, night, billing, outside},
             {make_trunk(9, "Carrier")});
  }
  Snapshot s;
};

TEST_F(References, ReferrersOfAGroupIncludeItsVoicemailBox) {
  auto r = referrers_of(s, Target{Target::Kind::kGroup, 2});
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0], (Referrer{Referrer::Kind::kGroup, 1, "Sales", "fallback"}));
  EXPECT_EQ(r[1], (Referrer{Referrer::Kind::kGroup, 4, "Billing", "fallback"}));
}

TEST_F(References, ReferrersOfAUserIncludeItsVoicemailBox) {
  auto r = referrers_of(s, Target{Target::Kind::kUser, 5});
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].id, 2);
  EXPECT_EQ(r[1].id, 3);
  EXPECT_EQ(r[1].field, "fallback");
}

// A user's call forwarding names users and groups too: deleting them is refused (or leaves
// gaps), and the gaps list them after the inbound routes.
TEST_F(References, UsersForwardingToATargetAreReferrersAndGapsOnceItIsGone) {
  User ana = make_user(7);
  ana.forward_always = DestUser{5};
  ana.forward_no_answer = DestGroup{2};
  ana.forward_busy = DestNumber{"+15550000"};
  SnapshotPatch p;
  p.users = {{7, ana}};
  Snapshot t = s.apply(p);
  auto to_user = referrers_of(t, Target{Target::Kind::kUser, 5});
  ASSERT_EQ(to_user.size(), 3u);
  EXPECT_EQ(to_user[2], (Referrer{Referrer::Kind::kUser, 7, ana.name, "forwarding.always"}));
  auto to_group = referrers_of(t, Target{Target::Kind::kGroup, 2});
  ASSERT_EQ(to_group.size(), 3u);
  EXPECT_EQ(to_group[2], (Referrer{Referrer::Kind::kUser, 7, ana.name, "forwarding.no_answer"}));
  EXPECT_EQ(to_string(Referrer::Kind::kUser), "user");

  SnapshotPatch gone;
  gone.users = {{5, std::nullopt}};
  auto gaps = routing_gaps(t.apply(gone));
  ASSERT_FALSE(gaps.empty());
  EXPECT_EQ(gaps.back().holder,
            (Referrer{Referrer::Kind::kUser, 7, ana.name, "forwarding.always"}));
  EXPECT_EQ(gaps.back().missing, (MissingObject{MissingObject::Kind::kUser, 5}));
}

TEST_F(References, UnreferencedTargetsHaveNoReferrers) {
  EXPECT_TRUE(referrers_of(s, Target{Target::Kind::kGroup, 1}).empty());
  // Same id, other kind: group 5 does not exist and user 2 is nobody's fallback.
  EXPECT_TRUE(referrers_of(s, Target{Target::Kind::kGroup, 5}).empty());
  EXPECT_TRUE(referrers_of(s, Target{Target::Kind::kUser, 2}).empty());
}

TEST_F(References, TrunkReferrers) {
  auto r = trunk_referrers(s, 9);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0], (Referrer{Referrer::Kind::kGroup, 1, "Sales", "trunk"}));
  EXPECT_EQ(r[1], (Referrer{Referrer::Kind::kGroup, 3, "Night", "trunk"}));
  EXPECT_TRUE(trunk_referrers(s, 8).empty());
  EXPECT_EQ(to_string(Referrer::Kind::kGroup), "group");
}

TEST_F(References, NoGapsWhileEveryTargetExists) {
  EXPECT_TRUE(routing_gaps(s).empty());
}

TEST_F(References, ForcedDeletesLeaveGapsOrderedByHolder) {
  SnapshotPatch p;
  p.users.emplace_back(5, std::nullopt);
  p.groups.emplace_back(2, std::nullopt);
  Snapshot after = s.apply(p);
  auto gaps = routing_gaps(after);
  ASSERT_EQ(gaps.size(), 3u);
  EXPECT_EQ(gaps[0].holder, (Referrer{Referrer::Kind::kGroup, 1, "Sales", "fallback"}));
  EXPECT_EQ(gaps[0].destination, Destination{DestGroup{2}});
  EXPECT_EQ(gaps[1].holder.id, 3);
  EXPECT_EQ(gaps[1].destination, Destination{DestUser{5}});
  EXPECT_EQ(gaps[2].holder.id, 4);
  EXPECT_EQ(gaps[2].destination, (Destination{DestVoicemail{DestVoicemail::Box::kGroup, 2}}));
  EXPECT_EQ(gaps[2].missing, (MissingObject{MissingObject::Kind::kGroup, 2}));
  EXPECT_EQ(gaps[1].missing, (MissingObject{MissingObject::Kind::kUser, 5}));
  EXPECT_TRUE(routing_gaps(s).empty());  // the old snapshot had none
}

// ---- outbound rules ----------------------------------------------------------------------

class RuleReferences : public References {
 protected:
  RuleReferences() {
    // Positions: Mixed(21) first, then Sales(20), then Other(22).
    OutboundRule sales = make_rule(20, "Sales out", {9});
    sales.caller_groups = {1, 2};
    OutboundRule mixed = make_rule(21, "Mixed", {8, 9});
    mixed.caller_groups = {2};
    mixed.caller_users = {5};
    OutboundRule other = make_rule(22, "Other", {8});
    s = with(s, {}, {}, {make_trunk(8, "Backup")});
    s = with_rules(s, {mixed, sales, other});
  }
};

TEST_F(RuleReferences, GroupsAndUsersNamedInCallerConditionsAreReferenced) {
  auto r = referrers_of(s, Target{Target::Kind::kGroup, 2});
  ASSERT_EQ(r.size(), 4u);
  EXPECT_EQ(r[0], (Referrer{Referrer::Kind::kGroup, 1, "Sales", "fallback"}));
  EXPECT_EQ(r[1], (Referrer{Referrer::Kind::kGroup, 4, "Billing", "fallback"}));
  EXPECT_EQ(r[2], (Referrer{Referrer::Kind::kOutboundRule, 21, "Mixed", "caller_groups"}));
  EXPECT_EQ(r[3], (Referrer{Referrer::Kind::kOutboundRule, 20, "Sales out", "caller_groups"}));

  auto u = referrers_of(s, Target{Target::Kind::kUser, 5});
  ASSERT_EQ(u.size(), 3u);
  EXPECT_EQ(u[2], (Referrer{Referrer::Kind::kOutboundRule, 21, "Mixed", "caller_users"}));
  // Group 1 is named by one rule only; a rule never refers to a user through caller_groups.
  EXPECT_EQ(referrers_of(s, Target{Target::Kind::kGroup, 1}).size(), 1u);
  EXPECT_TRUE(referrers_of(s, Target{Target::Kind::kUser, 1}).empty());
  EXPECT_EQ(to_string(Referrer::Kind::kOutboundRule), "outbound_rule");
}

TEST_F(RuleReferences, TrunkReferrersIncludeRulesInPositionOrder) {
  auto r = trunk_referrers(s, 9);
  ASSERT_EQ(r.size(), 4u);
  EXPECT_EQ(r[0], (Referrer{Referrer::Kind::kGroup, 1, "Sales", "trunk"}));
  EXPECT_EQ(r[1], (Referrer{Referrer::Kind::kGroup, 3, "Night", "trunk"}));
  EXPECT_EQ(r[2], (Referrer{Referrer::Kind::kOutboundRule, 21, "Mixed", "trunks"}));
  EXPECT_EQ(r[3], (Referrer{Referrer::Kind::kOutboundRule, 20, "Sales out", "trunks"}));
  auto backup = trunk_referrers(s, 8);
  ASSERT_EQ(backup.size(), 2u);
  EXPECT_EQ(backup[0].id, 21);
  EXPECT_EQ(backup[1].id, 22);
}

TEST_F(RuleReferences, ForcedDeletesLeaveRuleGapsAfterFallbackGaps) {
  EXPECT_TRUE(routing_gaps(s).empty());
  SnapshotPatch p;
  p.users.emplace_back(5, std::nullopt);
  p.groups.emplace_back(2, std::nullopt);
  p.trunks.emplace_back(9, std::nullopt);
  auto gaps = routing_gaps(s.apply(p));
  ASSERT_EQ(gaps.size(), 8u);
  // Fallbacks first (groups 1, 3, 4), then the rules in position order.
  EXPECT_EQ(gaps[0].holder.kind, Referrer::Kind::kGroup);
  EXPECT_EQ(gaps[2].holder.id, 4);
  const std::vector<RoutingGap> rules(gaps.begin() + 3, gaps.end());
  using K = MissingObject::Kind;
  const Referrer mixed{Referrer::Kind::kOutboundRule, 21, "Mixed", ""};
  const Referrer sales{Referrer::Kind::kOutboundRule, 20, "Sales out", ""};
  auto at = [](Referrer r, std::string field) {
    r.field = std::move(field);
    return r;
  };
  EXPECT_EQ(rules[0], (RoutingGap{at(mixed, "caller_groups"), {K::kGroup, 2}, std::nullopt}));
  EXPECT_EQ(rules[1], (RoutingGap{at(mixed, "caller_users"), {K::kUser, 5}, std::nullopt}));
  EXPECT_EQ(rules[2], (RoutingGap{at(mixed, "trunks"), {K::kTrunk, 9}, std::nullopt}));
  EXPECT_EQ(rules[3], (RoutingGap{at(sales, "caller_groups"), {K::kGroup, 2}, std::nullopt}));
  EXPECT_EQ(rules[4], (RoutingGap{at(sales, "trunks"), {K::kTrunk, 9}, std::nullopt}));
  EXPECT_EQ(to_string(K::kTrunk), "trunk");
}

// ---- fallback cycles -------------------------------------------------------------------

class FallbackCycle : public ::testing::Test {
 protected:
  // A(1) → B(2) → C(3) → D(4) → hangup; E(5) → voicemail of A; F(6) → user 1.
  FallbackCycle() {
    s = with(Snapshot{}, {make_user(1)},
             {group_falling_back(1, "A", DestGroup{2}), group_falling_back(2, "B", DestGroup{3}),
              group_falling_back(3, "C", DestGroup{4}), group_falling_back(4, "D", DestHangup{}),
              group_falling_back(5, "E", DestVoicemail{DestVoicemail::Box::kGroup, 1}),
              group_falling_back(6, "F", DestUser{1}), group_falling_back(7, "G", std::nullopt)});
  }
  Snapshot s;
};

TEST_F(FallbackCycle, TwoGroups) {
  EXPECT_EQ(fallback_cycle(s, 2, DestGroup{1}), (Path{2, 1, 2}));
}

TEST_F(FallbackCycle, Self) {
  EXPECT_EQ(fallback_cycle(s, 7, DestGroup{7}), (Path{7, 7}));
}

TEST_F(FallbackCycle, LongerChain) {
  EXPECT_EQ(fallback_cycle(s, 4, DestGroup{1}), (Path{4, 1, 2, 3, 4}));
  EXPECT_EQ(fallback_cycle(s, 3, DestGroup{1}), (Path{3, 1, 2, 3}));
}

TEST_F(FallbackCycle, ProposedFallbackReplacesTheStoredOne) {
  // A currently points at B; proposing hangup for A means no chain at all.
  EXPECT_EQ(fallback_cycle(s, 1, DestHangup{}), std::nullopt);
  EXPECT_EQ(fallback_cycle(s, 1, std::nullopt), std::nullopt);
  // D → A closes A → B → C → D → A; proposing it for D is found whatever D stores.
  EXPECT_TRUE(fallback_cycle(s, 4, DestGroup{2}).has_value());
}

TEST_F(FallbackCycle, NonGroupDestinationsEndTheChain) {
  // Voicemail of a group, a user, a number: none of them continues to the group's fallback.
  EXPECT_EQ(fallback_cycle(s, 1, DestVoicemail{DestVoicemail::Box::kGroup, 1}), std::nullopt);
  EXPECT_EQ(fallback_cycle(s, 1, DestGroup{5}), std::nullopt);  // E → voicemail of A
  EXPECT_EQ(fallback_cycle(s, 1, DestGroup{6}), std::nullopt);  // F → user
  EXPECT_EQ(fallback_cycle(s, 1, DestUser{1}), std::nullopt);
  EXPECT_EQ(fallback_cycle(s, 1, DestNumber{"123"}), std::nullopt);
}

TEST_F(FallbackCycle, MissingGroupEndsTheChain) {
  EXPECT_EQ(fallback_cycle(s, 1, DestGroup{99}), std::nullopt);
}

TEST_F(FallbackCycle, NewGroupCannotCloseACycle) {
  EXPECT_EQ(fallback_cycle(s, 0, DestGroup{1}), std::nullopt);
}

TEST(FallbackCycleStored, ExistingLoopElsewhereTerminates) {
  // X(1) ↔ Y(2) was stored without validation; Z(3) → X must not report X↔Y as Z's cycle.
  Snapshot s = with(Snapshot{}, {},
                    {group_falling_back(1, "X", DestGroup{2}),
                     group_falling_back(2, "Y", DestGroup{1}), make_group(3, "Z")});
  EXPECT_EQ(fallback_cycle(s, 3, DestGroup{1}), std::nullopt);
  // Within the loop, the cycle is found from either side.
  EXPECT_EQ(fallback_cycle(s, 1, DestGroup{2}), (Path{1, 2, 1}));
}

TEST(FallbackCycleStored, VeryLongChainStopsAtTheHopLimit) {
  // 1 → 2 → … → 200 → 1: longer than the hop limit, so not reported (and not walked forever).
  std::vector<Group> groups;
  for (GroupId id = 1; id <= 200; ++id) {
    groups.push_back(
        group_falling_back(id, "G" + std::to_string(id), DestGroup{id == 200 ? 1 : id + 1}));
  }
  Snapshot s = with(Snapshot{}, {}, groups);
  EXPECT_EQ(fallback_cycle(s, 1, DestGroup{2}), std::nullopt);
}

TEST(FallbackCycleStored, ChainWithinTheHopLimitIsFound) {
  // 1 → 2 → … → 30 stored; proposing 30 → 1 closes a loop of 30 groups.
  std::vector<Group> groups;
  for (GroupId id = 1; id <= 30; ++id) {
    groups.push_back(group_falling_back(
        id, "G" + std::to_string(id),
        id == 30 ? std::nullopt : std::optional<Destination>(DestGroup{id + 1})));
  }
  Snapshot s = with(Snapshot{}, {}, groups);
  auto cycle = fallback_cycle(s, 30, DestGroup{1});
  ASSERT_TRUE(cycle.has_value());
  ASSERT_EQ(cycle->size(), 31u);
  EXPECT_EQ(cycle->front(), 30);
  EXPECT_EQ((*cycle)[1], 1);
  EXPECT_EQ((*cycle)[29], 29);
  EXPECT_EQ(cycle->back(), 30);
}

}  // namespace
// ---- inbound routes, closed destinations and schedules ---------------------------------

class RouteReferences : public RuleReferences {
 protected:
  RouteReferences() {
    // Night(3) is closed to user 5's voicemail; Sales(1) is closed to Support(2).
    Group night = *s.group(3);
    night.closed_destination = DestVoicemail{DestVoicemail::Box::kUser, 5};
    night.schedule = 40;
    Group sales = *s.group(1);
    sales.closed_destination = DestGroup{2};
    sales.schedule = 40;
    Group support = *s.group(2);
    support.schedule = 41;
    s = with_schedules(s, {make_schedule(40, "Office"), make_schedule(41, "Late")});
    s = with(s, {}, {sales, support, night});
    // Positions: Main(31), then Direct(30) limited to trunk 9, then Any(32).
    InboundRoute direct = make_route(30, "Direct", "_1555XXXX", DestUser{5});
    direct.trunk = 9;
    InboundRoute main = make_route(31, "Main", "15550100", DestGroup{2});
    InboundRoute any = make_route(32, "Any", "_X.", DestHangup{});
    any.trunk = 8;
    s = with_routes(s, {main, direct, any});
  }
};

TEST_F(RouteReferences, RoutesAndClosedDestinationsReferTheirTargets) {
  auto g = referrers_of(s, Target{Target::Kind::kGroup, 2});
  ASSERT_EQ(g.size(), 6u);
  // Group 1: fallback before closed_destination; then rules; then routes.
  EXPECT_EQ(g[0], (Referrer{Referrer::Kind::kGroup, 1, "Sales", "fallback"}));
  EXPECT_EQ(g[1], (Referrer{Referrer::Kind::kGroup, 1, "Sales", "closed_destination"}));
  EXPECT_EQ(g[2], (Referrer{Referrer::Kind::kGroup, 4, "Billing", "fallback"}));
  EXPECT_EQ(g[3].kind, Referrer::Kind::kOutboundRule);
  EXPECT_EQ(g[4].kind, Referrer::Kind::kOutboundRule);
  EXPECT_EQ(g[5], (Referrer{Referrer::Kind::kInboundRoute, 31, "Main", "destination"}));

  auto u = referrers_of(s, Target{Target::Kind::kUser, 5});
  ASSERT_EQ(u.size(), 5u);
  EXPECT_EQ(u[0], (Referrer{Referrer::Kind::kGroup, 2, "Support", "fallback"}));
  EXPECT_EQ(u[1], (Referrer{Referrer::Kind::kGroup, 3, "Night", "fallback"}));
  EXPECT_EQ(u[2], (Referrer{Referrer::Kind::kGroup, 3, "Night", "closed_destination"}));
  EXPECT_EQ(u[3].kind, Referrer::Kind::kOutboundRule);
  EXPECT_EQ(u[4], (Referrer{Referrer::Kind::kInboundRoute, 30, "Direct", "destination"}));
  EXPECT_EQ(to_string(Referrer::Kind::kInboundRoute), "inbound_route");
}

TEST_F(RouteReferences, TrunkReferrersIncludeRoutesAfterRules) {
  auto r = trunk_referrers(s, 9);
  ASSERT_EQ(r.size(), 5u);
  EXPECT_EQ(r[4], (Referrer{Referrer::Kind::kInboundRoute, 30, "Direct", "trunk"}));
  auto backup = trunk_referrers(s, 8);
  ASSERT_EQ(backup.size(), 3u);
  EXPECT_EQ(backup[2], (Referrer{Referrer::Kind::kInboundRoute, 32, "Any", "trunk"}));
}

TEST_F(RouteReferences, ScheduleReferrersAreTheGroupsUsingIt) {
  auto office = schedule_referrers(s, 40);
  ASSERT_EQ(office.size(), 2u);
  EXPECT_EQ(office[0], (Referrer{Referrer::Kind::kGroup, 1, "Sales", "schedule"}));
  EXPECT_EQ(office[1], (Referrer{Referrer::Kind::kGroup, 3, "Night", "schedule"}));
  EXPECT_EQ(schedule_referrers(s, 41).size(), 1u);
  EXPECT_TRUE(schedule_referrers(s, 99).empty());
}

TEST_F(RouteReferences, GapsOrderGroupsThenRulesThenRoutes) {
  EXPECT_TRUE(routing_gaps(s).empty());
  SnapshotPatch p;
  p.users.emplace_back(5, std::nullopt);
  p.groups.emplace_back(2, std::nullopt);
  p.trunks.emplace_back(9, std::nullopt);
  auto gaps = routing_gaps(s.apply(p));
  using K = MissingObject::Kind;
  // Groups: 1 fallback, 1 closed_destination, 3 fallback, 3 closed_destination, 4 fallback.
  ASSERT_EQ(gaps.size(), 5u + 5u + 3u);
  EXPECT_EQ(gaps[0].holder, (Referrer{Referrer::Kind::kGroup, 1, "Sales", "fallback"}));
  EXPECT_EQ(gaps[1], (RoutingGap{Referrer{Referrer::Kind::kGroup, 1, "Sales", "closed_destination"},
                                 {K::kGroup, 2},
                                 Destination{DestGroup{2}}}));
  EXPECT_EQ(gaps[2].holder.field, "fallback");
  EXPECT_EQ(gaps[3], (RoutingGap{Referrer{Referrer::Kind::kGroup, 3, "Night", "closed_destination"},
                                 {K::kUser, 5},
                                 Destination{DestVoicemail{DestVoicemail::Box::kUser, 5}}}));
  EXPECT_EQ(gaps[4].holder.id, 4);
  for (std::size_t i = 5; i < 10; ++i) {
    EXPECT_EQ(gaps[i].holder.kind, Referrer::Kind::kOutboundRule) << i;
  }
  // Routes in position order: Main's destination, then Direct's destination and trunk.
  EXPECT_EQ(gaps[10],
            (RoutingGap{Referrer{Referrer::Kind::kInboundRoute, 31, "Main", "destination"},
                        {K::kGroup, 2},
                        Destination{DestGroup{2}}}));
  EXPECT_EQ(gaps[11],
            (RoutingGap{Referrer{Referrer::Kind::kInboundRoute, 30, "Direct", "destination"},
                        {K::kUser, 5},
                        Destination{DestUser{5}}}));
  EXPECT_EQ(gaps[12], (RoutingGap{Referrer{Referrer::Kind::kInboundRoute, 30, "Direct", "trunk"},
                                  {K::kTrunk, 9},
                                  std::nullopt}));
}

TEST(ExitCycle, ClosedDestinationsContinueTheChain) {
  // A(1) falls back to B(2); B is closed to C(3); C proposes to fall back to A.
  Group a = group_falling_back(1, "A", DestGroup{2});
  Group b = make_group(2, "B");
  b.closed_destination = DestGroup{3};
  Snapshot s = with(Snapshot{}, {}, {a, b, make_group(3, "C")});
  EXPECT_EQ(fallback_cycle(s, 3, DestGroup{1}), (Path{3, 1, 2, 3}));
  // The proposed exit may be a closed destination too: C closed to A is the same loop.
  EXPECT_EQ(fallback_cycle(s, 3, std::optional<Destination>(DestGroup{1})), (Path{3, 1, 2, 3}));
  // Voicemail of a group ends the chain whichever exit holds it.
  b.closed_destination = DestVoicemail{DestVoicemail::Box::kGroup, 3};
  s = with(s, {}, {b});
  EXPECT_EQ(fallback_cycle(s, 3, DestGroup{1}), std::nullopt);
}

TEST(ExitCycle, TheShortestOfTwoWaysBackIsReported) {
  // A(1) → B(2) by fallback; B → D(4) by fallback and → E(5) when closed; D → C(3) → E;
  // E → A. From A: A → B → E → A is shorter than A → B → D → C → E → A.
  Group b = group_falling_back(2, "B", DestGroup{4});
  b.closed_destination = DestGroup{5};
  Snapshot s =
      with(Snapshot{}, {},
           {make_group(1, "A"), b, group_falling_back(3, "C", DestGroup{5}),
            group_falling_back(4, "D", DestGroup{3}), group_falling_back(5, "E", DestGroup{1})});
  EXPECT_EQ(fallback_cycle(s, 1, DestGroup{2}), (Path{1, 2, 5, 1}));
}

TEST(GroupCycles, ListsEachStoredLoopOnceFromItsLowestId) {
  // 3 ↔ 5 through a fallback and a closed destination; 7 → 8 → 9 → 7 by fallbacks; 1 → 3
  // reaches a loop but is not on one; 10 is closed to itself (stored by hand).
  Group g3 = group_falling_back(3, "G3", DestGroup{5});
  Group g5 = make_group(5, "G5");
  g5.closed_destination = DestGroup{3};
  Group g10 = make_group(10, "G10");
  g10.closed_destination = DestGroup{10};
  Snapshot s = with(
      Snapshot{}, {},
      {group_falling_back(1, "G1", DestGroup{3}), g3, g5, group_falling_back(7, "G7", DestGroup{8}),
       group_falling_back(8, "G8", DestGroup{9}), group_falling_back(9, "G9", DestGroup{7}), g10});
  // These snapshots hold groups only: every node of exit_cycles is a group.
  auto group_cycles = [](const Snapshot& snap) {
    std::vector<Path> out;
    for (const std::vector<FlowNode>& cycle : exit_cycles(snap)) {
      Path ids;
      for (const FlowNode& n : cycle) {
        EXPECT_EQ(n.kind, FlowNode::Kind::kGroup);
        ids.push_back(n.id);
      }
      out.push_back(std::move(ids));
    }
    return out;
  };
  auto cycles = group_cycles(s);
  ASSERT_EQ(cycles.size(), 3u);
  EXPECT_EQ(cycles[0], (Path{3, 5}));
  EXPECT_EQ(cycles[1], (Path{7, 8, 9}));
  EXPECT_EQ(cycles[2], (Path{10}));
  EXPECT_TRUE(group_cycles(with(Snapshot{}, {},
                                {group_falling_back(1, "A", DestGroup{2}), make_group(2, "B")}))
                  .empty());
}

}  // namespace cohort::model
