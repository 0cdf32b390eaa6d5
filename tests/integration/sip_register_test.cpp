// Registration (RFC 3261 §10) against the real server: SIPp scenarios over UDP and TCP
// (MD5 digest), the raw client for SHA-256 (RFC 8760), baresip as a real phone, and the
// bindings' persistence across a restart. Every check goes through the wire or the REST API.

#include <signal.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "sip_fixture.hpp"

namespace cohort::testing {
namespace {

using sip::digest::Algorithm;

/// A CSV row for register*.xml / unregister_all.xml (see the field list in register.xml).
std::string sipp_row(const std::string& ext, const std::string& password,
                     const std::string& expires, int cseq_first = 1) {
  return ext + ";[authentication username=" + ext + " password=" + password + "];" + expires + ";" +
         std::to_string(cseq_first) + ";" + std::to_string(cseq_first + 1) + ";";
}

std::string upper(std::string s) {
  for (char& c : s) {
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return s;
}

class SipRegisterTest : public SipTest {
 protected:
  void SetUp() override {
    if (!executable(kSippBinary)) {
      COHORT_REQUIRE_PEER(kSippBinary, "sip-tester");
    }
  }

  SippRun sipp(const std::string& scenario, const std::string& row,
               SipTransport t = SipTransport::kUdp, const std::string& call_id = {},
               std::uint16_t local_port = 0) {
    SippOptions o;
    o.scenario = scenario;
    o.csv_rows = {row};
    o.transport = t;
    o.server_port = sip_port(t);
    o.call_id = call_id;
    o.local_port = local_port;
    return run_sipp(dir_.path(), o);
  }
};

class SipRegisterTransportTest : public SipRegisterTest,
                                 public ::testing::WithParamInterface<SipTransport> {};

TEST_P(SipRegisterTransportTest, SippRegistersWithMd5AndTheApiListsTheBinding) {
  start();
  const SipTransport t = GetParam();
  const std::int64_t before = unix_now();
  SippRun run = sipp("register.xml", sipp_row("1001", "demo-1001", "300"), t);
  ASSERT_EQ(run.exit_code, 0) << run.describe();
  // The 200 lists the binding with the granted expiry (RFC 3261 §10.3 step 8).
  EXPECT_NE(run.logs.find("contact= <sip:1001@127.0.0.1:"), std::string::npos) << run.logs;
  EXPECT_NE(run.logs.find(";expires=300"), std::string::npos) << run.logs;

  std::vector<json> b = bindings_of("1001");
  ASSERT_EQ(b.size(), 1u) << registrations().dump(2);
  const json& reg = b[0];
  EXPECT_EQ(reg["transport"], std::string(to_string(t)));
  EXPECT_EQ(reg["contact"], "sip:1001@127.0.0.1:" + std::to_string(run.local_port) +
                                ";transport=" + upper(std::string(to_string(t))));
  const std::string source = reg["source"].get<std::string>();
  EXPECT_EQ(source.rfind("127.0.0.1:", 0), 0u) << source;
  if (t == SipTransport::kUdp) {
    EXPECT_EQ(source, "127.0.0.1:" + std::to_string(run.local_port));
  }
  EXPECT_EQ(reg["user_agent"], "SIPp-cohort-test");
  const std::int64_t expires_at = parse_rfc3339(reg["expires_at"].get<std::string>());
  EXPECT_GE(expires_at, before + 300 - 2) << reg.dump();
  EXPECT_LE(expires_at, unix_now() + 300 + 2) << reg.dump();
  EXPECT_EQ(metric("cohort_sip_events_total{event=\"registrations\"}"), 1.0);
}

INSTANTIATE_TEST_SUITE_P(Transports, SipRegisterTransportTest,
                         ::testing::Values(SipTransport::kUdp, SipTransport::kTcp),
                         [](const auto& info) { return std::string(to_string(info.param)); });

TEST_F(SipRegisterTest, RegistrationsAreScopedByRole) {
  start();
  ASSERT_EQ(sipp("register.xml", sipp_row("1003", "demo-1003", "300")).exit_code, 0);
  ASSERT_EQ(sipp("register.xml", sipp_row("1004", "demo-1004", "300")).exit_code, 0);
  auto token_for = [&](const std::string& ext) {
    json users = api("GET", "/api/v1/users?q=").json()["items"];
    for (const json& u : users) {
      if (u["extension"] == ext) {
        HttpResult t = api("POST", "/api/v1/tokens", json{{"user_id", u["id"]}}.dump());
        EXPECT_EQ(t.status, 201) << t.body;
        return std::make_pair(u["id"].get<std::int64_t>(), t.json()["token"].get<std::string>());
      }
    }
    ADD_FAILURE() << "no user " << ext;
    return std::make_pair(std::int64_t{0}, std::string());
  };
  auto [agent_id, agent] = token_for("1003");     // demo: an agent
  auto [other_id, other] = token_for("1004");     // another agent
  auto [sup_id, supervisor] = token_for("1002");  // demo: a supervisor
  (void)sup_id;
  auto list = [&](const std::string& token, const std::string& query = "") {
    return http_request(server_->port(), "GET", "/api/v1/registrations" + query, "", token);
  };
  json own = list(agent).json()["items"];
  ASSERT_EQ(own.size(), 1u) << own.dump();
  EXPECT_EQ(own[0]["user_id"], agent_id);
  EXPECT_EQ(list(agent, "?user_id=" + std::to_string(other_id)).status, 403);
  EXPECT_EQ(list(supervisor).json()["items"].size(), 2u);
  EXPECT_EQ(list(supervisor, "?user_id=" + std::to_string(other_id)).json()["items"].size(), 1u);
  EXPECT_EQ(list("").status, 401);
  EXPECT_EQ(list(agent, "?user_id=abc").status, 400);
  // Bans are for admins and supervisors only; lifting them for admins only.
  EXPECT_EQ(http_request(server_->port(), "GET", "/api/v1/security/bans", "", agent).status, 403);
  EXPECT_EQ(http_request(server_->port(), "GET", "/api/v1/security/bans", "", supervisor).status,
            200);
  EXPECT_EQ(
      http_request(server_->port(), "DELETE", "/api/v1/security/bans/127.0.0.9", "", supervisor)
          .status,
      403);
  EXPECT_EQ(api("DELETE", "/api/v1/security/bans/127.0.0.9").status, 404);
}

TEST_F(SipRegisterTest, WrongPasswordIsChallengedAgainAfterTheAuthenticatedAttempt) {
  start();
  SippRun run = sipp("register_rejected.xml", sipp_row("1001", "not-the-password", "300"));
  ASSERT_EQ(run.exit_code, 0) << run.describe();
  EXPECT_NE(run.logs.find("challenge= Digest realm=\"cohort\""), std::string::npos) << run.logs;
  EXPECT_TRUE(bindings_of("1001").empty());
  EXPECT_EQ(metric("cohort_sip_events_total{event=\"auth_failures\"}"), 1.0);
}

TEST_F(SipRegisterTest, UnknownUserIsChallengedAgainAfterTheAuthenticatedAttempt) {
  start();
  SippRun run =
      sipp("register_rejected.xml", sipp_row("1999", "demo-1999", "300"), SipTransport::kTcp);
  ASSERT_EQ(run.exit_code, 0) << run.describe();
  EXPECT_NE(run.logs.find("challenge= Digest realm=\"cohort\""), std::string::npos) << run.logs;
  EXPECT_TRUE(registrations().empty());
  EXPECT_EQ(metric("cohort_sip_events_total{event=\"auth_failures\"}"), 1.0);
}

TEST_F(SipRegisterTest, RefreshWithAHigherCSeqExtendsTheExpiry) {
  start();
  const std::string call_id = "refresh-" + random_token(12);
  const std::uint16_t port = free_port();
  SippRun first = sipp("register.xml", sipp_row("1001", "demo-1001", "120", 1), SipTransport::kUdp,
                       call_id, port);
  ASSERT_EQ(first.exit_code, 0) << first.describe();
  std::vector<json> b = bindings_of("1001");
  ASSERT_EQ(b.size(), 1u);
  const std::int64_t expires1 = parse_rfc3339(b[0]["expires_at"].get<std::string>());
  EXPECT_LE(expires1, unix_now() + 122);

  // The same Call-ID, higher CSeqs (3 and 4): a refresh of the same binding (§10.3 step 7).
  SippRun refresh = sipp("register.xml", sipp_row("1001", "demo-1001", "3600", 3),
                         SipTransport::kUdp, call_id, port);
  ASSERT_EQ(refresh.exit_code, 0) << refresh.describe();
  EXPECT_NE(refresh.logs.find(";expires=3600"), std::string::npos) << refresh.logs;
  b = bindings_of("1001");
  ASSERT_EQ(b.size(), 1u) << registrations().dump(2);
  const std::int64_t expires2 = parse_rfc3339(b[0]["expires_at"].get<std::string>());
  EXPECT_GT(expires2, expires1);
  EXPECT_GE(expires2, unix_now() + 3600 - 5);
}

TEST_F(SipRegisterTest, ExpiresZeroRemovesTheBinding) {
  start();
  const std::uint16_t port = free_port();
  SippRun reg =
      sipp("register.xml", sipp_row("1002", "demo-1002", "300"), SipTransport::kUdp, {}, port);
  ASSERT_EQ(reg.exit_code, 0) << reg.describe();
  ASSERT_EQ(bindings_of("1002").size(), 1u);

  SippRun unreg =
      sipp("register.xml", sipp_row("1002", "demo-1002", "0"), SipTransport::kUdp, {}, port);
  ASSERT_EQ(unreg.exit_code, 0) << unreg.describe();
  EXPECT_TRUE(bindings_of("1002").empty()) << registrations().dump(2);
  EXPECT_EQ(metric("cohort_sip_state{kind=\"bindings\"}"), 0.0);
}

TEST_F(SipRegisterTest, ContactStarWithExpiresZeroRemovesEveryBindingOfTheUser) {
  start();
  SippRun udp = sipp("register.xml", sipp_row("1003", "demo-1003", "300"), SipTransport::kUdp);
  ASSERT_EQ(udp.exit_code, 0) << udp.describe();
  SippRun tcp = sipp("register.xml", sipp_row("1003", "demo-1003", "300"), SipTransport::kTcp);
  ASSERT_EQ(tcp.exit_code, 0) << tcp.describe();
  SippRun other = sipp("register.xml", sipp_row("1004", "demo-1004", "300"), SipTransport::kUdp);
  ASSERT_EQ(other.exit_code, 0) << other.describe();
  ASSERT_EQ(bindings_of("1003").size(), 2u) << registrations().dump(2);

  SippRun star = sipp("unregister_all.xml", sipp_row("1003", "demo-1003", "0"));
  ASSERT_EQ(star.exit_code, 0) << star.describe();
  EXPECT_TRUE(bindings_of("1003").empty()) << registrations().dump(2);
  EXPECT_EQ(bindings_of("1004").size(), 1u) << "another user's binding must stay";
}

TEST_F(SipRegisterTest, ExpiresBelowMinExpiresIs423WithMinExpires) {
  start("[sip]\nmin_expires = 60\n");
  SippRun run = sipp("register_423.xml", sipp_row("1001", "demo-1001", "10"));
  ASSERT_EQ(run.exit_code, 0) << run.describe();
  EXPECT_NE(run.logs.find("min_expires=60"), std::string::npos) << run.logs;
  EXPECT_TRUE(bindings_of("1001").empty());
}

TEST_F(SipRegisterTest, BindingsSurviveARestart) {
  start();
  SippRun run = sipp("register.xml", sipp_row("1005", "demo-1005", "600"), SipTransport::kTcp);
  ASSERT_EQ(run.exit_code, 0) << run.describe();
  std::vector<json> before = bindings_of("1005");
  ASSERT_EQ(before.size(), 1u);

  restart();
  std::vector<json> after = bindings_of("1005");
  ASSERT_EQ(after.size(), 1u) << registrations().dump(2) << server_->log();
  EXPECT_EQ(after[0]["contact"], before[0]["contact"]);
  EXPECT_EQ(after[0]["expires_at"], before[0]["expires_at"]);
  EXPECT_EQ(after[0]["transport"], "tcp");
  EXPECT_EQ(after[0]["source"], before[0]["source"]);
  EXPECT_EQ(after[0]["user_agent"], "SIPp-cohort-test");
  EXPECT_EQ(metric("cohort_sip_state{kind=\"bindings\"}"), 1.0);
}

TEST_F(SipRegisterTest, SippRegistersEveryDemoUser) {
  start();
  SippOptions o;
  o.scenario = "register.xml";
  for (int ext = 1001; ext <= 1008; ++ext) {
    o.csv_rows.push_back(sipp_row(std::to_string(ext), "demo-" + std::to_string(ext), "300"));
  }
  o.server_port = udp_port();
  o.extra_args = {"-r", "100", "-l", "8"};
  SippRun run = run_sipp(dir_.path(), o);
  ASSERT_EQ(run.exit_code, 0) << run.describe();
  json all = registrations();
  EXPECT_EQ(all.size(), 8u) << all.dump(2);
  for (int ext = 1001; ext <= 1008; ++ext) {
    EXPECT_EQ(bindings_of(std::to_string(ext)).size(), 1u) << ext;
  }
  EXPECT_EQ(metric("cohort_sip_state{kind=\"bindings\"}"), 8.0);
}

// ---- SHA-256 (RFC 8760) with the raw client: SIPp 3.6 only does MD5 -------------------

TEST_F(SipTest, Sha256ChallengeIsOfferedFirstAndAnswered) {
  start("[sip]\ndigest_algorithms = [\"SHA-256\", \"MD5\"]\n");
  SipClient c(SipTransport::kUdp, "127.0.0.1", udp_port());
  ASSERT_TRUE(c.ok()) << c.error();
  SipUac uac(c, "1001");
  SipRequest r;
  r.contact = c.contact("1001");
  r.expires = "300";
  auto challenge = uac.request(r);
  ASSERT_TRUE(challenge);
  ASSERT_EQ(challenge->status(), 401);
  std::vector<std::string> offers = www_authenticate_values(*challenge);
  ASSERT_EQ(offers.size(), 2u) << challenge->bytes();
  auto sha = parse_challenge(offers[0]);
  auto md5 = parse_challenge(offers[1]);
  ASSERT_TRUE(sha && md5) << challenge->bytes();
  EXPECT_EQ(sha->param("algorithm"), "SHA-256");
  EXPECT_EQ(md5->param("algorithm"), "MD5");
  EXPECT_EQ(sha->param("nonce"), md5->param("nonce")) << "RFC 7616 §3.7: one nonce, two headers";

  auto auth = authorization_for(*challenge, demo_user("1001", Algorithm::kSha256), "REGISTER",
                                c.server_uri());
  ASSERT_TRUE(auth);
  auto ok = uac.request(r, *auth);
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status(), 200) << ok->bytes();
  EXPECT_EQ(bindings_of("1001").size(), 1u);

  // MD5 is still accepted next to it (over TCP, another user).
  SipClient tcp(SipTransport::kTcp, "127.0.0.1", tcp_port());
  ASSERT_TRUE(tcp.ok()) << tcp.error();
  auto md5_ok = register_user(tcp, demo_user("1002", Algorithm::kMd5));
  ASSERT_TRUE(md5_ok);
  EXPECT_EQ(md5_ok->status(), 200) << md5_ok->bytes();
  std::vector<json> b = bindings_of("1002");
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0]["transport"], "tcp");
  EXPECT_EQ(b[0]["user_agent"], "cohort-sip-test");
}

