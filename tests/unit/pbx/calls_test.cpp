// The call controller alone (call_fixture.hpp): forking, failover, CANCEL, ACK, CDRs, groups.

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "call_fixture.hpp"

namespace cohort::pbx {
namespace {

/// The value of the first header named `name` (case-insensitive), "" when absent.
std::string header_named(const sip::Message& m, std::string_view name) {
  for (const sip::Header& h : m.headers()) {
    if (h.name.size() == name.size() &&
        std::equal(h.name.begin(), h.name.end(), name.begin(),
                   [](char a, char b) { return std::tolower(a) == std::tolower(b); })) {
      return std::string(h.value);
    }
  }
  return {};
}

using namespace calls_testing;  // NOLINT(google-build-using-namespace)

TEST_F(CallsTest, GroupMemberLeavesWithTheGroupCallerId) {
  call("2125551234", user(1));
  ASSERT_EQ(core_.requests.size(), 1u);
  sip::Message out = core_.requests[0].msg();
  EXPECT_EQ(out.method(), sip::Method::kInvite);
  EXPECT_EQ(out.request_uri(), "sip:2125551234@127.0.0.2:5080");
  auto from = sip::parse_name_addr(*out.header(HeaderId::kFrom));
  ASSERT_TRUE(from);
  EXPECT_EQ(from->uri.user, "010000");
  EXPECT_EQ(from->uri.host, "provider.example");
  bool pai = false;
  for (const sip::Header& h : out.headers()) {
    if (h.name == "P-Asserted-Identity") {
      pai = true;
      EXPECT_EQ(h.value, "<sip:010000@provider.example>");
    }
  }
  EXPECT_TRUE(pai);
  EXPECT_EQ(out.body(), kSdp) << "SDP passes through unchanged";
  EXPECT_NE(out.call_id(), "a-call@10.0.0.1") << "the B leg is a dialog of its own";
  EXPECT_EQ(out.max_forwards(), 69);
  EXPECT_EQ(core_.requests[0].route.destination, (net::Endpoint{"127.0.0.2", 5080}));
}

TEST_F(CallsTest, NonMemberLeavesWithItsOwnCallerId) {
  call("2125551234", user(2));
  ASSERT_EQ(core_.requests.size(), 1u);
  EXPECT_EQ(user_of(*core_.requests[0].msg().header(HeaderId::kFrom)), "5551002");
}

TEST_F(CallsTest, AnswerIsRelayedAndTheAckGoesEndToEnd) {
  call("2125551234", user(1));
  const Sent b = core_.requests.at(0);
  feed(b, answer(b, 180, "tb"));
  feed(b, answer(b, 200, "tb", true));
  EXPECT_EQ(to_caller(), (std::vector<int>{100, 180, 200}));
  sip::Message ok = parse(core_.responses.back().bytes);
  EXPECT_FALSE(ok.to_tag().empty());
  EXPECT_EQ(ok.body(), "v=0\r\no=b 2 2 IN IP4 10.0.0.9\r\ns=-\r\n");
  EXPECT_TRUE(core_.direct.empty()) << "the callee is ACKed when the caller ACKs";
  ASSERT_EQ(core_.cdrs.size(), 1u) << "the answer is recorded at once";
  EXPECT_FALSE(core_.cdrs[0].disposition.has_value());
  EXPECT_EQ(core_.cdrs[0].caller_id, "010000");
  EXPECT_EQ(core_.cdrs[0].caller_id_group, 10);
  EXPECT_EQ(core_.cdrs[0].trunk, 20);
  EXPECT_EQ(core_.cdrs[0].rule, 30);

  sip::Message ack =
      parse(fmt::format("ACK sip:cohort@127.0.0.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP "
                        "10.0.0.1:5062;branch=z9hG4bK-a2\r\n"
                        "From: <sip:1001@cohort>;tag=fa\r\nTo: <sip:2125551234@cohort>;tag={}\r\n"
                        "Call-ID: a-call@10.0.0.1\r\nCSeq: 2 ACK\r\nContent-Length: 0\r\n\r\n",
                        ok.to_tag()));
  EXPECT_TRUE(calls_->on_in_dialog(0, 0, ack, {}, now_));
  ASSERT_EQ(core_.direct.size(), 1u);
  sip::Message b_ack = parse(core_.direct[0].bytes);
  EXPECT_EQ(b_ack.method(), sip::Method::kAck);
  EXPECT_EQ(b_ack.request_uri(), "sip:callee@10.0.0.9:5070") << "the callee's Contact";
  EXPECT_EQ(b_ack.cseq(), b.msg().cseq());
  EXPECT_EQ(b_ack.to_tag(), "tb");

  // The callee hangs up: 200 to its BYE, a BYE to the caller, the CDR closed.
  sip::Message bye = parse(
      fmt::format("BYE sip:cohort@127.0.0.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP "
                  "127.0.0.2:5080;branch=z9hG4bK-b9\r\n"
                  "From: <sip:2125551234@x>;tag=tb\r\nTo: <sip:010000@provider.example>;tag={}\r\n"
                  "Call-ID: {}\r\nCSeq: 7 BYE\r\nContent-Length: 0\r\n\r\n",
                  b.msg().from_tag(), b.msg().call_id()));
  EXPECT_TRUE(calls_->on_in_dialog(0, 77, bye, {}, now_));
  commit();
  EXPECT_EQ(core_.responses.back().txn, 77u);
  EXPECT_EQ(core_.responses.back().status, 200);
  sip::Message a_bye = core_.requests.back().msg();
  EXPECT_EQ(a_bye.method(), sip::Method::kBye);
  EXPECT_EQ(a_bye.call_id(), "a-call@10.0.0.1");
  EXPECT_EQ(a_bye.request_uri(), "sip:1001@10.0.0.1:5062");
  EXPECT_EQ(a_bye.from_tag(), ok.to_tag());
  EXPECT_EQ(a_bye.to_tag(), "fa");
  ASSERT_EQ(core_.cdrs.size(), 2u);
  EXPECT_EQ(core_.cdrs[1].disposition, Disposition::kAnswered);
  EXPECT_EQ(core_.cdrs[1].hangup_cause, "callee_bye");
  EXPECT_GT(core_.cdrs[1].end_ms, core_.cdrs[1].answer_ms);
  EXPECT_EQ(core_.slots[20], 0) << "the trunk's call slot is given back";
  EXPECT_TRUE(calls_->calls(0).empty());
}

TEST_F(CallsTest, TrunkFailsOverOn503ButNotOn486) {
  call("2125551234", user(1));
  const Sent first = core_.requests.at(0);
  feed(first, answer(first, 503, "t1"));
  ASSERT_EQ(core_.requests.size(), 2u);
  EXPECT_EQ(core_.requests[1].route.destination.address, "127.0.0.3");
  const Sent second = core_.requests[1];
  feed(second, answer(second, 486, "t2"));
  EXPECT_EQ(core_.requests.size(), 2u) << "busy is an answer, not a trunk failure";
  EXPECT_EQ(to_caller(), (std::vector<int>{100, 486}));
  EXPECT_EQ(core_.cdrs.back().disposition, Disposition::kBusy);
  EXPECT_EQ(core_.cdrs.back().trunk, 21);
  const CallStats st = calls_->stats();
  EXPECT_EQ(st.attempted, 1u);
  EXPECT_EQ(st.ended_as(Disposition::kBusy), 1u);
  EXPECT_EQ(st.active, 0u);
  EXPECT_EQ(st.by_status, (std::vector<std::pair<int, std::uint64_t>>{{486, 1}}));
}

TEST_F(CallsTest, TrunkTimeoutFailsOverAndAllTrunksDownIs503) {
  call("2125551234", user(1));
  calls_->on_client_failure(0, core_.requests.at(0).txn, 408, now_);
  ASSERT_EQ(core_.requests.size(), 2u);
  calls_->on_client_failure(0, core_.requests.at(1).txn, 503, now_);
  EXPECT_EQ(to_caller(), (std::vector<int>{100, 503}));
  EXPECT_EQ(core_.cdrs.back().disposition, Disposition::kFailed);
}

TEST_F(CallsTest, CallLimitSkipsAFullTrunk) {
  model::SnapshotPatch p;
  model::Trunk a = *core_.snapshot->trunk(20);
  a.max_concurrent_calls = 1;
  p.trunks = {{20, a}};
  core_.snapshot = std::make_shared<const model::Snapshot>(core_.snapshot->apply(p));
  core_.slots[20] = 1;  // another call holds the only slot
  call("2125551234", user(1));
  ASSERT_EQ(core_.requests.size(), 1u);
  EXPECT_EQ(core_.requests[0].route.destination.address, "127.0.0.3");
}

TEST_F(CallsTest, ProviderChallengeIsAnsweredOnce) {
  call("2125551234", user(1));
  const Sent first = core_.requests.at(0);
  feed(first, answer(first, 407, "t1", false,
                     "Proxy-Authenticate: Digest realm=\"prov\", nonce=\"n1\", qop=\"auth\""));
  ASSERT_EQ(core_.requests.size(), 2u);
  sip::Message again = core_.requests[1].msg();
  EXPECT_EQ(again.call_id(), first.msg().call_id());
  EXPECT_EQ(again.from_tag(), first.msg().from_tag());
  EXPECT_EQ(again.cseq(), first.msg().cseq() + 1);
  auto creds = again.header(HeaderId::kProxyAuthorization);
  ASSERT_TRUE(creds) << again.bytes();
  EXPECT_NE(creds->find("username=\"acct\""), std::string_view::npos);
  EXPECT_NE(creds->find("realm=\"prov\""), std::string_view::npos);
  // A second challenge is a failure (wrong credentials): next trunk? No — 401/407 is not a
  // failover status; the caller gets 503.
  const Sent second = core_.requests[1];
  feed(second, answer(second, 407, "t2", false,
                      "Proxy-Authenticate: Digest realm=\"prov\", nonce=\"n2\", qop=\"auth\""));
  EXPECT_EQ(core_.requests.size(), 2u);
  EXPECT_EQ(to_caller(), (std::vector<int>{100, 503}));
}

TEST_F(CallsTest, InternalCallForksAndCancelsTheLosers) {
  CallTarget desk;
  desk.contact = "sip:1002@10.0.0.5:5060";
  desk.route.destination = {"10.0.0.5", 5060};
  CallTarget mobile;
  mobile.contact = "sip:1002@10.0.0.6:5060";
  mobile.route.destination = {"10.0.0.6", 5060};
  core_.bindings[2] = {desk, mobile};
  call("1002", user(1));
  ASSERT_EQ(core_.requests.size(), 2u);
  const Sent d = core_.requests[0];
  const Sent m = core_.requests[1];
  EXPECT_EQ(d.msg().request_uri(), "sip:1002@10.0.0.5:5060");
  EXPECT_EQ(m.msg().request_uri(), "sip:1002@10.0.0.6:5060");
  EXPECT_NE(d.msg().call_id(), m.msg().call_id());
  EXPECT_EQ(user_of(*d.msg().header(HeaderId::kFrom)), "1001");
  feed(d, answer(d, 180, "td"));
  feed(m, answer(m, 200, "tm", true));
  // The desk phone rang: it gets a CANCEL with its INVITE's branch and CSeq.
  ASSERT_EQ(core_.requests.size(), 3u);
  sip::Message cancel = core_.requests[2].msg();
  EXPECT_EQ(cancel.method(), sip::Method::kCancel);
  EXPECT_EQ(cancel.branch(), d.msg().branch());
  EXPECT_EQ(cancel.cseq(), d.msg().cseq());
  EXPECT_EQ(cancel.call_id(), d.msg().call_id());
  EXPECT_EQ(to_caller(), (std::vector<int>{100, 180, 200}));
  // RFC 3326: the desk phone logs no missed call.
  EXPECT_EQ(header_named(cancel, "Reason"), R"(SIP;cause=200;text="Call completed elsewhere")");
  EXPECT_EQ(core_.cdrs.back().direction, CallDirection::kInternal);
  EXPECT_EQ(core_.cdrs.back().callee_user, 2);
  EXPECT_EQ(core_.cdrs.back().b_leg_call_id, m.msg().call_id());
}

// RFC 3261 §9.1: a CANCEL carries the Route header fields of the INVITE it cancels; a phone
// registered through a proxy (RFC 3327 Path) is reached through that proxy both times.
TEST_F(CallsTest, CancelCarriesTheRouteSetOfItsInvite) {
  CallTarget desk;
  desk.contact = "sip:1002@10.0.0.5:5060";
  desk.route.destination = {"192.0.2.50", 5060};
  desk.path = {"<sip:edge.example.com;lr>", "<sip:core.example.com;lr>"};
  CallTarget mobile;
  mobile.contact = "sip:1002@10.0.0.6:5060";
  mobile.route.destination = {"10.0.0.6", 5060};
  core_.bindings[2] = {desk, mobile};
  call("1002", user(1));
  ASSERT_EQ(core_.requests.size(), 2u);
  const Sent d = core_.requests[0];
  const Sent m = core_.requests[1];
  const sip::Message invite = d.msg();
  const auto invite_routes = invite.header_values(HeaderId::kRoute);
  ASSERT_EQ(invite_routes.size(), 2u);
  feed(d, answer(d, 180, "td"));
  feed(m, answer(m, 200, "tm", true));
  ASSERT_EQ(core_.requests.size(), 3u);
  const Sent sent = core_.requests[2];
  const sip::Message cancel = sent.msg();
  ASSERT_EQ(cancel.method(), sip::Method::kCancel);
  EXPECT_EQ(cancel.header_values(HeaderId::kRoute), invite_routes);
  EXPECT_EQ(sent.route.destination.address, "192.0.2.50") << "not sent where the INVITE went";
}

TEST_F(CallsTest, CancelWaitsForAProvisionalResponse) {
  CallTarget desk;
  desk.contact = "sip:1002@10.0.0.5:5060";
  desk.route.destination = {"10.0.0.5", 5060};
  core_.bindings[2] = {desk};
  call("1002", user(1));
  const Sent d = core_.requests.at(0);
  EXPECT_TRUE(calls_->on_cancel(0, 1, now_));
  EXPECT_EQ(to_caller(), (std::vector<int>{100, 487}));
  EXPECT_EQ(core_.requests.size(), 1u) << "RFC 3261 §9.1: no CANCEL before a provisional";
  feed(d, answer(d, 180, "td"));
  ASSERT_EQ(core_.requests.size(), 2u);
  EXPECT_EQ(core_.requests[1].msg().method(), sip::Method::kCancel);
  EXPECT_EQ(header_named(core_.requests[1].msg(), "Reason"), "")
      << "the caller gave up: a missed call";
  EXPECT_EQ(core_.cdrs.back().disposition, Disposition::kCancelled);
  feed(d, answer(d, 487, "td"));
  EXPECT_TRUE(calls_->calls(0).empty());
}

// A graceful stop refuses a call still ringing (503) and cancels its legs.
TEST_F(CallsTest, EndAllRefusesARingingCallAndCancelsItsLegs) {
  CallTarget desk;
  desk.contact = "sip:1002@10.0.0.5:5060";
  desk.route.destination = {"10.0.0.5", 5060};
  core_.bindings[2] = {desk};
  call("1002", user(1));
  const Sent d = core_.requests.at(0);
  feed(d, answer(d, 180, "td"));
  EXPECT_EQ(calls_->held(0), 1u);
  EXPECT_EQ(calls_->end_all(0, now_), 1u);
  EXPECT_EQ(to_caller(), (std::vector<int>{100, 180, 503}));
  ASSERT_EQ(core_.requests.size(), 2u);
  EXPECT_EQ(core_.requests[1].msg().method(), sip::Method::kCancel);
  EXPECT_EQ(core_.cdrs.back().disposition, Disposition::kFailed);
  feed(d, answer(d, 487, "td"));
  EXPECT_EQ(calls_->held(0), 0u);
}

TEST_F(CallsTest, LateAnswerAfterCancelIsAckedAndHungUp) {
  CallTarget desk;
  desk.contact = "sip:1002@10.0.0.5:5060";
  desk.route.destination = {"10.0.0.5", 5060};
  core_.bindings[2] = {desk};
  call("1002", user(1));
  const Sent d = core_.requests.at(0);
  feed(d, answer(d, 180, "td"));
  EXPECT_TRUE(calls_->on_cancel(0, 1, now_));
  feed(d, answer(d, 200, "td"));  // crossed our CANCEL
  ASSERT_FALSE(core_.direct.empty());
  EXPECT_EQ(parse(core_.direct.back().bytes).method(), sip::Method::kAck);
  EXPECT_EQ(core_.requests.back().msg().method(), sip::Method::kBye);
  EXPECT_EQ(to_caller(), (std::vector<int>{100, 180, 487}));
}

TEST_F(CallsTest, RoutingFailures) {
  call("1002", user(1));  // no binding
  EXPECT_EQ(to_caller().back(), 480);
  core_.responses.clear();
  call("1234", user(1));  // not an extension, no rule matches 4 digits
  EXPECT_EQ(to_caller().back(), 404);
  core_.responses.clear();
  call("2125551234", nullptr, 20);  // from a trunk: no inbound route, no rule allows it
  EXPECT_EQ(to_caller().back(), 404);
  EXPECT_TRUE(core_.requests.empty()) << "nothing may reach a trunk";
  core_.responses.clear();
  call("2125551234", user(1), std::nullopt, 0);
  EXPECT_EQ(to_caller().back(), 483);
  EXPECT_TRUE(core_.requests.empty());
}

TEST_F(CallsTest, RingTimeoutGivesUpWith480) {
  CallTarget desk;
  desk.contact = "sip:1002@10.0.0.5:5060";
  desk.route.destination = {"10.0.0.5", 5060};
  core_.bindings[2] = {desk};
  call("1002", user(1));
  const Sent d = core_.requests.at(0);
  feed(d, answer(d, 180, "td"));
  calls_->sweep(0, now_ + std::chrono::seconds(119));
  EXPECT_EQ(to_caller().back(), 180) << "still ringing before the ring timeout";
  calls_->sweep(0, now_ + std::chrono::seconds(121));
  EXPECT_EQ(to_caller().back(), 480);
  EXPECT_EQ(core_.requests.back().msg().method(), sip::Method::kCancel);
  EXPECT_EQ(core_.cdrs.back().disposition, Disposition::kNoAnswer);
}

}  // namespace
}  // namespace cohort::pbx

