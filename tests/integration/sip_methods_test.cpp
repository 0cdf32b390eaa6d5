// What the server answers per method before calls exist: OPTIONS to itself (RFC 3261 §11),
// INVITE authenticated before any 404 (no extension enumeration), 501 for unknown methods,
// 481 for a BYE outside any dialog.

#include <memory>
#include <string>

#include "sip_fixture.hpp"

namespace cohort::testing {
namespace {

class SipMethodsTest : public SipTest, public ::testing::WithParamInterface<SipTransport> {
 protected:
  void SetUp() override {
    start();
    client_ = std::make_unique<SipClient>(GetParam(), "127.0.0.1", sip_port(GetParam()));
    ASSERT_TRUE(client_->ok()) << client_->error();
  }
  std::unique_ptr<SipClient> client_;
};

TEST_P(SipMethodsTest, OptionsToTheServerIs200WithCapabilities) {
  SipUac uac(*client_, "1001");
  SipRequest r;
  r.method = "OPTIONS";
  r.headers = {{"Accept", "application/sdp"}};
  auto m = uac.request(r);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->status(), 200) << m->bytes();
  auto allow = m->header(sip::HeaderId::kAllow);
  ASSERT_TRUE(allow) << m->bytes();
  for (const char* method : {"REGISTER", "OPTIONS", "ACK", "CANCEL", "BYE"}) {
    EXPECT_NE(allow->find(method), std::string::npos) << *allow;
  }
  auto accept = m->header(sip::HeaderId::kAccept);
  ASSERT_TRUE(accept) << m->bytes();
  EXPECT_NE(accept->find("application/sdp"), std::string::npos) << *accept;
  EXPECT_TRUE(m->header(sip::HeaderId::kSupported)) << m->bytes();
  EXPECT_FALSE(m->to_tag().empty()) << "a final response adds a To tag (§8.2.6.2)";
}

TEST_P(SipMethodsTest, OptionsToAUserNeedsAuthentication) {
  SipUac uac(*client_, "1001");
  SipRequest r;
  r.method = "OPTIONS";
  r.uri = client_->server_uri("1002");
  r.to_user = "1002";
  auto first = uac.request(r);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->status(), 401) << first->bytes();
  auto ok = uac.request_with_auth(r, demo_user("1001"));
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status(), 200) << ok->bytes();
}

TEST_P(SipMethodsTest, InviteToAnUnknownExtensionIsChallengedBeforeThe404) {
  SipUac uac(*client_, "1001");
  SipRequest r;
  r.method = "INVITE";
  r.uri = client_->server_uri("1999");
  r.to_user = "1999";
  r.contact = client_->contact("1001");
  r.body = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n";
  std::string challenge;
  auto m = uac.request_with_auth(r, demo_user("1001"), 2s, &challenge);
  ASSERT_FALSE(challenge.empty()) << "the first INVITE must be challenged, never a 404";
  EXPECT_EQ(challenge.rfind("SIP/2.0 401 ", 0), 0u) << challenge;
  ASSERT_TRUE(m);
  EXPECT_EQ(m->status(), 404) << m->bytes();
}

// The callee exists but has no binding: the B2BUA has nobody to ring.
TEST_P(SipMethodsTest, InviteToAnUnregisteredExtensionIs480OnceAuthenticated) {
  SipUac uac(*client_, "1001");
  SipRequest r;
  r.method = "INVITE";
  r.uri = client_->server_uri("1002");
  r.to_user = "1002";
  r.contact = client_->contact("1001");
  std::string challenge;
  auto m = uac.request_with_auth(r, demo_user("1001"), 2s, &challenge);
  EXPECT_EQ(challenge.rfind("SIP/2.0 401 ", 0), 0u) << challenge;
  ASSERT_TRUE(m);
  EXPECT_EQ(m->status(), 480) << m->bytes();
}

TEST_P(SipMethodsTest, InviteWithAWrongPasswordIsNeverA404) {
  SipUac uac(*client_, "1001");
  SipRequest r;
  r.method = "INVITE";
  r.uri = client_->server_uri("1999");
  r.to_user = "1999";
  auto m = uac.request_with_auth(r, DigestUser{"1001", "wrong"});
  ASSERT_TRUE(m);
  EXPECT_EQ(m->status(), 401) << m->bytes();
}

