// Security against the real server: failed authentications look the same for existing and
// unknown extensions (checked by hand and with svwar), brute force gets the source banned
// (listed, counted, liftable over the API; trusted networks exempt), unauthenticated floods
// are rate limited per source.

#include <algorithm>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "sip_fixture.hpp"

namespace cohort::testing {
namespace {

using sip::digest::Algorithm;

std::vector<std::string> header_names(const sip::Message& m) {
  std::vector<std::string> out;
  for (const sip::Header& h : m.headers()) {
    std::string name(h.name);
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    out.push_back(name);
  }
  return out;
}

std::vector<std::string> param_names(const DigestChallenge& c) {
  std::vector<std::string> out;
  for (const auto& [name, value] : c.params) {
    out.push_back(name);
  }
  return out;
}

bool base64url(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) {
    return std::isalnum(c) != 0 || c == '-' || c == '_';
  });
}

/// Two 401s must not tell an extension that exists from one that does not.
void expect_same_shape(const sip::Message& a, const sip::Message& b) {
  EXPECT_EQ(a.status(), b.status());
  EXPECT_EQ(a.reason(), b.reason());
  EXPECT_EQ(header_names(a), header_names(b)) << a.bytes() << "\n---\n" << b.bytes();
  std::vector<std::string> wa = www_authenticate_values(a);
  std::vector<std::string> wb = www_authenticate_values(b);
  ASSERT_EQ(wa.size(), wb.size());
  ASSERT_FALSE(wa.empty());
  for (std::size_t i = 0; i < wa.size(); ++i) {
    auto ca = parse_challenge(wa[i]);
    auto cb = parse_challenge(wb[i]);
    ASSERT_TRUE(ca) << wa[i];
    ASSERT_TRUE(cb) << wb[i];
    EXPECT_EQ(ca->scheme, cb->scheme);
    EXPECT_EQ(param_names(*ca), param_names(*cb)) << wa[i] << "\n" << wb[i];
    EXPECT_EQ(ca->quoted, cb->quoted) << wa[i] << "\n" << wb[i];
    EXPECT_EQ(ca->param("realm"), cb->param("realm"));
    EXPECT_EQ(ca->param("qop"), cb->param("qop"));
    EXPECT_EQ(ca->param("algorithm"), cb->param("algorithm"));
    EXPECT_EQ(ca->param("stale"), cb->param("stale"));
    EXPECT_EQ(ca->param("opaque").has_value(), cb->param("opaque").has_value());
    const std::string na = ca->param("nonce").value_or("");
    const std::string nb = cb->param("nonce").value_or("");
    EXPECT_EQ(na.size(), nb.size()) << na << " / " << nb;
    EXPECT_TRUE(base64url(na)) << na;
    EXPECT_TRUE(base64url(nb)) << nb;
    EXPECT_NE(na, nb) << "every challenge carries a fresh nonce";
  }
}

class SipSecurityTransportTest : public SipTest,
                                 public ::testing::WithParamInterface<SipTransport> {};

