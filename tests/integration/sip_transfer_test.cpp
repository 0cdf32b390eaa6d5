// Call transfer through the B2BUA (REFER, RFC 3515): SIPp for the header-level asserts
// (202, the NOTIFY sipfrag of each step, the target's INVITE without an offer and the
// transferee's re-INVITE with the target's, the CDRs of both calls), a transfer to a number
// the referrer may not dial (404 in the NOTIFY, no call out), and real phones (baresip) that
// transfer from either side and then talk, audio checked.

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "sip/headers.hpp"

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

class SipTransferTest : public SipCallTest {};

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
  // Phones on their own addresses: joined directly, each with the other's SDP.
  EXPECT_NE(target_run.logs.find("ack answer=o=transferee"), std::string::npos) << target_run.logs;
  EXPECT_NE(transferee_run.logs.find("reinvite offer=o=target"), std::string::npos)
      << transferee_run.logs;

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
  EXPECT_EQ(metric("cohort_calls_active"), 0.0) << metrics_text();
}

TEST_F(SipTransferTest, TransferToAGroupIsDistributedLikeAnyGroupCall) {
  start_pbx();
  // Tier 2 Support (extension 602, no schedule): of its members only 1006 has a phone, and
  // 1002 (a member too) is on the call being transferred, so 1006 is offered it.
  SippProcess transferee = phone("1002", "uas_transferee.xml");
  SippProcess member = phone("1006", "uas_transfer_target.xml");
  const std::string call_id = "transfer-group-" + random_token(8);
  SippRun run = call("transfer_uac.xml", {transfer_row("1002", "1001", "602")}, call_id);
  ASSERT_EQ(run.exit_code, 0) << run.describe() << server_->log();
  SippRun member_run = finish_sipp(member, 10s);
  EXPECT_EQ(member_run.exit_code, 0) << member_run.describe() << server_->log();
  SippRun transferee_run = finish_sipp(transferee, 10s);
  EXPECT_EQ(transferee_run.exit_code, 0) << transferee_run.describe();

  const json joined = ended_where("transferred_by", user_id("1001"));
  ASSERT_TRUE(joined.is_object()) << cdrs().dump(2);
  EXPECT_EQ(joined["dialled"], "602") << joined.dump(2);
  EXPECT_EQ(joined["group"], group_id("Tier 2 Support")) << joined.dump(2);
  EXPECT_EQ(joined["answered_by"], user_id("1006")) << joined.dump(2);
  EXPECT_EQ(joined["disposition"], "answered") << joined.dump(2);
  ASSERT_FALSE(joined["attempts"].empty()) << joined.dump(2);
  EXPECT_EQ(joined["attempts"].back()["user"], user_id("1006")) << joined.dump(2);
  EXPECT_EQ(joined["attempts"].back()["result"], "answered") << joined.dump(2);
  EXPECT_TRUE(active_calls().empty()) << active_calls().dump(2);
}

