// IVR menus with real peers (issue 13): a provider's call (SIPp on 127.0.0.3) reaches a menu
// through an inbound route; Cohort answers it and plays the menu. The caller presses 2 as
// RFC 4733 events, the menu sends the call to group 2, whose member (baresip) answers; the
// caller's speech then reaches the member through Cohort's relay (the phone's dump of what
// it received has it), and the call's record says who answered. Without a key, the menu's
// timeout destination takes the call; a menu with nowhere to go hangs up with disposition
// `ivr`.

#include <string>
#include <thread>

#include "baresip_phone.hpp"
#include "sip_call_fixture.hpp"

namespace cohort::testing {
namespace {

using namespace std::chrono_literals;

constexpr const char* kTrunkIp = "127.0.0.3";
constexpr const char* kDid = "15550177";

class SipIvrTest : public SipCallTest {
 protected:
  void SetUp() override {
    SipCallTest::SetUp();
    if (!executable(kBaresipBinary)) {
      COHORT_REQUIRE_PEER(kBaresipBinary, "baresip-core");
    }
  }

  /// The server, the provider's trunk and no demo inbound routes.
  void start_ivr_pbx() {
    start_pbx();
    const json routes = get("/api/v1/inbound-routes");
    for (const json& r : routes.value("items", json::array())) {
      api("DELETE", "/api/v1/inbound-routes/" + std::to_string(id_of(r)));
    }
    ASSERT_GT(create_trunk("Carrier in", kTrunkIp, 5060, {{"inbound_sources", {kTrunkIp}}}), 0);
  }
  std::int64_t group_with(const std::string& name, const std::string& member_ext) {
    const std::int64_t g =
        id_of(post("/api/v1/groups", {{"name", name}, {"ring_timeout_s", 10}, {"max_wait_s", 20}}));
    HttpResult r = api(
        "PUT",
        "/api/v1/groups/" + std::to_string(g) + "/members/" + std::to_string(user_id(member_ext)),
        "{}");
    EXPECT_TRUE(r.status == 200 || r.status == 201) << r.body;
    return g;
  }
  static json to(const std::string& type, std::int64_t id) { return {{"type", type}, {"id", id}}; }
  void route_to_menu(std::int64_t menu) {
    ASSERT_GT(
        id_of(post("/api/v1/inbound-routes",
                   {{"name", "To the menu"}, {"did", kDid}, {"destination", to("ivr", menu)}})),
        0);
  }
};

TEST_F(SipIvrTest, PressingTwoReachesGroupTwosMemberThroughTheRelay) {
  start_ivr_pbx();
  BaresipPhone ben(BaresipPhone::demo(dir_.path(), "1002", udp_port(), 700));
  ASSERT_TRUE(ben.started());
  ASSERT_TRUE(ben.connect()) << ben.output();
  ASSERT_TRUE(wait_bindings("1002", 1)) << ben.output() << server_->log();

  const std::int64_t sales = id_of(post("/api/v1/groups", {{"name", "IVR Sales"}}));
  const std::int64_t support = group_with("IVR Support", "1002");
  const std::int64_t menu = id_of(post(
      "/api/v1/ivr-menus", {{"name", "Front desk"},
                            {"options", {{"1", to("group", sales)}, {"2", to("group", support)}}},
                            {"timeout_s", 10}}));
  ASSERT_GT(menu, 0);
  route_to_menu(menu);

  SippRun run = call("trunk_uac_ivr.xml", {std::string(kDid) + ";4155550177;"}, "ivr-two-%u",
                     {"-d", "9000"}, kTrunkIp);
  EXPECT_EQ(run.exit_code, 0) << run.describe() << server_->log();
  ASSERT_TRUE(ben.wait_event("CALL_CLOSED", 10s)) << ben.events();

  json cdr = ended_cdr("ivr-two-1");
  ASSERT_TRUE(cdr.is_object()) << server_->log();
  EXPECT_EQ(cdr["disposition"], "answered") << cdr.dump(2);
  EXPECT_EQ(cdr["group"], support) << cdr.dump(2);
  EXPECT_EQ(cdr["answered_by"], user_id("1002")) << cdr.dump(2);
  EXPECT_EQ(cdr["hangup_cause"], "caller_bye") << cdr.dump(2);
  // The menu in the record: the key, the option it took, 1.5 s or more in the menu, then a
  // moment in the group's queue until the phone answered.
  EXPECT_EQ(cdr["ivr_keys"], "2") << cdr.dump(2);
  EXPECT_EQ(cdr["ivr_option"], "2") << cdr.dump(2);
  EXPECT_GE(cdr.value("ivr_ms", 0), 1400) << cdr.dump(2);
  EXPECT_GT(cdr.value("queue_ms", 0), 0) << cdr.dump(2);

  // The member's INVITE offered Cohort's relay, not the provider's SDP; what the phone
  // received is the caller's speech (g711a.pcap: 7 s of it), relayed.
  ben.stop();
  const auto heard = ben.dumps("-dec.wav");
  ASSERT_EQ(heard.size(), 1u) << ben.output();
  WavStats w = analyse_wav(heard.front());
  ASSERT_TRUE(w.ok) << w.describe();
  EXPECT_GT(w.loud_seconds, 2.0) << w.describe() << server_->log();
}

TEST_F(SipIvrTest, NoKeyTakesTheTimeoutDestinationAndNowhereToGoHangsUp) {
  start_ivr_pbx();
  BaresipPhone ben(BaresipPhone::demo(dir_.path(), "1002", udp_port(), 700));
  ASSERT_TRUE(ben.started());
  ASSERT_TRUE(ben.connect()) << ben.output();
  ASSERT_TRUE(wait_bindings("1002", 1)) << ben.output() << server_->log();
  const std::int64_t support = group_with("IVR Support", "1002");
  // One play, a one-second wait, then the timeout destination: the group.
  const std::int64_t menu =
      id_of(post("/api/v1/ivr-menus", {{"name", "Quiet"},
                                       {"options", {{"5", to("group", support)}}},
                                       {"timeout_s", 1},
                                       {"repeat", 1},
                                       {"timeout", to("group", support)}}));
  ASSERT_GT(menu, 0);
  route_to_menu(menu);
  SippRun run = call("trunk_uac_voicemail.xml", {std::string(kDid) + ";4155550178;"},
                     "ivr-quiet-%u", {"-d", "9000"}, kTrunkIp);
  EXPECT_EQ(run.exit_code, 0) << run.describe() << server_->log();
  json cdr = ended_cdr("ivr-quiet-1");
  ASSERT_TRUE(cdr.is_object()) << server_->log();
  EXPECT_EQ(cdr["disposition"], "answered") << cdr.dump(2);
  EXPECT_EQ(cdr["answered_by"], user_id("1002")) << cdr.dump(2);
  EXPECT_TRUE(cdr["ivr_keys"].is_null()) << cdr.dump(2);
  EXPECT_TRUE(cdr["ivr_option"].is_null()) << cdr.dump(2);  // left by its timeout
  EXPECT_GE(cdr.value("ivr_ms", 0), 1000) << cdr.dump(2);

  // The same menu with no timeout destination: after its one play and wait, it hangs up.
  ASSERT_EQ(patch("/api/v1/ivr-menus/" + std::to_string(menu), {{"timeout", nullptr}}).is_object(),
            true);
  SippRun hung = call("trunk_uac_until_bye.xml", {std::string(kDid) + ";4155550179;"},
                      "ivr-gone-%u", {}, kTrunkIp);
  EXPECT_EQ(hung.exit_code, 0) << hung.describe() << server_->log();
  json ended = ended_cdr("ivr-gone-1");
  ASSERT_TRUE(ended.is_object()) << server_->log();
  EXPECT_EQ(ended["disposition"], "ivr") << ended.dump(2);
  EXPECT_EQ(ended["hangup_cause"], "ivr_hangup") << ended.dump(2);
}

TEST_F(SipIvrTest, AQueuedCallerHearsMusicAndItsPositionInLine) {
  start_ivr_pbx();
  // The member's phone rings and never answers (SIPp), so the caller waits in the queue.
  SippProcess ringing = phone("1003", "uas_ring_cancel.xml", 1, 30s);
  const std::int64_t queue = id_of(post("/api/v1/groups", {{"name", "Music Queue"},
                                                           {"extension", "2998"},
                                                           {"ring_timeout_s", 30},
                                                           {"max_wait_s", 60},
                                                           {"waiting_mode", "answer"},
                                                           {"announce_position_every_s", 3}}));
  ASSERT_GT(queue, 0);
  HttpResult m =
      api("PUT",
          "/api/v1/groups/" + std::to_string(queue) + "/members/" + std::to_string(user_id("1003")),
          "{}");
  ASSERT_TRUE(m.status == 200 || m.status == 201) << m.body;

  BaresipPhone ann(BaresipPhone::demo(dir_.path(), "1002", udp_port(), 700));
  ASSERT_TRUE(ann.started());
  ASSERT_TRUE(ann.connect()) << ann.output();
  ASSERT_TRUE(wait_bindings("1002", 1)) << ann.output() << server_->log();
  auto dialled = ann.command("dial", "sip:2998@127.0.0.1:" + std::to_string(udp_port()));
  ASSERT_TRUE(dialled && dialled->value("ok", false)) << ann.events();
  // waiting_mode "answer": Cohort answers the caller into the queue.
  auto up = ann.wait_event("CALL_ESTABLISHED", 10s);
  ASSERT_TRUE(up) << ann.events() << server_->log();
  const std::string call_id = up->value("id", "");
  std::this_thread::sleep_for(9s);
  auto hung = ann.command("hangup");
  ASSERT_TRUE(hung && hung->value("ok", false));
  ASSERT_TRUE(ann.wait_event("CALL_CLOSED", 10s)) << ann.events();

  json cdr = ended_cdr(call_id);
  ASSERT_TRUE(cdr.is_object()) << server_->log();
  EXPECT_EQ(cdr["disposition"], "abandoned") << cdr.dump(2);
  EXPECT_EQ(cdr["group"], queue) << cdr.dump(2);
  EXPECT_GE(cdr.value("queue_ms", 0), 8000) << cdr.dump(2);
  // Two announcements in 9 s (every 3 s, each over the music); position 1.
  const std::string log = server_->log();
  EXPECT_NE(log.find("event=queue_announcement"), std::string::npos) << log;
  EXPECT_NE(log.find("position=1"), std::string::npos) << log;

  // Music plays without the pauses of ringback (1 s of tone in 5): seconds of sound.
  ann.stop();
  const auto heard = ann.dumps("-dec.wav");
  ASSERT_EQ(heard.size(), 1u) << ann.output();
  WavStats w = analyse_wav(heard.front());
  ASSERT_TRUE(w.ok) << w.describe();
  EXPECT_GT(w.loud_seconds, 5.0) << w.describe();
  stop_sipp(ringing);
}

}  // namespace
}  // namespace cohort::testing
