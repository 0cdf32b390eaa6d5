// Call forwarding in routing::route and routing::forward: always, do-not-disturb with and
// without a busy forwarding, busy (on a call, or every phone busy), no answer, unreachable,
// chains, loops back to a user or into a group, the hop limit counting forwards, and a
// forward to a number dialled as the forwarding user's call.

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "routing/flow.hpp"
#include "unit/model/builders.hpp"

namespace cohort::routing {
namespace {

using model::DestGroup;
using model::DestNumber;
using model::DestUser;
using model::ForwardReason;
using model::testing::make_group;
using model::testing::make_user;

constexpr std::int64_t kNow = 1'767'225'600'000;  // 2026-01-01T00:00:00Z

class ForwardingTest : public ::testing::Test {
 protected:
  ForwardingTest() {
    model::SnapshotPatch p;
    auto add = [&](model::User u) { p.users.emplace_back(u.id, std::move(u)); };
    add(make_user(1));  // no forwarding
    model::User bob = make_user(2);
    bob.forward_always = DestUser{3};
    add(bob);
    model::User cat = make_user(3);
    cat.forward_always = DestUser{2};  // 2 ↔ 3
    add(cat);
    model::User dan = make_user(4);
    dan.forward_busy = DestUser{1};
    dan.forward_no_answer = DestGroup{10};
    dan.forward_no_answer_s = 15;
    add(dan);
    model::User eve = make_user(5);
    eve.dnd = true;
    eve.forward_busy = DestNumber{"+4930123"};
    add(eve);
    model::User fay = make_user(6);
    fay.dnd = true;
    add(fay);
    model::User gus = make_user(7);
    gus.forward_always = DestGroup{10};  // whose fallback is gus again
    add(gus);
    model::User hal = make_user(8);
    hal.forward_busy = DestNumber{"+4930999"};
    add(hal);
    model::User ivy = make_user(9);  // dnd and always: always wins
    ivy.dnd = true;
    ivy.forward_always = DestUser{1};
    add(ivy);
    model::User jon = make_user(12);
    jon.forward_always = DestGroup{11};
    add(jon);
    model::User kim = make_user(13);
    kim.forward_always = DestGroup{11};  // group 11's fallback: back into 11
    add(kim);
    // 20 → 21 → … → 29, each forwarding always to the next.
    for (model::UserId id = 20; id <= 29; ++id) {
      model::User u = make_user(id);
      if (id < 29) {
        u.forward_always = DestUser{id + 1};
      }
      add(u);
    }
    model::Group sales = make_group(10, "Sales");
    sales.fallback = DestUser{7};
    model::Group support = make_group(11, "Support");
    support.fallback = DestUser{13};
    p.groups = {{10, sales}, {11, support}};
    snap_ = model::Snapshot().apply(p);
  }

  FlowState state(int max_hops = 8) {
    FlowState s{visited_, max_hops, users_, forwards_, {}};
    s.facts = [this](model::UserId u) {
      UserFacts f;
      f.registered =
          std::find(unregistered_.begin(), unregistered_.end(), u) == unregistered_.end();
      f.on_call = std::find(on_call_.begin(), on_call_.end(), u) != on_call_.end();
      return f;
    };
    return s;
  }

  Step to_user(model::UserId u, int max_hops = 8) {
    return route(snap_, DestUser{u}, std::nullopt, state(max_hops), kNow);
  }

  /// What the shell does with a step: remember its groups, users and forwards.
  void took(const Step& s) {
    visited_.insert(visited_.end(), s.entered.begin(), s.entered.end());
    users_.insert(users_.end(), s.users.begin(), s.users.end());
    forwards_ += s.forwards;
  }