TEST_F(SipTest, Sha256IsNotOfferedByDefault) {
  start();
  SipClient c(SipTransport::kUdp, "127.0.0.1", udp_port());
  ASSERT_TRUE(c.ok()) << c.error();
  SipUac uac(c, "1001");
  SipRequest r;
  r.contact = c.contact("1001");
  auto challenge = uac.request(r);
  ASSERT_TRUE(challenge);
  ASSERT_EQ(challenge->status(), 401);
  std::vector<std::string> offers = www_authenticate_values(*challenge);
  ASSERT_EQ(offers.size(), 1u) << challenge->bytes();
  auto md5 = parse_challenge(offers[0]);
  ASSERT_TRUE(md5);
  EXPECT_EQ(md5->param("algorithm"), "MD5");
  EXPECT_FALSE(authorization_for(*challenge, demo_user("1001", Algorithm::kSha256), "REGISTER",
                                 c.server_uri()));
}

// ---- registrar rules with the raw client ---------------------------------------------------

/// The expires parameter of the first Contact of a 200 to REGISTER, -1 when absent.
int granted_expires(const sip::Message& ok) {
  auto contact = ok.header(sip::HeaderId::kContact);
  if (!contact) {
    return -1;
  }
  auto at = contact->find(";expires=");
  return at == std::string_view::npos ? -1
                                      : std::atoi(std::string(contact->substr(at + 9)).c_str());
}