namespace cohort::pbx {
namespace {

using namespace calls_testing;  // NOLINT(google-build-using-namespace)

TEST_F(CallsTest, InviteRetransmittedAfterTheAnswerGetsTheSame2xx) {
  call("2125551234", user(1));
  const Sent b = core_.requests.at(0);
  feed(b, answer(b, 200, "tb", true));
  const std::string ok = core_.responses.back().bytes;
  // The same INVITE again (its server transaction ended with the 2xx): answered with the
  // very same 200 through the new transaction, not taken for a new call.
  sip::Message again = parse(invite("2125551234"));
  EXPECT_TRUE(calls_->absorb_retransmission(0, 5, again, now_));
  EXPECT_EQ(core_.responses.back().txn, 5u);
  EXPECT_EQ(core_.responses.back().bytes, ok);
  EXPECT_EQ(core_.requests.size(), 1u) << "no second B leg";
  // Another INVITE of another dialog is not a retransmission.
  std::string other = invite("2125551234");
  other.replace(other.find("tag=fa"), 6, "tag=fz");
  EXPECT_FALSE(calls_->absorb_retransmission(0, 6, parse(other), now_));
}

}  // namespace
}  // namespace cohort::pbx

namespace cohort::pbx {
namespace {

using namespace calls_testing;  // NOLINT(google-build-using-namespace)

// Once the caller has ACKed, the kept 2xx is released: a copy of its INVITE delayed past
// the transaction's end is answered 482 (a merged request, RFC 3261 §8.2.2.2), never with
// an empty or second 2xx, and starts no call.
TEST_F(AnsweredCallTest, AnInviteCopyAfterTheAckIsAMergedRequest) {
  const std::size_t requests = core_.requests.size();
  sip::Message late = parse(invite("2125551234"));
  EXPECT_TRUE(calls_->absorb_retransmission(0, 77, late, now_));
  EXPECT_EQ(core_.responses.back().txn, 77u);
  EXPECT_EQ(core_.responses.back().status, 482);
  sip::Message answer482 = parse(core_.responses.back().bytes);
  EXPECT_EQ(answer482.status(), 482);
  EXPECT_EQ(answer482.call_id(), late.call_id());
  EXPECT_EQ(core_.requests.size(), requests) << "a second B leg was started";
}

TEST_F(AnsweredCallTest, ReInviteCrossesWithItsSdpAndItsAckGoesOn) {
  const std::string hold =
      "v=0\r\no=a 1 2 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n"
      "m=audio 4000 RTP/AVP 0\r\na=sendonly\r\n";
  ASSERT_TRUE(calls_->on_in_dialog(0, 50, from_caller("INVITE", 3, hold), {}, now_));
  const Sent re = core_.requests.back();
  sip::Message out = re.msg();
  EXPECT_EQ(out.method(), sip::Method::kInvite);
  EXPECT_EQ(out.call_id(), b_.msg().call_id()) << "on the B dialog";
  EXPECT_EQ(out.to_tag(), "tb");
  EXPECT_EQ(out.cseq(), b_.msg().cseq() + 1) << "the B leg's own CSeq space";
  EXPECT_EQ(out.request_uri(), "sip:callee@10.0.0.9:5070");
  EXPECT_EQ(out.body(), hold);
  // The callee's 200 goes back to the caller through the caller's transaction.
  feed(re, answer(re, 200, "tb", true));
  EXPECT_EQ(core_.responses.back().txn, 50u);
  EXPECT_EQ(core_.responses.back().status, 200);
  sip::Message ok = parse(core_.responses.back().bytes);
  EXPECT_EQ(ok.cseq(), 3u);
  EXPECT_EQ(ok.to_tag(), a_tag_);
  // The caller's ACK for it is relayed with the B leg's CSeq.
  const std::size_t direct = core_.direct.size();
  ASSERT_TRUE(calls_->on_in_dialog(0, 0, from_caller("ACK", 3), {}, now_));
  ASSERT_EQ(core_.direct.size(), direct + 1);
  sip::Message ack = parse(core_.direct.back().bytes);
  EXPECT_EQ(ack.method(), sip::Method::kAck);
  EXPECT_EQ(ack.cseq(), out.cseq());
  EXPECT_EQ(ack.call_id(), out.call_id());
}

// A new offer inside the dialog is checked like the first (docs/sip.md "Offers") and a
// bad one never reaches the other phone: malformed 400, nothing usable 488, another body
// type 415 with Accept.
TEST_F(AnsweredCallTest, ABadOfferInAReInviteOrUpdateIsRefusedAndNotRelayed) {
  const std::size_t sent = core_.requests.size();
  ASSERT_TRUE(calls_->on_in_dialog(0, 70, from_caller("INVITE", 3, "v=0\r\nbogus\r\n"), {}, now_));
  EXPECT_EQ(core_.responses.back().txn, 70u);
  EXPECT_EQ(core_.responses.back().status, 400);
  EXPECT_NE(core_.responses.back().bytes.find("Bad SDP"), std::string::npos);
  const std::string no_audio =
      "v=0\r\no=a 1 2 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n"
      "m=audio 0 RTP/AVP 0\r\n";
  ASSERT_TRUE(calls_->on_in_dialog(0, 71, from_caller("UPDATE", 4, no_audio), {}, now_));
  EXPECT_EQ(core_.responses.back().txn, 71u);
  EXPECT_EQ(core_.responses.back().status, 488);
  sip::Message text = parse(fmt::format(
      "UPDATE sip:cohort@127.0.0.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1:5062;branch="
      "z9hG4bK-r5\r\nFrom: <sip:1001@cohort>;tag=fa\r\nTo: <sip:2125551234@cohort>;tag={}\r\n"
      "Call-ID: a-call@10.0.0.1\r\nCSeq: 5 UPDATE\r\nContent-Type: text/plain\r\n"
      "Content-Length: 2\r\n\r\nhi",
      a_tag_));
  ASSERT_TRUE(calls_->on_in_dialog(0, 72, text, {}, now_));
  EXPECT_EQ(core_.responses.back().status, 415);
  EXPECT_NE(core_.responses.back().bytes.find("Accept: application/sdp"), std::string::npos);
  EXPECT_EQ(core_.requests.size(), sent) << "nothing reached the callee";
  // The dialog is not stuck: a good re-INVITE afterwards is relayed.
  ASSERT_TRUE(calls_->on_in_dialog(0, 73, from_caller("INVITE", 6, kSdp), {}, now_));
  EXPECT_EQ(core_.requests.size(), sent + 1);
}

// A re-INVITE from the callee without a body (a late offer, RFC 3264 §5): the caller makes
// the offer in its 2xx and the callee answers in its ACK, which must reach the caller with
// that answer.
TEST_F(AnsweredCallTest, TheCalleesLateOfferAckReachesTheCallerWithItsAnswer) {
  ASSERT_TRUE(calls_->on_in_dialog(0, 51, from_callee("INVITE", 7), {}, now_));
  const Sent to_a = core_.requests.back();
  ASSERT_EQ(to_a.msg().method(), sip::Method::kInvite);
  EXPECT_TRUE(to_a.msg().body().empty());
  // The caller offers in its 2xx; it goes back to the callee.
  feed(to_a, answer(to_a, 200, a_tag_, true));
  EXPECT_EQ(core_.responses.back().txn, 51u);
  EXPECT_EQ(core_.responses.back().status, 200);
  // The callee's ACK carries the answer.
  const std::string sdp_answer = "v=0\r\no=callee 1 1 IN IP4 10.0.0.9\r\ns=-\r\n";
  sip::Message ack = from_callee("ACK", 7, sdp_answer);
  const std::size_t direct = core_.direct.size();
  ASSERT_TRUE(calls_->on_in_dialog(0, 0, ack, {}, now_));
  ASSERT_EQ(core_.direct.size(), direct + 1) << "the ACK was not relayed to the caller";
  sip::Message to_caller_ack = parse(core_.direct.back().bytes);
  EXPECT_EQ(to_caller_ack.method(), sip::Method::kAck);
  EXPECT_EQ(to_caller_ack.call_id(), "a-call@10.0.0.1");
  EXPECT_EQ(to_caller_ack.cseq(), to_a.msg().cseq());
  EXPECT_EQ(to_caller_ack.body(), sdp_answer) << "the late offer's answer was lost";
  EXPECT_EQ(*to_caller_ack.header(HeaderId::kContentType), "application/sdp");
}

TEST_F(AnsweredCallTest, UpdateAndInfoCrossAndTheirFailuresComeBack) {
  const std::string offer = std::string(kSdp);
  ASSERT_TRUE(calls_->on_in_dialog(0, 60, from_caller("UPDATE", 4, offer), {}, now_));
  const Sent update = core_.requests.back();
  EXPECT_EQ(update.msg().method(), sip::Method::kUpdate);
  EXPECT_EQ(update.msg().body(), offer);
  feed(update, answer(update, 200, "tb"));
  EXPECT_EQ(core_.responses.back().txn, 60u);
  EXPECT_EQ(core_.responses.back().status, 200);

  // INFO from the callee toward the caller, answered 415 by the caller.
  sip::Message info = parse(
      fmt::format("INFO sip:cohort@127.0.0.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP "
                  "127.0.0.2:5080;branch=z9hG4bK-i1\r\n"
                  "From: <sip:2125551234@x>;tag=tb\r\nTo: <sip:010000@provider.example>;tag={}\r\n"
                  "Call-ID: {}\r\nCSeq: 9 INFO\r\nContent-Type: application/dtmf-relay\r\n"
                  "Content-Length: 10\r\n\r\nSignal=5\r\n",
                  b_.msg().from_tag(), b_.msg().call_id()));
  ASSERT_TRUE(calls_->on_in_dialog(0, 61, info, {}, now_));
  const Sent to_a = core_.requests.back();
  sip::Message relayed = to_a.msg();
  EXPECT_EQ(relayed.method(), sip::Method::kInfo);
  EXPECT_EQ(relayed.call_id(), "a-call@10.0.0.1");
  EXPECT_EQ(relayed.request_uri(), "sip:1001@10.0.0.1:5062");
  EXPECT_EQ(relayed.body(), "Signal=5\r\n");
  EXPECT_EQ(*relayed.header(HeaderId::kContentType), "application/dtmf-relay");
  feed(to_a, answer(to_a, 415, {}));
  EXPECT_EQ(core_.responses.back().txn, 61u);
  EXPECT_EQ(core_.responses.back().status, 415);

  // A request the far side never answers comes back as 408.
  ASSERT_TRUE(calls_->on_in_dialog(0, 62, from_caller("INFO", 5), {}, now_));
  calls_->on_client_failure(0, core_.requests.back().txn, 408, now_);
  EXPECT_EQ(core_.responses.back().txn, 62u);
  EXPECT_EQ(core_.responses.back().status, 408);
}

// A graceful stop ends the answered call on both legs, recorded as ended by the shutdown.
TEST_F(AnsweredCallTest, EndAllSendsByeOnBothLegs) {
  const std::size_t sent = core_.requests.size();
  EXPECT_EQ(calls_->end_all(0, now_), 1u);
  ASSERT_EQ(core_.requests.size(), sent + 2);
  std::vector<std::string> call_ids;
  for (std::size_t i = sent; i < core_.requests.size(); ++i) {
    sip::Message bye = core_.requests[i].msg();
    EXPECT_EQ(bye.method(), sip::Method::kBye);
    call_ids.emplace_back(bye.call_id());
  }
  std::sort(call_ids.begin(), call_ids.end());
  std::vector<std::string> legs = {"a-call@10.0.0.1", std::string(b_.msg().call_id())};
  std::sort(legs.begin(), legs.end());
  EXPECT_EQ(call_ids, legs);
  EXPECT_EQ(core_.cdrs.back().hangup_cause, "shutdown");
  EXPECT_EQ(core_.cdrs.back().disposition, Disposition::kAnswered);
  EXPECT_EQ(calls_->end_all(0, now_), 0u) << "an ended call is not ended twice";
}

TEST_F(AnsweredCallTest, UnknownDialogIsNotOurs) {
  std::string bye = fmt::format(
      "BYE sip:cohort@127.0.0.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1:5062;branch=z9hG4bK-x\r\n"
      "From: <sip:1001@cohort>;tag=fa\r\nTo: <sip:2125551234@cohort>;tag=nope\r\n"
      "Call-ID: a-call@10.0.0.1\r\nCSeq: 9 BYE\r\nContent-Length: 0\r\n\r\n");
  EXPECT_FALSE(calls_->on_in_dialog(0, 70, parse(bye), {}, now_)) << "the server answers 481";
  EXPECT_EQ(calls_->calls(0).size(), 1u);
}

}  // namespace
}  // namespace cohort::pbx

