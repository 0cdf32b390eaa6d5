// Message-waiting indication with SIPp (issue 13, RFC 3842 over RFC 6665): a SIPp UAC
// subscribes to user 1001's message-summary (digest-authenticated) and gets the first NOTIFY
// "no"; an outside caller (SIPp from a trunk source, streaming a tone as PCMU) reaches 1001's
// voicemail and leaves a message, and the subscriber gets "Messages-Waiting: yes" with
// "Voice-Message: 1/0"; the message is marked heard over the API and the subscriber gets
// "no" with 0/1; it unsubscribes and gets the final NOTIFY (terminated). The call's record
// names the message. Then a full mailbox: the next caller hears the refusal, no message is
// kept, and the record says voicemail_full.

#include <filesystem>

#include "sip_call_fixture.hpp"

namespace cohort::testing {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

constexpr const char* kTrunkIp = "127.0.0.2";
constexpr const char* kDid = "15550171";

class SipMwiTest : public SipCallTest {
 protected:
  void start_mwi_pbx(const std::string& extra_toml = {}) {
    start_pbx("[media]\nvoicemail_min_s = 1\n" + extra_toml);
    user_ = user_id("1001");
    ASSERT_GT(create_trunk("Carrier", kTrunkIp, 5060, {{"inbound_sources", {kTrunkIp}}}), 0);
    post("/api/v1/inbound-routes",
         {{"name", "Ana's mailbox"},
          {"did", kDid},
          {"destination", {{"type", "voicemail"}, {"box", "user"}, {"id", user_}}}});
    audio_ = write_ulaw_tone(dir_.path(), 700, 3);
    scenario_ =
        scenario_from_template(dir_.path(), "trunk_uac_voicemail_rtp.xml", {{"AUDIO", audio_}});
  }
  /// An outside call into 1001's mailbox that talks for `talk_ms` after the answer.
  SippRun leave_message(const std::string& call_id, int talk_ms) {
    return call(scenario_, {std::string(kDid) + ";4155550199;"}, call_id,
                {"-d", std::to_string(talk_ms), "-mp", std::to_string(free_port(4, kTrunkIp))},
                kTrunkIp);
  }
  json messages() {
    json j = get("/api/v1/voicemails?box=user&id=" + std::to_string(user_));
    return j.is_object() ? j["items"] : json::array();
  }
  json wait_messages(std::size_t n) {
    json items;
    for (int i = 0; i < 100; ++i) {
      items = messages();
      if (items.size() == n) {
        break;
      }
      std::this_thread::sleep_for(100ms);
    }
    return items;
  }

  std::int64_t user_ = 0;
  std::string audio_, scenario_;
};

TEST_F(SipMwiTest, ASubscriberSeesAMessageArriveAndBeHeard) {
  start_mwi_pbx();
  SippOptions sub;
  sub.scenario = "mwi_subscribe.xml";
  sub.csv_rows = {"1001;" + demo_auth("1001") + ";"};
  sub.server_port = udp_port();
  sub.timeout = std::chrono::seconds(90);
  SippProcess subscriber = start_sipp(dir_.path(), sub);
  ASSERT_TRUE(subscriber.started());
  std::this_thread::sleep_for(1500ms);  // subscribed, first NOTIFY ("no") answered

  // The greeting ("The person you are calling is not available…") and the beep last about
  // 6 s; then about 3 s of tone.
  const std::string cid = "mwi-" + random_token(8);
  SippRun caller = leave_message(cid, 9500);
  ASSERT_EQ(caller.exit_code, 0) << caller.describe() << server_->log();
  const json items = wait_messages(1);
  ASSERT_EQ(items.size(), 1u) << server_->log();
  EXPECT_GT(items[0]["duration_ms"].get<int>(), 1500) << items.dump(2);
  json cdr = ended_cdr(cid);
  ASSERT_TRUE(cdr.is_object());
  EXPECT_EQ(cdr["disposition"], "voicemail") << cdr.dump(2);
  EXPECT_EQ(cdr["voicemail_id"], items[0]["id"]) << cdr.dump(2);

  std::this_thread::sleep_for(1s);  // the "yes" NOTIFY answered
  HttpResult heard = api("PATCH", "/api/v1/voicemails/" + std::to_string(items[0]["id"].get<int>()),
                         json{{"heard", true}}.dump());
  ASSERT_EQ(heard.status, 200) << heard.body;

  SippRun r = finish_sipp(subscriber, 30s);
  EXPECT_EQ(r.exit_code, 0) << r.describe() << server_->log();
  EXPECT_NE(r.logs.find("mwi 600 Messages-Waiting: no"), std::string::npos) << r.logs;
}

TEST_F(SipMwiTest, AFullMailboxRefusesWithAPromptAndKeepsNothing) {
  start_mwi_pbx("mailbox_max_messages = 1\n");
  SippRun first = leave_message("full-1-" + random_token(6), 9500);
  ASSERT_EQ(first.exit_code, 0) << first.describe() << server_->log();
  ASSERT_EQ(wait_messages(1).size(), 1u) << server_->log();

  // The mailbox holds its one message: the next caller hears "The mailbox is full. Goodbye."
  // and Cohort hangs up (the scenario's BYE after 9 s would come too late: SIPp accepts the
  // server's BYE instead, see below), no message is kept.
  const std::string cid = "full-2-" + random_token(6);
  SippRun second = leave_message(cid, 9500);
  json cdr = ended_cdr(cid, 15s);
  ASSERT_TRUE(cdr.is_object()) << second.describe() << server_->log();
  EXPECT_EQ(cdr["disposition"], "voicemail_full") << cdr.dump(2);
  EXPECT_EQ(cdr["hangup_cause"], "mailbox_full") << cdr.dump(2);
  EXPECT_TRUE(cdr["voicemail_id"].is_null()) << cdr.dump(2);
  EXPECT_NE(second.messages.find("BYE sip:"), std::string::npos) << second.messages;
  std::this_thread::sleep_for(1s);
  EXPECT_EQ(messages().size(), 1u);
  std::size_t files = 0;
  for (const auto& e :
       fs::directory_iterator(dir_.path() + "/voicemail/user-" + std::to_string(user_))) {
    files += e.is_regular_file() ? 1 : 0;
  }
  EXPECT_EQ(files, 1u);
}

}  // namespace
}  // namespace cohort::testing