TEST_F(SipTest, ExpiresDefaultsAndIsCappedByTheServer) {
  start("[sip]\ndefault_expires = 1800\nmax_expires = 3000\n");
  SipClient c(SipTransport::kUdp, "127.0.0.1", udp_port());
  ASSERT_TRUE(c.ok()) << c.error();
  SipUac uac(c, "1001");
  SipRequest r;
  r.contact = c.contact("1001");
  auto ok = uac.request_with_auth(r, demo_user("1001"));  // no Expires at all
  ASSERT_TRUE(ok);
  ASSERT_EQ(ok->status(), 200) << ok->bytes();
  EXPECT_EQ(granted_expires(*ok), 1800) << ok->bytes();

  r.expires = "100000";
  ok = uac.request_with_auth(r, demo_user("1001"));
  ASSERT_TRUE(ok);
  ASSERT_EQ(ok->status(), 200) << ok->bytes();
  EXPECT_EQ(granted_expires(*ok), 3000) << ok->bytes();
  std::vector<json> b = bindings_of("1001");
  ASSERT_EQ(b.size(), 1u);
  EXPECT_LE(parse_rfc3339(b[0]["expires_at"].get<std::string>()), unix_now() + 3000 + 2);
}

TEST_F(SipTest, ReplayedCredentialsAreChallengedAgain) {
  start();
  SipClient c(SipTransport::kUdp, "127.0.0.1", udp_port());
  ASSERT_TRUE(c.ok()) << c.error();
  SipUac uac(c, "1001");
  SipRequest r;
  r.contact = c.contact("1001");
  r.expires = "300";
  auto challenge = uac.request(r);
  ASSERT_TRUE(challenge);
  ASSERT_EQ(challenge->status(), 401);
  auto auth = authorization_for(*challenge, demo_user("1001"), "REGISTER", c.server_uri(), 1);
  ASSERT_TRUE(auth);
  auto ok = uac.request(r, *auth);
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status(), 200) << ok->bytes();
  // The very same Authorization (nonce, nc=1) in a new request: a replay (RFC 7616 §3.4).
  auto replay = uac.request(r, *auth);
  ASSERT_TRUE(replay);
  EXPECT_EQ(replay->status(), 401) << replay->bytes();
  // The next nonce-count of the same nonce is fine.
  auto next = authorization_for(*challenge, demo_user("1001"), "REGISTER", c.server_uri(), 2);
  ASSERT_TRUE(next);
  auto ok2 = uac.request(r, *next);
  ASSERT_TRUE(ok2);
  EXPECT_EQ(ok2->status(), 200) << ok2->bytes();
}

