// RFC 4028 session timers through the B2BUA with SIPp on both legs: the caller's too small
// interval refused 422 before routing, the negotiated interval in its 2xx, Cohort's own offer
// on the callee's leg, and a refresh (an UPDATE from the caller) answered on each leg with
// that leg's own headers. Expiry takes at least a minute (RFC 4028 forbids intervals below
// 90 s), so it is tested with a simulated clock in tests/unit/pbx/session_timers_test.cpp.

#include <string>
#include <vector>

#include "sip_call_fixture.hpp"

namespace cohort::testing {
namespace {

/// What follows `marker` in SIPp's <log> lines, up to the end of the line ("" if absent),
/// without the blanks SIPp keeps before each header value ("a= 90 b= 1" → "a=90 b=1").
std::string logged(const std::string& logs, const std::string& marker) {
  auto at = logs.find(marker);
  if (at == std::string::npos) {
    return {};
  }
  at += marker.size();
  std::string line = logs.substr(at, logs.find('\n', at) - at);
  std::string out;
  for (std::size_t i = 0; i < line.size(); ++i) {
    if (line[i] == ' ' && (out.empty() || out.back() == '=')) {
      continue;
    }
    out.push_back(line[i]);
  }
  return out;
}

TEST_F(SipCallTest, SessionTimersAreNegotiatedAndRefreshedOnEachLeg) {
  start_pbx();
  SippProcess phone_1002 = phone("1002", "session_timer_uas.xml");
  const std::string call_id = "session-timer-" + random_token(8);
  SippRun run = call("session_timer_uac.xml", {call_row("1002", "1001")}, call_id);
  ASSERT_EQ(run.exit_code, 0) << run.describe() << server_->log();
  SippRun callee = finish_sipp(phone_1002, std::chrono::seconds(10));
  EXPECT_EQ(callee.exit_code, 0) << callee.describe() << server_->log();

  // The caller: 422 with Min-SE: 90 for 60 s; then 90;refresher=uac with Require: timer in the
  // 200 to the INVITE and in the 200 to its UPDATE (the callee's 4000 did not leak through).
  EXPECT_EQ(logged(run.logs, "422 min_se="), "90") << run.logs;
  EXPECT_EQ(logged(run.logs, "200 session_expires="), "90;refresher=uac require=timer") << run.logs;
  EXPECT_EQ(logged(run.logs, "update session_expires="), "90;refresher=uac require=timer")
      << run.logs;
  // The callee: one INVITE (the refused one was never routed) offering Cohort's interval,
  // and the refresh as an UPDATE with its own leg's interval, Cohort refreshing.
  EXPECT_EQ(received_requests(callee.messages, "INVITE").size(), 1u) << callee.messages;
  EXPECT_EQ(logged(callee.logs, "invite supported="), "timer session_expires=1800 min_se=90")
      << callee.logs;
  EXPECT_EQ(logged(callee.logs, "update session_expires="), "1800;refresher=uac") << callee.logs;
  EXPECT_EQ(received_requests(callee.messages, "UPDATE").size(), 1u) << callee.messages;

  json cdr = ended_cdr(call_id);
  ASSERT_TRUE(cdr.is_object());
  EXPECT_EQ(cdr["disposition"], "answered") << cdr.dump(2);
  EXPECT_EQ(cdr["hangup_cause"], "caller_bye") << cdr.dump(2);
  EXPECT_EQ(calls_total("attempted"), 1.0) << "the 422 is a negotiation, not a call\n"
                                           << metrics_text();
  EXPECT_EQ(cdrs().size(), 1u) << cdrs().dump(2);
}

}  // namespace
}  // namespace cohort::testing
