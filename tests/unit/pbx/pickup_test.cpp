// Call pickup (call_pickup.cpp) against the fake SipCore: the picker's on-hold 2xx sent
// again until its ACK and the picker's dialog ended when that ACK never comes; the re-INVITE
// that offers the caller's session to the picker, refused or unanswered, ends the picker's
// dialog with a BYE (RFC 3261 §13.3.1.4, §14.1).
#include <string>

#include "call_fixture.hpp"

namespace cohort::pbx::calls_testing {
namespace {

using namespace std::chrono_literals;  // NOLINT(google-build-using-namespace)

class PickupTest : public CallsTest {
 protected:
  void SetUp() override {
    // Cy (1003) shares Sales with Ana: he may take the calls ringing her phone.
    model::SnapshotPatch p;
    model::User cy = *user(1);
    cy.id = 3;
    cy.name = "Cy";
    cy.extension = "1003";
    p.users = {{3, cy}};
    p.members = {{10, {model::Member{1, 1, 0}, model::Member{3, 2, 0}}}};
    p.groups_of = {{3, {model::UserMembership{10, 2, 0}}}};
    core_.snapshot = std::make_shared<const model::Snapshot>(core_.snapshot->apply(p));
    CallTarget desk;
    desk.contact = "sip:1001@10.0.0.5:5060";
    desk.route.destination = {"10.0.0.5", 5060};
    core_.bindings[1] = {desk};
    call("1001", user(2));  // Ben calls Ana: her desk phone rings
    ASSERT_EQ(core_.requests.size(), 1u);
    ringing_ = core_.requests[0];
    feed(ringing_, answer(ringing_, 180, "ta"));
  }

  /// Cy dials `code` from 10.0.0.7 (server transaction 2); returns the 200 he was answered.
  std::string pick(std::string_view code) {
    std::string text = invite(code);
    auto swap = [&](std::string_view from, std::string_view to) {
      text.replace(text.find(from), from.size(), to);
    };
    swap("a-call@10.0.0.1", "p-call@10.0.0.7");
    swap("tag=fa", "tag=fp");
    swap("<sip:1001@cohort>", "<sip:1003@cohort>");
    swap("<sip:1001@10.0.0.1:5062>", "<sip:1003@10.0.0.7:5062>");
    picker_invite_ = std::make_unique<sip::Message>(parse(std::move(text)));
    NewCall nc;
    nc.txn = 2;
    nc.invite = picker_invite_.get();
    nc.reply_route.destination = {"10.0.0.7", 5062};
    nc.snapshot = core_.snapshot;
    nc.caller = user(3);
    calls_->on_invite(nc, now_);
    commit();
    feed(ringing_, answer(ringing_, 487, "ta"));  // Ana's desk phone, cancelled
    for (const auto& r : core_.responses) {
      if (r.txn == 2 && r.status == 200) {
        return r.bytes;
      }
    }
    return {};
  }

  /// The picker's ACK of `ok`.
  void ack(const std::string& ok) {
    const std::string tag(parse(ok).to_tag());
    sip::Message a = parse(fmt::format(
        "ACK sip:cohort@127.0.0.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.7:5062;branch="
        "z9hG4bK-p2\r\nFrom: <sip:1003@cohort>;tag=fp\r\nTo: <sip:**1001@cohort>;tag={}\r\n"
        "Call-ID: p-call@10.0.0.7\r\nCSeq: 2 ACK\r\nContent-Length: 0\r\n\r\n",
        tag));
    ASSERT_TRUE(calls_->on_in_dialog(0, 0, a, {}, now_));
  }

  /// The requests Cohort sent on the picker's dialog with `method`.
  std::vector<Sent> to_picker(sip::Method method) const {
    std::vector<Sent> out;
    for (const Sent& s : core_.requests) {
      sip::Message m = s.msg();
      if (m.method() == method && m.call_id() == "p-call@10.0.0.7") {
        out.push_back(s);
      }
    }
    return out;
  }