TEST_F(SipTest, RefreshWithAnOlderCSeqIsRefused) {
  start();
  SipClient c(SipTransport::kUdp, "127.0.0.1", udp_port());
  ASSERT_TRUE(c.ok()) << c.error();
  SipUac uac(c, "1001");
  SipRequest r;
  r.contact = c.contact("1001");
  r.expires = "300";
  auto ok = uac.request_with_auth(r, demo_user("1001"));  // CSeq 1 (401), CSeq 2 (200)
  ASSERT_TRUE(ok);
  ASSERT_EQ(ok->status(), 200);
  const json before = bindings_of("1001").at(0);

  // RFC 3261 §10.3 step 7: same Call-ID, CSeq not higher than the binding's → the update is
  // aborted and the request fails.
  uac.cseq() = 0;
  r.expires = "3600";
  auto stale = uac.request_with_auth(r, demo_user("1001"));  // CSeq 1 (401), CSeq 2
  ASSERT_TRUE(stale);
  EXPECT_GE(stale->status(), 400) << stale->bytes();
  std::vector<json> after = bindings_of("1001");
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(after[0]["expires_at"], before["expires_at"]);
}

TEST_F(SipTest, RegisteringAnotherUsersAddressIsForbidden) {
  start();
  SipClient c(SipTransport::kUdp, "127.0.0.1", udp_port());
  ASSERT_TRUE(c.ok()) << c.error();
  SipUac uac(c, "1001");
  SipRequest r;
  r.to_user = "1002";  // 1001's credentials for 1002's address of record
  r.contact = c.contact("1002");
  r.expires = "300";
  auto m = uac.request_with_auth(r, demo_user("1001"));
  ASSERT_TRUE(m);
  EXPECT_EQ(m->status(), 403) << m->bytes();
  EXPECT_TRUE(registrations().empty());
}