TEST_P(SipMethodsTest, UnknownMethodIs501) {
  SipUac uac(*client_, "1001");
  SipRequest r;
  r.method = "FROBNICATE";
  auto m = uac.request(r);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->status(), 501) << m->bytes();
  EXPECT_EQ(m->cseq_method_token(), "FROBNICATE");
  EXPECT_TRUE(m->header(sip::HeaderId::kAllow)) << m->bytes();
}

TEST_P(SipMethodsTest, ByeOutsideADialogIs481) {
  SipUac uac(*client_, "1001");
  SipRequest r;
  r.method = "BYE";
  r.uri = client_->server_uri("1002");
  r.to_user = "1002";
  r.headers = {};
  auto m = uac.request(r);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->status(), 481) << m->bytes();
}

TEST_P(SipMethodsTest, RequireOfAnUnknownExtensionIs420) {
  SipUac uac(*client_, "1001");
  SipRequest r;
  r.method = "OPTIONS";
  r.headers = {{"Require", "100rel, foo"}};
  auto m = uac.request(r);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->status(), 420) << m->bytes();
  auto unsupported = m->header(sip::HeaderId::kUnsupported);
  ASSERT_TRUE(unsupported) << m->bytes();
  EXPECT_NE(unsupported->find("foo"), std::string::npos);
}

/// `request` with its Via line replaced by `via`.
std::string with_via(const std::string& request, const std::string& via) {
  auto at = request.find("\r\nVia: ");
  auto end = request.find("\r\n", at + 2);
  return request.substr(0, at) + "\r\nVia: " + via + request.substr(end);
}

TEST_F(SipTest, UdpResponsesFollowRportAndOtherwiseTheViaPort) {
  start();
  SipClient c(SipTransport::kUdp, "127.0.0.1", udp_port());
  ASSERT_TRUE(c.ok()) << c.error();
  SipUac uac(c, "probe");
  SipRequest r;
  r.method = "OPTIONS";
  // RFC 3581: a sent-by port that is not ours, with rport: the answer comes to the source port.
  ASSERT_TRUE(c.send_raw(with_via(
      uac.build(r), "SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK" + random_token() + ";rport")));
  auto m = c.receive(2s);
  ASSERT_TRUE(m) << "no answer at the source port";
  EXPECT_EQ(m->status(), 200);
  auto via = sip::parse_via(m->top_via());
  ASSERT_TRUE(via) << m->top_via();
  EXPECT_EQ(via->rport(), c.local_port()) << m->top_via();
  // RFC 3261 §18.2.2: without rport, to the sent-by port (ours here), received= added when
  // the sent-by host differs from the source.
  ASSERT_TRUE(
      c.send_raw(with_via(uac.build(r), "SIP/2.0/UDP localhost:" + std::to_string(c.local_port()) +
                                            ";branch=z9hG4bK" + random_token())));
  m = c.receive(2s);
  ASSERT_TRUE(m) << "no answer at the Via port";
  EXPECT_EQ(m->status(), 200);
  via = sip::parse_via(m->top_via());
  ASSERT_TRUE(via);
  EXPECT_EQ(via->received(), "127.0.0.1") << m->top_via();
}

// RFC 3261 §17.2.2: a retransmitted REGISTER (same branch) is absorbed by its transaction
// and answered with the same response; run again, its nonce-count would be a replay (401).
// The transaction lives on the shard that read it, whichever shard its Call-ID hashes to:
// twelve registrations with their own Call-IDs (on two shards, all twelve
// hashing to the reading shard has odds of 1 in 4,096) each absorb their retransmission.
TEST_F(SipTest, RetransmittedRegisterGetsTheSameAnswerNotASecondRun) {
  start();
  SipClient c(SipTransport::kUdp, "127.0.0.1", udp_port());
  ASSERT_TRUE(c.ok()) << c.error();
  constexpr int kRegistrations = 12;
  for (int i = 0; i < kRegistrations; ++i) {
    SCOPED_TRACE(i);
    SipUac uac(c, "1001");  // a Call-ID of its own
    SipRequest r;
    r.contact = c.contact("1001");
    r.expires = "300";
    auto challenge = uac.request(r);
    ASSERT_TRUE(challenge);
    auto auth = authorization_for(*challenge, demo_user("1001"), "REGISTER", c.server_uri());
    ASSERT_TRUE(auth);
    const std::string bytes = uac.build(r, *auth);
    ASSERT_TRUE(c.send_raw(bytes));
    auto first = c.receive(2s);
    ASSERT_TRUE(first);
    ASSERT_EQ(first->status(), 200) << first->bytes();
    ASSERT_TRUE(c.send_raw(bytes));
    auto second = c.receive(2s);
    ASSERT_TRUE(second);
    EXPECT_EQ(second->status(), 200) << second->bytes();
    EXPECT_EQ(second->to_tag(), first->to_tag()) << "the retransmission was run again";
  }
  EXPECT_EQ(metric("cohort_sip_events_total{event=\"registrations\"}"), kRegistrations)
      << "a retransmission was run as a second registration";
}

