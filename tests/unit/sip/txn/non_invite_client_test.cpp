// RFC 3261 §17.1.2 non-INVITE client transaction (Figure 6).

#include <gtest/gtest.h>

#include "sip/txn/client.hpp"
#include "txn_test_util.hpp"

namespace cohort::sip::txn::test {
namespace {

using H = Harness<NonInviteClient>;

sip::Message make_register() {
  Req r;
  r.method = sip::Method::kRegister;
  r.request_uri = "sip:example.com";
  return request(r);
}

TEST(NonInviteClient, StartSendsTheRequestAndArmsEAndFOnUdp) {
  const sip::Message reg = make_register();
  H h{NonInviteClient(reg, false)};
  EXPECT_EQ(h.start(), "send:REGISTER E=500 F=32000");
  EXPECT_EQ(sent(h.last()).at(0), reg.bytes());
  EXPECT_EQ(h.machine().state(), State::kTrying);
}

TEST(NonInviteClient, StartArmsOnlyFOnReliableTransports) {
  const sip::Message reg = make_register();
  H h{NonInviteClient(reg, true)};
  EXPECT_EQ(h.start(), "send:REGISTER F=32000");
  EXPECT_EQ(h.fire(TimerName::kF), "timeout terminated");
}

TEST(NonInviteClient, TimerEDoublesUpToT2InTryingThenFTimesOut) {
  const sip::Message reg = make_register();
  H h{NonInviteClient(reg, false)};
  h.start();
  // §17.1.2.2: E = min(2^n * T1, T2): 500, 1000, 2000, 4000, 4000 …
  const std::vector<int> next = {1000, 2000, 4000, 4000, 4000, 4000, 4000, 4000, 4000, 4000};
  const std::vector<int> at = {500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500};
  for (std::size_t i = 0; i < next.size(); ++i) {
    EXPECT_EQ(h.fire(TimerName::kE), "send:REGISTER E=" + std::to_string(next[i])) << i;
    EXPECT_EQ(h.elapsed().count(), at[i]) << i;
    EXPECT_EQ(sent(h.last()).at(0), reg.bytes());
  }
  EXPECT_EQ(h.fire(TimerName::kF), "timeout terminated");
  EXPECT_EQ(h.elapsed().count(), 32000);
}

TEST(NonInviteClient, TimerEIsT2InProceeding) {
  const sip::Message reg = make_register();
  H h{NonInviteClient(reg, false)};
  h.start();
  EXPECT_EQ(h.fire(TimerName::kE), "send:REGISTER E=1000");
  EXPECT_EQ(h.receive(response_bytes(reg, 100)), "deliver:100");
  EXPECT_EQ(h.machine().state(), State::kProceeding);
  EXPECT_EQ(h.fire(TimerName::kE), "send:REGISTER E=4000");
  EXPECT_EQ(h.fire(TimerName::kE), "send:REGISTER E=4000");
  EXPECT_EQ(h.fire(TimerName::kF), "timeout terminated");
}

TEST(NonInviteClient, SmallT2CapsEarly) {
  const sip::Message reg = make_register();
  H h{NonInviteClient(reg, false, TimerConfig{.t1 = Duration{500}, .t2 = Duration{1500}})};
  h.start();
  EXPECT_EQ(h.fire(TimerName::kE), "send:REGISTER E=1000");
  EXPECT_EQ(h.fire(TimerName::kE), "send:REGISTER E=1500");
  EXPECT_EQ(h.fire(TimerName::kE), "send:REGISTER E=1500");
}

struct Step {
  const char* event;  // a status, a timer name, or "transport"
  const char* actions;
  State after;
};
struct Scenario {
  const char* name;
  bool reliable;
  std::vector<Step> steps;
};

class NonInviteClientScenario : public ::testing::TestWithParam<Scenario> {};

TEST_P(NonInviteClientScenario, Runs) {
  const Scenario& s = GetParam();
  const sip::Message reg = make_register();
  H h{NonInviteClient(reg, s.reliable)};
  h.start();
  for (const Step& step : s.steps) {
    const std::string what = step.event;
    std::string got;
    if (what == "E") {
      got = h.fire(TimerName::kE);
    } else if (what == "F") {
      got = h.fire(TimerName::kF);
    } else if (what == "K") {
      got = h.fire(TimerName::kK);
    } else if (what == "transport") {
      got = h.on(TransportFailed{});
    } else {
      got = h.receive(response_bytes(reg, std::stoi(what)));
    }
    EXPECT_EQ(got, step.actions) << s.name << " at " << what;
    EXPECT_EQ(h.machine().state(), step.after) << s.name << " at " << what;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Figure6, NonInviteClientScenario,
    ::testing::Values(Scenario{"trying_final_completed_k",
                               false,
                               {{"200", "cancel:E cancel:F deliver:200 K=5000", State::kCompleted},
                                {"200", "", State::kCompleted},
                                {"100", "", State::kCompleted},
                                {"K", "terminated", State::kTerminated}}},
                      Scenario{"trying_1xx_proceeding_final",
                               false,
                               {{"100", "deliver:100", State::kProceeding},
                                {"180", "deliver:180", State::kProceeding},
                                {"E", "send:REGISTER E=4000", State::kProceeding},
                                {"401", "cancel:E cancel:F deliver:401 K=5000", State::kCompleted},
                                {"401", "", State::kCompleted},
                                {"K", "terminated", State::kTerminated}}},
                      Scenario{"trying_final_reliable_k_is_zero",
                               true,
                               {{"404", "cancel:F deliver:404 terminated", State::kTerminated}}},
                      Scenario{"proceeding_final_reliable",
                               true,
                               {{"100", "deliver:100", State::kProceeding},
                                {"603", "cancel:F deliver:603 terminated", State::kTerminated}}},
                      Scenario{"proceeding_timeout",
                               true,
                               {{"100", "deliver:100", State::kProceeding},
                                {"F", "timeout terminated", State::kTerminated}}},
                      Scenario{"trying_transport_error",
                               false,
                               {{"transport", "transport-error terminated", State::kTerminated}}},
                      Scenario{"proceeding_transport_error",
                               false,
                               {{"100", "deliver:100", State::kProceeding},
                                {"transport", "transport-error terminated", State::kTerminated}}},
                      Scenario{"terminated_ignores_everything",
                               true,
                               {{"F", "timeout terminated", State::kTerminated},
                                {"200", "", State::kTerminated},
                                {"transport", "", State::kTerminated}}}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(NonInviteClient, StaleTimersAreIgnoredInCompleted) {
  const sip::Message reg = make_register();
  H h{NonInviteClient(reg, false)};
  h.start();
  const std::uint32_t e = h.timer(TimerName::kE).generation;
  const std::uint32_t f = h.timer(TimerName::kF).generation;
  h.receive(response_bytes(reg, 200));
  EXPECT_EQ(h.fire_stale(TimerName::kE, e), "");
  EXPECT_EQ(h.fire_stale(TimerName::kF, f), "");
  EXPECT_EQ(h.machine().state(), State::kCompleted);
  EXPECT_EQ(h.fire_stale(TimerName::kK, h.timer(TimerName::kK).generation + 1), "");
  EXPECT_EQ(h.fire(TimerName::kK), "terminated");
}

TEST(NonInviteClient, IgnoresRequestsTuResponsesAndBadStatuses) {
  const sip::Message reg = make_register();
  H h{NonInviteClient(reg, false)};
  h.start();
  EXPECT_EQ(h.receive(std::string(reg.bytes())), "");
  EXPECT_EQ(h.respond(200, "x"), "");
  EXPECT_EQ(h.machine().state(), State::kTrying);
}

}  // namespace
}  // namespace cohort::sip::txn::test