namespace cohort::pbx {
namespace {

using namespace calls_testing;  // NOLINT(google-build-using-namespace)

bool contains(const std::vector<int>& v, int x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

// DESIGN.md: a crash loses nothing acknowledged. The caller's 200 OK waits until the
// answer's record is committed, the 200 OK to a BYE until the ended record is; a record that
// fails to commit still connects the call (the failure is logged).
TEST_F(CallsTest, AcknowledgementsWaitForTheRecordsTheyAcknowledge) {
  for (const bool durable : {true, false}) {
    SCOPED_TRACE(durable ? "committed" : "commit failed");
    core_.responses.clear();
    core_.requests.clear();
    core_.cdrs.clear();
    invite_.reset();
    calls_ = std::make_unique<CallController>(CallOptions{}, core_, 1);
    call("2125551234", user(1));
    const Sent b = core_.requests.at(0);
    sip::Message ok = parse(answer(b, 200, "tb", true));
    calls_->on_response(0, b.txn, ok, now_);
    ASSERT_EQ(core_.cdrs.size(), 1u) << "the answer's record is queued";
    EXPECT_NE(core_.cdrs[0].answer_ms, 0);
    EXPECT_FALSE(contains(to_caller(), 200)) << "no 200 OK before the record is committed";
    for (const auto& [key, at] : core_.timers) {
      calls_->on_timer(0, key, at + std::chrono::seconds(1));  // no early retransmission
    }
    EXPECT_TRUE(core_.direct.empty() ||
                parse(core_.direct.back().bytes).method() == sip::Method::kAck)
        << "only the callee's ACK left";
    commit(durable);
    ASSERT_TRUE(contains(to_caller(), 200)) << "the 200 OK leaves after the commit";
    const std::string a_tag(parse(core_.responses.back().bytes).to_tag());

    sip::Message bye =
        parse(fmt::format("BYE sip:cohort@127.0.0.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP "
                          "10.0.0.1:5062;branch=z9hG4bK-bye\r\n"
                          "From: <sip:1001@cohort>;tag=fa\r\nTo: <sip:2125551234@cohort>;tag={}\r\n"
                          "Call-ID: a-call@10.0.0.1\r\nCSeq: 3 BYE\r\nContent-Length: 0\r\n\r\n",
                          a_tag));
    const std::size_t responses = core_.responses.size();
    ASSERT_TRUE(calls_->on_in_dialog(0, 78, bye, {}, now_));
    EXPECT_EQ(core_.requests.back().msg().method(), sip::Method::kBye) << "relayed at once";
    EXPECT_NE(core_.cdrs.back().end_ms, 0) << "the ended record is queued";
    EXPECT_EQ(core_.responses.size(), responses) << "no 200 OK to the BYE before the commit";
    commit();
    ASSERT_EQ(core_.responses.size(), responses + 1);
    EXPECT_EQ(core_.responses.back().txn, 78u);
    EXPECT_EQ(core_.responses.back().status, 200);
  }
}

// A fork that answered after the winner is ACKed and hung up; its own BYE crossing ours
// must not end the call between the caller and the winner.
TEST_F(CallsTest, ByeFromALosingForkDoesNotEndTheCall) {
  CallTarget desk;
  desk.contact = "sip:1002@10.0.0.5:5060";
  desk.route.destination = {"10.0.0.5", 5060};
  CallTarget mobile;
  mobile.contact = "sip:1002@10.0.0.6:5060";
  mobile.route.destination = {"10.0.0.6", 5060};
  core_.bindings[2] = {desk, mobile};
  call("1002", user(1));
  const Sent d = core_.requests.at(0);
  const Sent m = core_.requests.at(1);
  feed(m, answer(m, 200, "tm", true));
  feed(d, answer(d, 200, "td", true));  // too late: ACK + BYE
  sip::Message bye =
      parse(fmt::format("BYE sip:cohort@127.0.0.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP "
                        "10.0.0.5:5060;branch=z9hG4bK-l1\r\n"
                        "From: <sip:1002@cohort>;tag=td\r\nTo: <sip:1001@cohort>;tag={}\r\n"
                        "Call-ID: {}\r\nCSeq: 5 BYE\r\nContent-Length: 0\r\n\r\n",
                        d.msg().from_tag(), d.msg().call_id()));
  EXPECT_TRUE(calls_->on_in_dialog(0, 90, bye, {}, now_));
  EXPECT_EQ(core_.responses.back().txn, 90u);
  EXPECT_EQ(core_.responses.back().status, 200);
  ASSERT_EQ(calls_->calls(0).size(), 1u) << "the answered call goes on";
  EXPECT_EQ(calls_->calls(0)[0].state, "answered");
  EXPECT_EQ(calls_->stats().active, 1u);
  // Nor does anything else the losing fork sends reach the caller.
  const std::size_t relayed = core_.requests.size();
  sip::Message info =
      parse(fmt::format("INFO sip:cohort@127.0.0.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP "
                        "10.0.0.5:5060;branch=z9hG4bK-l2\r\n"
                        "From: <sip:1002@cohort>;tag=td\r\nTo: <sip:1001@cohort>;tag={}\r\n"
                        "Call-ID: {}\r\nCSeq: 6 INFO\r\nContent-Length: 0\r\n\r\n",
                        d.msg().from_tag(), d.msg().call_id()));
  EXPECT_TRUE(calls_->on_in_dialog(0, 91, info, {}, now_));
  EXPECT_EQ(core_.responses.back().txn, 91u);
  EXPECT_EQ(core_.responses.back().status, 481);
  EXPECT_EQ(core_.requests.size(), relayed) << "not relayed to the caller";
}

}  // namespace
}  // namespace cohort::pbx

namespace cohort::pbx {
namespace {

using namespace calls_testing;  // NOLINT(google-build-using-namespace)

// RFC 3261 §13.3.1.4: the 2xx to a UDP caller is retransmitted until its ACK; without an
// ACK after 64·T1 the callee is ACKed and both legs get a BYE.
TEST_F(CallsTest, TwoHundredIsRetransmittedUntilAckThenTheCallIsEnded) {
  call("2125551234", user(1));
  const Sent b = core_.requests.at(0);
  feed(b, answer(b, 200, "tb", true));
  const std::string ok = core_.responses.back().bytes;
  ASSERT_FALSE(core_.timers.empty());
  const std::uint64_t key = core_.timers.back().first;
  calls_->on_timer(0, key, now_ + 500ms);
  ASSERT_EQ(core_.direct.size(), 1u);
  EXPECT_EQ(core_.direct[0].bytes, ok);
  EXPECT_EQ(core_.direct[0].destination, (net::Endpoint{"10.0.0.1", 5062}));
  calls_->on_timer(0, key, now_ + 33s);
  ASSERT_EQ(core_.direct.size(), 2u);
  EXPECT_EQ(parse(core_.direct[1].bytes).method(), sip::Method::kAck) << "the callee's 2xx";
  std::vector<std::string> byes;
  for (const Sent& s : core_.requests) {
    if (s.msg().method() == sip::Method::kBye) {
      byes.emplace_back(s.msg().call_id());
    }
  }
  EXPECT_EQ(byes, (std::vector<std::string>{"a-call@10.0.0.1", std::string(b.msg().call_id())}));
  EXPECT_EQ(core_.cdrs.back().hangup_cause, "no_ack");
  EXPECT_TRUE(calls_->calls(0).empty());
}

}  // namespace
}  // namespace cohort::pbx

namespace cohort::pbx {
namespace {

using namespace calls_testing;  // NOLINT(google-build-using-namespace)

// The callee retransmits its 2xx when our ACK was lost; no transaction is left for it, so
// the dialog re-sends the same ACK.
TEST_F(AnsweredCallTest, LostAckIsSentAgainOnARetransmitted2xx) {
  const std::size_t before = core_.direct.size();
  ASSERT_GT(before, 0u);
  const std::string ack = core_.direct.back().bytes;
  calls_->on_stray_response(0, parse(answer(b_, 200, "tb", true)), now_);
  ASSERT_EQ(core_.direct.size(), before + 1);
  EXPECT_EQ(core_.direct.back().bytes, ack);
  // A stray 2xx of a dialog that is not ours is ignored.
  std::string other = answer(b_, 200, "tb", true);
  other.replace(other.find(std::string(b_.msg().call_id())), b_.msg().call_id().size(),
                "unknown@x");
  calls_->on_stray_response(0, parse(other), now_);
  EXPECT_EQ(core_.direct.size(), before + 1);
}

TEST_F(AnsweredCallTest, CrossingReInvitesAreRefusedPerSection14) {
  const std::string hold =
      "v=0\r\no=a 1 2 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n"
      "m=audio 4000 RTP/AVP 0\r\na=sendonly\r\n";
  ASSERT_TRUE(calls_->on_in_dialog(0, 50, from_caller("INVITE", 3, hold), {}, now_));
  const Sent re = core_.requests.back();
  const std::size_t relayed = core_.requests.size();
  // The callee re-INVITEs at the same time: glare, 491 on its leg.
  ASSERT_TRUE(calls_->on_in_dialog(0, 51, from_callee("INVITE", 7), {}, now_));
  EXPECT_EQ(core_.responses.back().txn, 51u);
  EXPECT_EQ(core_.responses.back().status, 491);
  // The caller's second re-INVITE before its first was answered: 500 with Retry-After.
  ASSERT_TRUE(calls_->on_in_dialog(0, 52, from_caller("INVITE", 4, hold), {}, now_));
  EXPECT_EQ(core_.responses.back().txn, 52u);
  EXPECT_EQ(core_.responses.back().status, 500);
  EXPECT_NE(core_.responses.back().bytes.find("Retry-After: "), std::string::npos);
  EXPECT_EQ(core_.requests.size(), relayed) << "neither was relayed";
  // Once the first is answered, the next one goes through.
  feed(re, answer(re, 200, "tb", true));
  ASSERT_TRUE(calls_->on_in_dialog(0, 53, from_caller("INVITE", 5, hold), {}, now_));
  EXPECT_EQ(core_.requests.size(), relayed + 1);
  EXPECT_EQ(core_.requests.back().msg().method(), sip::Method::kInvite);
}

TEST_F(AnsweredCallTest, ARequestWithAnOldCSeqIsOutOfOrder) {
  // The INVITE had CSeq 2; an INFO with 2 (or lower) is refused 500 and not relayed.
  for (int cseq : {2, 1}) {
    const std::size_t relayed = core_.requests.size();
    ASSERT_TRUE(calls_->on_in_dialog(0, 60 + cseq, from_caller("INFO", cseq), {}, now_));
    EXPECT_EQ(core_.requests.size(), relayed) << cseq;
    EXPECT_EQ(core_.responses.back().status, 500) << cseq;
  }
  const std::size_t relayed = core_.requests.size();
  ASSERT_TRUE(calls_->on_in_dialog(0, 70, from_caller("INFO", 5), {}, now_));
  EXPECT_EQ(core_.requests.size(), relayed + 1) << "in order: relayed";
  ASSERT_TRUE(calls_->on_in_dialog(0, 71, from_caller("INFO", 4), {}, now_));
  EXPECT_EQ(core_.responses.back().status, 500) << "below the last one";
  EXPECT_EQ(core_.requests.size(), relayed + 1);
}

TEST_F(AnsweredCallTest, AnotherForkOfTheSameInviteIsAckedAndByedOnItsOwnDialog) {
  // A proxy downstream forked the INVITE: a second phone answers with its own To tag.
  const std::size_t direct_before = core_.direct.size();
  const std::size_t requests_before = core_.requests.size();
  const std::string winner_ack = core_.direct.back().bytes;
  calls_->on_stray_response(0, parse(answer(b_, 200, "fork2", true)), now_);
  ASSERT_EQ(core_.direct.size(), direct_before + 1);
  sip::Message ack = parse(core_.direct.back().bytes);
  EXPECT_EQ(ack.method(), sip::Method::kAck);
  EXPECT_EQ(ack.to_tag(), "fork2") << "the fork's own dialog, not the winner's";
  EXPECT_EQ(ack.cseq(), b_.msg().cseq());
  EXPECT_EQ(ack.request_uri(), "sip:callee@10.0.0.9:5070");
  ASSERT_EQ(core_.requests.size(), requests_before + 1);
  sip::Message bye = core_.requests.back().msg();
  EXPECT_EQ(bye.method(), sip::Method::kBye);
  EXPECT_EQ(bye.to_tag(), "fork2");
  EXPECT_EQ(bye.call_id(), b_.msg().call_id());
  EXPECT_GT(bye.cseq(), b_.msg().cseq());
  // The fork's 2xx again: ACKed again, no second BYE. The winner's 2xx still gets its ACK.
  calls_->on_stray_response(0, parse(answer(b_, 200, "fork2", true)), now_);
  EXPECT_EQ(core_.direct.size(), direct_before + 2);
  EXPECT_EQ(parse(core_.direct.back().bytes).to_tag(), "fork2");
  EXPECT_EQ(core_.requests.size(), requests_before + 1);
  calls_->on_stray_response(0, parse(answer(b_, 200, "tb", true)), now_);
  EXPECT_EQ(core_.direct.back().bytes, winner_ack);
  EXPECT_EQ(calls_->calls(0).size(), 1u) << "the call goes on";
}

}  // namespace
}  // namespace cohort::pbx

namespace cohort::pbx {
namespace {

using namespace calls_testing;  // NOLINT(google-build-using-namespace)

/// Calls to groups: Support (40: members 3, 4, 5) reached by DID 5550100 on trunk 20 and by
/// extension 4000; Tier2 (41: member 6). Every member has one phone at 10.0.1.<id>.
class GroupCallsTest : public CallsTest {
 protected:
  GroupCallsTest() {
    model::SnapshotPatch p;
    for (model::UserId id = 3; id <= 6; ++id) {
      model::User u;
      u.id = id;
      u.name = "Agent " + std::to_string(id);
      u.extension = "200" + std::to_string(id);
      p.users.emplace_back(id, u);
      CallTarget phone;
      phone.contact = fmt::format("sip:{}@10.0.1.{}:5060", u.extension, id);
      phone.route.destination = {fmt::format("10.0.1.{}", id), 5060};
      core_.bindings[id] = {phone};
    }
    support_.id = 40;
    support_.name = "Support";
    support_.extension = "4000";
    support_.outbound_caller_id = "5554000";
    support_.ring_timeout_s = 10;
    support_.max_wait_s = 60;
    tier2_.id = 41;
    tier2_.name = "Tier2";
    tier2_.ring_timeout_s = 10;
    tier2_.max_wait_s = 30;
    p.groups = {{40, support_}, {41, tier2_}};
    p.members = {{40, {model::Member{3, 1, 0}, model::Member{4, 2, 0}, model::Member{5, 3, 0}}},
                 {41, {model::Member{6, 1, 0}}}};
    p.groups_of = {{3, {model::UserMembership{40, 1, 0}}},
                   {4, {model::UserMembership{40, 2, 0}}},
                   {5, {model::UserMembership{40, 3, 0}}},
                   {6, {model::UserMembership{41, 1, 0}}}};
    model::InboundRoute route;
    route.id = 50;
    route.name = "support line";
    route.position = 1;
    route.did = "5550100";
    route.trunk = 20;
    route.destination = model::DestGroup{40};
    p.inbound_routes = std::vector<model::InboundRoute>{route};
    core_.snapshot = std::make_shared<const model::Snapshot>(core_.snapshot->apply(p));
  }