  /// Cy picks up and ACKs; returns the re-INVITE that offers him the caller's session.
  Sent offer_to_picker() {
    const std::string ok = pick("**1001");
    if (ok.empty()) {
      return {};
    }
    ack(ok);
    std::vector<Sent> invites = to_picker(sip::Method::kInvite);
    return invites.size() == 1 ? invites[0] : Sent{};
  }

  Sent ringing_;
  std::unique_ptr<sip::Message> picker_invite_;
};

TEST_F(PickupTest, TheOnHoldAnswerIsSentAgainUntilThePickerAcknowledgesIt) {
  const std::string ok = pick("**1001");
  ASSERT_FALSE(ok.empty()) << "Cy was answered";
  EXPECT_NE(ok.find("a=inactive"), std::string::npos) << ok;
  ASSERT_FALSE(core_.timers.empty());
  const std::uint64_t key = core_.timers.back().first;
  // T1, then 2*T1: the same 2xx again, to where the INVITE came from.
  calls_->on_timer(0, key, now_ + 500ms);
  calls_->on_timer(0, key, now_ + 1500ms);
  ASSERT_EQ(core_.direct.size(), 2u);
  EXPECT_EQ(core_.direct[0].bytes, ok);
  EXPECT_EQ(core_.direct[1].bytes, ok);
  EXPECT_EQ(core_.direct[1].destination.port, 5062);
  // The ACK stops it and brings the caller's offer in a re-INVITE.
  ack(ok);
  ASSERT_EQ(to_picker(sip::Method::kInvite).size(), 1u);
  EXPECT_NE(to_picker(sip::Method::kInvite)[0].msg().body().find("o=a 1 1"), std::string::npos);
  calls_->on_timer(0, key, now_ + 3500ms);
  EXPECT_EQ(core_.direct.size(), 2u) << "no 2xx after the ACK";
}

TEST_F(PickupTest, APickerThatNeverAcknowledgesIsHungUpAndTheCallerRefused) {
  const std::string ok = pick("**1001");
  ASSERT_FALSE(ok.empty());
  const std::uint64_t key = core_.timers.back().first;
  // 64*T1 without an ACK: the picker's dialog ends with a BYE; with nobody else ringing,
  // the caller's call fails.
  for (auto t = now_ + 500ms; t <= now_ + 33s; t += 500ms) {
    calls_->on_timer(0, key, t);
  }
  EXPECT_EQ(to_picker(sip::Method::kBye).size(), 1u);
  const std::vector<int> statuses = to_caller();
  ASSERT_FALSE(statuses.empty());
  EXPECT_GE(statuses.back(), 400) << "the caller is refused";
  EXPECT_TRUE(to_picker(sip::Method::kInvite).empty()) << "no offer without an ACK";
}

TEST_F(PickupTest, AReInviteThePickerRefusesEndsItsDialog) {
  const Sent reinvite = offer_to_picker();
  ASSERT_NE(reinvite.txn, 0u);
  feed(reinvite, answer(reinvite, 488, "tp"));
  EXPECT_EQ(to_picker(sip::Method::kBye).size(), 1u) << "the picker's dialog ends";
  ASSERT_FALSE(to_caller().empty());
  EXPECT_GE(to_caller().back(), 400) << "the caller is refused";
}

TEST_F(PickupTest, AReInviteThePickerNeverAnswersEndsItsDialog) {
  const Sent reinvite = offer_to_picker();
  ASSERT_NE(reinvite.txn, 0u);
  calls_->on_client_failure(0, reinvite.txn, 408, now_ + 32s);
  EXPECT_EQ(to_picker(sip::Method::kBye).size(), 1u) << "the picker's dialog ends";
  ASSERT_FALSE(to_caller().empty());
  EXPECT_GE(to_caller().back(), 400) << "the caller is refused";
}

}  // namespace
}  // namespace cohort::pbx::calls_testing
