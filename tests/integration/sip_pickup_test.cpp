// Call pickup (docs/life-of-a-call.md §4c): a SIPp caller rings 1003 (a SIPp phone that never
// answers); a real phone (baresip) takes the call with **1003 (a colleague of a shared
// group) or *8 (a call its group offers). The caller gets its 200 with the picker's answer,
// the ringing phone a CANCEL saying the call was completed elsewhere, both sides talk until
// the caller hangs up; the record names the picker. Who may not pick up gets a 404.

#include <functional>
#include <string>
#include <string_view>

#include "baresip_phone.hpp"
#include "sip_call_fixture.hpp"

namespace cohort::testing {
namespace {

using namespace std::chrono_literals;

class SipPickupTest : public SipCallTest {
 protected:
  void SetUp() override {
    SipCallTest::SetUp();
    if (!executable(kBaresipBinary)) {
      COHORT_REQUIRE_PEER(kBaresipBinary, "baresip-core");
    }
  }
  BaresipPhone::Options phone_options(const std::string& ext) {
    return BaresipPhone::demo(dir_.path(), ext, udp_port());
  }
  /// Polls GET /api/v1/calls until one call is ringing.
  bool wait_ringing() {
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (std::chrono::steady_clock::now() < deadline) {
      for (const json& c : active_calls()) {
        if (c.value("state", "") == "ringing") {
          return true;
        }
      }
      std::this_thread::sleep_for(50ms);
    }
    return false;
  }

