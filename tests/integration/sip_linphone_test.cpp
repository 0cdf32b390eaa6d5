// Transfers from linphonec (a SIP stack independent of baresip's): 1002 calls 1003, then
// transfers 1003 to 1004 blind (`transfer 1 sip:1004@…`) or attended (`pause 1`, call
// 1004, `transfer 1 --to-call 2`, which sends REFER with Replaces). 1003 and 1004 end up
// in one call (their phones re-negotiate media with each other's session), the referrer's
// calls end, and the records say who transferred.

#include <initializer_list>
#include <string>

#include "linphone_phone.hpp"
#include "sip_call_fixture.hpp"

namespace cohort::testing {
namespace {

using namespace std::chrono_literals;

class SipLinphoneTest : public SipCallTest {
 protected:
  void SetUp() override {
    SipCallTest::SetUp();
    if (!executable(kLinphonecBinary)) {
      COHORT_REQUIRE_PEER(kLinphonecBinary, "linphone-cli");
    }
  }
  std::string uri(const std::string& ext) {
    return "sip:" + ext + "@127.0.0.1:" + std::to_string(udp_port());
  }
  /// What linphonec prints once a call's media is up (again after each re-INVITE).
  static constexpr const char* kMedia = "Media streams established with";
  /// Every phone started and registered; then `caller` calls the first phone after it in
  /// `phones` and both report media.
  void register_and_call(std::initializer_list<LinphonePhone*> phones) {
    for (LinphonePhone* p : phones) {
      ASSERT_TRUE(p->started());
      ASSERT_TRUE(wait_bindings(p->extension(), 1)) << p->output() << server_->log();
    }
    LinphonePhone& caller = **phones.begin();
    LinphonePhone& callee = **(phones.begin() + 1);
    ASSERT_TRUE(caller.command("call " + uri(callee.extension())));
    ASSERT_TRUE(callee.wait_output(kMedia, 10s)) << callee.output() << server_->log();
    ASSERT_TRUE(caller.wait_output(kMedia, 10s)) << caller.output();
  }

  /// 1002 calls 1003 and transfers it to 1004 (attended or blind); then 1004 hangs up.
  void transfer(bool attended) {
    start_pbx();
    LinphonePhone ben(dir_.path(), "1002", udp_port());
    LinphonePhone chloe(dir_.path(), "1003", udp_port());
    LinphonePhone dev(dir_.path(), "1004", udp_port());
    ASSERT_NO_FATAL_FAILURE(register_and_call({&ben, &chloe, &dev}));
    const std::string media = kMedia;
    if (attended) {
      ASSERT_TRUE(ben.command("pause 1"));
      ASSERT_TRUE(chloe.wait_output("has been paused by", 10s)) << chloe.output();
      ASSERT_TRUE(ben.command("call " + uri("1004")));
      ASSERT_TRUE(dev.wait_output(media, 10s)) << dev.output() << server_->log();
      ASSERT_TRUE(ben.wait_output(media, 10s, 2)) << ben.output();
      ASSERT_TRUE(ben.command("transfer 1 --to-call 2"));
    } else {
      ASSERT_TRUE(ben.command("transfer 1 " + uri("1004")));
    }
    // The referrer is told the transfer worked and its calls end; the target's phone
    // (answered by itself when blind, re-INVITEd when attended) talks to 1003.
    EXPECT_TRUE(ben.wait_output("has been transfered", 10s)) << ben.output() << server_->log();
    EXPECT_TRUE(ben.wait_output("ended", 10s, attended ? 2 : 1)) << ben.output();
    // Blind: a new call, presenting the transferee. Attended: the consultation dialog goes
    // on (its identities unchanged) and is re-INVITEd with the transferee's session.
    EXPECT_TRUE(attended ? dev.wait_output(media, 10s, 2)
                         : dev.wait_output(media + " \"Chloe Martin\"", 10s))
        << dev.output() << server_->log();
    std::this_thread::sleep_for(500ms);
    const json calls = active_calls();
    ASSERT_EQ(calls.size(), 1u) << calls.dump(2);
    EXPECT_EQ(calls[0]["state"], "answered") << calls.dump(2);
    ASSERT_TRUE(dev.command("terminate"));
    EXPECT_TRUE(chloe.wait_output("ended", 10s)) << chloe.output();

    const json joined = ended_where("transferred_by", user_id("1002"));
    ASSERT_TRUE(joined.is_object()) << cdrs().dump(2) << server_->log();
    EXPECT_EQ(joined["caller_user"], user_id("1003")) << joined.dump(2);
    EXPECT_EQ(joined["callee_user"], user_id("1004")) << joined.dump(2);
    EXPECT_EQ(joined["disposition"], "answered") << joined.dump(2);
    const json first = ended_where("id", joined["transferred_from"]);
    ASSERT_TRUE(first.is_object()) << cdrs().dump(2);
    EXPECT_EQ(first["hangup_cause"], "transferred") << first.dump(2);
    EXPECT_EQ(first["callee_user"], user_id("1003")) << first.dump(2);
    EXPECT_NE(server_->log().find(attended ? "attended=true" : "attended=false"), std::string::npos)
        << server_->log();
    EXPECT_TRUE(active_calls().empty()) << active_calls().dump(2);
  }
};

TEST_F(SipLinphoneTest, LinphonecHoldAndResumeAreRelayedEndToEnd) {
  // linphonec's pause is a re-INVITE with a=sendonly, its resume one with a=sendrecv: the
  // other phone hears of both through the B2BUA and the call stays up.
  start_pbx();
  LinphonePhone ben(dir_.path(), "1002", udp_port());
  LinphonePhone chloe(dir_.path(), "1003", udp_port());
  ASSERT_NO_FATAL_FAILURE(register_and_call({&ben, &chloe}));
  const std::string media = kMedia;
  ASSERT_TRUE(ben.command("pause 1"));
  EXPECT_TRUE(ben.wait_output("is now paused", 10s)) << ben.output() << server_->log();
  EXPECT_TRUE(chloe.wait_output("has been paused by", 10s)) << chloe.output();
  ASSERT_TRUE(ben.command("resume 1"));
  EXPECT_TRUE(ben.wait_output(media, 10s, 2)) << ben.output() << server_->log();
  EXPECT_TRUE(chloe.wait_output(media, 10s, 2)) << chloe.output();
  std::this_thread::sleep_for(300ms);
  const json calls = active_calls();
  ASSERT_EQ(calls.size(), 1u) << calls.dump(2);
  EXPECT_EQ(calls[0]["state"], "answered") << calls.dump(2);
  ASSERT_TRUE(ben.command("terminate"));
  EXPECT_TRUE(chloe.wait_output("ended", 10s)) << chloe.output();
  const json cdr = ended_where("callee_user", user_id("1003"));
  ASSERT_TRUE(cdr.is_object()) << cdrs().dump(2);
  EXPECT_EQ(cdr["hangup_cause"], "caller_bye") << cdr.dump(2);
}

TEST_F(SipLinphoneTest, LinphonecTransfersBlind) {
  transfer(/*attended=*/false);
}

TEST_F(SipLinphoneTest, LinphonecTransfersAttendedWithReplaces) {
  transfer(/*attended=*/true);
}

}  // namespace
}  // namespace cohort::testing
