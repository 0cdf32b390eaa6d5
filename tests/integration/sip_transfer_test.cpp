// Call transfer through the B2BUA (REFER, RFC 3515): SIPp for the header-level asserts
// (202, the NOTIFY sipfrag of each step, the target's INVITE without an offer and the
// transferee's re-INVITE with the target's, the CDRs of both calls), a transfer to a number
// the referrer may not dial (404 in the NOTIFY, no call out), and real phones (baresip) that
// transfer from either side and then talk, audio checked.

#include <string>
#include <vector>

#include "baresip_phone.hpp"
#include "sip_call_fixture.hpp"

namespace cohort::testing {
namespace {

using namespace std::chrono_literals;

/// A CSV row for transfer_uac*.xml: call_row + the transfer target.
std::string transfer_row(const std::string& number, const std::string& caller,
                         const std::string& target) {
  return call_row(number, caller) + target + ";";
}

class SipTransferTest : public SipCallTest {
 public:
  /// The ended CDR whose `field` is `value`, polled like ended_cdr; null when none in time.
  json ended_where(const std::string& field, const json& value) {
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    for (;;) {
      const json all = cdrs_quietly();
      for (const json& c : all.is_array() ? all : json::array()) {
        if (c.contains(field) && c[field] == value && !c["ended_at"].is_null()) {
          return c;
        }
      }
      if (std::chrono::steady_clock::now() >= deadline) {
        return nullptr;
      }
      std::this_thread::sleep_for(100ms);
    }
  }
};

TEST_F(SipTransferTest, CallerTransfersItsCalleeToAnotherUser) {
  start_pbx();
  SippProcess transferee = phone("1002", "uas_transferee.xml");
  SippProcess target = phone("1003", "uas_transfer_target.xml");
  const std::string call_id = "transfer-" + random_token(8);
  SippRun run = call("transfer_uac.xml", {transfer_row("1002", "1001", "1003")}, call_id);
  ASSERT_EQ(run.exit_code, 0) << run.describe() << server_->log();
  // Every NOTIFY carried its step: 100, 180, 200 (checked by the scenario's regexps).
  EXPECT_NE(run.logs.find("notify SIP/2.0 180 Ringing event=refer;id=3 state=active"),
            std::string::npos)
      << run.logs;
  EXPECT_NE(run.logs.find("notify SIP/2.0 200 OK event=refer;id=3 state=terminated"),
            std::string::npos)
      << run.logs;
  SippRun target_run = finish_sipp(target, 10s);
  EXPECT_EQ(target_run.exit_code, 0) << target_run.describe() << server_->log();
  SippRun transferee_run = finish_sipp(transferee, 10s);
  EXPECT_EQ(transferee_run.exit_code, 0) << transferee_run.describe() << server_->log();
  // The target sees the party it is going to talk to: the transferee, 1002.
  EXPECT_NE(target_run.logs.find("<sip:1002@"), std::string::npos) << target_run.logs;

  const json first = ended_cdr(call_id);
  ASSERT_TRUE(first.is_object()) << cdrs().dump(2);
  EXPECT_EQ(first["disposition"], "answered") << first.dump(2);
  EXPECT_EQ(first["hangup_cause"], "transferred") << first.dump(2);
  ASSERT_TRUE(first["transferred_to"].is_string()) << first.dump(2);
  const json second = ended_where("id", first["transferred_to"]);
  ASSERT_TRUE(second.is_object()) << cdrs().dump(2);
  EXPECT_EQ(second["transferred_from"], first["id"]) << second.dump(2);
  EXPECT_EQ(second["transferred_by"], user_id("1001")) << second.dump(2);
  EXPECT_EQ(second["caller_user"], user_id("1002")) << second.dump(2);
  EXPECT_EQ(second["callee_user"], user_id("1003")) << second.dump(2);
  EXPECT_EQ(second["dialled"], "1003") << second.dump(2);
  EXPECT_EQ(second["disposition"], "answered") << second.dump(2);
  EXPECT_EQ(second["hangup_cause"], "callee_bye") << second.dump(2);
  EXPECT_TRUE(active_calls().empty()) << active_calls().dump(2);
  EXPECT_EQ(metric("cohort_calls"), 0.0) << metrics_text();
}

TEST_F(SipTransferTest, TransferToANumberTheReferrerMayNotDialFailsAndTheCallGoesOn) {
  start_pbx();  // no outbound rule: 1001 may dial no outside number, so may not transfer to one
  SippProcess callee = phone("1002", "uas_answer.xml");
  const std::string call_id = "transfer-refused-" + random_token(8);
  SippRun run =
      call("transfer_uac_refused.xml", {transfer_row("1002", "1001", "0049301234567")}, call_id);
  ASSERT_EQ(run.exit_code, 0) << run.describe() << server_->log();
  EXPECT_NE(run.logs.find("notify SIP/2.0 404 Not Found"), std::string::npos) << run.logs;
  SippRun callee_run = finish_sipp(callee, 10s);
  EXPECT_EQ(callee_run.exit_code, 0) << callee_run.describe();

  const json first = ended_cdr(call_id);
  ASSERT_TRUE(first.is_object());
  EXPECT_EQ(first["hangup_cause"], "caller_bye") << first.dump(2);
  EXPECT_TRUE(first["transferred_to"].is_null()) << first.dump(2);
  const json attempt = ended_where("transferred_from", first["id"]);
  ASSERT_TRUE(attempt.is_object()) << cdrs().dump(2);
  EXPECT_EQ(attempt["sip_status"], 404) << attempt.dump(2);
  EXPECT_EQ(attempt["disposition"], "failed") << attempt.dump(2);
  EXPECT_EQ(attempt["direction"], "outbound") << attempt.dump(2);
  EXPECT_TRUE(attempt["trunk"].is_null()) << attempt.dump(2);
  EXPECT_TRUE(active_calls().empty()) << active_calls().dump(2);
}

class SipPhoneTransferTest : public SipTransferTest {
 protected:
  void SetUp() override {
    SipTransferTest::SetUp();
    if (!executable(kBaresipBinary)) {
      COHORT_REQUIRE_PEER(kBaresipBinary, "baresip-core");
    }
  }
  BaresipPhone::Options phone_options(const std::string& ext, double tone_hz) {
    BaresipPhone::Options o;
    o.work_dir = dir_.path();
    o.extension = ext;
    o.password = "demo-" + ext;
    o.server_port = udp_port();
    o.tone_hz = tone_hz;
    return o;
  }
  std::string uri(const std::string& ext) {
    return "sip:" + ext + "@127.0.0.1:" + std::to_string(udp_port());
  }