  /// 1001 calls `dialled` (ringing 1003, which never answers); `picker` dials `code`.
  /// Returns the caller's Call-ID once the call ended, after checking both sides.
  std::string pick(const std::string& dialled, const std::string& picker_ext,
                   const std::string& code) {
    SippProcess ringing = phone("1003", "uas_ring_cancel.xml");
    BaresipPhone picker(phone_options(picker_ext));
    EXPECT_TRUE(picker.started() && picker.connect()) << picker.output();
    EXPECT_TRUE(wait_bindings(picker_ext, 1)) << picker.output() << server_->log();
    const std::string call_id = "pickup-" + random_token(8);
    SippProcess caller = start_sipp(
        dir_.path(),
        caller_options("call_uac.xml", {call_row(dialled, "1001")}, call_id, {"-d", "1500"}));
    EXPECT_TRUE(caller.started());
    EXPECT_TRUE(wait_ringing()) << active_calls().dump(2) << server_->log();
    auto dialled_code =
        picker.command("dial", "sip:" + code + "@127.0.0.1:" + std::to_string(udp_port()));
    EXPECT_TRUE(dialled_code && dialled_code->value("ok", false)) << picker.events();
    EXPECT_TRUE(picker.wait_event("CALL_ESTABLISHED", 10s)) << picker.events() << server_->log();
    SippRun caller_run = finish_sipp(caller, 15s);
    EXPECT_EQ(caller_run.exit_code, 0) << caller_run.describe() << server_->log();
    EXPECT_TRUE(picker.wait_event("CALL_CLOSED", 10s)) << picker.events();
    SippRun ringing_run = finish_sipp(ringing, 10s);
    EXPECT_EQ(ringing_run.exit_code, 0) << ringing_run.describe();
    std::vector<std::string> cancels = received_requests(ringing_run.messages, "CANCEL");
    EXPECT_FALSE(cancels.empty()) << ringing_run.messages;
    if (!cancels.empty()) {
      EXPECT_NE(cancels[0].find("Call completed elsewhere"), std::string::npos) << cancels[0];
    }
    return call_id;
  }
};

TEST_F(SipPickupTest, AColleagueTakesTheCallRingingItsPhoneWithStarStarExtension) {
  start_pbx();  // demo groups: 1003 and 1004 are both in Sales
  const std::string call_id = pick("1003", "1004", "**1003");
  const json cdr = ended_cdr(call_id);
  ASSERT_TRUE(cdr.is_object()) << cdrs().dump(2);
  EXPECT_EQ(cdr["disposition"], "answered") << cdr.dump(2);
  EXPECT_EQ(cdr["answered_by"], user_id("1004")) << cdr.dump(2);
  EXPECT_EQ(cdr["callee_user"], user_id("1004")) << cdr.dump(2);
  EXPECT_EQ(cdr["dialled"], "1003") << cdr.dump(2);
  EXPECT_EQ(cdr["hangup_cause"], "caller_bye") << cdr.dump(2);
  EXPECT_TRUE(active_calls().empty()) << active_calls().dump(2);
  EXPECT_EQ(metric("cohort_calls_active"), 0.0) << metrics_text();
}

TEST_F(SipPickupTest, AMemberTakesTheCallItsGroupOffersWithStarEight) {
  start_pbx();
  // A group that rings 1003 first (for long) and has 1004 as its second member.
  json group = post("/api/v1/groups", {{"name", "Pickup desk"},
                                       {"extension", "2100"},
                                       {"ring_strategy", "sequential"},
                                       {"ring_timeout_s", 30},
                                       {"max_wait_s", 60}});
  const std::int64_t id = id_of(group);
  ASSERT_GT(id, 0);
  for (const std::string ext : {"1003", "1004"}) {
    HttpResult r = api(
        "PUT", "/api/v1/groups/" + std::to_string(id) + "/members/" + std::to_string(user_id(ext)),
        "{}");
    ASSERT_TRUE(r.status == 200 || r.status == 201) << r.body;
  }
  const std::string call_id = pick("2100", "1004", "*8");
  const json cdr = ended_cdr(call_id);
  ASSERT_TRUE(cdr.is_object()) << cdrs().dump(2);
  EXPECT_EQ(cdr["disposition"], "answered") << cdr.dump(2);
  EXPECT_EQ(cdr["group"], id) << cdr.dump(2);
  EXPECT_EQ(cdr["answered_by"], user_id("1004")) << cdr.dump(2);
  // 1003's offer ended when the call was taken.
  ASSERT_FALSE(cdr["attempts"].empty()) << cdr.dump(2);
  EXPECT_EQ(cdr["attempts"][0]["user"], user_id("1003")) << cdr.dump(2);
  EXPECT_EQ(cdr["attempts"][0]["result"], "cancelled") << cdr.dump(2);
}

TEST_F(SipPickupTest, APhoneOutsideTheCalleesGroupsIsRefusedAndAColleagueStillPicksUp) {
  start_pbx();
  SippProcess ringing = phone("1003", "uas_ring_cancel.xml");
  BaresipPhone outsider(phone_options("1002"));   // Support only: no group with 1003
  BaresipPhone colleague(phone_options("1004"));  // Sales, like 1003
  for (BaresipPhone* p : {&outsider, &colleague}) {
    ASSERT_TRUE(p->started() && p->connect()) << p->output();
    ASSERT_TRUE(wait_bindings(p->extension(), 1)) << p->output();
  }
  const std::string call_id = "pickup-refused-" + random_token(8);
  SippProcess caller = start_sipp(
      dir_.path(),
      caller_options("call_uac.xml", {call_row("1003", "1001")}, call_id, {"-d", "1000"}));
  ASSERT_TRUE(caller.started());
  ASSERT_TRUE(wait_ringing()) << active_calls().dump(2);
  // While the call rings 1003: **1003 from outside its groups, and *8 from a member of no
  // group offering it, find nothing to take.
  for (const std::string code : {"**1003", "*8"}) {
    auto d = outsider.command("dial", "sip:" + code + "@127.0.0.1:" + std::to_string(udp_port()));
    ASSERT_TRUE(d && d->value("ok", false)) << outsider.events();
    auto closed = outsider.wait_event("CALL_CLOSED", 10s);
    ASSERT_TRUE(closed) << outsider.events();
    EXPECT_NE(closed->dump().find("404"), std::string::npos) << closed->dump();
  }
  const json calls = active_calls();
  ASSERT_EQ(calls.size(), 1u) << calls.dump(2);
  EXPECT_EQ(calls[0]["state"], "ringing") << calls.dump(2);
  // The call was there to take: a colleague of 1003 takes it.
  auto d = colleague.command("dial", "sip:**1003@127.0.0.1:" + std::to_string(udp_port()));
  ASSERT_TRUE(d && d->value("ok", false)) << colleague.events();
  EXPECT_TRUE(colleague.wait_event("CALL_ESTABLISHED", 10s)) << colleague.events();
  SippRun caller_run = finish_sipp(caller, 15s);
  EXPECT_EQ(caller_run.exit_code, 0) << caller_run.describe() << server_->log();
  finish_sipp(ringing, 10s);
  const json cdr = ended_cdr(call_id);
  ASSERT_TRUE(cdr.is_object());
  EXPECT_EQ(cdr["answered_by"], user_id("1004")) << cdr.dump(2);
}

class SipPickupShardTest : public SipCallTest, public ::testing::WithParamInterface<bool> {};

// The picker's INVITE is handled on the shard of the call it takes, whichever its Call-ID
// hashes to; SIPp as the picker checks the on-hold answer and the caller's offer after it.
TEST_P(SipPickupShardTest, ThePickerIsJoinedWhicheverShardItsCallIdHashesTo) {
  start_pbx();
  SippProcess ringing = phone("1003", "uas_ring_cancel.xml");
  const std::string call_id = "picked-" + random_token(8);
  SippProcess caller = start_sipp(
      dir_.path(),
      caller_options("call_uac.xml", {call_row("1003", "1001")}, call_id, {"-d", "800"}));
  ASSERT_TRUE(caller.started());
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  bool rings = false;
  while (!rings && std::chrono::steady_clock::now() < deadline) {
    for (const json& c : active_calls()) {
      rings = rings || c.value("state", "") == "ringing";
    }
    std::this_thread::sleep_for(50ms);
  }
  ASSERT_TRUE(rings) << active_calls().dump(2);
  SippRun picker =
      run_sipp(dir_.path(), caller_options("picker_uac.xml", {call_row("**1003", "1004")},
                                           call_id_on_shard(GetParam(), call_id, "picker-")));
  EXPECT_EQ(picker.exit_code, 0) << picker.describe() << server_->log();
  EXPECT_NE(picker.logs.find("answer a=inactive"), std::string::npos) << picker.logs;
  // How many messages the picker received that contain both `a` and `b`.
  auto received = [&](std::string_view a, std::string_view b) {
    std::size_t n = 0;
    for (std::size_t at = picker.messages.find("message received"); at != std::string::npos;
         at = picker.messages.find("message received", at + 1)) {
      const std::string entry = picker.messages.substr(at, picker.messages.find("\n---", at) - at);
      n += entry.find(a) != std::string::npos && entry.find(b) != std::string::npos ? 1 : 0;
    }
    return n;
  };
  // The on-hold 200 until the picker's ACK (sent 1.1 s late): at least twice.
  EXPECT_GE(received("SIP/2.0 200 OK", "CSeq: 2 INVITE"), 2u) << picker.messages;
  // The ACK of the challenge reaches the INVITE's transaction, on the call's shard: the
  // 401 is not sent again.
  EXPECT_EQ(received("SIP/2.0 401", "CSeq: 1 INVITE"), 1u) << picker.messages;
  SippRun caller_run = finish_sipp(caller, 15s);
  EXPECT_EQ(caller_run.exit_code, 0) << caller_run.describe() << server_->log();
  finish_sipp(ringing, 10s);
  const json cdr = ended_cdr(call_id);
  ASSERT_TRUE(cdr.is_object()) << cdrs().dump(2);
  EXPECT_EQ(cdr["answered_by"], user_id("1004")) << cdr.dump(2);
  EXPECT_EQ(cdr["hangup_cause"], "caller_bye") << cdr.dump(2);
  EXPECT_TRUE(active_calls().empty()) << active_calls().dump(2);
}

// A provider's call through a relay trunk rings 1003; 1004 picks it up: the picker is
// offered Cohort's relay (o=cohort), not the provider's SDP, as a phone the call rang would
// have been, and the provider gets Cohort's answer, not the picker's.
TEST_F(SipPickupTest, APickedUpCallFromARelayTrunkStaysBehindTheRelay) {
  start_pbx();
  ASSERT_GT(create_trunk("Carrier", "127.0.0.2", 5060, {{"inbound_sources", {"127.0.0.2"}}}), 0);
  post("/api/v1/inbound-routes", {{"name", "Chloe"},
                                  {"did", "15550188"},
                                  {"destination", {{"type", "user"}, {"id", user_id("1003")}}}});
  SippProcess ringing = phone("1003", "uas_ring_cancel.xml");
  const std::string call_id = "relayed-pickup-" + random_token(8);
  SippProcess caller =
      start_sipp(dir_.path(), caller_options("trunk_uac.xml", {"15550188;4155550188;"}, call_id,
                                             {"-d", "800"}, "127.0.0.2"));
  ASSERT_TRUE(caller.started());
  bool rings = false;
  for (int i = 0; i < 100 && !rings; ++i) {
    for (const json& c : active_calls()) {
      rings = rings || c.value("state", "") == "ringing";
    }
    std::this_thread::sleep_for(50ms);
  }
  ASSERT_TRUE(rings) << active_calls().dump(2) << server_->log();
  SippRun picker = run_sipp(
      dir_.path(),
      caller_options("picker_uac.xml", {call_row("**1003", "1004")}, "picker-" + random_token(8)));
  EXPECT_EQ(picker.exit_code, 0) << picker.describe() << server_->log();
  EXPECT_NE(picker.logs.find("reinvite offer=o=cohort"), std::string::npos) << picker.logs;
  SippRun caller_run = finish_sipp(caller, 15s);
  EXPECT_EQ(caller_run.exit_code, 0) << caller_run.describe() << server_->log();
  finish_sipp(ringing, 10s);
  // The provider's 200 carries Cohort's answer: o=cohort, never the picker's o=transferee.
  const std::size_t ok = caller_run.messages.find("SIP/2.0 200 OK");
  ASSERT_NE(ok, std::string::npos) << caller_run.messages;
  const std::string answer = caller_run.messages.substr(ok, 1200);
  EXPECT_NE(answer.find("o=cohort"), std::string::npos) << answer;
  EXPECT_EQ(answer.find("o=transferee"), std::string::npos) << answer;
  const json cdr = ended_cdr(call_id);
  ASSERT_TRUE(cdr.is_object()) << cdrs().dump(2);
  EXPECT_EQ(cdr["answered_by"], user_id("1004")) << cdr.dump(2);
}

INSTANTIATE_TEST_SUITE_P(Shards, SipPickupShardTest, ::testing::Values(true, false),
                         [](const ::testing::TestParamInfo<bool>& p) {
                           return p.param ? std::string("SameShard") : std::string("OtherShard");
                         });

}  // namespace
}  // namespace cohort::testing