TEST_F(SipTest, InviteRejectionIsRetransmittedUntilAcked) {
  start("[sip]\nt1_ms = 100\nt2_ms = 400\n");
  SipClient c(SipTransport::kUdp, "127.0.0.1", udp_port());
  ASSERT_TRUE(c.ok()) << c.error();
  SipUac uac(c, "1001");
  SipRequest r;
  r.method = "INVITE";
  r.uri = c.server_uri("1002");
  r.to_user = "1002";
  // Not acknowledged: Timer G retransmits the 401 (RFC 3261 §17.2.1), T1 = 100 ms here.
  ASSERT_TRUE(c.send_raw(uac.build(r)));
  auto first = c.receive(2s);
  ASSERT_TRUE(first);
  ASSERT_EQ(first->status(), 401);
  auto again = c.receive(1s);
  ASSERT_TRUE(again) << "the 401 to an INVITE was not retransmitted";
  EXPECT_EQ(again->status(), 401);
  EXPECT_EQ(again->to_tag(), first->to_tag());
  // Acknowledged (SipUac ACKs a non-2xx final response): no more retransmissions.
  SipUac acked(c, "1001");
  auto m = acked.request(r);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->status(), 401);
  const auto deadline = std::chrono::steady_clock::now() + 600ms;
  while (std::chrono::steady_clock::now() < deadline) {
    auto late = c.receive(100ms);
    if (late && late->call_id() == acked.call_id()) {
      ADD_FAILURE() << "retransmitted after the ACK:\n" << late->bytes();
      break;
    }
  }
}

TEST_F(SipTest, TcpFramingJoinsSplitsAndPongs) {
  start();
  SipClient c(SipTransport::kTcp, "127.0.0.1", tcp_port());
  ASSERT_TRUE(c.ok()) << c.error();
  SipUac uac(c, "probe");
  SipRequest r;
  r.method = "OPTIONS";
  // Two requests in one segment: two answers, in order.
  const std::string one = uac.build(r);
  const std::string two = uac.build(r);
  ASSERT_TRUE(c.send_raw(one + two));
  auto a = c.receive(2s);
  auto b = c.receive(2s);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->status(), 200);
  EXPECT_EQ(b->status(), 200);
  EXPECT_EQ(a->cseq() + 1, b->cseq());
  // One request in three pieces (headers cut mid-line, body later).
  r.content_type = "text/plain";
  r.body = "hello";
  const std::string three = uac.build(r);
  ASSERT_TRUE(c.send_raw(three.substr(0, 40)));
  EXPECT_FALSE(c.receive(100ms)) << "answered before the request was complete";
  ASSERT_TRUE(c.send_raw(three.substr(40, three.size() - 43)));
  EXPECT_FALSE(c.receive(100ms)) << "answered before the body was complete";
  ASSERT_TRUE(c.send_raw(three.substr(three.size() - 3)));
  auto m = c.receive(2s);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->status(), 200);
  EXPECT_EQ(m->cseq(), b->cseq() + 1);
  // RFC 5626 §3.5.1: a double-CRLF ping is answered by a single CRLF pong.
  ASSERT_TRUE(c.send_raw("\r\n\r\n"));
  EXPECT_EQ(c.read_bytes(2s), "\r\n");
  EXPECT_FALSE(c.closed());
  EXPECT_EQ(options_status(c), 200) << "the connection still works after the ping";
}

INSTANTIATE_TEST_SUITE_P(Transports, SipMethodsTest,
                         ::testing::Values(SipTransport::kUdp, SipTransport::kTcp),
                         [](const auto& info) { return std::string(to_string(info.param)); });

}  // namespace
}  // namespace cohort::testing
