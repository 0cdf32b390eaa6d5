// Call forwarding per user (issue 12) through the real server: a SIPp caller dials a demo
// extension whose forwarding is set over the REST API, and SIPp phones registered as demo
// extensions answer, ring until cancelled or refuse. The assertions are on what each phone
// received (INVITE, CANCEL, the Diversion header), on what the caller got and on the CDR's
// forwarded_from / forward_reason (docs/routing.md "Call forwarding").

#include <chrono>
#include <string>
#include <vector>

#include "sip_call_fixture.hpp"

namespace cohort::testing {
namespace {

constexpr const char* kOutside = "2125551234";
constexpr const char* kProviderDomain = "provider.example";
constexpr const char* kProviderDomainRegexp = "provider\\.example";
constexpr const char* kTrunkIp = "127.0.0.3";
constexpr const char* kDidUser = "15550110";
constexpr const char* kDidGroup = "15550111";

/// The value of header `name` in a request as SIPp traced it ("" if absent), case-sensitive
/// on the name as Cohort writes it.
std::string header_value(const std::string& request, const std::string& name) {
  const std::string key = "\n" + name + ":";
  auto at = request.find(key);
  if (at == std::string::npos) {
    return {};
  }
  at += key.size();
  auto end = request.find_first_of("\r\n", at);
  std::string v = request.substr(at, end == std::string::npos ? std::string::npos : end - at);
  v.erase(0, v.find_first_not_of(' '));
  return v;
}

json to_user(std::int64_t id) {
  return {{"type", "user"}, {"id", id}};
}

class SipForwardingTest : public SipCallTest {
 protected:
  /// PUT /api/v1/users/{id}/forwarding for extension `ext`, expecting 200.
  void set_forwarding(const std::string& ext, const json& body) {
    const std::string path = "/api/v1/users/" + std::to_string(user_id(ext)) + "/forwarding";
    HttpResult r = api("PUT", path, body.dump());
    ASSERT_EQ(r.status, 200) << "PUT " << path << " " << body.dump() << " → " << r.body;
  }
  /// A SIPp phone for `ext` refusing every call with `status`.
  SippProcess refusing_phone(const std::string& ext, const std::string& status,
                             const std::string& reason) {
    return phone(ext,
                 scenario_from_template(dir_.path(), "uas_reject.xml",
                                        {{"STATUS", status}, {"REASON", reason}}),
                 1, std::chrono::seconds(15));
  }
  /// The caller (1001) dials `number`, the call answered and hung up after `pause_ms`.
  SippRun dial(const std::string& number, const std::string& call_id, int pause_ms = 300) {
    return call("call_uac.xml", {call_row(number, "1001")}, call_id,
                {"-d", std::to_string(pause_ms)});
  }
  static std::size_t invites(const SippRun& r) {
    return received_requests(r.messages, "INVITE").size();
  }
};

// Always: the second phone rings and answers, the first never rings; its INVITE says who
// the call was for (RFC 5806 Diversion), and the record says it was forwarded.
TEST_F(SipForwardingTest, AlwaysRingsTheTargetAndNeverTheUser) {
  start_pbx();
  set_forwarding("1003", {{"always", to_user(user_id("1004"))}});
  EXPECT_EQ(get("/api/v1/users/" + std::to_string(user_id("1003")))["forwarding"]["always"],
            to_user(user_id("1004")));
  SippProcess first = phone("1003", "uas_answer.xml", 1, std::chrono::seconds(8));
  SippProcess second = phone("1004", "uas_answer.xml");
  const std::string cid = "fwd-always-" + random_token(8);
  SippRun run = dial("1003", cid);
  ASSERT_EQ(run.exit_code, 0) << run.describe() << server_->log();
  SippRun r2 = finish_sipp(second, std::chrono::seconds(5));
  EXPECT_EQ(r2.exit_code, 0) << r2.describe();
  ASSERT_EQ(invites(r2), 1u) << r2.messages;
  const std::string diversion =
      header_value(received_requests(r2.messages, "INVITE").front(), "Diversion");
  EXPECT_NE(diversion.find("sip:1003@"), std::string::npos) << diversion;
  EXPECT_NE(diversion.find("reason=unconditional"), std::string::npos) << diversion;
  SippRun r1 = stop_sipp(first);
  EXPECT_EQ(invites(r1), 0u) << r1.messages;

  json cdr = ended_cdr(cid);
  ASSERT_TRUE(cdr.is_object());
  EXPECT_EQ(cdr["disposition"], "answered") << cdr.dump(2);
  EXPECT_EQ(cdr["forwarded_from"], user_id("1003")) << cdr.dump(2);
  EXPECT_EQ(cdr["forward_reason"], "always") << cdr.dump(2);
  EXPECT_EQ(cdr["callee_user"], user_id("1004")) << cdr.dump(2);
  EXPECT_EQ(cdr["dialled"], "1003") << cdr.dump(2);
}

// Busy: the first phone answers 486, then the second rings and answers.
TEST_F(SipForwardingTest, BusyForwardsAfterThePhoneAnswers486) {
  start_pbx();
  set_forwarding("1003", {{"busy", to_user(user_id("1004"))}});
  SippProcess first = refusing_phone("1003", "486", "Busy Here");
  SippProcess second = phone("1004", "uas_answer.xml");
  const std::string cid = "fwd-busy-" + random_token(8);
  SippRun run = dial("1003", cid);
  ASSERT_EQ(run.exit_code, 0) << run.describe() << server_->log();
  SippRun r1 = finish_sipp(first, std::chrono::seconds(5));
  EXPECT_EQ(r1.exit_code, 0) << r1.describe();
  EXPECT_EQ(invites(r1), 1u);
  SippRun r2 = finish_sipp(second, std::chrono::seconds(5));
  EXPECT_EQ(r2.exit_code, 0) << r2.describe();
  EXPECT_EQ(invites(r2), 1u);

  json cdr = ended_cdr(cid);
  ASSERT_TRUE(cdr.is_object());
  EXPECT_EQ(cdr["disposition"], "answered") << cdr.dump(2);
  EXPECT_EQ(cdr["forwarded_from"], user_id("1003")) << cdr.dump(2);
  EXPECT_EQ(cdr["forward_reason"], "busy") << cdr.dump(2);
  EXPECT_EQ(cdr["callee_user"], user_id("1004")) << cdr.dump(2);
}

// Without a busy forwarding the same 486 reaches the caller, as before.
TEST_F(SipForwardingTest, WithoutForwardingTheBusyPhoneIsTheCallersAnswer) {
  start_pbx();
  set_forwarding("1003", {{"no_answer", to_user(user_id("1004"))}});  // not busy
  SippProcess first = refusing_phone("1003", "486", "Busy Here");
  const std::string cid = "fwd-none-" + random_token(8);
  SippOptions o = caller_options(
      scenario_from_template(dir_.path(), "call_uac_refused.xml", {{"STATUS", "486"}}),
      {call_row("1003", "1001")}, cid);
  SippRun run = run_sipp(dir_.path(), o);
  EXPECT_EQ(run.exit_code, 0) << run.describe() << server_->log();
  stop_sipp(first);
  json cdr = ended_cdr(cid);
  ASSERT_TRUE(cdr.is_object());
  EXPECT_EQ(cdr["disposition"], "busy") << cdr.dump(2);
  EXPECT_TRUE(cdr["forwarded_from"].is_null()) << cdr.dump(2);
}

// No answer after N s: the first phone rings, gets a CANCEL after about N s, then the second
// rings and answers.
TEST_F(SipForwardingTest, NoAnswerCancelsTheFirstPhoneAfterNSecondsAndRingsTheTarget) {
  start_pbx();
  set_forwarding("1003", {{"no_answer", to_user(user_id("1004"))}, {"no_answer_s", 5}});
  SippProcess first = phone("1003", "uas_ring_cancel.xml", 1, std::chrono::seconds(20));
  SippProcess second = phone("1004", "uas_answer.xml", 1, std::chrono::seconds(20));
  const std::string cid = "fwd-noanswer-" + random_token(8);
  const auto began = std::chrono::steady_clock::now();
  SippRun run = dial("1003", cid);
  ASSERT_EQ(run.exit_code, 0) << run.describe() << server_->log();
  const auto took = std::chrono::steady_clock::now() - began;
  EXPECT_GE(took, std::chrono::milliseconds(4500)) << "forwarded before no_answer_s";
  SippRun r1 = finish_sipp(first, std::chrono::seconds(5));
  EXPECT_EQ(r1.exit_code, 0) << "the first phone was not cancelled\n" << r1.describe();
  EXPECT_EQ(received_requests(r1.messages, "CANCEL").size() >= 1, true) << r1.messages;
  SippRun r2 = finish_sipp(second, std::chrono::seconds(5));
  EXPECT_EQ(r2.exit_code, 0) << r2.describe();
  ASSERT_EQ(invites(r2), 1u) << r2.messages;
  EXPECT_NE(header_value(received_requests(r2.messages, "INVITE").front(), "Diversion")
                .find("reason=no-answer"),
            std::string::npos)
      << r2.messages;

  json cdr = ended_cdr(cid);
  ASSERT_TRUE(cdr.is_object());
  EXPECT_EQ(cdr["disposition"], "answered") << cdr.dump(2);
  EXPECT_EQ(cdr["forwarded_from"], user_id("1003")) << cdr.dump(2);
  EXPECT_EQ(cdr["forward_reason"], "no_answer") << cdr.dump(2);
  EXPECT_EQ(cdr["callee_user"], user_id("1004")) << cdr.dump(2);
}

// Forwarding to a group: the group distributes the call and its member answers; the record
// has both the forward and the group.
TEST_F(SipForwardingTest, AlwaysToAGroupIsDistributedByTheGroup) {
  start_pbx();
  const std::int64_t g = id_of(post("/api/v1/groups", {{"name", "Forward Desk"},
                                                       {"ring_strategy", "simultaneous"},
                                                       {"ring_timeout_s", 5},
                                                       {"max_wait_s", 10}}));
  ASSERT_GT(g, 0);
  HttpResult m = api(
      "PUT", "/api/v1/groups/" + std::to_string(g) + "/members/" + std::to_string(user_id("1005")),
      "{}");
  ASSERT_TRUE(m.status == 200 || m.status == 201) << m.body;
  set_forwarding("1003", {{"always", {{"type", "group"}, {"id", g}}}});
  SippProcess member = phone("1005", "uas_answer.xml");
  const std::string cid = "fwd-group-" + random_token(8);
  SippRun run = dial("1003", cid);
  ASSERT_EQ(run.exit_code, 0) << run.describe() << server_->log();
  SippRun rm = finish_sipp(member, std::chrono::seconds(5));
  EXPECT_EQ(rm.exit_code, 0) << rm.describe();

  json cdr = ended_cdr(cid);
  ASSERT_TRUE(cdr.is_object());
  EXPECT_EQ(cdr["disposition"], "answered") << cdr.dump(2);
  EXPECT_EQ(cdr["forwarded_from"], user_id("1003")) << cdr.dump(2);
  EXPECT_EQ(cdr["forward_reason"], "always") << cdr.dump(2);
  EXPECT_EQ(cdr["group"], g) << cdr.dump(2);
  EXPECT_EQ(cdr["answered_by"], user_id("1005")) << cdr.dump(2);
}

// A call arriving from a trunk through an inbound route (DID) to a user follows the user's
// forwarding; a group call offered to the same user as a member does not (it is a member
// attempt: the member's phone rings).
TEST_F(SipForwardingTest, ADidToAUserIsForwardedButAGroupCallToItIsNot) {
  start_pbx();
  const json routes = get("/api/v1/inbound-routes");
  for (const json& r : routes.value("items", json::array())) {
    HttpResult d = api("DELETE", "/api/v1/inbound-routes/" + std::to_string(id_of(r)));
    EXPECT_EQ(d.status, 204) << d.body;
  }
  ASSERT_GT(create_trunk("Carrier in", kTrunkIp, 5060, {{"inbound_sources", {kTrunkIp}}}), 0);
  const std::int64_t g = id_of(post("/api/v1/groups", {{"name", "Member Desk"},
                                                       {"ring_strategy", "simultaneous"},
                                                       {"ring_timeout_s", 5},
                                                       {"max_wait_s", 10}}));
  HttpResult m = api(
      "PUT", "/api/v1/groups/" + std::to_string(g) + "/members/" + std::to_string(user_id("1003")),
      "{}");
  ASSERT_TRUE(m.status == 200 || m.status == 201) << m.body;
  post("/api/v1/inbound-routes",
       {{"name", "Chloe direct"}, {"did", kDidUser}, {"destination", to_user(user_id("1003"))}});
  post("/api/v1/inbound-routes",
       {{"name", "Desk"}, {"did", kDidGroup}, {"destination", {{"type", "group"}, {"id", g}}}});
  set_forwarding("1003", {{"always", to_user(user_id("1004"))}});

  {
    SippProcess second = phone("1004", "uas_answer.xml");
    const std::string cid = "fwd-did-" + random_token(8);
    SippRun run = call("trunk_uac.xml", {std::string(kDidUser) + ";4155550061;"}, cid,
                       {"-d", "300"}, kTrunkIp);
    ASSERT_EQ(run.exit_code, 0) << run.describe() << server_->log();
    SippRun r2 = finish_sipp(second, std::chrono::seconds(5));
    EXPECT_EQ(r2.exit_code, 0) << r2.describe();
    json cdr = ended_cdr(cid);
    ASSERT_TRUE(cdr.is_object());
    EXPECT_EQ(cdr["direction"], "inbound") << cdr.dump(2);
    EXPECT_EQ(cdr["forwarded_from"], user_id("1003")) << cdr.dump(2);
    EXPECT_EQ(cdr["forward_reason"], "always") << cdr.dump(2);
    EXPECT_EQ(cdr["callee_user"], user_id("1004")) << cdr.dump(2);
  }
  {
    SippProcess member = phone("1003", "uas_answer.xml");
    SippProcess other = phone("1004", "uas_answer.xml", 1, std::chrono::seconds(8));
    const std::string cid = "fwd-member-" + random_token(8);
    SippRun run = call("trunk_uac.xml", {std::string(kDidGroup) + ";4155550062;"}, cid,
                       {"-d", "300"}, kTrunkIp);
    ASSERT_EQ(run.exit_code, 0) << run.describe() << server_->log();
    SippRun rm = finish_sipp(member, std::chrono::seconds(5));
    EXPECT_EQ(rm.exit_code, 0) << rm.describe();
    EXPECT_EQ(invites(stop_sipp(other)), 0u) << "the member's forwarding was applied";
    json cdr = ended_cdr(cid);
    ASSERT_TRUE(cdr.is_object());
    EXPECT_EQ(cdr["answered_by"], user_id("1003")) << cdr.dump(2);
    EXPECT_TRUE(cdr["forwarded_from"].is_null()) << cdr.dump(2);
  }
}

// A ↔ B: 1003 forwards always to 1004 and 1004 to 1003. The call ends 482 Loop Detected
// without ringing either phone.
TEST_F(SipForwardingTest, ALoopBetweenTwoUsersEnds482) {
  start_pbx();
  set_forwarding("1003", {{"always", to_user(user_id("1004"))}});
  set_forwarding("1004", {{"always", to_user(user_id("1003"))}});
  SippProcess a = phone("1003", "uas_answer.xml", 1, std::chrono::seconds(8));
  SippProcess b = phone("1004", "uas_answer.xml", 1, std::chrono::seconds(8));
  const std::string cid = "fwd-loop-" + random_token(8);
  SippOptions o = caller_options(
      scenario_from_template(dir_.path(), "call_uac_refused.xml", {{"STATUS", "482"}}),
      {call_row("1003", "1001")}, cid);
  SippRun run = run_sipp(dir_.path(), o);
  EXPECT_EQ(run.exit_code, 0) << run.describe() << server_->log();
  EXPECT_EQ(invites(stop_sipp(a)), 0u);
  EXPECT_EQ(invites(stop_sipp(b)), 0u);

  json cdr = ended_cdr(cid);
  ASSERT_TRUE(cdr.is_object());
  EXPECT_EQ(cdr["disposition"], "failed") << cdr.dump(2);
  EXPECT_EQ(cdr["sip_status"], 482) << cdr.dump(2);
  EXPECT_EQ(cdr["forwarded_from"], user_id("1003")) << cdr.dump(2);
  EXPECT_EQ(cdr["forward_reason"], "always") << cdr.dump(2);
}

// Do-not-disturb with a busy forwarding to a number: the call leaves through the outbound
// rules as the forwarding user's own call (its caller ID), with a Diversion naming it.
TEST_F(SipForwardingTest, DoNotDisturbForwardsToANumberAsTheUsersCall) {
  start_pbx();
  const std::uint16_t port = free_port(1, "127.0.0.2");
  const std::int64_t trunk =
      create_trunk("Provider", "127.0.0.2", port, {{"from_domain", kProviderDomain}});
  ASSERT_GT(create_rule({{"name", "Out"},
                         {"patterns", {"_X."}},
                         {"trunks", {trunk}},
                         {"caller_id", {{"policy", "user"}}}}),
            0);
  patch("/api/v1/users/" + std::to_string(user_id("1003")), {{"caller_id", "2125550103"}});
  set_forwarding("1003", {{"busy", {{"type", "number"}, {"number", kOutside}}}});
  ASSERT_EQ(api("PUT", "/api/v1/users/" + std::to_string(user_id("1003")) + "/status",
                R"({"status": "dnd"})")
                .status,
            200);
  SippProcess p = provider(scenario_from_template(dir_.path(), "provider_uas.xml",
                                                  {{"CALLER_ID", "2125550103"},
                                                   {"FROM_HOST", kProviderDomainRegexp},
                                                   {"NUMBER", kOutside}}),
                           port);
  const std::string cid = "fwd-number-" + random_token(8);
  SippRun run = dial("1003", cid, 200);
  SippRun prov = finish_sipp(p, std::chrono::seconds(10));
  EXPECT_EQ(prov.exit_code, 0) << "the provider saw the wrong caller ID\n"
                               << prov.describe() << server_->log();
  EXPECT_EQ(run.exit_code, 0) << run.describe();
  ASSERT_FALSE(received_requests(prov.messages, "INVITE").empty()) << prov.messages;
  const std::string diversion =
      header_value(received_requests(prov.messages, "INVITE").front(), "Diversion");
  EXPECT_NE(diversion.find("sip:2125550103@provider.example"), std::string::npos) << diversion;
  EXPECT_NE(diversion.find("reason=do-not-disturb"), std::string::npos) << diversion;

  json cdr = ended_cdr(cid);
  ASSERT_TRUE(cdr.is_object());
  EXPECT_EQ(cdr["disposition"], "answered") << cdr.dump(2);
  EXPECT_EQ(cdr["forwarded_from"], user_id("1003")) << cdr.dump(2);
  EXPECT_EQ(cdr["forward_reason"], "dnd") << cdr.dump(2);
  EXPECT_EQ(cdr["caller_id"], "2125550103") << cdr.dump(2);
  EXPECT_EQ(cdr["number_sent"], kOutside) << cdr.dump(2);
  EXPECT_EQ(cdr["trunk"], trunk) << cdr.dump(2);
}

}  // namespace
}  // namespace cohort::testing
