// RFC 3261 §17.2.2 non-INVITE server transaction (Figure 8).

#include <gtest/gtest.h>

#include "sip/txn/server.hpp"
#include "txn_test_util.hpp"

namespace cohort::sip::txn::test {
namespace {

using H = Harness<NonInviteServer>;

Req register_req() {
  Req r;
  r.method = sip::Method::kRegister;
  r.request_uri = "sip:example.com";
  return r;
}

struct Step {
  const char* event;  // "REGISTER" (a retransmission), "tu:200", "J", "transport"
  const char* actions;
  State after;
};
struct Scenario {
  const char* name;
  bool reliable;
  std::vector<Step> steps;
};

class NonInviteServerScenario : public ::testing::TestWithParam<Scenario> {};

TEST_P(NonInviteServerScenario, Runs) {
  const Scenario& s = GetParam();
  const sip::Message reg = request(register_req());
  const std::string again = request_bytes(register_req());
  H h{NonInviteServer(reg, s.reliable)};
  EXPECT_EQ(h.start(), "deliver:req");
  EXPECT_EQ(h.machine().state(), State::kTrying);
  for (const Step& step : s.steps) {
    const std::string what = step.event;
    std::string got;
    if (what == "REGISTER") {
      got = h.receive(again);
    } else if (what.starts_with("tu:")) {
      const int status = std::stoi(what.substr(3));
      // Out-of-range statuses are TU bugs; MessageBuilder cannot even build them.
      got =
          h.respond(status, status >= 100 && status <= 699 ? response_bytes(reg, status) : "bogus");
    } else if (what == "J") {
      got = h.fire(TimerName::kJ);
    } else if (what == "transport") {
      got = h.on(TransportFailed{});
    }
    EXPECT_EQ(got, step.actions) << s.name << " at " << what;
    EXPECT_EQ(h.machine().state(), step.after) << s.name << " at " << what;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Figure8, NonInviteServerScenario,
    ::testing::Values(Scenario{"trying_proceeding_completed_j",
                               false,
                               {{"REGISTER", "", State::kTrying},
                                {"tu:100", "send:100", State::kProceeding},
                                {"REGISTER", "send:100", State::kProceeding},
                                {"tu:183", "send:183", State::kProceeding},
                                {"REGISTER", "send:183", State::kProceeding},
                                {"tu:200", "send:200 J=32000", State::kCompleted},
                                {"REGISTER", "send:200", State::kCompleted},
                                {"tu:500", "", State::kCompleted},
                                {"tu:180", "", State::kCompleted},
                                {"REGISTER", "send:200", State::kCompleted},
                                {"J", "terminated", State::kTerminated},
                                {"REGISTER", "", State::kTerminated},
                                {"tu:200", "", State::kTerminated}}},
                      Scenario{"trying_final_directly",
                               false,
                               {{"tu:401", "send:401 J=32000", State::kCompleted},
                                {"REGISTER", "send:401", State::kCompleted}}},
                      Scenario{"reliable_j_is_zero",
                               true,
                               {{"tu:100", "send:100", State::kProceeding},
                                {"tu:200", "send:200 terminated", State::kTerminated}}},
                      Scenario{"trying_transport_error",
                               false,
                               {{"transport", "transport-error terminated", State::kTerminated}}},
                      Scenario{"proceeding_transport_error",
                               false,
                               {{"tu:100", "send:100", State::kProceeding},
                                {"transport", "transport-error terminated", State::kTerminated}}},
                      Scenario{"completed_transport_error",
                               false,
                               {{"tu:200", "send:200 J=32000", State::kCompleted},
                                {"transport", "transport-error terminated", State::kTerminated}}},
                      Scenario{"bad_tu_statuses_ignored",
                               false,
                               {{"tu:0", "", State::kTrying}, {"tu:700", "", State::kTrying}}}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(NonInviteServer, RetransmissionGetsTheSameBytes) {
  const sip::Message reg = request(register_req());
  H h{NonInviteServer(reg, false)};
  h.start();
  const std::string ok = response_bytes(reg, 200);
  h.respond(200, ok);
  EXPECT_EQ(h.machine().last_response(), ok);
  h.receive(request_bytes(register_req()));
  EXPECT_EQ(sent(h.last()), std::vector<std::string>{ok});
}

TEST(NonInviteServer, TimerJFollowsT1AndStaleJIsIgnored) {
  const sip::Message reg = request(register_req());
  H h{NonInviteServer(reg, false, TimerConfig{.t1 = Duration{250}})};
  h.start();
  EXPECT_EQ(h.respond(200, response_bytes(reg, 200)), "send:200 J=16000");
  const std::uint32_t j = h.timer(TimerName::kJ).generation;
  EXPECT_EQ(h.fire_stale(TimerName::kJ, j + 1), "");
  EXPECT_EQ(h.fire_stale(TimerName::kG, j), "") << "a timer this machine never uses";
  EXPECT_EQ(h.fire(TimerName::kJ), "terminated");
  EXPECT_EQ(h.elapsed().count(), 16000);
}

TEST(NonInviteServer, IgnoresResponses) {
  const sip::Message reg = request(register_req());
  H h{NonInviteServer(reg, false)};
  h.start();
  EXPECT_EQ(h.receive(response_bytes(reg, 200)), "");
}

}  // namespace
}  // namespace cohort::sip::txn::test