  /// Replaces group `g` (after editing it) in the configuration.
  void put_group(const model::Group& g) {
    model::SnapshotPatch p;
    p.groups = {{g.id, g}};
    core_.snapshot = std::make_shared<const model::Snapshot>(core_.snapshot->apply(p));
  }
  void put_members(model::GroupId g, std::vector<model::Member> members) {
    model::SnapshotPatch p;
    p.members = {{g, std::move(members)}};
    core_.snapshot = std::make_shared<const model::Snapshot>(core_.snapshot->apply(p));
  }

  /// A trunk call to the support DID, as a fresh call (new Call-ID and tag).
  void trunk_call(const std::string& did = "5550100") {
    ++calls_made_;
    std::string text = invite(did);
    text.replace(text.find("a-call@"), 7, fmt::format("a-call{}@", calls_made_));
    text.replace(text.find("tag=fa"), 6, fmt::format("tag=f{}", calls_made_));
    invite_ = std::make_unique<sip::Message>(parse(text));
    NewCall nc;
    nc.txn = static_cast<TxnId>(calls_made_ == 1 ? 1 : 100 + calls_made_);
    nc.invite = invite_.get();
    nc.reply_route.destination = {"10.0.0.1", 5062};
    nc.snapshot = core_.snapshot;
    nc.from_trunk = 20;
    calls_->on_invite(nc, now_);
  }