TEST_F(SipTest, OutboundAndPathParametersAreStored) {
  start();
  SipClient c(SipTransport::kTcp, "127.0.0.1", tcp_port());
  ASSERT_TRUE(c.ok()) << c.error();
  SipUac uac(c, "1001");
  SipRequest r;
  // RFC 5626 §4.2 instance and flow, RFC 3327 Path, a q-value.
  r.contact = c.contact("1001") +
              ";+sip.instance=\"<urn:uuid:00000000-0000-1000-8000-000000000001>\";reg-id=1;q=0.5";
  r.expires = "600";
  r.headers = {{"Supported", "path, outbound"}, {"Path", "<sip:edge.example.com;lr>"}};
  auto ok = uac.request_with_auth(r, demo_user("1001"));
  ASSERT_TRUE(ok);
  ASSERT_EQ(ok->status(), 200) << ok->bytes();
  EXPECT_EQ(ok->header(sip::HeaderId::kPath), "<sip:edge.example.com;lr>") << ok->bytes();
  std::vector<json> b = bindings_of("1001");
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0]["instance_id"], "<urn:uuid:00000000-0000-1000-8000-000000000001>") << b[0];
  EXPECT_EQ(b[0]["reg_id"], 1) << b[0];
  EXPECT_DOUBLE_EQ(b[0]["q"].get<double>(), 0.5) << b[0];
  EXPECT_EQ(b[0]["path"], json::array({"<sip:edge.example.com;lr>"})) << b[0];
  EXPECT_EQ(b[0]["transport"], "tcp");
}

