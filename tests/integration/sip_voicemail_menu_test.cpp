// The *97 voicemail menu with SIPp phones (issue 13): two outside callers leave messages in
// user 1001's mailbox; 1001 dials *97 (digest-authenticated), presses 1 to listen, 9 over
// the first message (kept, heard), 7 over the second (deleted), then 3 to record its
// greeting: its phone's 700 Hz tone until #, then 1 to keep it. Afterwards the first message
// is there and heard, the second is gone with its file, and 1001's greeting is a recording
// of that tone. A member of two groups (1004) picks its group's mailbox by key and records
// that group's greeting. An outside caller dialling *97 reaches no menu.

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "baresip_phone.hpp"
#include "sip_call_fixture.hpp"

namespace cohort::testing {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

constexpr const char* kTrunkIp = "127.0.0.2";
constexpr const char* kDid = "15550197";

/// One key: pressed `after_ms` after the previous one (or the ACK).
struct Press {
  int after_ms;
  char key;
};

/// The {{KEYS}} of voicemail_menu_uac.xml: a pause and an INFO per key, then `tail_ms`.
std::string keys_xml(const std::vector<Press>& presses, int tail_ms) {
  std::string out;
  int cseq = 3;
  for (const Press& p : presses) {
    out += fmt::format(R"(  <pause milliseconds="{}"/>
  <send retrans="500">
    <![CDATA[
      INFO [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport
      [routes]
      From: <sip:[field1]@[remote_ip]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[field0]@[remote_ip]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: {} INFO
      Max-Forwards: 70
      Content-Type: application/dtmf-relay
      Content-Length: [len]

      Signal={}
      Duration=160
    ]]>
  </send>
  <recv response="200"/>
)",
                       p.after_ms, cseq++, p.key);
  }
  out += fmt::format("  <pause milliseconds=\"{}\"/>\n", tail_ms);
  return out;
}

class SipVoicemailMenuTest : public SipCallTest {
 protected:
  void start_menu_pbx() {
    start_pbx("[media]\nvoicemail_min_s = 1\n");
    ASSERT_GT(create_trunk("Carrier", kTrunkIp, 5060, {{"inbound_sources", {kTrunkIp}}}), 0);
    post("/api/v1/inbound-routes",
         {{"name", "Ana's mailbox"},
          {"did", kDid},
          {"destination", {{"type", "voicemail"}, {"box", "user"}, {"id", user_id("1001")}}}});
    audio_ = write_ulaw_tone(dir_.path(), 700, 3);
  }
  /// An outside call from `caller` into 1001's mailbox: about 6 s of greeting and beep,
  /// then 3 s of tone.
  void leave_message(const std::string& caller) {
    const std::string scenario =
        scenario_from_template(dir_.path(), "trunk_uac_voicemail_rtp.xml", {{"AUDIO", audio_}});
    SippRun r = call(scenario, {std::string(kDid) + ";" + caller + ";"}, "vm-" + random_token(8),
                     {"-d", "9500", "-mp", std::to_string(free_port(4, kTrunkIp))}, kTrunkIp);
    ASSERT_EQ(r.exit_code, 0) << r.describe() << server_->log();
  }
  json messages(std::int64_t user) {
    json j = get("/api/v1/voicemails?box=user&id=" + std::to_string(user));
    return j.is_object() ? j["items"] : json::array();
  }
  json wait_messages(std::int64_t user, std::size_t n) {
    json items;
    for (int i = 0; i < 100; ++i) {
      items = messages(user);
      if (items.size() == n) {
        break;
      }
      std::this_thread::sleep_for(100ms);
    }
    return items;
  }
  /// `ext` dials *97 and presses `presses`; its phone sends a 700 Hz tone throughout.
  SippRun menu_call(const std::string& ext, const std::vector<Press>& presses, int tail_ms,
                    const std::string& call_id) {
    const std::string scenario =
        scenario_from_template(dir_.path(), "voicemail_menu_uac.xml",
                               {{"AUDIO", audio_}, {"KEYS", keys_xml(presses, tail_ms)}});
    SippOptions o = caller_options(scenario, {call_row("*97", ext)}, call_id,
                                   {"-mp", std::to_string(free_port(4, "127.0.0.1"))});
    o.timeout = std::chrono::seconds(60);  // the keys alone take up to 27 s
    return run_sipp(dir_.path(), o);
  }
  /// The greeting stored at `path` (a GET of the API), analysed.
  WavStats greeting(const std::string& path) {
    HttpResult r = api("GET", path);
    EXPECT_EQ(r.status, 200) << path << " " << r.body.substr(0, 200);
    EXPECT_EQ(r.headers["x-cohort-audio-source"], "uploaded") << path;
    const std::string file = dir_.path() + "/greeting-" + random_token(6) + ".wav";
    write_text(file, r.body);
    return analyse_wav(file);
  }