TEST_P(SipSecurityTransportTest, WrongPasswordAndUnknownExtensionGetTheSameAnswer) {
  start();
  const SipTransport t = GetParam();
  SipClient c(t, "127.0.0.1", sip_port(t));
  ASSERT_TRUE(c.ok()) << c.error();

  std::string first_challenge;
  SipUac existing(c, "1001");
  SipRequest r;
  r.contact = c.contact("1001");
  r.expires = "300";
  auto wrong_password =
      existing.request_with_auth(r, DigestUser{"1001", "wrong"}, 2s, &first_challenge);
  ASSERT_TRUE(wrong_password);
  EXPECT_EQ(wrong_password->status(), 401);

  SipUac unknown(c, "1999");
  r.contact = c.contact("1999");
  auto no_such_user = unknown.request_with_auth(r, DigestUser{"1999", "demo-1999"});
  ASSERT_TRUE(no_such_user);
  EXPECT_EQ(no_such_user->status(), 401);
  expect_same_shape(*wrong_password, *no_such_user);

  // And the same as the challenge to a request without credentials.
  auto plain = sip::parse(first_challenge);
  ASSERT_TRUE(plain);
  expect_same_shape(*plain, *no_such_user);
  EXPECT_EQ(metric("cohort_sip_events_total{event=\"auth_failures\"}"), 2.0);
  EXPECT_EQ(metric("cohort_sip_auth_failures_total{reason=\"wrong_password\"}"), 1.0);
  EXPECT_EQ(metric("cohort_sip_auth_failures_total{reason=\"unknown_user\"}"), 1.0);
  EXPECT_EQ(metric("cohort_sip_auth_failures_total{reason=\"inactive_user\"}"), 0.0);
  // The log tells the operator what the wire does not: who failed, from where, and why.
  const std::string log = server_->log();
  EXPECT_NE(log.find("event=auth_failed method=REGISTER source=127.0.0.1 username=1001 "
                     "reason=wrong_password"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("event=auth_failed method=REGISTER source=127.0.0.1 username=1999 "
                     "reason=unknown_user"),
            std::string::npos)
      << log;
}

INSTANTIATE_TEST_SUITE_P(Transports, SipSecurityTransportTest,
                         ::testing::Values(SipTransport::kUdp, SipTransport::kTcp),
                         [](const auto& info) { return std::string(to_string(info.param)); });

TEST_F(SipTest, SvwarFindsNoExtension) {
  if (!executable(kSvwarBinary)) {
    COHORT_REQUIRE_PEER(kSvwarBinary, "sipvicious");
  }
  // svwar sends unauthenticated requests, which never count as failed authentications, so no
  // ban can start; the only limit it could meet is the per-source rate limit (its probes and
  // retransmissions come fast), which would make some extensions look silent rather than
  // absent. Trusting 127.0.0.1 takes both limits out of the picture: what svwar reports then
  // depends on the answers alone.
  start("[security]\ntrusted_networks = [\"127.0.0.1/32\"]\n");
  const std::string home = dir_.path() + "/svwar-home";
  std::filesystem::create_directories(home);
  for (const char* method : {"REGISTER", "INVITE", "OPTIONS"}) {
    const double before = metric("cohort_sip_events_total{event=\"requests\"}").value_or(-1);
    ChildProcess svwar({kSvwarBinary, "-e1000-1010", "-m", method, "-p", std::to_string(udp_port()),
                        "-P", std::to_string(free_port()), "-b", "127.0.0.1", "127.0.0.1"},
                       dir_.path() + "/svwar-" + method + ".log", {{"HOME", home}});
    ASSERT_TRUE(svwar.started());
    EXPECT_EQ(svwar.wait_or_kill(std::chrono::seconds(30)), 0) << svwar.output();
    const std::string out = svwar.output();
    // svwar prints a table ("| Extension | Authentication |" and one row per extension)
    // when it finds any, "found nothing" otherwise.
    EXPECT_NE(out.find("found nothing"), std::string::npos) << method << "\n" << out;
    EXPECT_EQ(out.find("Extension"), std::string::npos) << method << "\n" << out;
    for (int ext = 1000; ext <= 1010; ++ext) {
      EXPECT_EQ(out.find("| " + std::to_string(ext)), std::string::npos) << method << "\n" << out;
    }
    // It did talk to the server (found nothing is also what silence would give).
    EXPECT_GT(metric("cohort_sip_events_total{event=\"requests\"}").value_or(-1), before) << out;
  }
}

TEST_F(SipTest, BruteForceBansTheSourceUntilLifted) {
  start(
      "[security]\n"
      "ban_after_failures = 3\n"
      "trusted_networks = [\"127.0.0.3/32\"]\n");
  SipClient attacker(SipTransport::kUdp, "127.0.0.2", udp_port());
  ASSERT_TRUE(attacker.ok()) << attacker.error();
  SipUac uac(attacker, "1001");
  SipRequest r;
  r.contact = attacker.contact("1001");
  r.expires = "300";
  const DigestUser wrong{"1001", "guess"};
  auto response = uac.request(r);
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(response) << "attempt " << i;
    ASSERT_EQ(response->status(), 401) << response->bytes();
    // Each attempt answers the fresh challenge of the previous response.
    auto auth = authorization_for(*response, wrong, "REGISTER", attacker.server_uri());
    ASSERT_TRUE(auth);
    response = uac.request(r, *auth, 1s);
  }
  // Banned: nothing from 127.0.0.2 is answered, other sources are.
  EXPECT_EQ(options_status(attacker, 1s), 0);
  EXPECT_EQ(options_from("127.0.0.1"), 200);
  {
    SipClient tcp(SipTransport::kTcp, "127.0.0.2", tcp_port());
    if (tcp.ok()) {
      EXPECT_EQ(options_status(tcp, 1s), 0) << "a banned source is not answered over TCP";
    }
  }

  HttpResult bans = api("GET", "/api/v1/security/bans");
  ASSERT_EQ(bans.status, 200) << bans.body;
  json items = bans.json()["items"];
  ASSERT_EQ(items.size(), 1u) << bans.body;
  EXPECT_EQ(items[0]["address"], "127.0.0.2");
  const std::int64_t since = parse_rfc3339(items[0]["since"].get<std::string>());
  const std::int64_t until = parse_rfc3339(items[0]["until"].get<std::string>());
  EXPECT_NEAR(static_cast<double>(until - since), 300.0, 2.0) << bans.body;
  EXPECT_FALSE(items[0]["reason"].get<std::string>().empty());
  EXPECT_EQ(metric("cohort_sip_security_events_total{event=\"ban\"}"), 1.0);
  EXPECT_GE(metric("cohort_sip_security_events_total{event=\"banned_drop\"}").value_or(0), 1.0);

  HttpResult lift = api("DELETE", "/api/v1/security/bans/127.0.0.2");
  EXPECT_EQ(lift.status, 204) << lift.body;
  EXPECT_EQ(options_status(attacker), 200);
  EXPECT_EQ(api("DELETE", "/api/v1/security/bans/127.0.0.2").status, 404);
  EXPECT_TRUE(api("GET", "/api/v1/security/bans").json()["items"].empty());

  // A trusted source is never banned, however often it fails.
  SipClient trusted(SipTransport::kUdp, "127.0.0.3", udp_port());
  ASSERT_TRUE(trusted.ok()) << trusted.error();
  SipUac tuac(trusted, "1002");
  r.contact = trusted.contact("1002");
  response = tuac.request(r);
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(response) << "trusted attempt " << i;
    ASSERT_EQ(response->status(), 401);
    auto auth =
        authorization_for(*response, DigestUser{"1002", "guess"}, "REGISTER", trusted.server_uri());
    ASSERT_TRUE(auth);
    response = tuac.request(r, *auth);
  }
  ASSERT_TRUE(response) << "the trusted source is still answered";
  EXPECT_EQ(response->status(), 401);
  EXPECT_EQ(options_status(trusted), 200);
  EXPECT_TRUE(api("GET", "/api/v1/security/bans").json()["items"].empty());
  EXPECT_EQ(metric("cohort_sip_security_events_total{event=\"ban\"}"), 1.0);
  EXPECT_EQ(metric("cohort_sip_events_total{event=\"auth_failures\"}"), 8.0);
}

