// A call answered before a crash (kill -9) is ended on both legs after the restart by the
// next request of either phone (issue 11): the record of the answer kept both legs'
// dialogs, so the BYE — or a re-INVITE refreshing the session — of one phone is answered
// and the other phone is sent a BYE instead of staying in a call nobody relays.

#include <signal.h>

#include <string>
#include <vector>

#include "sip_call_fixture.hpp"

namespace cohort::testing {
namespace {

struct RestartCase {
  const char* scenario;  ///< the caller's: answered, then after -d ms one more request
  const char* logged;    ///< what the caller logs when that request is answered
};

class SipRestartTest : public SipCallTest, public ::testing::WithParamInterface<RestartCase> {};

TEST_P(SipRestartTest, TheNextRequestOfAnInterruptedCallEndsBothLegs) {
  const RestartCase& param = GetParam();
  start_pbx();
  // The callee answers one call and then waits for a BYE, which only Cohort can send it
  // once the server has restarted.
  SippProcess phone_1002 = phone("1002", "uas_answer.xml", 1, std::chrono::seconds(40));
  const std::string call_id = "restart-" + random_token(8);
  SippOptions caller =
      caller_options(param.scenario, {call_row("1002", "1001")}, call_id, {"-d", "6000"});
  caller.timeout = std::chrono::seconds(30);
  SippProcess caller_run = start_sipp(dir_.path(), caller);
  ASSERT_TRUE(caller_run.started());

  // Wait until the answer is on disk (its record exists), then crash the server.
  bool answered = false;
  for (int i = 0; i < 100 && !answered; ++i) {
    const json records = cdrs_quietly();
    for (const json& c : records.is_array() ? records : json::array()) {
      answered = answered || (c.value("a_leg_call_id", "") == call_id &&
                              !c.value("answered_at", json()).is_null());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_TRUE(answered) << "the call was not answered";
  crash_and_restart_on_same_port();

  SippRun caller_done = finish_sipp(caller_run, std::chrono::seconds(30));
  EXPECT_EQ(caller_done.exit_code, 0) << caller_done.describe();
  EXPECT_NE(caller_done.logs.find(std::string(param.logged) + " " + call_id), std::string::npos)
      << caller_done.logs;
  // The callee got its BYE from the restarted server and answered it.
  SippRun callee_done = finish_sipp(phone_1002, std::chrono::seconds(15));
  EXPECT_EQ(callee_done.exit_code, 0) << "the callee was left in the call\n"
                                      << callee_done.describe();

  // The record says the call was cut by the crash.
  json found;
  for (const json& c : cdrs()) {
    if (c.value("a_leg_call_id", "") == call_id) {
      found = c;
    }
  }
  ASSERT_TRUE(found.is_object());
  EXPECT_EQ(found.value("disposition", ""), "interrupted") << found.dump(2);
  EXPECT_FALSE(found["answered_at"].is_null());
}

INSTANTIATE_TEST_SUITE_P(Requests, SipRestartTest,
                         ::testing::Values(RestartCase{"durable_call_uac.xml", "ended"},
                                           RestartCase{"restart_reinvite_uac.xml", "refused"}),
                         [](const auto& info) {
                           return std::string(info.param.logged) == "ended" ? "Bye" : "ReInvite";
                         });

}  // namespace
}  // namespace cohort::testing