  std::string audio_;
};

TEST_F(SipVoicemailMenuTest, AUserHearsKeepsAndDeletesMessagesAndRecordsItsGreeting) {
  start_menu_pbx();
  const std::int64_t ana = user_id("1001");
  leave_message("4155550101");
  ASSERT_EQ(wait_messages(ana, 1).size(), 1u);
  leave_message("4155550102");
  json before = wait_messages(ana, 2);
  ASSERT_EQ(before.size(), 2u) << server_->log();
  // The API lists newest first: [1] is the older message, the first one the menu plays.
  const std::int64_t older = before[1]["id"].get<std::int64_t>();
  const std::int64_t newer = before[0]["id"].get<std::int64_t>();
  ASSERT_EQ(before[1]["caller"]["number"], "4155550101") << before.dump(2);
  HttpResult none = api("GET", "/api/v1/users/" + std::to_string(ana) + "/greeting");
  ASSERT_EQ(none.headers["x-cohort-audio-source"], "default") << "no greeting recorded yet";

  // 1001 is in no group: its own mailbox opens at once ("You have 2 new messages …").
  // 1: listen; after 5 s (past "Message 1 from 4155550101" into its audio) 9: next; after 5 s
  // 7: delete; 3 over "Message deleted …": record after the instructions and the beep
  // (about 6 s) with 3 s of tone, #; then 1 over the review to keep it.
  const std::string cid = "vm-menu-" + random_token(8);
  SippRun menu = menu_call(
      "1001", {{1500, '1'}, {5000, '9'}, {5000, '7'}, {2000, '3'}, {9000, '#'}, {1500, '1'}}, 2500,
      cid);
  ASSERT_EQ(menu.exit_code, 0) << menu.describe() << server_->log();

  const json after = wait_messages(ana, 1);
  ASSERT_EQ(after.size(), 1u) << after.dump(2) << server_->log();
  EXPECT_EQ(after[0]["id"].get<std::int64_t>(), older);
  EXPECT_EQ(after[0]["heard"], true) << "9 keeps a message as heard";
  HttpResult gone = api("GET", "/api/v1/voicemails/" + std::to_string(newer));
  EXPECT_EQ(gone.status, 404) << gone.body;
  std::size_t files = 0;
  for (const auto& e :
       fs::directory_iterator(dir_.path() + "/voicemail/user-" + std::to_string(ana))) {
    files += e.path().extension() == ".wav" ? 1 : 0;
  }
  EXPECT_EQ(files, 1u) << "the deleted message's file is gone";

  const WavStats g = greeting("/api/v1/users/" + std::to_string(ana) + "/greeting");
  ASSERT_TRUE(g.ok) << g.describe();
  // About 3 s of tone between the beep and #; the intro's length varies with the voice.
  EXPECT_GT(g.loud_seconds, 1.5) << g.describe();
  EXPECT_LT(g.loud_seconds, 6.0) << g.describe();
  EXPECT_NEAR(g.frequency_hz, 700, 40) << g.describe();

  const json cdr = ended_cdr(cid);
  ASSERT_TRUE(cdr.is_object()) << server_->log();
  EXPECT_EQ(cdr["disposition"], "answered") << cdr.dump(2);
  EXPECT_EQ(cdr["dialled"], "*97") << cdr.dump(2);
  // Every prompt the menu asked for exists (an unknown one is skipped with this warning).
  EXPECT_EQ(server_->log().find("event=no_prompt"), std::string::npos) << server_->log();
}

TEST_F(SipVoicemailMenuTest, AMemberChoosesItsGroupsMailboxAndRecordsTheGroupsGreeting) {
  start_menu_pbx();
  // Demo data: 1004 is in "Sales Dept" and "West Coast Sales": key 1 is its own mailbox,
  // 2 Sales Dept, 3 West Coast Sales (by name).
  std::int64_t sales = 0;
  const json groups = get("/api/v1/groups?limit=100");
  for (const json& g : groups.value("items", json::array())) {
    if (g.value("name", "") == "Sales Dept") {
      sales = id_of(g);
    }
  }
  ASSERT_GT(sales, 0) << groups.dump(2);
  const std::string cid = "vm-group-" + random_token(8);
  SippRun menu = menu_call("1004", {{1500, '2'}, {1500, '3'}, {9000, '#'}, {1500, '1'}}, 2500, cid);
  ASSERT_EQ(menu.exit_code, 0) << menu.describe() << server_->log();
  const WavStats g = greeting("/api/v1/groups/" + std::to_string(sales) + "/greeting");
  ASSERT_TRUE(g.ok) << g.describe() << server_->log();
  EXPECT_GT(g.loud_seconds, 1.5) << g.describe();
  EXPECT_NEAR(g.frequency_hz, 700, 40) << g.describe();
  // Nobody else's greeting changed.
  EXPECT_EQ(api("GET", "/api/v1/users/" + std::to_string(user_id("1004")) + "/greeting")
                .headers["x-cohort-audio-source"],
            "default");
}

TEST_F(SipVoicemailMenuTest, AnOutsideCallerDiallingStarNinetySevenReachesNoMenu) {
  start_menu_pbx();
  const std::string scenario =
      scenario_from_template(dir_.path(), "trunk_uac_voicemail_rtp.xml", {{"AUDIO", audio_}});
  SippRun r = call(scenario, {"*97;4155550103;"}, "vm-outside-" + random_token(6),
                   {"-d", "1000", "-mp", std::to_string(free_port(4, kTrunkIp))}, kTrunkIp);
  EXPECT_NE(r.exit_code, 0) << "refused, not answered";
  EXPECT_EQ(server_->log().find("event=voicemail_menu "), std::string::npos) << server_->log();
}

}  // namespace
}  // namespace cohort::testing
