// routing::route / leave: every kind of destination, closed groups passed through to their
// closed destination (default: the group's voicemail), fallback chains, loops, the hop
// limit, routing gaps; and the caller ID an outside number is dialled with.

#include "routing/flow.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "unit/model/builders.hpp"

namespace cohort::routing {
namespace {

using model::DestGroup;
using model::DestHangup;
using model::DestNumber;
using model::DestUser;
using model::DestVoicemail;
using model::testing::make_group;
using model::testing::make_user;

constexpr std::int64_t kNow = 1'767'225'600'000;  // 2026-01-01T00:00:00Z

class FlowTest : public ::testing::Test {
 protected:
  FlowTest() {
    model::SnapshotPatch p;
    model::User ana = make_user(1);
    model::User off = make_user(2);
    off.active = false;
    model::User quiet = make_user(3);
    quiet.dnd = true;
    p.users = {{1, ana}, {2, off}, {3, quiet}};
    model::Schedule night;
    night.id = 50;
    night.name = "night";
    night.timezone = "Europe/Paris";
    night.override_mode = model::ScheduleOverride::kClosed;
    model::Schedule day = night;
    day.id = 51;
    day.name = "day";
    day.timezone = "America/New_York";
    day.override_mode = model::ScheduleOverride::kOpen;
    p.schedules = {{50, night}, {51, day}};
    // 10 open (day schedule) → 11 → 12 → 10 (a loop); 20 closed → 21 closed → user 1;
    // 30 closed without a closed destination (its voicemail); 40 with no fallback.
    model::Group sales = make_group(10, "Sales");
    sales.schedule = 51;
    sales.fallback = DestGroup{11};
    sales.outbound_caller_id = "010000";
    model::Group support = make_group(11, "Support");
    support.fallback = DestGroup{12};
    model::Group tier2 = make_group(12, "Tier 2");
    tier2.fallback = DestGroup{10};
    model::Group closed_a = make_group(20, "Closed A");
    closed_a.schedule = 50;
    closed_a.closed_destination = DestGroup{21};
    closed_a.fallback = DestNumber{"+15550001"};
    model::Group closed_b = make_group(21, "Closed B");
    closed_b.schedule = 50;
    closed_b.closed_destination = DestUser{1};
    model::Group closed_vm = make_group(30, "Closed VM");
    closed_vm.schedule = 50;
    model::Group nowhere = make_group(40, "Nowhere");
    p.groups = {{10, sales},    {11, support},   {12, tier2},  {20, closed_a},
                {21, closed_b}, {30, closed_vm}, {40, nowhere}};
    snap_ = model::Snapshot().apply(p);
  }

  Step route_to(const model::Destination& d, std::optional<model::GroupId> from = std::nullopt,
                std::vector<model::GroupId> visited = {}, int max_hops = 8) {
    visited_ = std::move(visited);
    return route(snap_, d, from, FlowState{visited_, max_hops}, kNow);
  }

