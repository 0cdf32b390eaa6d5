#include "routing/outbound.hpp"

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "unit/model/builders.hpp"

namespace cohort::routing {
namespace {

using model::CallerIdPolicy;
using model::CallerIdSetting;
using model::GroupId;
using model::OutboundRule;
using model::OutboundRuleId;
using model::TrunkId;
using model::UserId;

/// A configuration built through Snapshot::apply, as the store publishes it.
struct World {
  std::vector<model::User> users;
  std::vector<model::Group> groups;
  std::vector<model::Trunk> trunks;
  std::map<GroupId, std::vector<UserId>> members;  ///< in position order
  std::vector<OutboundRule> rules;                 ///< in position order

  /// Users 1..6 (extension 1001.., user 2 has its own caller ID), groups Sales (10) and
  /// Support (20) with outbound caller IDs, Ops (30) without, trunks 1..3.
  static World standard() {
    World w;
    for (UserId id = 1; id <= 6; ++id) {
      w.users.push_back(model::testing::make_user(id));
    }
    w.users[1].caller_id = "+4930111";
    w.groups.push_back(model::testing::make_group(10, "Sales"));
    w.groups.back().outbound_caller_id = "+493010";
    w.groups.push_back(model::testing::make_group(20, "Support"));
    w.groups.back().outbound_caller_id = "+493020";
    w.groups.push_back(model::testing::make_group(30, "Ops"));
    // User 1: Sales at 1, Support at 2. User 3: Sales at 3, Support at 1 (the lower position
    // is in the higher group id). User 5: position 4 in both (a tie).
    w.members[10] = {1, 2, 3, 5};
    w.members[20] = {3, 1, 6, 5};
    w.members[30] = {6};
    for (TrunkId id = 1; id <= 3; ++id) {
      w.trunks.push_back(model::testing::make_trunk(id, "trunk" + std::to_string(id)));
    }
    return w;
  }

  OutboundRule& add_rule(OutboundRuleId id, std::vector<std::string> patterns,
                         std::vector<TrunkId> trunks = {1}) {
    OutboundRule r;
    r.id = id;
    r.name = "rule" + std::to_string(id);
    r.position = static_cast<int>(rules.size()) + 1;
    r.patterns = std::move(patterns);
    r.trunks = std::move(trunks);
    rules.push_back(std::move(r));
    return rules.back();
  }

