// Calls between extensions through the B2BUA, with SIPp on both sides: an answered call,
// CANCEL while ringing, busy, numbers nobody owns, the call counters of /metrics, and the
// CDRs of calls cut short by a crash (kill -9) closed as "interrupted" at the next start.

#include <signal.h>

#include <string>
#include <vector>

#include "sip_call_fixture.hpp"

namespace cohort::testing {
namespace {

/// What follows `marker` in SIPp's <log> lines, up to the end of the line ("" if absent).
std::string logged_value(const std::string& logs, const std::string& marker) {
  auto at = logs.find(marker);
  if (at == std::string::npos) {
    return {};
  }
  at += marker.size();
  return logs.substr(at, logs.find('\n', at) - at);
}

TEST_F(SipCallTest, ExtensionCallIsAnsweredAndRecorded) {
  start_pbx();
  const std::int64_t caller = user_id("1001");
  const std::int64_t callee = user_id("1002");
  SippProcess phone_1002 = phone("1002", "uas_answer.xml");
  const std::string call_id = "ext-call-" + random_token(8);
  SippRun run = call("call_uac.xml", {call_row("1002", "1001")}, call_id, {"-d", "500"});
  ASSERT_EQ(run.exit_code, 0) << run.describe() << server_->log();
  SippRun callee_run = finish_sipp(phone_1002, std::chrono::seconds(10));
  EXPECT_EQ(callee_run.exit_code, 0) << callee_run.describe();
  // The B leg is a new dialog of ours: the caller's extension, its own Call-ID.
  EXPECT_NE(callee_run.logs.find("invite from="), std::string::npos) << callee_run.logs;
  EXPECT_NE(callee_run.logs.find("<sip:1001@"), std::string::npos) << callee_run.logs;
  std::vector<std::string> invites = received_requests(callee_run.messages, "INVITE");
  ASSERT_FALSE(invites.empty()) << callee_run.messages;
  EXPECT_EQ(invites[0].find(call_id), std::string::npos) << "the Call-ID crossed the B2BUA";
  // With no [sip] domain, the caller is presented at the address the phone registered to,
  // so that redialling it from the phone's history reaches Cohort (not "@cohort", the realm).
  const std::string registered_to = "127.0.0.1:" + std::to_string(udp_port());
  EXPECT_NE(invites[0].find("<sip:1001@" + registered_to + ">;tag="), std::string::npos)
      << invites[0];
  EXPECT_NE(invites[0].find("To: <sip:1002@" + registered_to + ">"), std::string::npos)
      << invites[0];

  json cdr = ended_cdr(call_id);
  ASSERT_TRUE(cdr.is_object());
  EXPECT_EQ(cdr["disposition"], "answered") << cdr.dump(2);
  EXPECT_EQ(cdr["hangup_cause"], "caller_bye") << cdr.dump(2);
  EXPECT_EQ(cdr["direction"], "internal") << cdr.dump(2);
  EXPECT_EQ(cdr["caller_user"], caller) << cdr.dump(2);
  EXPECT_EQ(cdr["callee_user"], callee) << cdr.dump(2);
  EXPECT_EQ(cdr["dialled"], "1002") << cdr.dump(2);
  EXPECT_EQ(cdr["sip_status"], 200) << cdr.dump(2);
  EXPECT_FALSE(cdr["answered_at"].is_null()) << cdr.dump(2);
  EXPECT_FALSE(cdr["b_leg_call_id"].get<std::string>().empty()) << cdr.dump(2);
  EXPECT_TRUE(active_calls().empty()) << active_calls().dump(2);

  EXPECT_EQ(calls_total("attempted"), 1.0);
  EXPECT_EQ(calls_total("answered"), 1.0);
  EXPECT_EQ(calls_total("busy"), 0.0);
  EXPECT_EQ(calls_total("failed"), 0.0);
  EXPECT_EQ(metric("cohort_calls_active"), 0.0) << metrics_text();
}

TEST_F(SipCallTest, CancelWhileRingingReachesTheCallee) {
  start_pbx();
  SippProcess phone_1002 = phone("1002", "uas_ring_cancel.xml");
  const std::string call_id = "cancel-" + random_token(8);
  SippRun run = call("call_uac_cancel.xml", {call_row("1002", "1001")}, call_id);
  EXPECT_EQ(run.exit_code, 0) << run.describe() << server_->log();
  SippRun callee_run = finish_sipp(phone_1002, std::chrono::seconds(10));
  // The callee got the CANCEL for its INVITE (same Request-URI) and answered it 200 + 487.
  EXPECT_EQ(callee_run.exit_code, 0) << callee_run.describe();
  EXPECT_EQ(received_requests(callee_run.messages, "CANCEL").size(), 1u) << callee_run.messages;
  // RFC 3261 §9.1: the CANCEL has the INVITE's Request-URI.
  const std::string invite_uri = logged_value(callee_run.logs, "invite=INVITE ");
  EXPECT_FALSE(invite_uri.empty()) << callee_run.logs;
  EXPECT_EQ(logged_value(callee_run.logs, "cancel=CANCEL "), invite_uri) << callee_run.logs;

  json cdr = ended_cdr(call_id);
  ASSERT_TRUE(cdr.is_object());
  EXPECT_EQ(cdr["disposition"], "cancelled") << cdr.dump(2);
  EXPECT_EQ(cdr["sip_status"], 487) << cdr.dump(2);
  EXPECT_TRUE(cdr["answered_at"].is_null()) << cdr.dump(2);
  EXPECT_FALSE(cdr["ringing_at"].is_null()) << cdr.dump(2);
  EXPECT_EQ(calls_total("cancelled"), 1.0) << metrics_text();
  EXPECT_EQ(calls_total("answered"), 0.0);
}

TEST_F(SipCallTest, EveryPhoneOfTheCalleeRingsAndTheOthersAreCancelledOnAnswer) {
  start_pbx();
  // 1002 has two phones: one answers, the other rings until it is cancelled.
  SippProcess ringing = phone("1002", "uas_ring_cancel.xml");
  SippProcess answering = phone("1002", "uas_answer.xml");
  ASSERT_EQ(bindings_of("1002").size(), 2u) << registrations().dump(2);
  const std::string call_id = "fork-" + random_token(8);
  SippRun run = call("call_uac.xml", {call_row("1002", "1001")}, call_id, {"-d", "300"});
  EXPECT_EQ(run.exit_code, 0) << run.describe() << server_->log();
  SippRun answered = finish_sipp(answering, std::chrono::seconds(10));
  EXPECT_EQ(answered.exit_code, 0) << answered.describe();
  SippRun cancelled = finish_sipp(ringing, std::chrono::seconds(10));
  EXPECT_EQ(cancelled.exit_code, 0) << "the phone that did not answer was not cancelled\n"
                                    << cancelled.describe();
  EXPECT_EQ(received_requests(cancelled.messages, "CANCEL").size(), 1u) << cancelled.messages;

  json cdr = ended_cdr(call_id);
  ASSERT_TRUE(cdr.is_object());
  EXPECT_EQ(cdr["disposition"], "answered") << cdr.dump(2);
  EXPECT_EQ(cdr["hangup_cause"], "caller_bye") << cdr.dump(2);
  // The B leg that won is the answering phone's INVITE.
  std::vector<std::string> invites = received_requests(answered.messages, "INVITE");
  ASSERT_EQ(invites.size(), 1u) << answered.messages;
  EXPECT_NE(invites[0].find("Call-ID: " + cdr.value("b_leg_call_id", "?")), std::string::npos)
      << invites[0] << cdr.dump(2);
  EXPECT_EQ(calls_total("answered"), 1.0);
  EXPECT_EQ(calls_total("cancelled"), 0.0);
}

TEST_F(SipCallTest, BusyCalleeIsBusyForTheCaller) {
  start_pbx();
  const std::string uas = scenario_from_template(dir_.path(), "uas_reject.xml",
                                                 {{"STATUS", "486"}, {"REASON", "Busy Here"}});
  SippProcess phone_1002 = phone("1002", uas);
  const std::string refused =
      scenario_from_template(dir_.path(), "call_uac_refused.xml", {{"STATUS", "486"}});
  const std::string call_id = "busy-" + random_token(8);
  SippRun run = call(refused, {call_row("1002", "1003")}, call_id);
  EXPECT_EQ(run.exit_code, 0) << run.describe() << server_->log();
  EXPECT_NE(run.logs.find("final=SIP/2.0 486"), std::string::npos) << run.logs;
  SippRun callee_run = finish_sipp(phone_1002, std::chrono::seconds(10));
  EXPECT_EQ(callee_run.exit_code, 0) << callee_run.describe();

  json cdr = ended_cdr(call_id);
  ASSERT_TRUE(cdr.is_object());
  EXPECT_EQ(cdr["disposition"], "busy") << cdr.dump(2);
  EXPECT_EQ(cdr["sip_status"], 486) << cdr.dump(2);
  EXPECT_EQ(cdr["callee_user"], user_id("1002")) << cdr.dump(2);
  EXPECT_EQ(calls_total("busy"), 1.0) << metrics_text();
}

TEST_F(SipCallTest, NumbersNobodyOwnsAreNotFound) {
  start_pbx();  // no outbound rules
  const std::string refused =
      scenario_from_template(dir_.path(), "call_uac_refused.xml", {{"STATUS", "404"}});
  const std::string tag = random_token(8);
  const std::string call_id = "nobody-%u-" + tag;  // SIPp puts the call number for %u
  // An extension nobody has, and an outside number with no rule to take it.
  SippRun run = call(refused, {call_row("1999", "1001"), call_row("2125551234", "1004")}, call_id,
                     {"-l", "1"});
  EXPECT_EQ(run.exit_code, 0) << run.describe() << server_->log();
  for (int n = 1; n <= 2; ++n) {
    SCOPED_TRACE(n);
    json cdr = ended_cdr("nobody-" + std::to_string(n) + "-" + tag);
    if (!cdr.is_object()) {
      continue;
    }
    EXPECT_EQ(cdr["disposition"], "failed") << cdr.dump(2);
    EXPECT_EQ(cdr["sip_status"], 404) << cdr.dump(2);
    EXPECT_TRUE(cdr["trunk"].is_null()) << cdr.dump(2);
    EXPECT_EQ(cdr["caller_user"], user_id(n == 1 ? "1001" : "1004")) << cdr.dump(2);
    // docs/api.md: a CDR's direction is internal, outbound or inbound.
    const std::string direction = cdr.value("direction", "");
    EXPECT_TRUE(direction == "internal" || direction == "outbound" || direction == "inbound")
        << cdr.dump(2);
  }
  EXPECT_EQ(calls_total("attempted"), 2.0) << metrics_text();
  EXPECT_EQ(calls_total("failed"), 2.0) << metrics_text();
  EXPECT_EQ(metric("cohort_calls_active"), 0.0);
}

TEST_F(SipCallTest, AnsweredCallsCutByACrashAreClosedAsInterrupted) {
  start_pbx();
  SippProcess phone_1002 = phone("1002", "uas_answer.xml", 2, std::chrono::seconds(40));
  // Two calls of 30 s each (-d), set up 100 ms apart.
  const std::string call_id = "crash-%u-" + random_token(8);
  SippProcess callers =
      start_sipp(dir_.path(), caller_options("call_uac.xml",
                                             {call_row("1002", "1001"), call_row("1002", "1003")},
                                             call_id, {"-d", "30000", "-r", "10"}));
  ASSERT_TRUE(callers.started());
  ASSERT_TRUE(wait_answered_calls(2))
      << active_calls().dump(2) << callers.snapshot().describe() << server_->log();
  json calls = active_calls();
  for (const json& c : calls) {
    EXPECT_EQ(c["direction"], "internal") << c.dump(2);
    EXPECT_EQ(c["dialled"], "1002") << c.dump(2);
    EXPECT_EQ(c["legs"].size(), 2u) << c.dump(2);
  }
  EXPECT_EQ(metric("cohort_calls_active"), 2.0);
  // The answer rows are on disk (written at answer, in batches of 100 ms) before the crash.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (cdrs().size() < 2 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  json before = cdrs();
  ASSERT_EQ(before.size(), 2u) << before.dump(2);
  for (const json& c : before) {
    EXPECT_TRUE(c["ended_at"].is_null()) << c.dump(2);
    EXPECT_TRUE(c["disposition"].is_null()) << c.dump(2);
    EXPECT_FALSE(c["answered_at"].is_null()) << c.dump(2);
  }

  crash_and_restart();
  // The peers of the lost calls are stopped; nobody will hang them up now.
  stop_sipp(callers);
  stop_sipp(phone_1002);

  json after = cdrs();
  ASSERT_EQ(after.size(), 2u) << after.dump(2) << server_->log();
  for (const json& c : after) {
    EXPECT_EQ(c["disposition"], "interrupted") << c.dump(2);
    EXPECT_FALSE(c["answered_at"].is_null()) << c.dump(2);
    EXPECT_FALSE(c["ended_at"].is_null()) << c.dump(2);
    EXPECT_EQ(c["callee_user"], user_id("1002")) << c.dump(2);
    EXPECT_EQ(c["a_leg_call_id"].get<std::string>().rfind("crash-", 0), 0u) << c.dump(2);
  }
  EXPECT_EQ(cdrs("?disposition=interrupted").size(), 2u);
  EXPECT_TRUE(active_calls().empty()) << active_calls().dump(2);
}

}  // namespace
}  // namespace cohort::testing