TEST_F(SipTest, MoreThanTenContactsIsRefused) {
  start();
  SipClient c(SipTransport::kUdp, "127.0.0.1", udp_port());
  ASSERT_TRUE(c.ok()) << c.error();
  SipUac uac(c, "1001");
  SipRequest r;
  std::string contacts;
  for (int i = 0; i < 11; ++i) {
    contacts += (i == 0 ? "" : ", ") + std::string("<sip:1001@127.0.0.1:") +
                std::to_string(20000 + i) + ">";
  }
  r.contact = contacts;
  r.expires = "300";
  auto m = uac.request_with_auth(r, demo_user("1001"));
  ASSERT_TRUE(m);
  EXPECT_EQ(m->status(), 403) << m->bytes();
  EXPECT_TRUE(bindings_of("1001").empty());
}

TEST_F(SipTest, ExpiredBindingsAreSwept) {
  start("[sip]\nmin_expires = 1\n");
  SipClient c(SipTransport::kUdp, "127.0.0.1", udp_port());
  ASSERT_TRUE(c.ok()) << c.error();
  auto ok = register_user(c, demo_user("1001"), "1");
  ASSERT_TRUE(ok);
  ASSERT_EQ(ok->status(), 200) << ok->bytes();
  // Swept once a second: the gauge (not filtered by expiry, unlike the API) drops to 0.
  const auto deadline = std::chrono::steady_clock::now() + 6s;
  double bindings = -1;
  while (std::chrono::steady_clock::now() < deadline) {
    bindings = metric("cohort_sip_state{kind=\"bindings\"}").value_or(-1);
    if (bindings == 0) {
      break;
    }
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(bindings, 0);
  EXPECT_TRUE(registrations().empty());
  // And it stays gone after a restart (deleted from the store).
  restart();
  EXPECT_TRUE(registrations().empty());
  EXPECT_EQ(metric("cohort_sip_state{kind=\"bindings\"}"), 0.0);
}

// Phones refresh with the nonce they were last given (pre-emptive Authorization with the
// next nc). The nonce key is per process, so after a restart those nonces are unknown: the
// server must re-challenge — but a phone that knows its password has not failed to
// authenticate. Three phones behind one address (a NAT; ban_after_failures = 3 here, five
// phones with the default 5) must not get that address banned by a restart.
TEST_F(SipTest, CachedNoncesFromBeforeARestartDoNotBanTheirSource) {
  start("[security]\nban_after_failures = 3\n");
  struct Phone {
    std::unique_ptr<SipClient> client;
    std::string ext;
    std::optional<sip::Message> challenge;
  };
  std::vector<Phone> phones;
  SipRequest r;
  r.expires = "300";
  for (const char* ext : {"1001", "1002", "1003"}) {
    Phone p{std::make_unique<SipClient>(SipTransport::kUdp, "127.0.0.6", udp_port()), ext, {}};
    ASSERT_TRUE(p.client->ok()) << p.client->error();
    SipUac uac(*p.client, ext);
    r.contact = p.client->contact(ext);
    p.challenge = uac.request(r);
    ASSERT_TRUE(p.challenge);
    auto auth =
        authorization_for(*p.challenge, demo_user(ext), "REGISTER", p.client->server_uri(), 1);
    ASSERT_TRUE(auth);
    auto ok = uac.request(r, *auth);
    ASSERT_TRUE(ok);
    ASSERT_EQ(ok->status(), 200);
    phones.push_back(std::move(p));
  }
  restart();

  for (Phone& p : phones) {
    SCOPED_TRACE(p.ext);
    // The phone's socket outlived the server; talk to the new port from a new one.
    SipClient c(SipTransport::kUdp, "127.0.0.6", udp_port());
    SipUac uac(c, p.ext);
    r.contact = p.client->contact(p.ext);
    auto cached = authorization_for(*p.challenge, demo_user(p.ext), "REGISTER", c.server_uri(), 2);
    ASSERT_TRUE(cached);
    auto first = uac.request(r, *cached);
    ASSERT_TRUE(first) << "no answer to the refresh with the cached nonce";
    // The nonce key survives the restart, so a cached nonce is still good (200); a server
    // that re-challenges instead (401) must then accept the fresh answer. Either way the
    // right password never counts as a failure.
    std::optional<sip::Message> ok;
    if (first->status() == 200) {
      ok = std::move(first);
    } else {
      EXPECT_EQ(first->status(), 401);
      auto fresh = authorization_for(*first, demo_user(p.ext), "REGISTER", c.server_uri(), 1);
      ASSERT_TRUE(fresh);
      ok = uac.request(r, *fresh, 1s);
    }
    if (!ok) {
      ADD_FAILURE() << "no answer to the right password: the source was banned\n"
                    << api("GET", "/api/v1/security/bans").body;
      continue;
    }
    EXPECT_EQ(ok->status(), 200);
  }
  EXPECT_TRUE(api("GET", "/api/v1/security/bans").json()["items"].empty());
  EXPECT_EQ(metric("cohort_sip_events_total{event=\"auth_failures\"}"), 0.0)
      << "a right password with an outdated nonce counted as a failed authentication";
}

// ---- baresip, a real phone ---------------------------------------------------------------

TEST_F(SipTest, BaresipRegistersAndUnregistersOnSigterm) {
  if (!executable(kBaresipBinary)) {
    COHORT_REQUIRE_PEER(kBaresipBinary, "baresip-core");
  }
  start();
  const std::string home = dir_.path() + "/baresip-home";
  const std::string conf = home + "/.baresip";
  std::filesystem::create_directories(conf);
  // baresip binds UDP and TCP on its SIP port and TLS on the next one.
  const std::uint16_t port = free_port(2);
  write_text(conf + "/config",
             "poll_method poll\n"
             "sip_listen 127.0.0.1:" +
                 std::to_string(port) +
                 "\n"
                 "net_interface 127.0.0.1\n"
                 "dns_server 127.0.0.1:53\n"
                 "module_path /usr/lib/baresip/modules\n"
                 "module g711.so\n"
                 "module aubridge.so\n"
                 "module_app account.so\n"
                 "audio_player aubridge,none\n"
                 "audio_source aubridge,none\n");
  write_text(conf + "/accounts", "<sip:1002@127.0.0.1:" + std::to_string(udp_port()) +
                                     ">;auth_pass=demo-1002;regint=300\n");
  // -t 30: baresip quits by itself after 30 s should the test lose track of it.
  ChildProcess baresip({kBaresipBinary, "-f", conf, "-t", "30"}, dir_.path() + "/baresip.log",
                       {{"HOME", home}});
  ASSERT_TRUE(baresip.started());
  ASSERT_TRUE(wait_bindings("1002", 1)) << baresip.output() << server_->log();
  std::vector<json> b = bindings_of("1002");
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0]["transport"], "udp");
  EXPECT_EQ(b[0]["source"], "127.0.0.1:" + std::to_string(port));
  EXPECT_NE(b[0]["user_agent"].get<std::string>().find("baresip"), std::string::npos) << b[0];
  EXPECT_NE(b[0]["contact"].get<std::string>().find("@127.0.0.1:" + std::to_string(port)),
            std::string::npos)
      << b[0];

  // SIGTERM: baresip un-registers (Expires: 0) before it exits.
  baresip.signal(SIGTERM);
  EXPECT_NE(baresip.wait_or_kill(std::chrono::seconds(10)), -1) << "baresip did not stop";
  EXPECT_TRUE(wait_bindings("1002", 0, std::chrono::seconds(5)))
      << registrations().dump(2) << baresip.output();
  EXPECT_NE(baresip.output().find("200 OK"), std::string::npos) << baresip.output();
}

}  // namespace
}  // namespace cohort::testing