TEST_F(SipTest, UnauthenticatedFloodIsRateLimitedPerSource) {
  start(
      "[security]\n"
      "rate_per_second = 5\n"
      "rate_burst = 5\n");
  SipClient flood(SipTransport::kUdp, "127.0.0.4", udp_port());
  ASSERT_TRUE(flood.ok()) << flood.error();
  SipUac uac(flood, "probe");
  SipRequest r;
  r.method = "OPTIONS";
  std::vector<std::string> requests;
  for (int i = 0; i < 20; ++i) {
    requests.push_back(uac.build(r));
  }
  for (const std::string& bytes : requests) {
    ASSERT_TRUE(flood.send_raw(bytes));
  }
  // Count the answers until 1 s of silence (3 s at most).
  int answered = 0;
  const auto deadline = std::chrono::steady_clock::now() + 3s;
  while (std::chrono::steady_clock::now() < deadline) {
    auto m = flood.receive(1s);
    if (!m) {
      break;
    }
    if (!m->is_request() && m->status() == 200) {
      ++answered;
    }
  }
  // The burst (5), plus at most one token refilled while the 20 datagrams were handled.
  EXPECT_GE(answered, 5);
  EXPECT_LE(answered, 6);
  EXPECT_GE(metric("cohort_sip_security_events_total{event=\"rate_limited\"}").value_or(0), 14.0);
  // Another source has its own bucket.
  EXPECT_EQ(options_from("127.0.0.1"), 200);
  // Rate limiting is not a ban.
  EXPECT_TRUE(api("GET", "/api/v1/security/bans").json()["items"].empty());
}