TEST_F(SipTransferTest, TransferOutPresentsTheCallerIdTheRulesGiveTheReferrer) {
  start_pbx();
  // A provider on 127.0.0.2 and the product's example rule: Sales Dept members call out as
  // the group's 010000. Chloe (1003, Sales) transfers her caller to an outside number: the
  // provider sees the transferring user's caller ID policy, not the transferee's number.
  const std::uint16_t port = free_port(1, "127.0.0.2");
  const std::int64_t trunk =
      create_trunk("Provider", "127.0.0.2", port, {{"from_domain", "provider.example"}});
  const std::int64_t sales = group_id("Sales Dept");
  ASSERT_GT(create_rule({{"name", "Sales out"},
                         {"patterns", {"_NXXNXXXXXX"}},
                         {"caller_groups", {sales}},
                         {"trunks", {trunk}},
                         {"caller_id", {{"policy", "group"}}}}),
            0);
  SippProcess transferee = phone("1002", "uas_transferee.xml");
  SippProcess outside = provider("uas_transfer_target.xml", port);
  const std::string call_id = "transfer-out-" + random_token(8);
  SippRun run = call("transfer_uac.xml", {transfer_row("1002", "1003", "2125551234")}, call_id);
  ASSERT_EQ(run.exit_code, 0) << run.describe() << server_->log();
  SippRun outside_run = finish_sipp(outside, 10s);
  EXPECT_EQ(outside_run.exit_code, 0) << outside_run.describe() << server_->log();
  EXPECT_NE(outside_run.logs.find("invite from= <sip:010000@provider.example>"), std::string::npos)
      << outside_run.logs;
  SippRun transferee_run = finish_sipp(transferee, 10s);
  EXPECT_EQ(transferee_run.exit_code, 0) << transferee_run.describe();
  // The trunk relays media (its default): the provider and the phone are joined through
  // Cohort's relay, so neither sees the other's SDP (call_anchor.cpp anchor_transfer).
  EXPECT_NE(outside_run.logs.find("ack answer=o=cohort"), std::string::npos) << outside_run.logs;
  EXPECT_NE(transferee_run.logs.find("reinvite offer=o=cohort"), std::string::npos)
      << transferee_run.logs;

  const json joined = ended_where("transferred_by", user_id("1003"));
  ASSERT_TRUE(joined.is_object()) << cdrs().dump(2);
  EXPECT_EQ(joined["direction"], "outbound") << joined.dump(2);
  EXPECT_EQ(joined["trunk"], trunk) << joined.dump(2);
  EXPECT_EQ(joined["caller_id"], "010000") << joined.dump(2);
  EXPECT_EQ(joined["caller_id_group"], sales) << joined.dump(2);
  EXPECT_EQ(joined["caller_user"], user_id("1002")) << joined.dump(2);
  EXPECT_EQ(joined["disposition"], "answered") << joined.dump(2);
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

/// The referrer of an attended transfer, played by hand over a raw socket: extension 1002,
/// which answers a call, consults 1003 in a second call and then REFERs the first caller to
/// 1003 with Replaces naming the consultation dialog (RFC 3891, RFC 5589 §7).
class Referrer {
 public:
  Referrer(std::uint16_t server_port) : client_(SipTransport::kUdp, "127.0.0.1", server_port) {}
  SipClient& client() { return client_; }

  /// Answers the next INVITE (the call to transfer): 200 with SDP, then its ACK.
  bool answer_call() {
    auto invite = next_request("INVITE");
    if (!invite) {
      return false;
    }
    call_id_ = std::string(invite->call_id());
    our_tag_ = random_token(8);
    peer_from_ = std::string(invite->header(sip::HeaderId::kFrom).value_or(""));
    our_to_ = std::string(invite->header(sip::HeaderId::kTo).value_or("")) + ";tag=" + our_tag_;
    auto contact = sip::parse_contacts(*invite);
    peer_target_ = contact && !contact->contacts.empty()
                       ? std::string(contact->contacts.front().uri_text)
                       : std::string();
    client_.send_raw(response(*invite, 200, sdp("referrer"), our_tag_));
    return next_request("ACK").has_value();
  }

  /// Calls 1003 with Call-ID `call_id` (answering the challenge) and ACKs its 2xx.
  bool consult(const std::string& call_id, std::uint16_t server_port) {
    SipUac uac(client_, "1002");
    uac.call_id() = call_id;
    SipRequest r;
    r.method = "INVITE";
    r.uri = "sip:1003@127.0.0.1:" + std::to_string(server_port);
    r.to_user = "1003";
    r.contact = client_.contact("1002");
    r.body = sdp("referrer");
    auto ok = uac.request_with_auth(r, DigestUser{"1002", "demo-1002"}, 5s);
    if (!ok || ok->status() != 200) {
      return false;
    }
    consult_call_id_ = call_id;
    consult_from_tag_ = std::string(ok->from_tag());
    consult_to_tag_ = std::string(ok->to_tag());
    auto contact = sip::parse_contacts(*ok);
    const std::string target = std::string(contact->contacts.front().uri_text);
    client_.send_raw("ACK " + target + " SIP/2.0\r\nVia: " + client_.via() +
                     "\r\nFrom: " + std::string(ok->header(sip::HeaderId::kFrom).value_or("")) +
                     "\r\nTo: " + std::string(ok->header(sip::HeaderId::kTo).value_or("")) +
                     "\r\nCall-ID: " + call_id + "\r\nCSeq: " + std::to_string(ok->cseq()) +
                     " ACK\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n");
    return true;
  }

  /// REFER in the first call to 1003 with Replaces of the consultation dialog; its status.
  int refer() {
    const std::string replaces =
        consult_call_id_ + "%3Bto-tag%3D" + consult_to_tag_ + "%3Bfrom-tag%3D" + consult_from_tag_;
    client_.send_raw("REFER " + peer_target_ + " SIP/2.0\r\nVia: " + client_.via() +
                     "\r\nFrom: " + our_to_ + "\r\nTo: " + peer_from_ + "\r\nCall-ID: " + call_id_ +
                     "\r\nCSeq: 1 REFER\r\nContact: " + client_.contact("1002") +
                     "\r\nRefer-To: <sip:1003@127.0.0.1?Replaces=" + replaces +
                     ">\r\nReferred-By: <sip:1002@127.0.0.1>\r\nMax-Forwards: 70\r\n"
                     "Content-Length: 0\r\n\r\n");
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (std::chrono::steady_clock::now() < deadline) {
      auto m = client_.receive(500ms);
      if (m && !m->is_request() && m->cseq_method() == sip::Method::kRefer) {
        return m->status();
      }
      if (m && m->is_request()) {
        on_request(*m);
      }
    }
    return 0;
  }

  /// Answers what Cohort sends (NOTIFYs, BYEs) for up to `timeout`, until the NOTIFY with
  /// the final sipfrag (a 2xx when `transferred`, a failure otherwise) and a BYE on each of
  /// the two dialogs have come.
  bool wait_done(std::chrono::milliseconds timeout, bool transferred = true) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline && !done(transferred)) {
      if (auto m = client_.receive(200ms); m && m->is_request()) {
        on_request(*m);
      }
    }
    return done(transferred);
  }
  const std::vector<std::string>& notifies() const { return notifies_; }
  std::string seen() const {
    std::string out = "notifies:";
    for (const std::string& n : notifies_) {
      out += " [" + n + "]";
    }
    out += " byes: call=" + std::to_string(bye_call_) + " consult=" + std::to_string(bye_consult_);
    return out;
  }

 private:
  bool done(bool transferred) const {
    if (!bye_call_ || !bye_consult_ || notifies_.empty()) {
      return false;
    }
    const std::string& last = notifies_.back();  // "SIP/2.0 488 Not Acceptable Here"
    const char klass = last.size() > 8 ? last[8] : '0';
    return transferred ? klass == '2' : klass >= '3';
  }
  void on_request(const sip::Message& m) {
    if (m.method() == sip::Method::kNotify) {
      notifies_.emplace_back(m.body().substr(0, m.body().find('\r')));
    } else if (m.method() == sip::Method::kBye) {
      (m.call_id() == call_id_ ? bye_call_ : bye_consult_) = true;
    }
    if (m.method() != sip::Method::kAck) {
      client_.send_raw(response(m, 200, {}, {}));
    }
  }
  std::optional<sip::Message> next_request(std::string_view method) {
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < deadline) {
      auto m = client_.receive(500ms);
      if (m && m->is_request() && m->method_token() == method) {
        return m;
      }
    }
    return std::nullopt;
  }
  static std::string sdp(const std::string& origin) {
    return "v=0\r\no=" + origin +
           " 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\n"
           "t=0 0\r\nm=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n";
  }
  std::string response(const sip::Message& req, int status, const std::string& body,
                       const std::string& to_tag) {
    std::string out = "SIP/2.0 " + std::to_string(status) + " OK\r\n";
    for (std::string_view via : req.header_values(sip::HeaderId::kVia)) {
      out += "Via: " + std::string(via) + "\r\n";
    }
    out += "From: " + std::string(req.header(sip::HeaderId::kFrom).value_or("")) + "\r\n";
    out += "To: " + std::string(req.header(sip::HeaderId::kTo).value_or("")) +
           (to_tag.empty() ? "" : ";tag=" + to_tag) + "\r\n";
    out += "Call-ID: " + std::string(req.call_id()) + "\r\n";
    out += "CSeq: " + std::string(req.header(sip::HeaderId::kCSeq).value_or("")) + "\r\n";
    out += "Contact: " + client_.contact("1002") + "\r\n";
    if (!body.empty()) {
      out += "Content-Type: application/sdp\r\n";
    }
    out += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    return out;
  }

  SipClient client_;
  std::string call_id_, our_tag_, our_to_, peer_from_, peer_target_;
  std::string consult_call_id_, consult_from_tag_, consult_to_tag_;
  std::vector<std::string> notifies_;
  bool bye_call_ = false;
  bool bye_consult_ = false;
};