  /// The member a request was sent to (by its phone's address), 0 for anything else.
  static model::UserId member_of(const Sent& s) {
    const std::string& a = s.route.destination.address;
    return a.rfind("10.0.1.", 0) == 0 ? std::stoll(a.substr(7)) : 0;
  }
  /// INVITEs sent to members since request index `from`, in order.
  std::vector<Sent> offers(std::size_t from = 0) const {
    std::vector<Sent> out;
    for (std::size_t i = from; i < core_.requests.size(); ++i) {
      if (core_.requests[i].msg().method() == sip::Method::kInvite &&
          member_of(core_.requests[i]) != 0) {
        out.push_back(core_.requests[i]);
      }
    }
    return out;
  }
  std::vector<model::UserId> members(const std::vector<Sent>& sent) const {
    std::vector<model::UserId> out;
    for (const Sent& s : sent) {
      out.push_back(member_of(s));
    }
    return out;
  }
  std::vector<model::UserId> cancelled(std::size_t from = 0) const {
    std::vector<model::UserId> out;
    for (std::size_t i = from; i < core_.requests.size(); ++i) {
      if (core_.requests[i].msg().method() == sip::Method::kCancel) {
        out.push_back(member_of(core_.requests[i]));
      }
    }
    return out;
  }
  /// Fires the timers of every call at `at`.
  void fire(TimePoint at) {
    std::vector<std::uint64_t> keys;
    for (const auto& [key, when] : core_.timers) {
      if (std::find(keys.begin(), keys.end(), key) == keys.end()) {
        keys.push_back(key);
      }
    }
    for (std::uint64_t key : keys) {
      calls_->on_timer(0, key, at);
    }
  }
  /// Answers `offer` and hangs the call up from the member's side.
  void answer_and_hang_up(const Sent& offer) {
    feed(offer, answer(offer, 200, "m" + std::to_string(member_of(offer))));
    const sip::Message inv = offer.msg();
    sip::Message bye = parse(fmt::format(
        "BYE sip:cohort@127.0.0.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.1.9:5060;branch=z9hG4bK-"
        "x{}\r\nFrom: <sip:x@x>;tag=m{}\r\nTo: <sip:y@y>;tag={}\r\nCall-ID: {}\r\nCSeq: 9 BYE\r\n"
        "Content-Length: 0\r\n\r\n",
        core_.requests.size(), member_of(offer), inv.from_tag(), inv.call_id()));
    ASSERT_TRUE(calls_->on_in_dialog(0, 900, bye, {}, now_));
    commit();
  }