  model::SnapshotPtr snapshot() const {
    model::SnapshotPatch p;
    for (const auto& u : users) {
      p.users.emplace_back(u.id, u);
    }
    for (const auto& g : groups) {
      p.groups.emplace_back(g.id, g);
    }
    for (const auto& t : trunks) {
      p.trunks.emplace_back(t.id, t);
    }
    std::map<UserId, std::vector<model::UserMembership>> groups_of;
    for (const auto& [gid, list] : members) {  // ascending group id, as groups_of() is
      std::vector<model::Member> ms;
      for (std::size_t i = 0; i < list.size(); ++i) {
        const int position = static_cast<int>(i) + 1;
        ms.push_back(model::Member{list[i], position, 0});
        groups_of[list[i]].push_back(model::UserMembership{gid, position, 0});
      }
      p.members.emplace_back(gid, std::move(ms));
    }
    for (auto& [uid, list] : groups_of) {
      p.groups_of.emplace_back(uid, std::move(list));
    }
    p.outbound_rules = rules;
    return std::make_shared<const model::Snapshot>(model::Snapshot().apply(p));
  }
};

/// Who calls: a user id, or kTrunkCaller for a call that came in on trunk 1.
constexpr UserId kTrunkCaller = 0;

OutboundRequest request(const model::Snapshot& snap, UserId caller, std::string_view number) {
  OutboundRequest r;
  r.number = number;
  if (caller == kTrunkCaller) {
    r.from_trunk = 1;
  } else {
    r.caller = snap.user(caller);
    EXPECT_NE(r.caller, nullptr) << "no user " << caller;
  }
  return r;
}

/// plan(), after checking that explain() took the same decision.
OutboundPlan decide(const OutboundTable& table, const OutboundRequest& req) {
  OutboundPlan plan = table.plan(req);
  OutboundPlan explained = table.explain(req);
  EXPECT_EQ(explained.matched, plan.matched);
  EXPECT_EQ(explained.rule, plan.rule);
  EXPECT_EQ(explained.number, plan.number);
  EXPECT_EQ(explained.caller_id, plan.caller_id);
  EXPECT_EQ(explained.group, plan.group);
  EXPECT_EQ(explained.trunks, plan.trunks);
  EXPECT_EQ(explained.reason, plan.reason);
  EXPECT_TRUE(plan.skipped.empty());
  return plan;
}

struct RuleCase {
  std::string number;
  UserId caller;
  OutboundRuleId rule;  ///< 0 = no rule matches
};

void expect_rules(const World& w, const std::vector<RuleCase>& cases) {
  const auto snap = w.snapshot();
  const OutboundTable table(snap);
  for (const auto& c : cases) {
    SCOPED_TRACE("number " + c.number + " caller " + std::to_string(c.caller));
    const OutboundPlan plan = decide(table, request(*snap, c.caller, c.number));
    EXPECT_EQ(plan.matched, c.rule != 0);
    EXPECT_EQ(plan.rule, c.rule);
  }
}

TEST(OutboundRouting, PatternsSelectTheRule) {
  World w = World::standard();
  w.add_rule(1, {"110", "112"});  // literals
  w.add_rule(2, {"_00."});
  w.add_rule(3, {"_0[1-9]XX!"});
  w.add_rule(4, {"_NXXNXXXXXX"});
  w.add_rule(5, {"_+X."});
  w.add_rule(6, {});               // matches nothing
  w.add_rule(7, {"_9[", "_*7X"});  // the broken pattern is ignored, the other still works
  expect_rules(w, {
                      {"110", 1, 1},
                      {"112", 1, 1},
                      {"1100", 1, 0},
                      {"0049301234", 1, 2},
                      {"00", 1, 0},  // '.' needs one more character
                      {"0301", 1, 3},
                      {"030", 1, 0},  // X X needs two more
                      {"0301234567", 1, 3},
                      {"03", 1, 0},
                      {"2125551234", 1, 4},
                      {"1125551234", 1, 0},
                      {"212555123", 1, 0},
                      {"+4930", 1, 5},
                      {"*71", 1, 7},
                      {"9[", 1, 0},
                      {"0a0", 1, 0},
                      {"", 1, 0},
                      // Past the indexed lengths: tails still match, literals too.
                      {"00" + std::string(40, '1'), 1, 2},
                  });
}

TEST(OutboundRouting, FirstRuleInPositionOrderWins) {
  World w = World::standard();
  w.add_rule(11, {"_030."});
  w.add_rule(12, {"_0."});
  w.add_rule(13, {"_030."});
  expect_rules(w, {{"0301234", 1, 11}, {"0401234", 1, 12}});
  std::swap(w.rules[0], w.rules[1]);  // rule 12 first now
  w.rules[0].position = 1;
  w.rules[1].position = 2;
  expect_rules(w, {{"0301234", 1, 12}, {"0401234", 1, 12}});
}

TEST(OutboundRouting, CallerConditions) {
  World w = World::standard();
  w.add_rule(1, {"_0."}).caller_groups = {10};  // Sales
  w.add_rule(2, {"_0."}).caller_users = {4};    // user 4 only
  auto& both = w.add_rule(3, {"_0."});          // Support or user 2
  both.caller_groups = {20};
  both.caller_users = {2};
  w.add_rule(4, {"_0."}).caller_groups = {99};  // a group that does not exist
  w.add_rule(5, {"_00."});                      // anyone
  expect_rules(w, {
                      {"0301", 1, 1},   // in Sales
                      {"0301", 2, 1},   // in Sales (and listed in rule 3)
                      {"0301", 4, 2},   // listed user
                      {"0301", 6, 3},   // in Support
                      {"0301", 3, 1},   // in Sales and Support: the first rule
                      {"0049", 4, 2},   // rule 2 still first for user 4
                      {"00491", 6, 3},  // in Support
                  });
  // A user in no listed group and not listed: only the unconditional rule.
  w.members[10] = {2, 3, 5};
  w.members[20] = {3, 6, 5};
  expect_rules(w, {{"0301", 1, 0}, {"00491", 1, 5}});
}

TEST(OutboundRouting, DeletedGroupDoesNotOpenTheRuleToEveryone) {
  World w = World::standard();
  w.add_rule(1, {"_0."}).caller_groups = {30};
  expect_rules(w, {{"0301", 6, 1}, {"0301", 1, 0}});
  w.groups.pop_back();  // Ops deleted: its memberships go with it
  w.members.erase(30);
  expect_rules(w, {{"0301", 6, 0}, {"0301", 1, 0}});
}

struct CallerIdCase {
  std::string name;
  std::vector<GroupId> caller_groups;
  std::vector<UserId> caller_users;
  std::optional<CallerIdSetting> setting;
  UserId caller;
  std::string caller_id;
  std::optional<GroupId> group;
};

TEST(OutboundRouting, CallerIdPolicies) {
  const CallerIdSetting group{CallerIdPolicy::kGroup, ""};
  const CallerIdSetting user{CallerIdPolicy::kUser, ""};
  const CallerIdSetting fixed{CallerIdPolicy::kFixed, "+4930999"};
  const std::vector<CallerIdCase> cases = {
      {"default with groups is the group", {10}, {}, std::nullopt, 1, "+493010", 10},
      {"default without groups is the user", {}, {}, std::nullopt, 2, "+4930111", std::nullopt},
      {"user without caller ID presents its extension",
       {},
       {},
       std::nullopt,
       1,
       "1001",
       std::nullopt},
      {"explicit user policy despite groups", {10}, {}, user, 1, "1001", std::nullopt},
      {"explicit user policy, own caller ID", {10}, {}, user, 2, "+4930111", std::nullopt},
      {"fixed", {10}, {}, fixed, 1, "+4930999", std::nullopt},
      {"fixed without conditions", {}, {}, fixed, 4, "+4930999", std::nullopt},
      {"group without outbound caller ID falls back to the user",
       {30},
       {},
       std::nullopt,
       6,
       "1006",
       std::nullopt},
      {"matched through caller_users only falls back to the user",
       {10},
       {4},
       std::nullopt,
       4,
       "1004",
       std::nullopt},
      {"listed user who is also in the group gets the group",
       {10},
       {2},
       std::nullopt,
       2,
       "+493010",
       10},
      {"group policy without caller groups is the user",
       {},
       {},
       group,
       2,
       "+4930111",
       std::nullopt},
      {"lowest membership position wins inside one rule",
       {10, 20},
       {},
       std::nullopt,
       1,
       "+493010",
       10},
      {"position before group id", {10, 20}, {}, std::nullopt, 3, "+493020", 20},
      {"order of caller_groups does not matter", {20, 10}, {}, std::nullopt, 1, "+493010", 10},
      {"equal positions: the lower group id", {20, 10}, {}, std::nullopt, 5, "+493010", 10},
      {"lowest matching group lacks a caller ID: the user, not the next group",
       {30, 20},
       {},
       std::nullopt,
       6,
       "1006",
       std::nullopt},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    World w = World::standard();
    auto& r = w.add_rule(1, {"_0."});
    r.caller_groups = c.caller_groups;
    r.caller_users = c.caller_users;
    r.caller_id = c.setting;
    const auto snap = w.snapshot();
    const OutboundTable table(snap);
    const OutboundPlan plan = decide(table, request(*snap, c.caller, "0301"));
    ASSERT_TRUE(plan.matched) << plan.reason;
    EXPECT_EQ(plan.caller_id, c.caller_id);
    EXPECT_EQ(plan.group, c.group);
  }
}

TEST(OutboundRouting, FirstMatchingRuleBeatsMembershipPosition) {
  // User 1 is in Sales at position 1 and Support at 2; the Support rule comes first.
  World w = World::standard();
  w.add_rule(1, {"_0."}).caller_groups = {20};
  w.add_rule(2, {"_0."}).caller_groups = {10};
  const auto snap = w.snapshot();
  const OutboundTable table(snap);
  const OutboundPlan plan = decide(table, request(*snap, 1, "0301"));
  EXPECT_EQ(plan.rule, 1);
  EXPECT_EQ(plan.caller_id, "+493020");
  EXPECT_EQ(plan.group, 20);
}

struct NumberCase {
  int strip;
  std::string prepend;
  std::string dialled;
  std::optional<std::string> sent;  ///< nullopt = the rule does not match
};

TEST(OutboundRouting, StripAndPrepend) {
  const std::vector<NumberCase> cases = {
      {0, "", "0301234", "0301234"},
      {1, "+49", "0301234", "+49301234"},
      {0, "+", "0049301234", "+0049301234"},
      {2, "+", "0049301234", "+49301234"},
      {3, "", "0049", "9"},
      {4, "", "0049", std::nullopt},  // strip == length: nothing left to send
      {7, "+49", "0049", std::nullopt},
      {-2, "", "0301", "0301"},  // a negative strip strips nothing
  };
  for (const auto& c : cases) {
    SCOPED_TRACE("strip " + std::to_string(c.strip) + " of " + c.dialled);
    World w = World::standard();
    auto& r = w.add_rule(1, {"_0."});
    r.strip = c.strip;
    r.prepend = c.prepend;
    const auto snap = w.snapshot();
    const OutboundTable table(snap);
    const OutboundPlan plan = decide(table, request(*snap, 1, c.dialled));
    EXPECT_EQ(plan.matched, c.sent.has_value());
    if (c.sent) {
      EXPECT_EQ(plan.number, *c.sent);
    } else {
      const OutboundPlan explained = table.explain(request(*snap, 1, c.dialled));
      ASSERT_EQ(explained.skipped.size(), 1u);
      EXPECT_EQ(explained.skipped[0].reason, "number shorter than strip");
    }
  }
}

TEST(OutboundRouting, StripTooLongFallsThroughToTheNextRule) {
  World w = World::standard();
  w.add_rule(1, {"_0X!"}).strip = 3;
  w.add_rule(2, {"_0X!"});
  expect_rules(w, {{"0301", 1, 1}, {"030", 1, 2}, {"03", 1, 2}});
}

TEST(OutboundRouting, TrunksInOrderWithoutDeletedOnes) {
  World w = World::standard();
  w.add_rule(1, {"_0."}, {3, 1, 2});
  w.add_rule(2, {"_0."}, {2});
  {
    const auto snap = w.snapshot();
    const OutboundPlan plan = decide(OutboundTable(snap), request(*snap, 1, "0301"));
    EXPECT_EQ(plan.rule, 1);
    EXPECT_EQ(plan.trunks, (std::vector<TrunkId>{3, 1, 2}));
  }
  w.trunks.erase(w.trunks.begin());  // trunk 1 deleted
  {
    const auto snap = w.snapshot();
    const OutboundPlan plan = decide(OutboundTable(snap), request(*snap, 1, "0301"));
    EXPECT_EQ(plan.rule, 1);
    EXPECT_EQ(plan.trunks, (std::vector<TrunkId>{3, 2}));
  }
  w.rules[0].trunks = {1, 7};  // every trunk of rule 1 gone: the next rule
  {
    const auto snap = w.snapshot();
    const OutboundTable table(snap);
    const OutboundPlan plan = decide(table, request(*snap, 1, "0301"));
    EXPECT_EQ(plan.rule, 2);
    EXPECT_EQ(plan.trunks, (std::vector<TrunkId>{2}));
    const OutboundPlan explained = table.explain(request(*snap, 1, "0301"));
    EXPECT_EQ(explained.skipped, (std::vector<SkippedRule>{{1, "rule1", "no existing trunk"}}));
  }
  w.rules[1].trunks = {};
  {
    const auto snap = w.snapshot();
    const OutboundPlan plan = decide(OutboundTable(snap), request(*snap, 1, "0301"));
    EXPECT_FALSE(plan.matched);
    EXPECT_TRUE(plan.trunks.empty());
  }
}

TEST(OutboundRouting, TrunkCallersOnlyTakeRulesThatAllowThem) {
  World w = World::standard();
  w.add_rule(1, {"_0."});  // local users only (the default)
  auto& grouped = w.add_rule(2, {"_0."});
  grouped.caller_groups = {10};
  grouped.allow_trunk_callers = true;  // a trunk caller is in no group
  auto& users = w.add_rule(3, {"_0."});
  users.caller_users = {1};
  users.allow_trunk_callers = true;
  w.add_rule(4, {"_00."}).allow_trunk_callers = true;
  auto& fixed = w.add_rule(5, {"_01."});
  fixed.allow_trunk_callers = true;
  fixed.caller_id = CallerIdSetting{CallerIdPolicy::kFixed, "+4930999"};
  w.add_rule(6, {"_02."}).allow_trunk_callers = true;
  w.rules.back().caller_id = CallerIdSetting{CallerIdPolicy::kGroup, ""};
  expect_rules(w, {
                      {"0301", kTrunkCaller, 0},
                      {"0049301", kTrunkCaller, 4},
                      {"0301", 4, 1},  // a local user ignores allow_trunk_callers
                      {"0049301", 4, 1},
                  });
  const auto snap = w.snapshot();
  const OutboundTable table(snap);
  // The shell keeps the original From when caller_id is empty.
  EXPECT_EQ(decide(table, request(*snap, kTrunkCaller, "0049301")).caller_id, "");
  EXPECT_EQ(decide(table, request(*snap, kTrunkCaller, "0123")).caller_id, "+4930999");
  const OutboundPlan group_policy = decide(table, request(*snap, kTrunkCaller, "0223"));
  EXPECT_EQ(group_policy.rule, 6);
  EXPECT_EQ(group_policy.caller_id, "");
  EXPECT_EQ(group_policy.group, std::nullopt);

  // A request with neither a user nor a trunk is treated like a trunk call, not a user.
  OutboundRequest anonymous;
  anonymous.number = "0301";
  EXPECT_FALSE(decide(table, anonymous).matched);
}

TEST(OutboundRouting, GroupFallbackCallsTakeOpenRulesAndTheirGroupsRules) {
  World w = World::standard();
  auto& support = w.add_rule(1, {"_0."}, {2});  // another group's rule: not for Sales
  support.caller_groups = {20};
  auto& users = w.add_rule(2, {"_0."}, {2});  // a users-only rule never holds for a group
  users.caller_users = {1};
  w.add_rule(3, {"_00."}, {1});  // open, no allow_trunk_callers: still taken
  auto& sales = w.add_rule(4, {"_0."}, {3});
  sales.caller_groups = {10};
  auto& fixed = w.add_rule(5, {"_9."}, {1});
  fixed.caller_id = CallerIdSetting{CallerIdPolicy::kFixed, "+4930999"};
  const auto snap = w.snapshot();
  const OutboundTable table(snap);
  auto as_group = [&](GroupId g, std::string_view number) {
    OutboundRequest r;
    r.number = number;
    r.as_group = g;
    return decide(table, r);
  };
  const OutboundPlan open = as_group(10, "0049301");
  EXPECT_EQ(open.rule, 3);
  EXPECT_EQ(open.caller_id, "") << "policy user: the shell presents the group's own";
  const OutboundPlan own = as_group(10, "0301");
  EXPECT_EQ(own.rule, 4);
  EXPECT_EQ(own.caller_id, "+493010");
  EXPECT_EQ(own.group, 10);
  EXPECT_EQ(own.trunks, std::vector<TrunkId>{3});
  EXPECT_EQ(as_group(20, "0301").rule, 1);
  EXPECT_EQ(as_group(20, "0301").caller_id, "+493020");
  EXPECT_EQ(as_group(30, "0301").matched, false) << "Ops is in no rule's groups";
  EXPECT_EQ(as_group(30, "9123").caller_id, "+4930999");
  // Without as_group the same anonymous request is a trunk call and takes nothing.
  OutboundRequest anonymous;
  anonymous.number = "0049301";
  EXPECT_FALSE(decide(table, anonymous).matched);
}

TEST(OutboundRouting, ExplainGivesTheFirstReasonOfEachSkippedRule) {
  World w = World::standard();
  w.add_rule(1, {"_1."});
  w.add_rule(2, {"_0."}).strip = 10;
  auto& groups = w.add_rule(3, {"_0."});
  groups.caller_groups = {20, 99};
  auto& both = w.add_rule(4, {"_0."});
  both.caller_groups = {30};
  both.caller_users = {2, 77};
  w.add_rule(5, {"_0."}).caller_users = {3};
  w.add_rule(6, {"_0."}, {42});
  // Fails on pattern, strip, caller and trunks at once: the pattern comes first.
  auto& all = w.add_rule(7, {"_1."}, {42});
  all.caller_groups = {20};
  all.strip = 10;
  w.add_rule(8, {"_0."});
  w.add_rule(9, {"_0."});
  const auto snap = w.snapshot();
  const OutboundTable table(snap);

  const OutboundPlan plan = table.explain(request(*snap, 4, "0301"));
  EXPECT_TRUE(plan.matched);
  EXPECT_EQ(plan.rule, 8);
  EXPECT_EQ(plan.rule_name, "rule8");
  const std::vector<SkippedRule> expected = {
      {1, "rule1", "number does not match any pattern"},
      {2, "rule2", "number shorter than strip"},
      {3, "rule3", "caller is not in groups [Support, #99]"},
      {4, "rule4", "caller is not in groups [Ops] nor one of users [1002, #77]"},
      {5, "rule5", "caller is not one of users [1003]"},
      {6, "rule6", "no existing trunk"},
      {7, "rule7", "number does not match any pattern"},
  };
  EXPECT_EQ(plan.skipped, expected);

  const OutboundPlan trunk = table.explain(request(*snap, kTrunkCaller, "0301"));
  EXPECT_FALSE(trunk.matched);
  ASSERT_EQ(trunk.skipped.size(), 9u);
  EXPECT_EQ(trunk.skipped[2].reason, "caller is not in groups [Support, #99]");
  EXPECT_EQ(trunk.skipped[7].reason, "calls from trunks not allowed");
  EXPECT_EQ(trunk.skipped[8].reason, "calls from trunks not allowed");
  EXPECT_EQ(trunk.reason, "no outbound rule matches 0301 for a call from trunk trunk1");
}

TEST(OutboundRouting, NoMatchSaysWhatAndForWhom) {
  World w = World::standard();
  w.add_rule(1, {"_1."});
  w.add_rule(2, {"_2."});
  const auto snap = w.snapshot();
  const OutboundTable table(snap);
  const OutboundPlan plan = decide(table, request(*snap, 1, "0049301234"));
  EXPECT_FALSE(plan.matched);
  EXPECT_EQ(plan.rule, 0);
  EXPECT_EQ(plan.reason, "no outbound rule matches 0049301234 for caller 1001");
  const OutboundPlan explained = table.explain(request(*snap, 1, "0049301234"));
  EXPECT_EQ(explained.skipped.size(), 2u);  // every rule when none matched
  EXPECT_EQ(
      OutboundTable(World::standard().snapshot()).plan(request(*snap, 1, "0049301234")).reason,
      "no outbound rule matches 0049301234 for caller 1001");
}

TEST(OutboundRouting, VersionIsTheSnapshots) {
  World w = World::standard();
  w.add_rule(1, {"_0."});
  const auto snap = w.snapshot();
  const auto next = std::make_shared<const model::Snapshot>(
      snap->apply(model::SnapshotPatch{.users = {{9, model::testing::make_user(9)}}}));
  EXPECT_EQ(OutboundTable(snap).version(), snap->version());
  EXPECT_EQ(OutboundTable(next).version(), snap->version() + 1);
}

// ---- property: plan() (indexed) and explain() (linear walk) agree ------------------------

/// Random rule sets over a small alphabet of patterns, groups and users, so that rules
/// often match the number but fail on the caller, the strip or the trunks. The rule counts
/// cover one bitset word, several words, and more than the stack buffer of plan().
class PlanAgreesWithExplain : public ::testing::TestWithParam<int> {};

TEST_P(PlanAgreesWithExplain, OnRandomInputs) {
  const int rule_count = GetParam();
  std::mt19937 rng(20261122u + static_cast<unsigned>(rule_count));
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  const std::vector<std::string> pool = {
      "_0.",        "_00X.",
      "_0[1-5]X!",  "_NXX",
      "110",        "_+X.",
      "_X!",        "_9.",
      "_[13579]XX", "_0[",
      "_*7X",       "_0049XXXX",
      "_1.",        "_ZZZ!",
      "#31#",       "_00" + std::string(34, 'X') + "!"};  // a pattern longer than the length index

  World w;
  for (UserId id = 1; id <= 20; ++id) {
    w.users.push_back(model::testing::make_user(id));
    if (pick(2) == 0) {
      w.users.back().caller_id = "+49" + std::to_string(id);
    }
  }
  for (GroupId id = 1; id <= 12; ++id) {
    w.groups.push_back(model::testing::make_group(id, "g" + std::to_string(id)));
    if (pick(3) != 0) {
      w.groups.back().outbound_caller_id = "+4930" + std::to_string(id);
    }
    for (UserId u = 1; u <= 20; ++u) {
      if (pick(4) == 0) {
        w.members[id].push_back(u);
      }
    }
    std::shuffle(w.members[id].begin(), w.members[id].end(), rng);
  }
  for (TrunkId id = 1; id <= 4; ++id) {
    w.trunks.push_back(model::testing::make_trunk(id, "t" + std::to_string(id)));
  }
  for (int i = 0; i < rule_count; ++i) {
    std::vector<std::string> patterns;
    for (int k = pick(3); k >= 0; --k) {
      patterns.push_back(pool[static_cast<std::size_t>(pick(static_cast<int>(pool.size())))]);
    }
    std::vector<TrunkId> trunks;
    for (int k = pick(3); k > 0; --k) {
      trunks.push_back(1 + pick(6));  // 5 and 6 do not exist
    }
    auto& r = w.add_rule(1000 + i, patterns, trunks);
    if (pick(2) == 0) {
      for (int k = pick(3); k >= 0; --k) {
        r.caller_groups.push_back(1 + pick(14));  // 13 and 14 do not exist
      }
    }
    if (pick(3) == 0) {
      for (int k = pick(2); k >= 0; --k) {
        r.caller_users.push_back(1 + pick(22));
      }
    }
    r.strip = pick(4) == 0 ? pick(6) : 0;
    r.prepend = pick(2) == 0 ? "+49" : "";
    r.allow_trunk_callers = pick(3) == 0;
    switch (pick(4)) {
      case 0:
        r.caller_id = CallerIdSetting{CallerIdPolicy::kGroup, ""};
        break;
      case 1:
        r.caller_id = CallerIdSetting{CallerIdPolicy::kUser, ""};
        break;
      case 2:
        r.caller_id = CallerIdSetting{CallerIdPolicy::kFixed, "+4930999"};
        break;
      default:
        break;
    }
  }
  const auto snap = w.snapshot();
  const OutboundTable table(snap);

  const std::string alphabet = "0123456789*#+a";
  const std::vector<std::string> prefixes = {"", "0", "00", "0049", "9", "1", "+", "*7", "#"};
  int matched = 0;
  const int requests = 600;
  for (int n = 0; n < requests; ++n) {
    std::string number =
        prefixes[static_cast<std::size_t>(pick(static_cast<int>(prefixes.size())))];
    const int extra = pick(5) == 0 ? pick(45) : pick(10);
    for (int k = 0; k < extra; ++k) {
      // Mostly digits; now and then a character no pattern accepts.
      number += pick(20) == 0 ? alphabet[static_cast<std::size_t>(pick(14))]
                              : static_cast<char>('0' + pick(10));
    }
    const UserId caller = pick(8) == 0 ? kTrunkCaller : 1 + pick(20);
    SCOPED_TRACE("number '" + number + "' caller " + std::to_string(caller));
    const OutboundRequest req = request(*snap, caller, number);
    const OutboundPlan plan = decide(table, req);
    const OutboundPlan explained = table.explain(req);
    if (explained.matched) {
      ++matched;
      // Every rule before the match is skipped, none after.
      ASSERT_LT(explained.skipped.size(), w.rules.size());
      EXPECT_EQ(w.rules[explained.skipped.size()].id, plan.rule);
    } else {
      EXPECT_EQ(explained.skipped.size(), w.rules.size());
    }
  }
  RecordProperty("matched", matched);
  // The inputs must exercise both outcomes, or agreement proves little.
  EXPECT_GT(matched, requests / 10);
  EXPECT_LT(matched, requests * 9 / 10);
}

INSTANTIATE_TEST_SUITE_P(RuleCounts, PlanAgreesWithExplain, ::testing::Values(20, 150, 4200));

}  // namespace
}  // namespace cohort::routing
