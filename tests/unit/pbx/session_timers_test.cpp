// RFC 4028 session timers on both legs of a call (src/pbx/call_session.cpp), driven through
// the call controller with the fake SipCore and a simulated clock: the negotiation with the
// caller (422, 400, the 2xx) and with the callee (the offer, a 422 retried on the same leg),
// Cohort's own refreshes (UPDATE or re-INVITE, never relayed) and their responses, expiry,
// and relayed re-INVITEs refreshing each leg with its own headers.

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "call_fixture.hpp"

namespace cohort::pbx {
namespace {

using namespace calls_testing;  // NOLINT(google-build-using-namespace)

/// The value of header `name` (any HeaderId, found by name), or nullopt.
std::optional<std::string> header(const sip::Message& m, std::string_view name) {
  for (const sip::Header& h : m.headers()) {
    if (h.name == name) {
      return std::string(h.value);
    }
  }
  return std::nullopt;
}

/// Every value of the header `name` joined by ", " ("" when absent).
std::string all_of(const sip::Message& m, std::string_view name) {
  std::string out;
  for (const sip::Header& h : m.headers()) {
    if (h.name == name) {
      out += out.empty() ? "" : ", ";
      out += h.value;
    }
  }
  return out;
}

constexpr std::string_view kTimerCaller =
    "Supported: timer\r\nSession-Expires: 90;refresher=uac\r\n";

class SessionTimersTest : public CallsTest {
 protected:
  /// The caller's INVITE with `extra` headers, answered by the trunk (the 2xx with `b_extra`)
  /// and ACKed by the caller. The 200 to the caller is `a_ok_`, the B leg's INVITE `b_`.
  void answered_call(std::string_view extra, std::string_view b_extra = {}) {
    call("2125551234", user(1), std::nullopt, 70, extra);
    b_ = core_.requests.at(0);
    feed(b_, answer(b_, 200, "tb", true, b_extra));
    ASSERT_EQ(to_caller().back(), 200);
    a_ok_ = core_.responses.back().bytes;
    a_tag_ = std::string(parse(a_ok_).to_tag());
    ASSERT_TRUE(calls_->on_in_dialog(0, 0, from_caller("ACK", 2), {}, now_));
  }
  /// A request from the caller inside the dialog; `extra` header lines end in CRLF.
  sip::Message from_caller(std::string_view method, int cseq, std::string_view extra = {},
                           std::string_view body = {}) {
    return parse(fmt::format(
        "{} sip:cohort@127.0.0.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP "
        "10.0.0.1:5062;branch=z9hG4bK-r{}\r\n"
        "From: <sip:1001@cohort>;tag=fa\r\nTo: <sip:2125551234@cohort>;tag={}\r\n"
        "Call-ID: a-call@10.0.0.1\r\nCSeq: {} {}\r\nContact: <sip:1001@10.0.0.1:5062>\r\n"
        "{}Content-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{}",
        method, cseq, a_tag_, cseq, method, extra, body.size(), body));
  }
  /// Requests Cohort sent from index `from` on.
  std::vector<Sent> sent_since(std::size_t from) const {
    return {core_.requests.begin() + static_cast<std::ptrdiff_t>(from), core_.requests.end()};
  }
  /// Call-IDs of the BYEs Cohort sent.
  std::vector<std::string> byes() const {
    std::vector<std::string> out;
    for (const Sent& s : core_.requests) {
      if (s.msg().method() == sip::Method::kBye) {
        out.emplace_back(s.msg().call_id());
      }
    }
    return out;
  }
  std::string b_call_id() const { return std::string(b_.msg().call_id()); }
  void sweep_at(std::chrono::milliseconds after) { calls_->sweep(0, now_ + after); }