  model::Snapshot snap_;
  std::vector<model::GroupId> visited_;
  std::vector<model::UserId> users_;
  int forwards_ = 0;
  std::vector<model::UserId> unregistered_;
  std::vector<model::UserId> on_call_;
};

TEST_F(ForwardingTest, AUserWithoutForwardingRingsWithoutANoAnswerDeadline) {
  Step s = to_user(1);
  EXPECT_EQ(s.action, Action(RingUser{1, 0}));
  EXPECT_EQ(s.users, (std::vector<model::UserId>{1}));
  EXPECT_EQ(s.forwards, 0);
  EXPECT_FALSE(s.forwarded_from);
}

TEST_F(ForwardingTest, AlwaysIsFollowedWithoutRingingTheUser) {
  Step s = route(snap_, DestUser{4}, std::nullopt, state(), kNow);  // no always: rings
  EXPECT_EQ(s.action, Action(RingUser{4, 15})) << "the no-answer forwarding's delay";
  s = to_user(9);  // dnd and always: the always forwarding wins
  EXPECT_EQ(s.action, Action(RingUser{1, 0}));
  EXPECT_EQ(s.forwarded_from, 9);
  EXPECT_EQ(s.forward_reason, ForwardReason::kAlways);
  EXPECT_EQ(s.users, (std::vector<model::UserId>{9, 1}));
  EXPECT_EQ(s.forwards, 1);
}

TEST_F(ForwardingTest, ALoopOfAlwaysForwardsEndsTheCall482) {
  Step s = to_user(2);  // 2 → 3 → 2
  const auto* end = std::get_if<EndCall>(&s.action);
  ASSERT_NE(end, nullptr);
  EXPECT_EQ(end->cause, EndCause::kForwardLoop);
  EXPECT_EQ(end->status, 482);
  EXPECT_EQ(s.forwarded_from, 2) << "the first forward is the record's";
  EXPECT_EQ(s.forwards, 2);
  EXPECT_EQ(to_string(EndCause::kForwardLoop), "forward_loop");
}

TEST_F(ForwardingTest, DoNotDisturbTakesTheBusyForwardingElseIsBusy) {
  Step s = to_user(5);
  EXPECT_EQ(s.action, Action(DialNumber{"+4930123", std::nullopt, 5}))
      << "dialled as the forwarding user's call";
  EXPECT_EQ(s.forward_reason, ForwardReason::kDnd);
  s = to_user(6);
  const auto* end = std::get_if<EndCall>(&s.action);
  ASSERT_NE(end, nullptr);
  EXPECT_EQ(end->cause, EndCause::kDoNotDisturb);
  EXPECT_EQ(end->status, 486);
  EXPECT_FALSE(s.forwarded_from);
}

TEST_F(ForwardingTest, AUserOnACallWithABusyForwardingIsForwardedAtOnce) {
  on_call_ = {4, 1};
  Step s = to_user(4);
  EXPECT_EQ(s.action, Action(RingUser{1, 0})) << "user 1 on a call but without forwarding rings";
  EXPECT_EQ(s.forward_reason, ForwardReason::kBusy);
  EXPECT_EQ(s.forwarded_from, 4);
}

TEST_F(ForwardingTest, AnUnreachableUserTakesItsNoAnswerElseItsBusyForwarding) {
  unregistered_ = {4, 8, 1};
  Step s = to_user(4);
  EXPECT_EQ(s.action, Action(EnterGroup{10, "UTC"}));
  EXPECT_EQ(s.forward_reason, ForwardReason::kUnavailable);
  s = to_user(8);
  EXPECT_EQ(s.action, Action(DialNumber{"+4930999", std::nullopt, 8}));
  EXPECT_EQ(s.forward_reason, ForwardReason::kUnavailable);
  // Without forwarding the shell rings nobody and ends the call 480, as before.
  EXPECT_EQ(to_user(1).action, Action(RingUser{1, 0}));
}

TEST_F(ForwardingTest, BusyAndNoAnswerAfterRingingFollowTheirOwnDestinations) {
  took(to_user(4));
  auto busy = forward(snap_, 4, ForwardReason::kBusy, state(), kNow);
  ASSERT_TRUE(busy);
  EXPECT_EQ(busy->action, Action(RingUser{1, 0}));
  EXPECT_EQ(busy->forwarded_from, 4);
  EXPECT_EQ(busy->forward_reason, ForwardReason::kBusy);
  auto no_answer = forward(snap_, 4, ForwardReason::kNoAnswer, state(), kNow);
  ASSERT_TRUE(no_answer);
  EXPECT_EQ(no_answer->action, Action(EnterGroup{10, "UTC"}));
  EXPECT_EQ(no_answer->entered, (std::vector<model::GroupId>{10}));
  EXPECT_EQ(no_answer->forward_reason, ForwardReason::kNoAnswer);
  auto failed = forward(snap_, 4, ForwardReason::kUnavailable, state(), kNow);
  ASSERT_TRUE(failed);
  EXPECT_EQ(failed->action, Action(EnterGroup{10, "UTC"}));
}

TEST_F(ForwardingTest, NoForwardingForTheReasonLeavesTheCallAsItWas) {
  took(to_user(1));
  EXPECT_FALSE(forward(snap_, 1, ForwardReason::kBusy, state(), kNow));
  EXPECT_FALSE(forward(snap_, 1, ForwardReason::kNoAnswer, state(), kNow));
  EXPECT_FALSE(forward(snap_, 1, ForwardReason::kUnavailable, state(), kNow));
  EXPECT_FALSE(forward(snap_, 8, ForwardReason::kNoAnswer, state(), kNow)) << "busy only";
  EXPECT_FALSE(forward(snap_, 999, ForwardReason::kBusy, state(), kNow)) << "deleted user";
}

TEST_F(ForwardingTest, AForwardBackToAUserAlreadyRungIsALoop) {
  // 4 busy → 1; were 1 then to forward back to 4, the call would come back: loop.
  took(to_user(4));
  users_.push_back(1);
  model::SnapshotPatch p;
  model::User one = *snap_.user(1);
  one.forward_no_answer = DestUser{4};
  p.users = {{1, one}};
  snap_ = snap_.apply(p);
  auto s = forward(snap_, 1, ForwardReason::kNoAnswer, state(), kNow);
  ASSERT_TRUE(s);
  const auto* end = std::get_if<EndCall>(&s->action);
  ASSERT_NE(end, nullptr);
  EXPECT_EQ(end->cause, EndCause::kForwardLoop);
}

TEST_F(ForwardingTest, AForwardThroughAGroupBackToTheUserIsALoop) {
  // 7 always → group 10, whose fallback is 7: 7 was already the call's.
  Step s = to_user(7);
  EXPECT_EQ(s.action, Action(EnterGroup{10, "UTC"}));
  took(s);
  Step back = leave(snap_, 10, LeaveReason::kNoAnswer, state(), kNow);
  const auto* end = std::get_if<EndCall>(&back.action);
  ASSERT_NE(end, nullptr);
  EXPECT_EQ(end->cause, EndCause::kForwardLoop);
  EXPECT_EQ(end->status, 482);
}

TEST_F(ForwardingTest, AForwardBackIntoAGroupTheCallWasInIsAForwardLoop) {
  // 12 always → group 11, fallback user 13, who forwards always to group 11 again.
  Step s = to_user(12);
  took(s);
  Step back = leave(snap_, 11, LeaveReason::kNoAnswer, state(), kNow);
  const auto* end = std::get_if<EndCall>(&back.action);
  ASSERT_NE(end, nullptr);
  EXPECT_EQ(end->cause, EndCause::kForwardLoop);
  EXPECT_TRUE(back.via_fallback);
}

TEST_F(ForwardingTest, TheHopLimitCountsForwards) {
  Step s = to_user(20, /*max_hops=*/8);  // 20 → 21 → … : the eighth forward is refused
  const auto* end = std::get_if<EndCall>(&s.action);
  ASSERT_NE(end, nullptr);
  EXPECT_EQ(end->cause, EndCause::kHopLimit);
  EXPECT_EQ(s.forwards, 8);
  // Ten hops allowed: 20 … 29 is nine forwards, and 29 rings.
  EXPECT_EQ(to_user(20, 10).action, Action(RingUser{29, 0}));
  // Groups and forwards share the limit.
  visited_ = {90, 91, 92, 93, 94, 95, 96};
  EXPECT_EQ(to_user(29).action, Action(RingUser{29, 0})) << "no forward: no hop";
  Step g = to_user(7);
  const auto* limited = std::get_if<EndCall>(&g.action);
  ASSERT_NE(limited, nullptr) << "7 groups + 1 forward = 8: the group is one too many";
  EXPECT_EQ(limited->cause, EndCause::kHopLimit);
}

TEST_F(ForwardingTest, AGroupFallbackToAUserAppliesItsForwarding) {
  // Group 11's fallback is 13, who forwards always into 11: reached from the group, the
  // user's forwarding applies (only the group's own member attempts ignore it).
  visited_ = {11};
  Step s = leave(snap_, 11, LeaveReason::kNoAgents, state(), kNow);
  EXPECT_EQ(s.forwarded_from, 13);
  ASSERT_NE(std::get_if<EndCall>(&s.action), nullptr);
}

}  // namespace
}  // namespace cohort::routing