  /// 1001 calls 1002; `referrer` (one of them) transfers the other to 1003; the transferee
  /// and 1003 talk, then 1003 hangs up. Checks the phones' events, the CDRs and the audio.
  void transfer_from(bool caller_transfers) {
    start_pbx();
    constexpr double kAnnHz = 440, kBenHz = 700, kChloeHz = 1000;
    BaresipPhone ann(phone_options("1001", kAnnHz));
    BaresipPhone ben(phone_options("1002", kBenHz));
    BaresipPhone chloe(phone_options("1003", kChloeHz));
    for (BaresipPhone* p : {&ann, &ben, &chloe}) {
      ASSERT_TRUE(p->started() && p->connect()) << p->output();
      ASSERT_TRUE(wait_bindings(p->extension(), 1)) << p->output() << server_->log();
    }
    auto dialled = ann.command("dial", uri("1002"));
    ASSERT_TRUE(dialled && dialled->value("ok", false)) << ann.events();
    ASSERT_TRUE(ann.wait_event("CALL_ESTABLISHED", 10s)) << ann.events() << server_->log();
    ASSERT_TRUE(ben.wait_event("CALL_ESTABLISHED", 10s)) << ben.events();
    std::this_thread::sleep_for(500ms);

    BaresipPhone& referrer = caller_transfers ? ann : ben;
    BaresipPhone& transferee = caller_transfers ? ben : ann;
    const double transferee_hz = caller_transfers ? kBenHz : kAnnHz;
    auto sent = referrer.command("transfer", uri("1003"));
    ASSERT_TRUE(sent && sent->value("ok", false))
        << (sent ? sent->dump() : "no response") << referrer.events();
    // The referrer's call ends (Cohort's BYE once the target answered); the target answers.
    EXPECT_TRUE(referrer.wait_event("CALL_CLOSED", 10s)) << referrer.events() << server_->log();
    ASSERT_TRUE(chloe.wait_event("CALL_ESTABLISHED", 10s)) << chloe.events() << server_->log();
    std::this_thread::sleep_for(1500ms);
    const json calls = active_calls();
    ASSERT_EQ(calls.size(), 1u) << calls.dump(2);
    EXPECT_EQ(calls[0]["state"], "answered") << calls.dump(2);
    auto hung = chloe.command("hangup");
    EXPECT_TRUE(hung && hung->value("ok", false));
    EXPECT_TRUE(transferee.wait_event("CALL_CLOSED", 10s)) << transferee.events();
    EXPECT_TRUE(chloe.wait_event("CALL_CLOSED", 10s)) << chloe.events();

    const json second = ended_where("transferred_by", user_id(referrer.extension()));
    ASSERT_TRUE(second.is_object()) << cdrs().dump(2) << server_->log();
    EXPECT_EQ(second["caller_user"], user_id(transferee.extension())) << second.dump(2);
    EXPECT_EQ(second["callee_user"], user_id("1003")) << second.dump(2);
    EXPECT_EQ(second["disposition"], "answered") << second.dump(2);
    const json first = ended_where("id", second["transferred_from"]);
    ASSERT_TRUE(first.is_object()) << cdrs().dump(2);
    EXPECT_EQ(first["hangup_cause"], "transferred") << first.dump(2);
    EXPECT_TRUE(active_calls().empty()) << active_calls().dump(2);

    // The target heard the transferee: the re-INVITE joined their media.
    chloe.stop();
    const auto heard = chloe.dumps("-dec.wav");
    ASSERT_EQ(heard.size(), 1u) << chloe.output();
    WavStats w = analyse_wav(heard[0]);
    ASSERT_TRUE(w.ok) << heard[0];
    EXPECT_GE(w.loud_seconds, 0.5) << w.describe();
    EXPECT_NEAR(w.frequency_hz, transferee_hz, transferee_hz * 0.15) << w.describe();
  }
};

TEST_F(SipPhoneTransferTest, CalleePhoneTransfersTheCallerToAnotherPhone) {
  transfer_from(/*caller_transfers=*/false);
}

TEST_F(SipPhoneTransferTest, CallerPhoneTransfersTheCalleeToAnotherPhone) {
  transfer_from(/*caller_transfers=*/true);
}

}  // namespace
}  // namespace cohort::testing