class SipAttendedTransferTest : public SipTransferTest,
                                public ::testing::WithParamInterface<bool> {};

TEST_P(SipAttendedTransferTest, ReferrerHandsItsCallerOverToTheConsultedUser) {
  const bool same_shard = GetParam();
  start_pbx();  // two SIP threads (SipServer::Options::threads)
  SippProcess consulted = phone("1003", "uas_consulted.xml");
  Referrer ben(udp_port());
  ASSERT_TRUE(ben.client().ok()) << ben.client().error();
  auto reg = register_user(ben.client(), DigestUser{"1002", "demo-1002"});
  ASSERT_TRUE(reg && reg->status() == 200) << server_->log();

  const std::string call_id = "attended-" + random_token(8);
  SippProcess ann = start_sipp(
      dir_.path(), caller_options("transferee_uac.xml", {call_row("1002", "1001")}, call_id));
  ASSERT_TRUE(ann.started());
  ASSERT_TRUE(ben.answer_call()) << server_->log();
  ASSERT_TRUE(ben.consult(call_id_on_shard(same_shard, call_id, "consult-"), udp_port()))
      << server_->log();
  ASSERT_EQ(ben.refer(), 202) << server_->log();
  EXPECT_TRUE(ben.wait_done(10s)) << ben.seen() << server_->log();
  EXPECT_EQ(ben.notifies().front(), "SIP/2.0 100 Trying") << ben.seen();
  EXPECT_NE(server_->log().find(same_shard ? "attended=true other_shard=false"
                                           : "attended=true other_shard=true"),
            std::string::npos)
      << server_->log();

  SippRun consulted_run = finish_sipp(consulted, 15s);
  EXPECT_EQ(consulted_run.exit_code, 0) << consulted_run.describe() << server_->log();
  SippRun ann_run = finish_sipp(ann, 15s);
  EXPECT_EQ(ann_run.exit_code, 0) << ann_run.describe() << server_->log();

  // Three records: the first call and the consultation, both ended as transferred to the
  // call that joined the caller with the consulted user (whose A leg is the caller's).
  const json joined = ended_where("transferred_by", user_id("1002"));
  ASSERT_TRUE(joined.is_object()) << cdrs().dump(2);
  EXPECT_EQ(joined["a_leg_call_id"], call_id) << joined.dump(2);
  const json first = ended_where("id", joined["transferred_from"]);
  ASSERT_TRUE(first.is_object()) << cdrs().dump(2);
  EXPECT_EQ(first["a_leg_call_id"], call_id) << first.dump(2);
  EXPECT_EQ(first["hangup_cause"], "transferred") << first.dump(2);
  EXPECT_EQ(first["transferred_to"], joined["id"]) << first.dump(2);
  EXPECT_EQ(joined["caller_user"], user_id("1001")) << joined.dump(2);
  EXPECT_EQ(joined["callee_user"], user_id("1003")) << joined.dump(2);
  EXPECT_EQ(joined["disposition"], "answered") << joined.dump(2);
  EXPECT_EQ(joined["hangup_cause"], "callee_bye") << joined.dump(2);
  // The consultation call ended as transferred to the same call.
  const json consultation = ended_where("caller_user", user_id("1002"));
  ASSERT_TRUE(consultation.is_object()) << cdrs().dump(2);
  EXPECT_EQ(consultation["hangup_cause"], "transferred") << consultation.dump(2);
  EXPECT_EQ(consultation["transferred_to"], joined["id"]) << consultation.dump(2);
  EXPECT_TRUE(active_calls().empty()) << active_calls().dump(2);
}