// A wrong-password flood faster than the rate limit: the dropped requests carry credentials,
// so they count towards a ban as failed authentications would (before, the limiter dropped
// them unchecked and the flood was never banned). A flood without credentials is banned once
// ban_after_failures bucketfuls are dropped within the window. A phone at another address keeps
// registering throughout.
TEST_F(SipTest, FloodsFasterThanTheRateLimitAreBannedAndOthersKeepFullService) {
  start(
      "[security]\n"
      "rate_per_second = 20\n"
      "rate_burst = 20\n");
  SipClient phone(SipTransport::kUdp, "127.0.0.1", udp_port());
  ASSERT_TRUE(phone.ok()) << phone.error();
  SipUac phone_uac(phone, "1001");
  SipRequest reg;
  reg.contact = phone.contact("1001");
  reg.expires = "300";
  int phone_ok = 0;
  auto register_phone = [&] {
    auto response = phone_uac.request_with_auth(reg, DigestUser{"1001", "demo-1001"});
    phone_ok += response && response->status() == 200 ? 1 : 0;
  };

  // 1. Credentials (a wrong password, the same Authorization header each time).
  SipClient guesser(SipTransport::kUdp, "127.0.0.8", udp_port());
  ASSERT_TRUE(guesser.ok()) << guesser.error();
  SipUac guess_uac(guesser, "1002");
  SipRequest r;
  r.contact = guesser.contact("1002");
  r.expires = "300";
  auto challenge = guess_uac.request(r);
  ASSERT_TRUE(challenge && challenge->status() == 401);
  auto auth =
      authorization_for(*challenge, DigestUser{"1002", "guess"}, "REGISTER", guesser.server_uri());
  ASSERT_TRUE(auth);
  // 2. No credentials at all.
  SipClient flooder(SipTransport::kUdp, "127.0.0.9", udp_port());
  ASSERT_TRUE(flooder.ok()) << flooder.error();
  SipUac flood_uac(flooder, "probe");
  SipRequest options;
  options.method = "OPTIONS";

  // The guesser replays one datagram, as a flood tool does: the copies that get through the
  // limiter are retransmissions of one transaction, judged once; only the dropped ones can
  // tell the server it is being flooded with credentials.
  const std::string replayed = guess_uac.build(r, *auth);
  for (int round = 0; round < 5; ++round) {
    for (int i = 0; i < 100; ++i) {
      ASSERT_TRUE(guesser.send_raw(replayed));
      ASSERT_TRUE(flooder.send_raw(flood_uac.build(options)));
    }
    register_phone();
  }
  register_phone();
  EXPECT_EQ(phone_ok, 6) << "the phone at another address lost service";

  HttpResult bans = api("GET", "/api/v1/security/bans");
  ASSERT_EQ(bans.status, 200) << bans.body;
  std::map<std::string, std::string> banned;
  const json listed = bans.json();
  for (const json& b : listed["items"]) {
    banned[b["address"].get<std::string>()] = b["reason"].get<std::string>();
  }
  EXPECT_EQ(banned.count("127.0.0.1"), 0u) << bans.body;
  ASSERT_EQ(banned.count("127.0.0.8"), 1u) << bans.body;
  EXPECT_EQ(banned["127.0.0.8"], "authentication failures") << bans.body;
  ASSERT_EQ(banned.count("127.0.0.9"), 1u) << bans.body;
  EXPECT_EQ(banned["127.0.0.9"], "rate limit exceeded") << bans.body;
  EXPECT_EQ(options_status(flooder, 1s), 0) << "banned: not answered";
  EXPECT_EQ(metric("cohort_sip_security_events_total{event=\"ban\"}"), 2.0);
}

// The limiter spares requests that carry an Authorization header, on the grounds that bad
// credentials are paid for by the failure counter. Credentials that are never judged wrong
// (another realm, malformed, or on a request that needs none, like an OPTIONS ping) pay
// nothing: a flood must be limited all the same.
TEST_F(SipTest, AnAuthorizationHeaderDoesNotBypassTheRateLimit) {
  start(
      "[security]\n"
      "rate_per_second = 5\n"
      "rate_burst = 5\n");
  SipClient flood(SipTransport::kUdp, "127.0.0.7", udp_port());
  ASSERT_TRUE(flood.ok()) << flood.error();
  SipUac uac(flood, "probe");
  SipRequest r;
  r.method = "OPTIONS";
  const std::string junk =
      "Digest username=\"1001\", realm=\"elsewhere\", nonce=\"x\", uri=\"sip:127.0.0.1\", "
      "response=\"00000000000000000000000000000000\"";
  std::vector<std::string> requests;
  for (int i = 0; i < 20; ++i) {
    requests.push_back(uac.build(r, junk));
  }
  for (const std::string& bytes : requests) {
    ASSERT_TRUE(flood.send_raw(bytes));
  }
  int answered = 0;
  const auto deadline = std::chrono::steady_clock::now() + 3s;
  while (std::chrono::steady_clock::now() < deadline) {
    auto m = flood.receive(1s);
    if (!m) {
      break;
    }
    ++answered;
  }
  EXPECT_LE(answered, 6)
      << "20 OPTIONS with a foreign-realm Authorization header, rate 5/s burst 5";
  EXPECT_EQ(metric("cohort_sip_events_total{event=\"auth_failures\"}"), 0.0)
      << "not counted as failures either";
}

}  // namespace
}  // namespace cohort::testing