  Sent b_;
  std::string a_ok_;
  std::string a_tag_;
};

// --- the caller's leg: Cohort is the UAS of the INVITE (§9) -----------------------------------

TEST_F(SessionTimersTest, CallerAskingTooSmallAnIntervalGets422BeforeRouting) {
  call("2125551234", user(1), std::nullopt, 70, "Supported: timer\r\nSession-Expires: 60\r\n");
  ASSERT_EQ(core_.responses.size(), 1u);
  EXPECT_EQ(core_.responses[0].status, 422);
  sip::Message r = parse(core_.responses[0].bytes);
  EXPECT_EQ(header(r, "Min-SE"), "90");
  EXPECT_FALSE(r.to_tag().empty()) << "a final response to an INVITE has a To tag";
  EXPECT_TRUE(core_.requests.empty()) << "no callee was rung";
  EXPECT_TRUE(core_.cdrs.empty()) << "no call: the caller asks again with our Min-SE";
  EXPECT_TRUE(calls_->calls(0).empty());
  EXPECT_EQ(calls_->stats().attempted, 0u);
}

TEST_F(SessionTimersTest, MalformedSessionExpiresIs400NamingTheHeader) {
  call("2125551234", user(1), std::nullopt, 70, "Session-Expires: soon\r\n");
  ASSERT_EQ(core_.responses.size(), 1u);
  EXPECT_EQ(core_.responses[0].status, 400);
  EXPECT_NE(core_.responses[0].bytes.find("Session-Expires"), std::string::npos)
      << core_.responses[0].bytes;
  EXPECT_TRUE(core_.requests.empty());
}

TEST_F(SessionTimersTest, TheCallersTwoHundredCarriesTheNegotiatedInterval) {
  struct Case {
    std::string_view name;
    std::string_view invite_headers;
    std::string_view session_expires;
    std::string_view require;
  };
  const Case cases[] = {
      {"the caller refreshes: Require: timer", "Supported: timer\r\nSession-Expires: 600\r\n",
       "600;refresher=uac", "timer"},
      {"the caller asks Cohort to refresh", "Supported: timer\r\nx: 600;refresher=uas\r\n",
       "600;refresher=uas", ""},
      {"a caller without timers: Cohort refreshes at its own interval", "", "1800;refresher=uas",
       ""},
      {"a caller without timers asking too little: raised, not refused", "Session-Expires: 60\r\n",
       "90;refresher=uas", ""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    core_.requests.clear();
    core_.responses.clear();
    core_.direct.clear();
    core_.cdrs.clear();
    CallOptions o;
    o.domain = "cohort";
    calls_ = std::make_unique<CallController>(o, core_, 1);
    answered_call(c.invite_headers);
    sip::Message ok = parse(a_ok_);
    EXPECT_EQ(header(ok, "Session-Expires"), std::string(c.session_expires));
    EXPECT_EQ(all_of(ok, "Require"), c.require);
    EXPECT_EQ(all_of(ok, "Supported"), "timer");
  }
}

// --- the callee's leg: Cohort is the UAC of the INVITE (§7) -----------------------------------

TEST_F(SessionTimersTest, TheCalleesInviteOffersTheConfiguredInterval) {
  CallOptions o;
  o.domain = "cohort";
  o.session_timer = {600, 120};
  calls_ = std::make_unique<CallController>(o, core_, 1);
  call("2125551234", user(1));
  sip::Message inv = core_.requests.at(0).msg();
  EXPECT_EQ(all_of(inv, "Supported"), "timer");
  EXPECT_EQ(header(inv, "Session-Expires"), "600");
  EXPECT_EQ(header(inv, "Min-SE"), "120");
}

TEST_F(SessionTimersTest, A422FromTheCalleeIsAskedAgainOnTheSameLeg) {
  call("2125551234", user(1));
  const Sent first = core_.requests.at(0);
  feed(first, answer(first, 422, "t1", false, "Min-SE: 3600"));
  ASSERT_EQ(core_.requests.size(), 2u) << "a new INVITE, not the next trunk";
  sip::Message again = core_.requests[1].msg();
  EXPECT_EQ(again.method(), sip::Method::kInvite);
  EXPECT_EQ(again.call_id(), first.msg().call_id());
  EXPECT_EQ(again.from_tag(), first.msg().from_tag());
  EXPECT_TRUE(again.to_tag().empty());
  EXPECT_EQ(again.cseq(), first.msg().cseq() + 1);
  EXPECT_EQ(core_.requests[1].route.destination, first.route.destination);
  EXPECT_EQ(header(again, "Session-Expires"), "3600");
  EXPECT_EQ(header(again, "Min-SE"), "3600");
  EXPECT_EQ(to_caller(), (std::vector<int>{100})) << "the caller sees nothing of it";
  const Sent second = core_.requests[1];
  feed(second, answer(second, 200, "t2", true, "Session-Expires: 3600;refresher=uas"));
  EXPECT_EQ(to_caller(), (std::vector<int>{100, 200}));
}

TEST_F(SessionTimersTest, A422ThatCannotBeMetIsAFailedAttemptNotA422ForTheCaller) {
  call("2125551234", user(1));
  const Sent first = core_.requests.at(0);
  feed(first, answer(first, 422, "t1"));  // no Min-SE: nothing to retry with
  EXPECT_EQ(core_.requests.size(), 1u);
  EXPECT_EQ(to_caller(), (std::vector<int>{100, 500}))
      << "a 422 without our Min-SE would mean nothing to the caller";
}

// --- expiry (§10) ------------------------------------------------------------------------------

// The caller refreshes (refresher=uac, 90 s) and goes silent: its session expires after
// 90 − min(32, 90/3) = 60 s, and both legs get a BYE.
TEST_F(SessionTimersTest, ACallerThatStopsRefreshingIsHungUpOnBothLegs) {
  answered_call(kTimerCaller);
  sweep_at(59s);
  EXPECT_TRUE(byes().empty()) << "not before the session expires";
  EXPECT_EQ(calls_->calls(0).size(), 1u);
  sweep_at(61s);
  EXPECT_EQ(byes(), (std::vector<std::string>{"a-call@10.0.0.1", b_call_id()}));
  EXPECT_EQ(core_.cdrs.back().hangup_cause, "session_expired");
  EXPECT_EQ(core_.cdrs.back().disposition, Disposition::kAnswered);
  EXPECT_EQ(core_.slots[20], 0) << "the trunk's call slot is given back";
  EXPECT_TRUE(calls_->calls(0).empty());
}

// The caller refreshes with an UPDATE in time: relayed to the callee, its 2xx restarts the
// caller's session (and the callee's), so the call outlives the first interval.
TEST_F(SessionTimersTest, ACallerRefreshingInTimeKeepsTheCall) {
  answered_call(kTimerCaller);
  const std::size_t before = core_.requests.size();
  ASSERT_TRUE(calls_->on_in_dialog(
      0, 40, from_caller("UPDATE", 3, "Supported: timer\r\nSession-Expires: 90;refresher=uac\r\n"),
      {}, now_ + 40s));
  ASSERT_EQ(core_.requests.size(), before + 1);
  const Sent update = core_.requests.back();
  calls_->on_response(0, update.txn, parse(answer(update, 200, "tb")), now_ + 40s);
  EXPECT_EQ(core_.responses.back().txn, 40u);
  EXPECT_EQ(core_.responses.back().status, 200);
  sweep_at(61s);
  EXPECT_TRUE(byes().empty()) << "refreshed at 40 s: expires at 100 s";
  sweep_at(101s);
  EXPECT_EQ(byes().size(), 2u);
  EXPECT_EQ(core_.cdrs.back().hangup_cause, "session_expired");
}

// A call whose BYE was lost for good, with peers that answer nothing more: Cohort's own
// refreshes go unanswered and the call ends by itself (there is no maximum duration).
TEST_F(SessionTimersTest, ACallNobodyAnswersAnyMoreEndsByItself) {
  answered_call({});
  const std::size_t before = core_.requests.size();
  sweep_at(899s);
  EXPECT_EQ(core_.requests.size(), before) << "refreshes at half the interval (1800 s)";
  sweep_at(901s);
  std::vector<Sent> refreshes = sent_since(before);
  ASSERT_EQ(refreshes.size(), 2u) << "Cohort refreshes both legs";
  sweep_at(1767s);
  EXPECT_TRUE(byes().empty());
  sweep_at(1769s);
  EXPECT_EQ(byes(), (std::vector<std::string>{"a-call@10.0.0.1", b_call_id()}));
  EXPECT_EQ(core_.cdrs.back().hangup_cause, "session_expired");
  EXPECT_TRUE(calls_->calls(0).empty());
}

// --- Cohort's refreshes (§7.4) -----------------------------------------------------------------

// Neither peer does timers: Cohort refreshes both legs at half the interval — the callee,
// whose 2xx allows UPDATE, with an UPDATE without body; the caller, whose INVITE did not,
// with a re-INVITE offering the SDP Cohort last sent it. Their responses stay on their leg.
TEST_F(SessionTimersTest, CohortRefreshesEachLegItselfAndKeepsTheResponsesThere) {
  answered_call({}, "Allow: INVITE, ACK, CANCEL, BYE, UPDATE");
  const std::size_t before = core_.requests.size();
  const std::size_t responses = core_.responses.size();
  sweep_at(901s);
  std::vector<Sent> sent = sent_since(before);
  ASSERT_EQ(sent.size(), 2u);
  const Sent to_a = sent[0].msg().call_id() == "a-call@10.0.0.1" ? sent[0] : sent[1];
  const Sent to_b = sent[0].msg().call_id() == "a-call@10.0.0.1" ? sent[1] : sent[0];

  sip::Message update = to_b.msg();
  EXPECT_EQ(update.method(), sip::Method::kUpdate);
  EXPECT_EQ(update.call_id(), b_call_id());
  EXPECT_EQ(update.to_tag(), "tb");
  EXPECT_TRUE(update.body().empty()) << "an UPDATE refresh needs no offer";
  EXPECT_EQ(header(update, "Session-Expires"), "1800;refresher=uac");
  EXPECT_EQ(all_of(update, "Supported"), "timer");
  EXPECT_GT(update.cseq(), b_.msg().cseq());

  sip::Message reinvite = to_a.msg();
  EXPECT_EQ(reinvite.method(), sip::Method::kInvite);
  EXPECT_EQ(reinvite.from_tag(), a_tag_);
  EXPECT_EQ(reinvite.to_tag(), "fa");
  EXPECT_EQ(reinvite.request_uri(), "sip:1001@10.0.0.1:5062");
  EXPECT_EQ(reinvite.body(), parse(a_ok_).body()) << "the SDP Cohort last sent the caller";
  EXPECT_EQ(header(reinvite, "Session-Expires"), "1800;refresher=uac");

  const std::size_t direct = core_.direct.size();
  calls_->on_response(0, to_b.txn, parse(answer(to_b, 200, "tb")), now_ + 901s);
  calls_->on_response(0, to_a.txn, parse(answer(to_a, 200, "fa", true)), now_ + 901s);
  EXPECT_EQ(core_.requests.size(), before + 2) << "nothing relayed to the other leg";
  EXPECT_EQ(core_.responses.size(), responses) << "nor answered to anyone";
  ASSERT_EQ(core_.direct.size(), direct + 1) << "the caller's 2xx to our re-INVITE is ACKed";
  sip::Message ack = parse(core_.direct.back().bytes);
  EXPECT_EQ(ack.method(), sip::Method::kAck);
  EXPECT_EQ(ack.call_id(), "a-call@10.0.0.1");
  EXPECT_EQ(ack.cseq(), reinvite.cseq());

  // Both sessions restarted at 901 s: the next refreshes at 1801 s, and nothing expires.
  sweep_at(1800s);
  EXPECT_EQ(core_.requests.size(), before + 2);
  sweep_at(1802s);
  EXPECT_EQ(core_.requests.size(), before + 4);
  EXPECT_TRUE(byes().empty());
}

TEST_F(SessionTimersTest, RefreshOutcomesOnTheCalleesLeg) {
  struct Case {
    std::string_view name;
    int status;
    std::string_view extra;
    std::string_view want;  ///< what Cohort does next
  };
  const Case cases[] = {
      {"481: the callee forgot the dialog: BYE the caller only", 481, {}, "end_481"},
      {"422: the same refresh with the interval raised", 422, "Min-SE: 3600", "raised"},
      {"491: again after the glare delay", 491, {}, "later"},
      {"500: the callee is alive: the interval goes on", 500, {}, "kept"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    core_.requests.clear();
    core_.responses.clear();
    core_.direct.clear();
    core_.cdrs.clear();
    core_.timers.clear();
    CallOptions o;
    o.domain = "cohort";
    calls_ = std::make_unique<CallController>(o, core_, 1);
    answered_call({});
    const std::size_t before = core_.requests.size();
    sweep_at(901s);
    std::vector<Sent> sent = sent_since(before);
    ASSERT_EQ(sent.size(), 2u);
    const Sent to_b = sent[0].msg().call_id() == b_call_id() ? sent[0] : sent[1];
    const Sent to_a = sent[0].msg().call_id() == b_call_id() ? sent[1] : sent[0];
    ASSERT_EQ(to_b.msg().method(), sip::Method::kInvite) << "the callee did not allow UPDATE";
    EXPECT_EQ(to_b.msg().body(), kSdp) << "the SDP Cohort last sent the callee: the caller's";
    calls_->on_response(0, to_a.txn, parse(answer(to_a, 200, "fa", true)), now_ + 901s);
    const std::size_t after_a = core_.requests.size();
    calls_->on_response(0, to_b.txn, parse(answer(to_b, c.status, "tb", false, c.extra)),
                        now_ + 901s);
    if (c.want == "end_481") {
      EXPECT_EQ(byes(), (std::vector<std::string>{"a-call@10.0.0.1"}));
      EXPECT_EQ(core_.cdrs.back().hangup_cause, "session_refresh_failed");
      EXPECT_TRUE(calls_->calls(0).empty());
    } else if (c.want == "raised") {
      ASSERT_EQ(core_.requests.size(), after_a + 1);
      sip::Message again = core_.requests.back().msg();
      EXPECT_EQ(again.method(), sip::Method::kInvite);
      EXPECT_EQ(again.call_id(), b_call_id());
      EXPECT_GT(again.cseq(), to_b.msg().cseq());
      EXPECT_EQ(header(again, "Session-Expires"), "3600;refresher=uac");
      EXPECT_EQ(header(again, "Min-SE"), "3600");
    } else if (c.want == "later") {
      EXPECT_EQ(core_.requests.size(), after_a) << "not at once";
      ASSERT_FALSE(core_.timers.empty());
      const TimePoint at = core_.timers.back().second;
      EXPECT_GE(at, now_ + 901s + 2100ms) << "§14.1: Cohort owns the B leg's Call-ID";
      EXPECT_LE(at, now_ + 901s + 4000ms);
      calls_->on_timer(0, core_.timers.back().first, at);
      ASSERT_EQ(core_.requests.size(), after_a + 1);
      EXPECT_EQ(core_.requests.back().msg().method(), sip::Method::kInvite);
      EXPECT_EQ(core_.requests.back().msg().call_id(), b_call_id());
    } else {
      EXPECT_EQ(core_.requests.size(), after_a);
      sweep_at(1767s + 901s);
      EXPECT_TRUE(byes().empty()) << "restarted at 901 s with the same interval";
    }
  }
}

TEST_F(SessionTimersTest, ARefreshNobodyAnswersEndsTheCall) {
  answered_call({}, "Allow: UPDATE");
  const std::size_t before = core_.requests.size();
  sweep_at(901s);
  std::vector<Sent> sent = sent_since(before);
  ASSERT_EQ(sent.size(), 2u);
  const Sent to_b = sent[0].msg().call_id() == b_call_id() ? sent[0] : sent[1];
  calls_->on_client_failure(0, to_b.txn, 408, now_ + 933s);
  EXPECT_EQ(byes(), (std::vector<std::string>{"a-call@10.0.0.1", b_call_id()}));
  EXPECT_EQ(core_.cdrs.back().hangup_cause, "session_refresh_failed");
  EXPECT_TRUE(calls_->calls(0).empty());
}

TEST_F(SessionTimersTest, AnUpdateRefusedWithA501IsFollowedByAReInvite) {
  answered_call({}, "Allow: INVITE, UPDATE");
  const std::size_t before = core_.requests.size();
  sweep_at(901s);
  std::vector<Sent> sent = sent_since(before);
  ASSERT_EQ(sent.size(), 2u);
  const Sent to_b = sent[0].msg().call_id() == b_call_id() ? sent[0] : sent[1];
  ASSERT_EQ(to_b.msg().method(), sip::Method::kUpdate);
  calls_->on_response(0, to_b.txn, parse(answer(to_b, 501, "tb")), now_ + 901s);
  sip::Message again = core_.requests.back().msg();
  EXPECT_EQ(again.method(), sip::Method::kInvite);
  EXPECT_EQ(again.call_id(), b_call_id());
  EXPECT_EQ(again.body(), kSdp);
}

// --- re-INVITE and UPDATE relayed end to end (§7.4, §9 on each leg) ---------------------------

TEST_F(SessionTimersTest, ARelayedReInviteRefreshesBothLegsEachWithItsOwnHeaders) {
  answered_call({});
  const std::size_t before = core_.requests.size();
  const std::string hold =
      "v=0\r\no=a 1 2 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n"
      "m=audio 4000 RTP/AVP 0\r\na=sendonly\r\n";
  ASSERT_TRUE(calls_->on_in_dialog(
      0, 50,
      from_caller("INVITE", 3, "Supported: timer\r\nSession-Expires: 300;refresher=uac\r\n", hold),
      {}, now_ + 800s));
  ASSERT_EQ(core_.requests.size(), before + 1);
  const Sent re = core_.requests.back();
  sip::Message out = re.msg();
  EXPECT_EQ(header(out, "Session-Expires"), "1800;refresher=uac")
      << "the callee's leg keeps its own interval, Cohort refreshing it";
  EXPECT_EQ(header(out, "Min-SE"), "90");
  EXPECT_EQ(all_of(out, "Supported"), "timer");
  calls_->on_response(0, re.txn,
                      parse(answer(re, 200, "tb", true, "Session-Expires: 4000;refresher=uas")),
                      now_ + 800s);
  ASSERT_EQ(core_.responses.back().txn, 50u);
  sip::Message ok = parse(core_.responses.back().bytes);
  EXPECT_EQ(ok.status(), 200);
  EXPECT_EQ(header(ok, "Session-Expires"), "300;refresher=uac")
      << "the caller's own negotiation, not the callee's header";
  EXPECT_EQ(all_of(ok, "Require"), "timer");

  // The callee now refreshes (4000 s, refresher=uas): Cohort sends it nothing at 900 s, nor
  // ever before the caller's renegotiated session (300 s from 800 s) expires at 1068 s.
  sweep_at(1000s);
  EXPECT_EQ(core_.requests.size(), before + 1) << "no refresh: both legs were refreshed";
  sweep_at(1067s);
  EXPECT_TRUE(byes().empty());
  sweep_at(1069s);
  EXPECT_EQ(byes(), (std::vector<std::string>{"a-call@10.0.0.1", b_call_id()}));
  EXPECT_EQ(core_.cdrs.back().hangup_cause, "session_expired");
}

TEST_F(SessionTimersTest, AReInviteAskingTooSmallAnIntervalGets422AndIsNotRelayed) {
  answered_call({});
  const std::size_t before = core_.requests.size();
  ASSERT_TRUE(calls_->on_in_dialog(
      0, 51, from_caller("INVITE", 3, "Supported: timer\r\nSession-Expires: 30\r\n", kSdp), {},
      now_ + 10s));
  EXPECT_EQ(core_.requests.size(), before);
  EXPECT_EQ(core_.responses.back().txn, 51u);
  EXPECT_EQ(core_.responses.back().status, 422);
  EXPECT_EQ(header(parse(core_.responses.back().bytes), "Min-SE"), "90");
  // The refusal left no re-INVITE in progress: the next one goes through.
  ASSERT_TRUE(calls_->on_in_dialog(0, 52, from_caller("INVITE", 4, {}, kSdp), {}, now_ + 11s));
  EXPECT_EQ(core_.requests.size(), before + 1);
}

TEST_F(SessionTimersTest, RelayedUpdatesRefreshTheCalleesLegToo) {
  answered_call(kTimerCaller);
  // The caller refreshes every 40 s with an UPDATE, relayed to the callee and answered.
  int cseq = 3;
  for (auto at = 40s; at < 901s; at += 40s) {
    ASSERT_TRUE(calls_->on_in_dialog(
        0, static_cast<TxnId>(100 + cseq),
        from_caller("UPDATE", cseq, "Supported: timer\r\nSession-Expires: 90\r\n"), {}, now_ + at));
    const Sent u = core_.requests.back();
    ASSERT_EQ(u.msg().call_id(), b_call_id());
    calls_->on_response(0, u.txn, parse(answer(u, 200, "tb")), now_ + at);
    ++cseq;
  }
  // Each 2xx restarted the callee's session too: Cohort has nothing to refresh at 901 s.
  const std::size_t before = core_.requests.size();
  sweep_at(901s);
  EXPECT_EQ(core_.requests.size(), before);
  EXPECT_TRUE(byes().empty());
}

// Cohort's refresh re-INVITE is in progress on the callee's leg when the caller re-INVITEs:
// two INVITE transactions on one dialog are glare (RFC 3261 §14.1): 491, not relayed.
TEST_F(SessionTimersTest, AReInviteCrossingCohortsRefreshOfTheFarLegGets491) {
  answered_call("Allow: INVITE, ACK, BYE, UPDATE\r\n");
  const std::size_t before = core_.requests.size();
  sweep_at(901s);
  std::vector<Sent> sent = sent_since(before);
  ASSERT_EQ(sent.size(), 2u);
  const Sent to_b = sent[0].msg().call_id() == b_call_id() ? sent[0] : sent[1];
  const Sent to_a = sent[0].msg().call_id() == b_call_id() ? sent[1] : sent[0];
  ASSERT_EQ(to_b.msg().method(), sip::Method::kInvite);
  ASSERT_EQ(to_a.msg().method(), sip::Method::kUpdate) << "the caller allowed UPDATE";
  ASSERT_TRUE(calls_->on_in_dialog(0, 60, from_caller("INVITE", 3, {}, kSdp), {}, now_ + 902s));
  EXPECT_EQ(core_.responses.back().txn, 60u);
  EXPECT_EQ(core_.responses.back().status, 491);
  EXPECT_EQ(core_.requests.size(), before + 2) << "not relayed";
  // Once the refresh is answered, the caller's re-INVITE goes through.
  calls_->on_response(0, to_b.txn, parse(answer(to_b, 200, "tb", true)), now_ + 903s);
  ASSERT_TRUE(calls_->on_in_dialog(0, 61, from_caller("INVITE", 4, {}, kSdp), {}, now_ + 905s));
  EXPECT_EQ(core_.requests.size(), before + 3);
  EXPECT_EQ(core_.requests.back().msg().call_id(), b_call_id());
}

}  // namespace
}  // namespace cohort::pbx
