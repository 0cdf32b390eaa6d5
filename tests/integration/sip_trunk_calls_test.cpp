// Calls out through trunks, with SIPp playing the providers on 127.0.0.2 (and .3, .4): the
// caller ID a rule presents (group or user) in From and P-Asserted-Identity, failover to the
// next trunk on 503, the answer to a provider's 407, the trunk's own registration (with its
// refresh, and a refusal), and the toll-fraud guard for calls that came from a trunk.

#include <map>
#include <regex>
#include <string>
#include <vector>

#include "common/crypto.hpp"
#include "sip_call_fixture.hpp"

namespace cohort::testing {
namespace {

constexpr const char* kOutside = "2125551234";
constexpr const char* kProviderDomain = "provider.example";
constexpr const char* kProviderDomainRegexp = "provider\\.example";

/// The auth-params of a "Digest a=b, c=\"d\"" header value.
std::map<std::string, std::string> digest_params(const std::string& value) {
  std::map<std::string, std::string> out;
  static const std::regex param(R"re(([A-Za-z0-9_-]+)=("([^"]*)"|[^\s,]+))re");
  for (auto it = std::sregex_iterator(value.begin(), value.end(), param);
       it != std::sregex_iterator(); ++it) {
    const std::smatch& m = *it;
    out[m[1].str()] = m[3].matched ? m[3].str() : m[2].str();
  }
  return out;
}

/// The value logged by SIPp as "name=[value]" → value (up to the end of the line).
std::string logged(const std::string& logs, const std::string& name) {
  const std::string marker = name + "=";
  auto at = logs.find(marker);
  if (at == std::string::npos) {
    return {};
  }
  auto end = logs.find('\n', at);
  return logs.substr(at + marker.size(),
                     end == std::string::npos ? std::string::npos : end - at - marker.size());
}

class SipTrunkCallTest : public SipCallTest {
 protected:
  /// A provider that takes one call and checks the caller ID it presents.
  std::string provider_answering(const std::string& caller_id,
                                 const std::string& number = kOutside) {
    return scenario_from_template(
        dir_.path(), "provider_uas.xml",
        {{"CALLER_ID", caller_id}, {"FROM_HOST", kProviderDomainRegexp}, {"NUMBER", number}});
  }

  /// The trunk's live registration state (GET /api/v1/trunks/{id} → status), polled until
  /// `pred` holds or `timeout` passes; the last status seen.
  template <class Pred>
  json wait_trunk_status(std::int64_t trunk, Pred pred, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    json status;
    for (;;) {
      status = get("/api/v1/trunks/" + std::to_string(trunk))["status"];
      if (status.is_object() && pred(status)) {
        return status;
      }
      if (std::chrono::steady_clock::now() >= deadline) {
        return status;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
};

TEST_F(SipTrunkCallTest, GroupRulePresentsTheGroupCallerIdAndOthersTheirOwn) {
  start_pbx();
  const std::uint16_t port = free_port(1, "127.0.0.2");
  const std::int64_t trunk =
      create_trunk("Provider", "127.0.0.2", port, {{"from_domain", kProviderDomain}});
  const std::int64_t sales = group_id("Sales Dept");  // demo: outbound caller ID 010000
  const std::int64_t sales_rule = create_rule({{"name", "Sales out"},
                                               {"patterns", {"_NXXNXXXXXX"}},
                                               {"caller_groups", {sales}},
                                               {"trunks", {trunk}},
                                               {"caller_id", {{"policy", "group"}}}});
  const std::int64_t everyone_rule = create_rule({{"name", "Everyone out"},
                                                  {"patterns", {"_X."}},
                                                  {"trunks", {trunk}},
                                                  {"caller_id", {{"policy", "user"}}}});
  ASSERT_GT(sales_rule, 0);
  ASSERT_GT(everyone_rule, 0);
  // 1002 is not in Sales Dept: its own caller ID goes out.
  patch("/api/v1/users/" + std::to_string(user_id("1002")), {{"caller_id", "2125550102"}});

  // 1003 (Chloe) is a member of Sales Dept.
  {
    SippProcess p = provider(provider_answering("010000"), port);
    const std::string call_id = "sales-" + random_token(8);
    SippRun run = call("call_uac.xml", {call_row(kOutside, "1003")}, call_id, {"-d", "200"});
    SippRun prov = finish_sipp(p, std::chrono::seconds(10));
    EXPECT_EQ(prov.exit_code, 0) << "the provider saw the wrong caller ID\n"
                                 << prov.describe() << server_->log();
    EXPECT_EQ(run.exit_code, 0) << run.describe();
    EXPECT_NE(prov.logs.find("from= <sip:010000@provider.example>"), std::string::npos)
        << prov.logs;
    json cdr = ended_cdr(call_id);
    if (cdr.is_object()) {
      EXPECT_EQ(cdr["disposition"], "answered") << cdr.dump(2);
      EXPECT_EQ(cdr["direction"], "outbound") << cdr.dump(2);
      EXPECT_EQ(cdr["caller_id"], "010000") << cdr.dump(2);
      EXPECT_EQ(cdr["caller_id_group"], sales) << cdr.dump(2);
      EXPECT_EQ(cdr["rule"], sales_rule) << cdr.dump(2);
      EXPECT_EQ(cdr["trunk"], trunk) << cdr.dump(2);
      EXPECT_EQ(cdr["number_sent"], kOutside) << cdr.dump(2);
      EXPECT_EQ(cdr["caller_user"], user_id("1003")) << cdr.dump(2);
    }
  }
  // 1002 (Ben) is not: the second rule, with the user's own caller ID.
  {
    SippProcess p = provider(provider_answering("2125550102"), port);
    const std::string call_id = "own-" + random_token(8);
    SippRun run = call("call_uac.xml", {call_row(kOutside, "1002")}, call_id, {"-d", "200"});
    SippRun prov = finish_sipp(p, std::chrono::seconds(10));
    EXPECT_EQ(prov.exit_code, 0) << "the provider saw the wrong caller ID\n"
                                 << prov.describe() << server_->log();
    EXPECT_EQ(run.exit_code, 0) << run.describe();
    json cdr = ended_cdr(call_id);
    if (cdr.is_object()) {
      EXPECT_EQ(cdr["caller_id"], "2125550102") << cdr.dump(2);
      EXPECT_TRUE(cdr["caller_id_group"].is_null()) << cdr.dump(2);
      EXPECT_EQ(cdr["rule"], everyone_rule) << cdr.dump(2);
    }
  }
  EXPECT_EQ(calls_total("answered"), 2.0) << metrics_text();
}

TEST_F(SipTrunkCallTest, FailsOverToTheNextTrunkOn503) {
  start_pbx();
  const std::uint16_t port_a = free_port(1, "127.0.0.2");
  const std::uint16_t port_b = free_port(1, "127.0.0.4");
  const std::int64_t trunk_a =
      create_trunk("Provider A", "127.0.0.2", port_a, {{"from_domain", kProviderDomain}});
  const std::int64_t trunk_b =
      create_trunk("Provider B", "127.0.0.4", port_b, {{"from_domain", kProviderDomain}});
  create_rule({{"name", "Out"},
               {"patterns", {"_X."}},
               {"trunks", {trunk_a, trunk_b}},
               {"caller_id", {{"policy", "user"}}}});
  // A answers 503 and would take up to 5 calls: a second INVITE would show in its trace.
  SippProcess a =
      provider(scenario_from_template(dir_.path(), "uas_reject.xml",
                                      {{"STATUS", "503"}, {"REASON", "Service Unavailable"}}),
               port_a, "127.0.0.2", 5);
  SippProcess b = provider(provider_answering("1001"), port_b, "127.0.0.4");
  const std::string call_id = "failover-" + random_token(8);
  SippRun run = call("call_uac.xml", {call_row(kOutside, "1001")}, call_id, {"-d", "200"});
  EXPECT_EQ(run.exit_code, 0) << run.describe() << server_->log();
  SippRun b_run = finish_sipp(b, std::chrono::seconds(10));
  EXPECT_EQ(b_run.exit_code, 0) << b_run.describe();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  SippRun a_run = stop_sipp(a);
  EXPECT_EQ(received_requests(a_run.messages, "INVITE").size(), 1u) << a_run.messages;
  // RFC 3261 §17.1.1.3: the 503 is acknowledged.
  EXPECT_EQ(received_requests(a_run.messages, "ACK").size(), 1u) << a_run.messages;
  EXPECT_EQ(received_requests(b_run.messages, "INVITE").size(), 1u) << b_run.messages;

  json cdr = ended_cdr(call_id);
  ASSERT_TRUE(cdr.is_object());
  EXPECT_EQ(cdr["disposition"], "answered") << cdr.dump(2);
  EXPECT_EQ(cdr["trunk"], trunk_b) << cdr.dump(2);
}

TEST_F(SipTrunkCallTest, FailsOverWhenATrunkDoesNotAnswerAndSendsTheRewrittenNumber) {
  // T1 = 50 ms: an unanswered INVITE times out (Timer B, 64*T1) after 3.2 s.
  start_pbx("[sip]\nt1_ms = 50\nt2_ms = 400\n");
  const std::uint16_t port_a = free_port(1, "127.0.0.2");  // nobody listens there
  const std::uint16_t port_b = free_port(1, "127.0.0.4");
  const std::int64_t trunk_a = create_trunk("Silent", "127.0.0.2", port_a);
  const std::int64_t trunk_b =
      create_trunk("Provider B", "127.0.0.4", port_b, {{"from_domain", kProviderDomain}});
  // "9" for an outside line, stripped; the provider wants E.164.
  const std::int64_t rule = create_rule({{"name", "Nine out"},
                                         {"patterns", {"_9NXXNXXXXXX"}},
                                         {"strip", 1},
                                         {"prepend", "+1"},
                                         {"trunks", {trunk_a, trunk_b}}});
  SippProcess b = provider(provider_answering("1001", "\\+12125551234"), port_b, "127.0.0.4");
  const std::string call_id = "silent-" + random_token(8);
  SippRun run = call("call_uac.xml", {call_row("92125551234", "1001")}, call_id, {"-d", "200"});
  EXPECT_EQ(run.exit_code, 0) << run.describe() << server_->log();
  SippRun b_run = finish_sipp(b, std::chrono::seconds(10));
  EXPECT_EQ(b_run.exit_code, 0) << b_run.describe();

  json cdr = ended_cdr(call_id);
  ASSERT_TRUE(cdr.is_object());
  EXPECT_EQ(cdr["disposition"], "answered") << cdr.dump(2);
  EXPECT_EQ(cdr["trunk"], trunk_b) << cdr.dump(2);
  EXPECT_EQ(cdr["rule"], rule) << cdr.dump(2);
  EXPECT_EQ(cdr["dialled"], "92125551234") << cdr.dump(2);
  EXPECT_EQ(cdr["number_sent"], "+12125551234") << cdr.dump(2);
}

TEST_F(SipTrunkCallTest, ProviderProxyChallengeIsAnsweredWithTheTrunkCredentials) {
  start_pbx();
  const std::uint16_t port = free_port(1, "127.0.0.2");
  const std::string username = "acct-7731";
  const std::string password = "pr0vider-secret";
  const std::string realm = "sip.provider.example";
  const std::string nonce = "n" + random_token(12);
  const std::int64_t trunk = create_trunk(
      "Provider", "127.0.0.2", port,
      {{"from_domain", kProviderDomain}, {"username", username}, {"password", password}});
  create_rule({{"name", "Out"}, {"patterns", {"_X."}}, {"trunks", {trunk}}});
  SippProcess p =
      provider(scenario_from_template(dir_.path(), "provider_407.xml",
                                      {{"REALM", realm}, {"NONCE", nonce}, {"USERNAME", username}}),
               port);
  const std::string call_id = "auth-" + random_token(8);
  SippRun run = call("call_uac.xml", {call_row(kOutside, "1001")}, call_id, {"-d", "200"});
  SippRun prov = finish_sipp(p, std::chrono::seconds(10));
  EXPECT_EQ(prov.exit_code, 0) << prov.describe() << server_->log();
  EXPECT_EQ(run.exit_code, 0) << run.describe();

  // SIPp's verifyauth reads only Authorization: check the Proxy-Authorization here
  // (RFC 7616 §3.4.1, qop=auth).
  const std::string header = logged(prov.logs, "proxy_authorization");
  auto d = digest_params(header);
  ASSERT_EQ(d["username"], username) << header;
  EXPECT_EQ(d["realm"], realm) << header;
  EXPECT_EQ(d["nonce"], nonce) << header;
  EXPECT_EQ(d["qop"], "auth") << header;
  ASSERT_FALSE(d["uri"].empty()) << header;
  ASSERT_FALSE(d["cnonce"].empty()) << header;
  const std::string ha1 = crypto::md5_hex(username + ":" + realm + ":" + password);
  const std::string ha2 = crypto::md5_hex("INVITE:" + d["uri"]);
  const std::string expected =
      crypto::md5_hex(ha1 + ":" + nonce + ":" + d["nc"] + ":" + d["cnonce"] + ":auth:" + ha2);
  EXPECT_EQ(d["response"], expected) << header;

  json cdr = ended_cdr(call_id);
  ASSERT_TRUE(cdr.is_object());
  EXPECT_EQ(cdr["disposition"], "answered") << cdr.dump(2);
  EXPECT_EQ(cdr["trunk"], trunk) << cdr.dump(2);
}

TEST_F(SipTrunkCallTest, ProviderChallengeIsAnsweredAndVerifiedBySipp) {
  start_pbx();
  const std::uint16_t port = free_port(1, "127.0.0.2");
  const std::string username = "acct-5120";
  const std::string password = "an0ther-secret";
  const std::int64_t trunk = create_trunk(
      "Provider", "127.0.0.2", port,
      {{"from_domain", kProviderDomain}, {"username", username}, {"password", password}});
  create_rule({{"name", "Out"}, {"patterns", {"_X."}}, {"trunks", {trunk}}});
  SippProcess p = provider(scenario_from_template(dir_.path(), "provider_401.xml",
                                                  {{"REALM", "sip.provider.example"},
                                                   {"NONCE", "n" + random_token(12)},
                                                   {"USERNAME", username},
                                                   {"PASSWORD", password}}),
                           port);
  const std::string call_id = "auth401-" + random_token(8);
  SippRun run = call("call_uac.xml", {call_row(kOutside, "1001")}, call_id, {"-d", "200"});
  SippRun prov = finish_sipp(p, std::chrono::seconds(10));
  EXPECT_EQ(prov.exit_code, 0) << prov.describe() << server_->log();
  EXPECT_NE(prov.logs.find("verified=true"), std::string::npos) << prov.logs;
  EXPECT_EQ(run.exit_code, 0) << run.describe();
  json cdr = ended_cdr(call_id);
  ASSERT_TRUE(cdr.is_object());
  EXPECT_EQ(cdr["disposition"], "answered") << cdr.dump(2);
}

TEST_F(SipTrunkCallTest, TrunkRegistersAndRefreshesBeforeTheGrantedExpiry) {
  start_pbx();
  const std::uint16_t port = free_port(1, "127.0.0.2");
  const std::string username = "reg-4410";
  const std::string password = "reg-secret-9";
  SippProcess registrar = provider(scenario_from_template(dir_.path(), "registrar_uas.xml",
                                                          {{"REALM", "sip.provider.example"},
                                                           {"NONCE", random_token(10)},
                                                           {"USERNAME", username},
                                                           {"PASSWORD", password}}),
                                   port);
  const std::int64_t trunk = create_trunk("Registered provider", "127.0.0.2", port,
                                          {{"from_domain", kProviderDomain},
                                           {"username", username},
                                           {"password", password},
                                           {"register", true},
                                           {"register_expires_s", 300}});
  ASSERT_GT(trunk, 0);
  // Registered after the first 200 (2 s granted) …
  json status = wait_trunk_status(
      trunk, [](const json& s) { return s.value("state", "") == "registered"; },
      std::chrono::seconds(5));
  EXPECT_EQ(status.value("state", ""), "registered") << status.dump(2) << server_->log();
  // … and the refresh comes within the 2 s: the registrar's scenario fails otherwise.
  SippRun run = finish_sipp(registrar, std::chrono::seconds(15));
  EXPECT_EQ(run.exit_code, 0) << run.describe() << server_->log();
  EXPECT_EQ(received_requests(run.messages, "REGISTER").size(), 4u) << run.messages;
  EXPECT_NE(run.logs.find("refresh"), std::string::npos) << run.logs;
  EXPECT_NE(run.logs.find("verified=true"), std::string::npos) << run.logs;

  status = get("/api/v1/trunks/" + std::to_string(trunk))["status"];
  EXPECT_EQ(status.value("state", ""), "registered") << status.dump(2);
  EXPECT_EQ(status["last_status"], 200) << status.dump(2);
  // The second 200 granted 60 s (Expires header).
  const std::int64_t expires_at = parse_rfc3339(status.value("expires_at", ""));
  EXPECT_GE(expires_at, unix_now() + 50) << status.dump(2);
  EXPECT_LE(expires_at, unix_now() + 62) << status.dump(2);
}

TEST_F(SipTrunkCallTest, RegistrationRefusedWith403IsFailed) {
  start_pbx();
  const std::uint16_t port = free_port(1, "127.0.0.2");
  SippProcess registrar = provider("registrar_403.xml", port);
  const std::int64_t trunk = create_trunk("Refusing provider", "127.0.0.2", port,
                                          {{"username", "nobody"},
                                           {"password", "wrong"},
                                           {"register", true},
                                           {"register_expires_s", 300}});
  json status = wait_trunk_status(
      trunk, [](const json& s) { return s.value("state", "") == "failed"; },
      std::chrono::seconds(5));
  EXPECT_EQ(status.value("state", ""), "failed") << status.dump(2) << server_->log();
  EXPECT_EQ(status["last_status"], 403) << status.dump(2);
  SippRun run = finish_sipp(registrar, std::chrono::seconds(5));
  EXPECT_EQ(run.exit_code, 0) << run.describe();
}

TEST_F(SipTrunkCallTest, TrunkCallerCannotGoBackOutThroughATrunk) {
  start_pbx();
  const std::uint16_t port = free_port(1, "127.0.0.2");
  const std::int64_t inbound =
      create_trunk("Carrier in", "127.0.0.3", 5060, {{"inbound_sources", {"127.0.0.3"}}});
  const std::int64_t outbound =
      create_trunk("Carrier out", "127.0.0.2", port, {{"from_domain", kProviderDomain}});
  ASSERT_GT(inbound, 0);
  // A rule that takes any number, but not from trunk callers (allow_trunk_callers false).
  create_rule({{"name", "Everyone out"}, {"patterns", {"_X."}}, {"trunks", {outbound}}});
  SippProcess p = provider(provider_answering("1001"), port);  // must see nothing

  const std::string refused =
      scenario_from_template(dir_.path(), "call_uac_refused.xml", {{"STATUS", "404"}});
  const std::string call_id = "fraud-" + random_token(8);
  SippRun run = call(refused, {std::string(kOutside) + ";4155550000;;"}, call_id, {}, "127.0.0.3");
  EXPECT_EQ(run.exit_code, 0) << run.describe() << server_->log();
  // No inbound route takes the number, and no outbound rule lets a trunk caller out.
  EXPECT_NE(run.logs.find("final=SIP/2.0 404"), std::string::npos) << run.logs;
  // Not challenged: the source address is the trunk's credential.
  EXPECT_EQ(run.messages.find("SIP/2.0 401"), std::string::npos) << run.messages;

  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  SippRun prov = stop_sipp(p);
  EXPECT_TRUE(received_requests(prov.messages, "INVITE").empty())
      << "the call from a trunk went out again\n"
      << prov.messages;

  json cdr = ended_cdr(call_id);
  ASSERT_TRUE(cdr.is_object());
  EXPECT_EQ(cdr["disposition"], "failed") << cdr.dump(2);
  EXPECT_EQ(cdr["sip_status"], 404) << cdr.dump(2);
  EXPECT_TRUE(cdr["caller_user"].is_null()) << cdr.dump(2);
  // A call from a trunk is inbound (docs/api.md: internal, outbound or inbound), also when
  // it is refused: `?direction=inbound` is where toll-fraud attempts are looked for.
  EXPECT_EQ(cdr["direction"], "inbound") << cdr.dump(2);
  EXPECT_EQ(cdrs("?direction=inbound").size(), 1u) << cdrs().dump(2);
}

// A trunk misconfigured to point at Cohort itself: the INVITE Cohort sends comes back to it
// (as that trunk's call, allowed out again by the rule) and is recognised by the Via it
// carries — 482, not a call that loops until Max-Forwards runs out.
TEST_F(SipTrunkCallTest, ACallRoutedBackToCohortItselfIsALoop) {
  start_pbx();
  const std::int64_t self =
      create_trunk("Self", "127.0.0.1", udp_port(), {{"inbound_sources", {"127.0.0.1"}}});
  ASSERT_GT(self, 0);
  create_rule({{"name", "Back to us"},
               {"patterns", {"_X."}},
               {"trunks", {self}},
               {"allow_trunk_callers", true}});
  const std::string refused =
      scenario_from_template(dir_.path(), "call_uac_refused.xml", {{"STATUS", "482"}});
  const std::string call_id = "loop-" + random_token(8);
  // The caller is on 127.0.0.5, not a trunk source: an authenticated local user.
  SippRun run = call(refused, {call_row(kOutside, "1001")}, call_id, {}, "127.0.0.5");
  EXPECT_EQ(run.exit_code, 0) << run.describe() << server_->log();
  EXPECT_NE(run.logs.find("final=SIP/2.0 482"), std::string::npos) << run.logs;
  json cdr = ended_cdr(call_id);
  ASSERT_TRUE(cdr.is_object());
  EXPECT_EQ(cdr["sip_status"], 482) << cdr.dump(2);
  EXPECT_EQ(cdr["disposition"], "failed") << cdr.dump(2);
}

/// The RTP port of a logged "m=audio PORT …" line; 0 when there is none.
int logged_port(const std::string& logs, const std::string& name) {
  std::smatch m;
  const std::string line = logged(logs, name);
  return std::regex_search(line, m, std::regex("m=audio ([0-9]+)")) ? std::stoi(m[1]) : 0;
}

// Issue 13, media anchoring: a trunk set to relay (the default) sees only Cohort's media
// address and ports, never the phone's port, SSRC, CNAME or LAN address, in the INVITE and
// in the phone's hold; the phone gets Cohort's ports back. Set to direct, the phone's SDP
// goes to the provider as it was.
TEST_F(SipTrunkCallTest, ARelayedTrunkSeesOnlyCohortsMediaAndADirectOneThePhones) {
  start_pbx();
  const std::uint16_t port = free_port(1, "127.0.0.2");
  const std::int64_t trunk = create_trunk("Provider", "127.0.0.2", port, {});
  ASSERT_GT(create_rule({{"name", "Out"}, {"patterns", {"_X."}}, {"trunks", {trunk}}}), 0);
  const auto in_range = [](int p) { return p >= 20000 && p <= 29999; };

  {
    const std::uint16_t phone_media = free_port(4);
    SippProcess p = provider(scenario_from_template(dir_.path(), "provider_anchored_uas.xml",
                                                    {{"EXPECT_HIDDEN", "true"}}),
                             port);
    const std::string call_id = "anchored-" + random_token(8);
    SippRun run = call("anchored_uac.xml", {call_row(kOutside, "1003")}, call_id,
                       {"-d", "300", "-mp", std::to_string(phone_media)});
    SippRun prov = finish_sipp(p, std::chrono::seconds(10));
    EXPECT_EQ(prov.exit_code, 0) << "the provider saw the phone in the SDP\n"
                                 << prov.describe() << server_->log();
    EXPECT_EQ(run.exit_code, 0) << run.describe();
    const int offered = logged_port(prov.logs, "offer_m");
    EXPECT_TRUE(in_range(offered)) << prov.logs;
    EXPECT_NE(offered, phone_media);
    EXPECT_NE(logged(prov.logs, "offer_m").find("RTP/AVP 0 101"), std::string::npos)
        << prov.logs;  // the phone's codecs, as it offered them
    const int answered = logged_port(run.logs, "answer_m");
    EXPECT_TRUE(in_range(answered)) << run.logs;
    EXPECT_NE(answered, offered);
    // The hold passed the relay both ways, on the same relay ports.
    EXPECT_EQ(logged_port(prov.logs, "hold_m"), offered) << prov.logs;
    EXPECT_NE(logged(prov.logs, "hold_dir").find("sendonly"), std::string::npos) << prov.logs;
    EXPECT_EQ(logged_port(run.logs, "hold_m"), answered) << run.logs;
    EXPECT_NE(logged(run.logs, "hold_dir").find("recvonly"), std::string::npos) << run.logs;
    json cdr = ended_cdr(call_id);
    if (cdr.is_object()) {
      EXPECT_EQ(cdr["disposition"], "answered") << cdr.dump(2);
    }
  }

  patch("/api/v1/trunks/" + std::to_string(trunk), {{"media", "direct"}});
  {
    const std::uint16_t phone_media = free_port(4);
    SippProcess p = provider(scenario_from_template(dir_.path(), "provider_anchored_uas.xml",
                                                    {{"EXPECT_HIDDEN", "false"}}),
                             port);
    const std::string call_id = "direct-" + random_token(8);
    SippRun run = call("anchored_uac.xml", {call_row(kOutside, "1003")}, call_id,
                       {"-d", "300", "-mp", std::to_string(phone_media)});
    SippRun prov = finish_sipp(p, std::chrono::seconds(10));
    EXPECT_EQ(prov.exit_code, 0) << prov.describe() << server_->log();
    EXPECT_EQ(run.exit_code, 0) << run.describe();
    EXPECT_EQ(logged_port(prov.logs, "offer_m"), phone_media) << prov.logs;
    EXPECT_FALSE(in_range(logged_port(run.logs, "answer_m"))) << run.logs;
  }
}

// `[media] relay_networks`: phones there are relayed even phone to phone and not behind NAT;
// by default two phones on their own addresses talk directly.
class SipPhoneMediaTest : public SipTrunkCallTest {
 protected:
  /// 1003 calls 1004; the port 1004 was offered, and the port 1003 got in the answer.
  std::pair<int, int> call_between_phones(bool expect_relayed, std::uint16_t caller_media) {
    SippProcess callee = phone(
        "1004", scenario_from_template(dir_.path(), "provider_anchored_uas.xml",
                                       {{"EXPECT_HIDDEN", expect_relayed ? "true" : "false"}}));
    SippRun run = call("anchored_uac.xml", {call_row("1004", "1003")}, "net-" + random_token(8),
                       {"-d", "300", "-mp", std::to_string(caller_media)});
    SippRun seen = finish_sipp(callee, std::chrono::seconds(10));
    EXPECT_EQ(seen.exit_code, 0) << seen.describe() << server_->log();
    EXPECT_EQ(run.exit_code, 0) << run.describe();
    return {logged_port(seen.logs, "offer_m"), logged_port(run.logs, "answer_m")};
  }
  static bool in_range(int p) { return p >= 20000 && p <= 29999; }
};

TEST_F(SipPhoneMediaTest, PhonesInARelayNetworkAreRelayedPhoneToPhone) {
  start_pbx("[media]\nrelay_networks = [\"127.0.0.0/8\"]\n");
  const std::uint16_t caller_media = free_port(4);
  const auto [offered, answered] = call_between_phones(true, caller_media);
  EXPECT_TRUE(in_range(offered)) << offered;
  EXPECT_NE(offered, caller_media);
  EXPECT_TRUE(in_range(answered)) << answered;
  EXPECT_NE(answered, offered);
}

TEST_F(SipPhoneMediaTest, PhonesOnTheirOwnAddressesTalkDirectlyByDefault) {
  start_pbx();
  const std::uint16_t caller_media = free_port(4);
  const auto [offered, answered] = call_between_phones(false, caller_media);
  EXPECT_EQ(offered, caller_media);
  EXPECT_FALSE(in_range(answered)) << answered;
}

}  // namespace
}  // namespace cohort::testing