// The consulted party refuses the re-INVITE that would join it to the transferee: the
// referrer hears the failure, the consulted party's dialog is ended with a BYE (RFC 3261
// §14.1) rather than left open, and the transferee's call goes on until it hangs up.
TEST_F(SipTransferTest, AttendedTargetThatRefusesTheTransfereeIsHungUp) {
  start_pbx();
  SippProcess consulted = phone("1003", "uas_consulted_refuses.xml");
  Referrer ben(udp_port());
  ASSERT_TRUE(ben.client().ok()) << ben.client().error();
  auto reg = register_user(ben.client(), DigestUser{"1002", "demo-1002"});
  ASSERT_TRUE(reg && reg->status() == 200) << server_->log();
  const std::string call_id = "refused-" + random_token(8);
  SippProcess ann = start_sipp(
      dir_.path(),
      caller_options("call_uac.xml", {call_row("1002", "1001")}, call_id, {"-d", "2500"}));
  ASSERT_TRUE(ann.started());
  ASSERT_TRUE(ben.answer_call()) << server_->log();
  ASSERT_TRUE(ben.consult(call_id_on_shard(true, call_id, "consult-"), udp_port()))
      << server_->log();
  ASSERT_EQ(ben.refer(), 202) << server_->log();
  EXPECT_TRUE(ben.wait_done(10s, /*transferred=*/false)) << ben.seen() << server_->log();
  SippRun consulted_run = finish_sipp(consulted, 15s);
  EXPECT_EQ(consulted_run.exit_code, 0) << consulted_run.describe() << server_->log();
  SippRun ann_run = finish_sipp(ann, 15s);
  EXPECT_EQ(ann_run.exit_code, 0) << ann_run.describe() << server_->log();
  // The transfer's own record failed with the consulted party's answer; the call it came
  // from was not transferred, and ended when the caller hung up.
  const json attempt = ended_where("transferred_by", user_id("1002"));
  ASSERT_TRUE(attempt.is_object()) << cdrs().dump(2);
  EXPECT_EQ(attempt["disposition"], "failed") << attempt.dump(2);
  EXPECT_EQ(attempt["sip_status"], 488) << attempt.dump(2);
  const json first = ended_where("id", attempt["transferred_from"]);
  ASSERT_TRUE(first.is_object()) << cdrs().dump(2);
  EXPECT_EQ(first["a_leg_call_id"], call_id) << first.dump(2);
  EXPECT_EQ(first["hangup_cause"], "caller_bye") << first.dump(2);
  EXPECT_TRUE(first["transferred_to"].is_null() || first["transferred_to"] == "") << first.dump(2);
  EXPECT_TRUE(active_calls().empty()) << active_calls().dump(2);
}

INSTANTIATE_TEST_SUITE_P(Shards, SipAttendedTransferTest, ::testing::Values(true, false),
                         [](const ::testing::TestParamInfo<bool>& p) {
                           return p.param ? std::string("ConsultationOnTheSameShard")
                                          : std::string("ConsultationOnAnotherShard");
                         });

class SipPhoneTransferTest : public SipTransferTest {
 protected:
  void SetUp() override {
    SipTransferTest::SetUp();
    if (!executable(kBaresipBinary)) {
      COHORT_REQUIRE_PEER(kBaresipBinary, "baresip-core");
    }
  }
  BaresipPhone::Options phone_options(const std::string& ext, double tone_hz) {
    return BaresipPhone::demo(dir_.path(), ext, udp_port(), tone_hz);
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
    // The transferee's leg moved into the new call: its re-INVITEs reach the target there
    // (a hold, as baresip sends it).
    auto held = transferee.command("hold");
    ASSERT_TRUE(held && held->value("ok", false)) << transferee.events();
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (chloe.output().find("got re-INVITE (SDP Offer)") == std::string::npos &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(50ms);
    }
    EXPECT_NE(chloe.output().find("got re-INVITE (SDP Offer)"), std::string::npos)
        << chloe.output() << server_->log();
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
