// A graceful stop (SIGTERM) with a call up: new calls are refused 503 while the calls in
// progress get `[sip] drain_s` to end by themselves; then Cohort sends BYE on both legs of
// what is left, records the calls as ended by the shutdown, and exits 0. Before, stopping
// Cohort during a call left both phones in it.

#include <sys/wait.h>

#include <chrono>
#include <string>
#include <thread>

#include "sip_call_fixture.hpp"

namespace cohort::testing {
namespace {

TEST_F(SipCallTest, GracefulStopRefusesNewCallsThenEndsBothLegsOfTheCallsLeft) {
  start_pbx("[sip]\ndrain_s = 3\n");
  SippProcess phone_1002 = phone("1002", "uas_answer.xml", 1, std::chrono::seconds(30));
  const std::string call_id = "drain-" + random_token(8);
  SippOptions caller =
      caller_options("call_uac_until_bye.xml", {call_row("1002", "1001")}, call_id);
  caller.timeout = std::chrono::seconds(30);
  SippProcess caller_run = start_sipp(dir_.path(), caller);
  ASSERT_TRUE(caller_run.started());
  ASSERT_TRUE(wait_answered_calls(1)) << active_calls().dump(2) << server_->log();

  const auto stop_began = std::chrono::steady_clock::now();
  server_->terminate();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));

  // While the call drains, a new call is refused: 503, with Retry-After.
  const std::string refused_id = "drain-refused-" + random_token(8);
  SippOptions late = caller_options(
      scenario_from_template(dir_.path(), "call_uac_refused.xml", {{"STATUS", "503"}}),
      {call_row("1002", "1001")}, refused_id);
  late.timeout = std::chrono::seconds(5);
  SippRun refused = run_sipp(dir_.path(), late);
  EXPECT_EQ(refused.exit_code, 0) << refused.describe() << server_->log();
  std::vector<std::string> responses = received_requests(refused.messages, "SIP/2.0 503");
  ASSERT_FALSE(responses.empty()) << refused.messages;
  EXPECT_NE(responses.front().find("Retry-After:"), std::string::npos) << responses.front();

  // The call was not ended early, then both phones got a BYE and answered it.
  const int status = server_->wait_exit(std::chrono::seconds(15));
  const auto stopped_after = std::chrono::steady_clock::now() - stop_began;
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status << server_->log();
  EXPECT_GE(stopped_after, std::chrono::milliseconds(2900));
  SippRun caller_done = finish_sipp(caller_run, std::chrono::seconds(5));
  SippRun callee_done = finish_sipp(phone_1002, std::chrono::seconds(5));
  EXPECT_EQ(caller_done.exit_code, 0) << caller_done.describe();
  EXPECT_EQ(callee_done.exit_code, 0) << callee_done.describe();
  EXPECT_EQ(received_requests(caller_done.messages, "BYE").size(), 1u) << caller_done.messages;
  EXPECT_EQ(received_requests(callee_done.messages, "BYE").size(), 1u) << callee_done.messages;

  // The record says how the call ended; the refused call left none.
  start_again();
  json cdr = ended_cdr(call_id);
  ASSERT_TRUE(cdr.is_object()) << cdrs().dump(2);
  EXPECT_EQ(cdr["disposition"], "answered") << cdr.dump(2);
  EXPECT_EQ(cdr["hangup_cause"], "shutdown") << cdr.dump(2);
  EXPECT_EQ(cdrs().size(), 1u) << cdrs().dump(2);
}

// Without calls, a stop does not wait for the drain time.
TEST_F(SipCallTest, GracefulStopWithoutCallsIsImmediate) {
  start_pbx("[sip]\ndrain_s = 30\n");
  const auto stop_began = std::chrono::steady_clock::now();
  server_->terminate();
  const int status = server_->wait_exit(std::chrono::seconds(10));
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status << server_->log();
  EXPECT_LT(std::chrono::steady_clock::now() - stop_began, std::chrono::seconds(5));
}

}  // namespace
}  // namespace cohort::testing