  model::Snapshot snap_;
  std::vector<model::GroupId> visited_;
};

TEST_F(FlowTest, AnOpenGroupIsEnteredWithItsScheduleTimeZone) {
  Step s = route_to(DestGroup{10});
  EXPECT_EQ(s.action, Action(EnterGroup{10, "America/New_York"}));
  EXPECT_EQ(s.entered, std::vector<model::GroupId>{10});
  EXPECT_FALSE(s.left_group);
  EXPECT_FALSE(s.via_fallback);
  // Without a schedule: always open, UTC days.
  EXPECT_EQ(route_to(DestGroup{11}).action, Action(EnterGroup{11, "UTC"}));
}

TEST_F(FlowTest, ClosedGroupsArePassedThroughToTheirClosedDestination) {
  Step s = route_to(DestGroup{20});
  EXPECT_EQ(s.action, Action(RingUser{1}));
  EXPECT_EQ(s.entered, (std::vector<model::GroupId>{20, 21})) << "both were offered the call";
  EXPECT_EQ(s.left_group, 21);
  EXPECT_EQ(s.left_because, LeaveReason::kClosed);
  EXPECT_EQ(s.left_to, model::Destination(DestUser{1}));
  EXPECT_TRUE(s.via_fallback);
}

TEST_F(FlowTest, AClosedGroupWithoutAClosedDestinationGoesToItsVoicemail) {
  Step s = route_to(DestGroup{30});
  EXPECT_EQ(s.action, Action(EnterVoicemail{DestVoicemail{DestVoicemail::Box::kGroup, 30}}));
  EXPECT_EQ(s.left_to, model::Destination(DestVoicemail{DestVoicemail::Box::kGroup, 30}));
  EXPECT_EQ(s.left_because, LeaveReason::kClosed);
}

TEST_F(FlowTest, LeavingFollowsTheFallbackAndNamesWhy) {
  visited_ = {20};
  Step s = leave(snap_, 20, LeaveReason::kNoAnswer, FlowState{visited_, 8}, kNow);
  EXPECT_EQ(s.action, Action(DialNumber{"+15550001", 20})) << "as the group's own call";
  EXPECT_TRUE(s.via_fallback);
  EXPECT_EQ(s.left_group, 20);
  EXPECT_EQ(s.left_because, LeaveReason::kNoAnswer);
  EXPECT_TRUE(s.entered.empty());

  Step to_group = leave(snap_, 10, LeaveReason::kNoAgents, FlowState{visited_, 8}, kNow);
  EXPECT_EQ(to_group.action, Action(EnterGroup{11, "UTC"}));
  EXPECT_EQ(to_group.entered, std::vector<model::GroupId>{11});
}

TEST_F(FlowTest, AGroupWithNowhereToGoEndsTheCallAsItLeft) {
  Step s = leave(snap_, 40, LeaveReason::kNoAgents, FlowState{}, kNow);
  const auto* end = std::get_if<EndCall>(&s.action);
  ASSERT_NE(end, nullptr);
  EXPECT_EQ(end->cause, EndCause::kHangup);
  EXPECT_EQ(end->status, 480);
  EXPECT_EQ(s.left_because, LeaveReason::kNoAgents) << "the CDR says no_agents, not failed";
  EXPECT_FALSE(s.left_to);
}

TEST_F(FlowTest, AFallbackChainBackToAVisitedGroupIsALoop) {
  Step s = leave(snap_, 12, LeaveReason::kNoAnswer,
                 FlowState{std::vector<model::GroupId>{10, 11, 12}, 8}, kNow);
  const auto* end = std::get_if<EndCall>(&s.action);
  ASSERT_NE(end, nullptr);
  EXPECT_EQ(end->cause, EndCause::kFallbackLoop);
  EXPECT_EQ(s.left_because, LeaveReason::kNoAnswer);
}

TEST_F(FlowTest, TheHopLimitCountsEveryGroupIncludingClosedOnes) {
  // Two hops left: 20 and 21 fit (closed, passed through).
  EXPECT_EQ(route_to(DestGroup{20}, std::nullopt, {90, 91}, 4).action, Action(RingUser{1}));
  // One hop left: 21 would be the fifth.
  Step s = route_to(DestGroup{20}, std::nullopt, {90, 91, 92}, 4);
  const auto* end = std::get_if<EndCall>(&s.action);
  ASSERT_NE(end, nullptr);
  EXPECT_EQ(end->cause, EndCause::kHopLimit);
  EXPECT_EQ(s.entered, std::vector<model::GroupId>{20});
}

// Do-not-disturb: a call for the user is busy (486), whether dialled or reached as a fallback.
TEST_F(FlowTest, AUserOnDoNotDisturbIsBusy) {
  for (const std::optional<model::GroupId> from :
       {std::optional<model::GroupId>{}, std::optional<model::GroupId>{40}}) {
    const Step s = route_to(DestUser{3}, from);
    const auto* end = std::get_if<EndCall>(&s.action);
    ASSERT_NE(end, nullptr);
    EXPECT_EQ(end->cause, EndCause::kDoNotDisturb);
    EXPECT_EQ(end->status, 486);
    EXPECT_EQ(end->reason_phrase, "Busy Here");
  }
  EXPECT_EQ(to_string(EndCause::kDoNotDisturb), "do_not_disturb");
}

TEST_F(FlowTest, UsersNumbersVoicemailAndHangup) {
  EXPECT_EQ(route_to(DestUser{1}).action, Action(RingUser{1}));
  EXPECT_FALSE(route_to(DestUser{1}).via_fallback);
  const Step inactive = route_to(DestUser{2});
  ASSERT_TRUE(std::holds_alternative<EndCall>(inactive.action));
  EXPECT_EQ(std::get<EndCall>(inactive.action).cause, EndCause::kInactiveUser);
  EXPECT_EQ(route_to(DestNumber{"+15550002"}).action, Action(DialNumber{"+15550002", std::nullopt}))
      << "an inbound route's number is not a group's call";
  EXPECT_EQ(route_to(DestVoicemail{DestVoicemail::Box::kUser, 1}).action,
            Action(EnterVoicemail{DestVoicemail{DestVoicemail::Box::kUser, 1}}));
  EXPECT_EQ(std::get<EndCall>(route_to(DestHangup{}).action).cause, EndCause::kHangup);
}

TEST_F(FlowTest, DestinationsThatNoLongerExistAreRoutingGaps) {
  for (const model::Destination& d :
       {model::Destination{DestUser{99}}, model::Destination{DestGroup{99}},
        model::Destination{DestVoicemail{DestVoicemail::Box::kGroup, 99}},
        model::Destination{DestVoicemail{DestVoicemail::Box::kUser, 99}}}) {
    const Step s = route_to(d);
    ASSERT_TRUE(std::holds_alternative<EndCall>(s.action));
    EXPECT_EQ(std::get<EndCall>(s.action).cause, EndCause::kRoutingGap);
  }
  EXPECT_EQ(
      std::get<EndCall>(leave(snap_, 99, LeaveReason::kClosed, FlowState{}, kNow).action).cause,
      EndCause::kRoutingGap);
}

TEST_F(FlowTest, TheCallerIdIsTheRulesElseTheGroupsElseTheCallers) {
  std::optional<model::GroupId> group;
  OutboundPlan rule;
  rule.caller_id = "0123";
  rule.group = 11;
  EXPECT_EQ(present_caller_id(snap_, rule, 10, "1001", &group), "0123");
  EXPECT_EQ(group, 11);
  OutboundPlan plain;
  EXPECT_EQ(present_caller_id(snap_, plain, 10, "1001", &group), "010000");
  EXPECT_EQ(group, 10) << "the group whose ID is presented";
  EXPECT_EQ(present_caller_id(snap_, plain, 11, "1001", &group), "1001") << "11 has none";
  EXPECT_EQ(group, std::nullopt);
  EXPECT_EQ(present_caller_id(snap_, plain, std::nullopt, "1001", &group), "1001");
}

}  // namespace
}  // namespace cohort::routing
