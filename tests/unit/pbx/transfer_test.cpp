// REFER in an answered call (call_transfer.cpp) against the fake SipCore: who may transfer,
// what a malformed or concurrent REFER gets, the target rung as the referrer would dial it
// (a late offer, the caller ID the outbound rules give the referrer), the NOTIFYs, the
// transferee's re-INVITE with the target's offer and its answer in the target's ACK.
#include <string>

#include "call_fixture.hpp"

namespace cohort::pbx::calls_testing {
namespace {

class TransferTest : public AnsweredCallTest {
 protected:
  /// Statuses sent through server transaction `txn`.
  std::vector<int> answers_to(TxnId txn) const {
    std::vector<int> out;
    for (const auto& r : core_.responses) {
      if (r.txn == txn) {
        out.push_back(r.status);
      }
    }
    return out;
  }
  /// The sipfrag status lines of the NOTIFYs Cohort sent, in order.
  std::vector<std::string> notifies() const {
    std::vector<std::string> out;
    for (const Sent& s : core_.requests) {
      sip::Message m = s.msg();
      if (m.method() == sip::Method::kNotify) {
        out.emplace_back(m.body().substr(0, m.body().find('\r')));
      }
    }
    return out;
  }
  void ring_ben() {
    CallTarget t;
    t.contact = "sip:1002@10.0.0.5:5064";
    t.route.destination = {"10.0.0.5", 5064};
    core_.bindings[2] = {t};
  }
};

TEST_F(TransferTest, ThePartyOfATrunkMayNotTransfer) {
  const std::size_t sent = core_.requests.size();
  sip::Message with = parse(fmt::format(
      "REFER sip:cohort@127.0.0.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.9:5070;branch="
      "z9hG4bK-r7\r\nFrom: <sip:2125551234@x>;tag=tb\r\nTo: {}\r\nCall-ID: {}\r\n"
      "CSeq: 7 REFER\r\nRefer-To: <sip:0900123456@cohort>\r\nContent-Length: 0\r\n\r\n",
      std::string(*b_.msg().header(sip::HeaderId::kFrom)), b_.msg().call_id()));
  ASSERT_TRUE(calls_->on_in_dialog(0, 60, with, {}, now_));
  EXPECT_EQ(answers_to(60), std::vector<int>{403});
  EXPECT_EQ(core_.requests.size(), sent) << "nothing was called";
}

TEST_F(TransferTest, AReferWithoutOneReferToIs400) {
  ASSERT_TRUE(calls_->on_in_dialog(0, 60, from_caller("REFER", 3), {}, now_));
  ASSERT_EQ(answers_to(60), std::vector<int>{400});
  EXPECT_NE(core_.responses.back().bytes.find("Refer-To"), std::string::npos);
  ASSERT_TRUE(calls_->on_in_dialog(
      0, 61,
      from_caller("REFER", 4, {}, "Refer-To: <sip:1002@cohort>\r\nRefer-To: <sip:1003@cohort>\r\n"),
      {}, now_));
  EXPECT_EQ(answers_to(61), std::vector<int>{400});
}

TEST_F(TransferTest, ToAUserWithALateOfferThenTheTransfereeGetsTheTargetsOffer) {
  ring_ben();
  const std::size_t before = core_.requests.size();
  ASSERT_TRUE(calls_->on_in_dialog(
      0, 60, from_caller("REFER", 3, {}, "Refer-To: <sip:1002@cohort>\r\n"), {}, now_));
  EXPECT_EQ(answers_to(60), std::vector<int>{202});
  // A second REFER while the first is under way.
  ASSERT_TRUE(calls_->on_in_dialog(
      0, 61, from_caller("REFER", 4, {}, "Refer-To: <sip:1002@cohort>\r\n"), {}, now_));
  EXPECT_EQ(answers_to(61), std::vector<int>{491});
  // NOTIFY 100 on the referrer's (caller's) dialog, then the INVITE to Ben without SDP.
  Sent invite;
  for (std::size_t i = before; i < core_.requests.size(); ++i) {
    if (core_.requests[i].msg().method() == sip::Method::kInvite) {
      invite = core_.requests[i];
    }
  }
  ASSERT_NE(invite.txn, 0u);
  sip::Message inv = invite.msg();
  EXPECT_EQ(inv.request_uri(), "sip:1002@10.0.0.5:5064");
  EXPECT_TRUE(inv.body().empty()) << "a late offer";
  EXPECT_EQ(user_of(*inv.header(sip::HeaderId::kFrom)), "2125551234") << "the transferee";
  ASSERT_FALSE(notifies().empty());
  EXPECT_EQ(notifies().front(), "SIP/2.0 100 Trying");
  for (const Sent& s : core_.requests) {
    sip::Message m = s.msg();
    if (m.method() == sip::Method::kNotify) {
      EXPECT_EQ(m.call_id(), "a-call@10.0.0.1") << "on the referrer's dialog";
      std::string event;
      for (const sip::Header& h : m.headers()) {
        if (h.name == "Event") {
          event = std::string(h.value);
        }
      }
      EXPECT_EQ(event, "refer;id=3");
    }
  }
  feed(invite, answer(invite, 180, "tben"));
  EXPECT_EQ(notifies().back(), "SIP/2.0 180 Ringing");
  // Ben answers with his offer: the transferee (the trunk's party) is re-INVITEd with it.
  const std::size_t at_answer = core_.requests.size();
  feed(invite, answer(invite, 200, "tben", true));
  EXPECT_EQ(notifies().back(), "SIP/2.0 200 OK");
  Sent reinvite;
  bool bye_to_referrer = false;
  for (std::size_t i = at_answer; i < core_.requests.size(); ++i) {
    sip::Message m = core_.requests[i].msg();
    if (m.method() == sip::Method::kInvite) {
      reinvite = core_.requests[i];
    }
    if (m.method() == sip::Method::kBye && m.call_id() == "a-call@10.0.0.1") {
      bye_to_referrer = true;
    }
  }
  EXPECT_TRUE(bye_to_referrer) << "the old call ends for the referrer";
  ASSERT_NE(reinvite.txn, 0u);
  sip::Message re = reinvite.msg();
  EXPECT_EQ(re.call_id(), b_.msg().call_id()) << "on the transferee's dialog";
  EXPECT_EQ(re.to_tag(), "tb");
  EXPECT_NE(re.body().find("o=b 2 2"), std::string::npos) << "Ben's offer";
  // The transferee answers; the answer reaches Ben in the ACK of his 2xx.
  const std::size_t direct = core_.direct.size();
  std::string answer_sdp = "v=0\r\no=trunk 5 5 IN IP4 10.0.0.9\r\ns=-\r\n";
  sip::MessageBuilder ok = sip::make_response(re, 200, "OK", "tb");
  ok.header(sip::HeaderId::kContact, "<sip:callee@10.0.0.9:5070>");
  ok.body("application/sdp", answer_sdp);
  feed(reinvite, ok.str());
  ASSERT_EQ(core_.direct.size(), direct + 2) << "ACK to the transferee and to Ben";
  sip::Message ack_ben = parse(core_.direct.back().bytes);
  EXPECT_EQ(ack_ben.method(), sip::Method::kAck);
  EXPECT_EQ(ack_ben.call_id(), inv.call_id());
  EXPECT_EQ(ack_ben.body(), answer_sdp);
  // The records: the old call transferred, the new one from it, by Ana.
  const store::CdrRecord* old = nullptr;
  const store::CdrRecord* joined = nullptr;
  for (const store::CdrRecord& r : core_.cdrs) {
    if (r.hangup_cause == "transferred") {
      old = &r;
    }
    if (!r.transferred_from.empty()) {
      joined = &r;
    }
  }
  ASSERT_NE(old, nullptr);
  ASSERT_NE(joined, nullptr);
  EXPECT_EQ(old->transferred_to, joined->id);
  EXPECT_EQ(joined->transferred_from, old->id);
  EXPECT_EQ(joined->transferred_by, model::UserId{1});
  EXPECT_EQ(joined->callee_user, model::UserId{2});
  EXPECT_EQ(joined->a_leg_call_id, b_.msg().call_id()) << "the transferee's leg";
}

TEST_F(TransferTest, ToANumberGoesOutWithTheCallerIdTheRulesGiveTheReferrer) {
  // Ana (a Sales member) transfers the outside party to another outside number: the rule
  // for Sales presents the group's caller ID, as when Ana dials it herself.
  ASSERT_TRUE(calls_->on_in_dialog(
      0, 60, from_caller("REFER", 3, {}, "Refer-To: <sip:2125559876@cohort>\r\n"), {}, now_));
  EXPECT_EQ(answers_to(60), std::vector<int>{202});
  sip::Message out = core_.requests.back().msg();
  ASSERT_EQ(out.method(), sip::Method::kInvite);
  EXPECT_EQ(out.request_uri(), "sip:2125559876@127.0.0.2:5080");
  EXPECT_EQ(user_of(*out.header(sip::HeaderId::kFrom)), "010000");
  EXPECT_TRUE(out.body().empty());
}

}  // namespace
}  // namespace cohort::pbx::calls_testing