  model::Group support_;
  model::Group tier2_;
  int calls_made_ = 0;
};

TEST_F(GroupCallsTest, SimultaneousRingsEveryMemberAndCancelsTheOthersOnAnswer) {
  trunk_call();
  EXPECT_EQ(to_caller(), (std::vector<int>{100, 180})) << "the caller hears ringing";
  const std::vector<Sent> sent = offers();
  ASSERT_EQ(members(sent), (std::vector<model::UserId>{3, 4, 5}));
  // The caller's number, and the group's name in the display name.
  auto from = sip::parse_name_addr(*sent[0].msg().header(HeaderId::kFrom));
  ASSERT_TRUE(from);
  EXPECT_EQ(from->uri.user, "1001");
  EXPECT_EQ(from->display_name, "Support: 1001");
  for (const Sent& s : sent) {
    feed(s, answer(s, 180, "r" + std::to_string(member_of(s))));
  }
  EXPECT_TRUE(core_.board.live(3).ringing) << "claimed while ringing";
  feed(sent[1], answer(sent[1], 200, "m4", true));
  EXPECT_EQ(to_caller().back(), 200);
  EXPECT_EQ(cancelled(), (std::vector<model::UserId>{3, 5}));
  EXPECT_FALSE(core_.board.live(3).ringing);
  EXPECT_EQ(core_.board.live(4).calls, 1) << "the answering member is busy";
  const store::CdrRecord& cdr = core_.cdrs.back();
  EXPECT_EQ(cdr.answered_by, 4);
  EXPECT_EQ(cdr.group, 40);
  EXPECT_EQ(cdr.inbound_route, 50);
  EXPECT_EQ(cdr.did, "5550100");
  EXPECT_EQ(cdr.trunk, 20);
  EXPECT_EQ(cdr.direction, CallDirection::kInbound);
  ASSERT_EQ(cdr.attempts.size(), 3u);
  EXPECT_EQ(cdr.attempts[0].result, AttemptResult::kCancelled);
  EXPECT_EQ(cdr.attempts[1].result, AttemptResult::kAnswered);
  EXPECT_EQ(cdr.attempts[1].user, 4);
  EXPECT_EQ(cdr.attempts[1].group, 40);
  EXPECT_EQ(cdr.attempts[2].result, AttemptResult::kCancelled);
  EXPECT_EQ(calls_->stats().group_calls, 1u);
}

TEST_F(GroupCallsTest, RoundRobinStartsAfterThePreviousCallsFirstMember) {
  support_.ring_strategy = model::RingStrategy::kRoundRobin;
  put_group(support_);
  std::vector<model::UserId> first;
  for (int i = 0; i < 6; ++i) {
    const std::size_t mark = core_.requests.size();
    trunk_call();
    const std::vector<Sent> sent = offers(mark);
    ASSERT_EQ(sent.size(), 1u) << "one member at a time";
    first.push_back(member_of(sent[0]));
    answer_and_hang_up(sent[0]);
  }
  EXPECT_EQ(first, (std::vector<model::UserId>{3, 4, 5, 3, 4, 5}));
  EXPECT_EQ(core_.saved_cursors.back(), (std::pair<model::GroupId, model::UserId>{40, 5}));
  EXPECT_EQ(core_.board.live(5).calls, 0) << "free again after the hang-up";
}

TEST_F(GroupCallsTest, LeastRecentOrdersByLastCallEndAcrossGroups) {
  support_.ring_strategy = model::RingStrategy::kLeastRecent;
  put_group(support_);
  core_.board.group_call_ended(3, 500);  // 3 ended a call long ago, 4 and 5 never called
  core_.board.group_call_ended(5, 100);
  trunk_call();
  std::vector<Sent> sent = offers();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(member_of(sent[0]), 4) << "never called first";
  answer_and_hang_up(sent[0]);
  const std::size_t mark = core_.requests.size();
  trunk_call();
  sent = offers(mark);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(member_of(sent[0]), 5) << "ended longest ago (100 < 500 < now)";
}

TEST_F(GroupCallsTest, RingTimeoutMovesToTheNextMember) {
  support_.ring_strategy = model::RingStrategy::kSequential;
  put_group(support_);
  trunk_call();
  std::vector<Sent> sent = offers();
  ASSERT_EQ(members(sent), (std::vector<model::UserId>{3}));
  feed(sent[0], answer(sent[0], 180, "r3"));
  fire(now_ + std::chrono::seconds(9));
  EXPECT_EQ(offers().size(), 1u) << "not before ring_timeout_s";
  fire(now_ + std::chrono::seconds(10));
  EXPECT_EQ(cancelled(), (std::vector<model::UserId>{3}));
  EXPECT_EQ(members(offers()), (std::vector<model::UserId>{3, 4}));
  // Member 4 declines busy: the next one rings at once.
  const Sent four = offers()[1];
  feed(four, answer(four, 486, "r4"));
  EXPECT_EQ(members(offers()), (std::vector<model::UserId>{3, 4, 5}));
  feed(offers()[2], answer(offers()[2], 200, "m5"));
  const store::CdrRecord& cdr = core_.cdrs.back();
  ASSERT_EQ(cdr.attempts.size(), 3u);
  EXPECT_EQ(cdr.attempts[0].result, AttemptResult::kNoAnswer);
  EXPECT_EQ(cdr.attempts[1].result, AttemptResult::kBusy);
  EXPECT_EQ(cdr.attempts[2].result, AttemptResult::kAnswered);
  EXPECT_FALSE(core_.board.live(3).ringing);
}

TEST_F(GroupCallsTest, EveryOfferEndIsToldToAutoPause) {
  support_.ring_strategy = model::RingStrategy::kSequential;
  put_group(support_);
  trunk_call();
  feed(offers()[0], answer(offers()[0], 180, "r3"));
  fire(now_ + std::chrono::seconds(10));  // member 3 rings out
  const Sent four = offers()[1];
  feed(four, answer(four, 486, "r4"));  // member 4 is busy
  // Member 5's phone never responds: its INVITE times out (timer B).
  calls_->on_client_failure(0, offers()[2].txn, 408, now_ + std::chrono::seconds(11));
  using E = FakeCore::OfferEnd;
  EXPECT_EQ(core_.offer_ends, (std::vector<E>{{40, 3, AttemptResult::kNoAnswer},
                                              {40, 4, AttemptResult::kBusy},
                                              {40, 5, AttemptResult::kFailed}}));

  // Simultaneous: the answering member and the others, cancelled (neutral).
  core_.offer_ends.clear();
  support_.ring_strategy = model::RingStrategy::kSimultaneous;
  put_group(support_);
  trunk_call();
  std::vector<Sent> round = offers(core_.requests.size() - 3);
  ASSERT_EQ(round.size(), 3u);
  feed(round[1], answer(round[1], 200, "m"));
  std::vector<E> ends = core_.offer_ends;
  std::sort(ends.begin(), ends.end(), [](const E& a, const E& b) { return a.user < b.user; });
  EXPECT_EQ(ends, (std::vector<E>{{40, 3, AttemptResult::kCancelled},
                                  {40, 4, AttemptResult::kAnswered},
                                  {40, 5, AttemptResult::kCancelled}}));
}

TEST_F(GroupCallsTest, BusyPausedAndUnregisteredMembersAreSkipped) {
  core_.board.call_began(3);  // on another call
  put_members(
      40, {model::Member{3, 1, 0}, model::Member{4, 2, 0, true, "lunch"}, model::Member{5, 3, 0}});
  core_.bindings.erase(5);
  trunk_call();
  EXPECT_TRUE(offers().empty());
  EXPECT_EQ(to_caller().back(), 480) << "nobody available and no fallback";
  EXPECT_EQ(core_.cdrs.back().disposition, Disposition::kNoAgents);
  EXPECT_EQ(core_.cdrs.back().fallback_reason, FallbackReason::kNoAgents);

  support_.ring_in_use = true;  // now the busy member may be offered the call
  put_group(support_);
  const std::size_t mark = core_.requests.size();
  trunk_call();
  EXPECT_EQ(members(offers(mark)), (std::vector<model::UserId>{3}));
}

TEST_F(GroupCallsTest, AMemberRingingForOneGroupIsNotOfferedAnotherCall) {
  put_members(41, {model::Member{3, 1, 0}, model::Member{6, 2, 0}});
  trunk_call();  // Support rings 3, 4, 5
  ASSERT_EQ(members(offers()), (std::vector<model::UserId>{3, 4, 5}));
  const std::size_t mark = core_.requests.size();
  model::SnapshotPatch p;
  model::InboundRoute tier;
  tier.id = 51;
  tier.name = "tier2";
  tier.position = 2;
  tier.did = "5550200";
  tier.destination = model::DestGroup{41};
  p.inbound_routes = std::vector<model::InboundRoute>{*core_.snapshot->inbound_route(50), tier};
  core_.snapshot = std::make_shared<const model::Snapshot>(core_.snapshot->apply(p));
  trunk_call("5550200");
  EXPECT_EQ(members(offers(mark)), (std::vector<model::UserId>{6})) << "3 rings for Support";
}

TEST_F(GroupCallsTest, NobodyAvailableFallsBackAtOnceToAnotherGroup) {
  support_.fallback = model::DestGroup{41};
  put_group(support_);
  for (model::UserId u : {3, 4, 5}) {
    core_.board.call_began(u);
  }
  trunk_call();
  EXPECT_EQ(members(offers()), (std::vector<model::UserId>{6}));
  feed(offers()[0], answer(offers()[0], 200, "m6"));
  const store::CdrRecord& cdr = core_.cdrs.back();
  EXPECT_EQ(cdr.group, 40) << "the first group the call reached";
  EXPECT_EQ(cdr.fallback_reason, FallbackReason::kNoAgents);
  EXPECT_EQ(cdr.fallback_to, R"({"id":41,"type":"group"})");
  EXPECT_EQ(cdr.answered_by, 6);
  EXPECT_EQ(cdr.attempts.at(0).group, 41);
}

TEST_F(GroupCallsTest, MaxWaitFallsBackToAnOutsideNumberWithTheGroupCallerId) {
  support_.max_wait_s = 15;
  support_.fallback = model::DestNumber{"2125550000"};
  put_group(support_);
  trunk_call();
  ASSERT_EQ(offers().size(), 3u);
  fire(now_ + std::chrono::seconds(10));  // ring timeout: the second round waits 2 s
  fire(now_ + std::chrono::seconds(12));
  EXPECT_EQ(offers().size(), 6u) << "a second round";
  fire(now_ + std::chrono::seconds(15));
  const Sent out = core_.requests.back();
  sip::Message inv = out.msg();
  ASSERT_EQ(inv.method(), sip::Method::kInvite);
  EXPECT_EQ(inv.request_uri(), "sip:2125550000@127.0.0.2:5080");
  EXPECT_EQ(user_of(*inv.header(HeaderId::kFrom)), "5554000") << "the group's caller ID";
  feed(out, answer(out, 200, "p1"));
  const store::CdrRecord& cdr = core_.cdrs.back();
  EXPECT_EQ(cdr.fallback_reason, FallbackReason::kNoAnswer);
  EXPECT_EQ(cdr.caller_id, "5554000");
  EXPECT_EQ(cdr.trunk, 20) << "the trunk the call came in on";
  for (model::UserId u : {3, 4, 5}) {
    EXPECT_FALSE(core_.board.live(u).ringing);
  }
  answer_and_hang_up(out);  // the far end hangs up (not a member: no member to free)
  EXPECT_EQ(core_.cdrs.back().disposition, Disposition::kFallback);
}

TEST_F(GroupCallsTest, ClosedGroupGoesToItsClosedDestination) {
  model::Schedule night;
  night.id = 60;
  night.name = "night";
  night.timezone = "Europe/Berlin";
  night.override_mode = model::ScheduleOverride::kClosed;
  model::SnapshotPatch p;
  p.schedules = {{60, night}};
  core_.snapshot = std::make_shared<const model::Snapshot>(core_.snapshot->apply(p));
  support_.schedule = 60;
  put_group(support_);
  trunk_call();
  EXPECT_TRUE(offers().empty());
  EXPECT_EQ(to_caller().back(), 480);
  EXPECT_EQ(core_.cdrs.back().disposition, Disposition::kVoicemailUnavailable)
      << "default: voicemail";
  EXPECT_EQ(core_.cdrs.back().fallback_reason, FallbackReason::kClosed);

  support_.closed_destination = model::DestHangup{};
  put_group(support_);
  trunk_call();
  EXPECT_EQ(core_.cdrs.back().disposition, Disposition::kClosed);

  support_.closed_destination = model::DestGroup{41};
  put_group(support_);
  trunk_call();
  EXPECT_EQ(members(offers()), (std::vector<model::UserId>{6}));
}

TEST_F(GroupCallsTest, CallerHangingUpWhileWaitingIsAbandoned) {
  trunk_call();
  ASSERT_EQ(offers().size(), 3u);
  for (const Sent& s : offers()) {
    feed(s, answer(s, 180, "r" + std::to_string(member_of(s))));
  }
  EXPECT_TRUE(calls_->on_cancel(0, 1, now_));
  EXPECT_EQ(to_caller().back(), 487);
  EXPECT_EQ(core_.cdrs.back().disposition, Disposition::kAbandoned);
  EXPECT_EQ(cancelled(), (std::vector<model::UserId>{3, 4, 5}));
  for (const auto& a : core_.cdrs.back().attempts) {
    EXPECT_EQ(a.result, AttemptResult::kCancelled);
  }
  EXPECT_FALSE(core_.board.live(4).ringing);
  EXPECT_EQ(calls_->stats().ended_as(Disposition::kAbandoned), 1u);
}

TEST_F(GroupCallsTest, FallbackLoopsAndRoutingGapsEndTheCallClearly) {
  support_.fallback = model::DestGroup{41};
  tier2_.fallback = model::DestGroup{40};
  put_group(support_);
  put_group(tier2_);
  for (model::UserId u : {3, 4, 5, 6}) {
    core_.board.call_began(u);
  }
  trunk_call();
  EXPECT_EQ(to_caller().back(), 480);
  EXPECT_EQ(core_.cdrs.back().disposition, Disposition::kNoAgents);
  EXPECT_EQ(core_.cdrs.back().hangup_cause, "480 Temporarily Unavailable: fallback loop");

  support_.fallback = model::DestGroup{99};  // deleted since
  put_group(support_);
  trunk_call();
  EXPECT_EQ(core_.cdrs.back().disposition, Disposition::kRoutingGap);

  core_.responses.clear();
  trunk_call("5559999");
  ASSERT_FALSE(core_.responses.empty());
  EXPECT_EQ(core_.responses.back().status, 404) << "no inbound route";
}

TEST_F(GroupCallsTest, LateAnswersToTheFirstGroupsCancelsDoNotDisturbTheNextGroup) {
  support_.max_wait_s = 8;
  support_.fallback = model::DestGroup{41};
  put_group(support_);
  tier2_.ring_strategy = model::RingStrategy::kSequential;
  put_group(tier2_);
  put_members(41, {model::Member{6, 1, 0}, model::Member{5, 2, 0}});
  trunk_call();
  const std::vector<Sent> first = offers();
  ASSERT_EQ(first.size(), 3u);
  for (const Sent& s : first) {
    feed(s, answer(s, 180, "r" + std::to_string(member_of(s))));
  }
  fire(now_ + std::chrono::seconds(8));  // max wait: Support gives up, Tier2 rings 6
  ASSERT_EQ(members(offers()), (std::vector<model::UserId>{3, 4, 5, 6}));
  EXPECT_EQ(cancelled(), (std::vector<model::UserId>{3, 4, 5}));
  // 6 declines while Support's cancelled legs still wait for their 487: Tier2's next member
  // rings at once — those legs belong to an attempt the call has left.
  const Sent six = offers()[3];
  feed(six, answer(six, 486, "m6"));
  ASSERT_EQ(members(offers()), (std::vector<model::UserId>{3, 4, 5, 6, 5}));
  for (const Sent& s : first) {  // their 487s come in while 5 rings for Tier2
    feed(s, answer(s, 487, "r" + std::to_string(member_of(s))));
  }
  EXPECT_EQ(offers().size(), 5u) << "nothing new rung";
  EXPECT_EQ(to_caller().back(), 180) << "the caller still waits";
  EXPECT_TRUE(core_.board.live(5).ringing);
  const Sent five = offers()[4];
  feed(five, answer(five, 200, "m5"));
  EXPECT_EQ(to_caller().back(), 200);
  const store::CdrRecord& cdr = core_.cdrs.back();
  EXPECT_EQ(cdr.answered_by, 5);
  ASSERT_EQ(cdr.attempts.size(), 5u);
  EXPECT_EQ(cdr.attempts[0].result, AttemptResult::kNoAnswer);
  EXPECT_EQ(cdr.attempts[3].result, AttemptResult::kBusy);
  EXPECT_EQ(cdr.attempts[4].result, AttemptResult::kAnswered);
  EXPECT_EQ(cdr.attempts[4].group, 41);
}

TEST_F(GroupCallsTest, FallbackChainsStopAtTheHopLimit) {
  // Ten empty groups, each falling back to the next: the call visits eight (the limit) and
  // ends there instead of walking the whole chain.
  model::SnapshotPatch p;
  for (model::GroupId id = 70; id < 80; ++id) {
    model::Group g;
    g.id = id;
    g.name = "chain" + std::to_string(id);
    g.fallback = model::DestGroup{id + 1};
    p.groups.emplace_back(id, g);
  }
  model::InboundRoute chain;
  chain.id = 52;
  chain.name = "chain";
  chain.position = 2;
  chain.did = "5550300";
  chain.destination = model::DestGroup{70};
  p.inbound_routes = std::vector<model::InboundRoute>{*core_.snapshot->inbound_route(50), chain};
  core_.snapshot = std::make_shared<const model::Snapshot>(core_.snapshot->apply(p));
  trunk_call("5550300");
  EXPECT_EQ(to_caller().back(), 480);
  const store::CdrRecord& cdr = core_.cdrs.back();
  EXPECT_EQ(cdr.hangup_cause, "480 Temporarily Unavailable: too many fallback hops");
  EXPECT_EQ(cdr.disposition, Disposition::kNoAgents);
  EXPECT_EQ(cdr.group, 70);
  EXPECT_EQ(cdr.fallback_to, R"({"id":78,"type":"group"})") << "the ninth group is not entered";
}

TEST_F(GroupCallsTest, InternalCallersReachAGroupByItsExtension) {
  call("4000", user(1));
  EXPECT_EQ(members(offers()), (std::vector<model::UserId>{3, 4, 5}));
  EXPECT_EQ(core_.board.live(1).calls, 1) << "the caller is busy while it calls";
  EXPECT_TRUE(calls_->on_cancel(0, 1, now_));
  EXPECT_EQ(core_.board.live(1).calls, 0);
  EXPECT_EQ(core_.cdrs.back().direction, CallDirection::kInternal);
}

}  // namespace
}  // namespace cohort::pbx
