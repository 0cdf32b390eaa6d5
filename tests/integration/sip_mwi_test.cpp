// Message-waiting indication with SIPp (issue 13, RFC 3842 over RFC 6665): a SIPp UAC
// subscribes to user 1001's message-summary (digest-authenticated) and gets the first NOTIFY
// "no"; an outside caller (SIPp from a trunk source, streaming a tone as PCMU) reaches 1001's
// voicemail and leaves a message, and the subscriber gets "Messages-Waiting: yes" with
// "Voice-Message: 1/0"; the message is marked heard over the API and the subscriber gets
// "no" with 0/1; it unsubscribes and gets the final NOTIFY (terminated). The call's record
// names the message. Then a full mailbox: the next caller hears the refusal, no message is
// kept, and the record says voicemail_full. And a phone that registered but never
// subscribed gets unsolicited NOTIFYs ([sip] mwi_unsolicited, the default) at its Contact as
// the message is left, heard and deleted, each body checked against RFC 3842's grammar.

#include <array>
#include <cctype>
#include <filesystem>
#include <map>
#include <regex>
#include <sstream>

#include "raw_phone.hpp"
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

std::string text_lower(std::string s) {
  for (char& c : s) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return s;
}

/// What a message-summary body says (RFC 3842 §5.2), or why it does not follow the grammar:
///   message-summary = msg-status-line CRLF [msg-account CRLF] [*(msg-summary-line CRLF)]
///                     [ *opt-msg-headers ]
///   msg-status-line = "Messages-Waiting" HCOLON msg-status   ; "yes" / "no"
///   msg-account = "Message-Account" HCOLON Account-URI
///   msg-summary-line = message-context-class HCOLON newmsgs SLASH oldmsgs
///                      [ LPAREN new-urgentmsgs SLASH old-urgentmsgs RPAREN ]
/// with HCOLON = *( SP / HTAB ) ":" SWS, SLASH/LPAREN/RPAREN with optional white space around
/// them (RFC 3261 §25.1), ABNF literals case-insensitive, message-context-class one of the
/// RFC 3458 classes.
struct MessageSummary {
  std::string error;  ///< empty when the body follows the grammar
  bool waiting = false;
  std::string account;
  std::map<std::string, std::array<int, 4>> counts;  ///< class (lower case) → new, old, urgent
};
MessageSummary parse_message_summary(const std::string& body) {
  MessageSummary out;
  const std::regex status(R"(^messages-waiting[ \t]*:[ \t]*(yes|no)[ \t]*$)", std::regex::icase);
  const std::regex account(
      R"(^message-account[ \t]*:[ \t]*((sips?|[a-z][a-z0-9+.-]*):[^ \t]+)[ \t]*$)",
      std::regex::icase);
  const std::regex summary(
      R"(^(voice|fax|pager|multimedia|text|none)-message[ \t]*:[ \t]*([0-9]+)[ \t]*/[ \t]*([0-9]+))"
      R"(([ \t]*\([ \t]*([0-9]+)[ \t]*/[ \t]*([0-9]+)[ \t]*\))?[ \t]*$)",
      std::regex::icase);
  if (body.size() < 2 || body.compare(body.size() - 2, 2, "\r\n") != 0) {
    out.error = "the body does not end with CRLF";
    return out;
  }
  std::vector<std::string> lines;
  for (std::size_t at = 0; at < body.size();) {
    const std::size_t end = body.find("\r\n", at);
    lines.push_back(body.substr(at, end - at));
    at = end + 2;
  }
  std::smatch m;
  if (lines.empty() || !std::regex_match(lines[0], m, status)) {
    out.error = "the first line is not a msg-status-line: " + (lines.empty() ? "" : lines[0]);
    return out;
  }
  out.waiting = text_lower(m[1]) == "yes";
  std::size_t i = 1;
  if (i < lines.size() && std::regex_match(lines[i], m, account)) {
    out.account = m[1];
    ++i;
  }
  for (; i < lines.size() && !lines[i].empty(); ++i) {
    if (!std::regex_match(lines[i], m, summary)) {
      out.error = "not a msg-summary-line: " + lines[i];
      return out;
    }
    const std::string cls = text_lower(m[1]);
    if (out.counts.count(cls) != 0) {
      out.error = "the class " + cls + " twice";
      return out;
    }
    out.counts[cls] = {std::stoi(m[2]), std::stoi(m[3]), m[5].matched ? std::stoi(m[5]) : 0,
                       m[6].matched ? std::stoi(m[6]) : 0};
  }
  // What may follow is an empty line and opt-msg-headers (message headers, RFC 3842 §5.2).
  return out;
}

/// The value of the header named `name` (or its compact form) of `m`, "" when absent.
std::string header_named(const sip::Message& m, std::string_view name, std::string_view compact) {
  for (const sip::Header& h : m.headers()) {
    if (text_lower(std::string(h.name)) == name || text_lower(std::string(h.name)) == compact) {
      return std::string(h.value);
    }
  }
  return {};
}

/// Whether `notify` is an unsolicited message-summary NOTIFY for extension `ext` at the
/// phone's Contact `contact_uri`, saying `waiting` with `fresh` new and `old` old voice
/// messages.
::testing::AssertionResult is_summary_notify(const sip::Message& notify,
                                             const std::string& contact_uri, bool waiting,
                                             int fresh, int old) {
  std::ostringstream why;
  if (notify.request_uri() != contact_uri) {
    why << "Request-URI " << notify.request_uri() << " is not the Contact " << contact_uri << "; ";
  }
  const std::string event = header_named(notify, "event", "o");
  if (text_lower(event.substr(0, event.find(';'))) != "message-summary") {
    why << "Event is '" << event << "'; ";
  }
  if (text_lower(std::string(notify.header(sip::HeaderId::kContentType).value_or(""))) !=
      "application/simple-message-summary") {
    why << "Content-Type is '" << notify.header(sip::HeaderId::kContentType).value_or("") << "'; ";
  }
  if (header_named(notify, "subscription-state", "").empty()) {
    why << "no Subscription-State (RFC 6665 §8.2.3 makes it mandatory in a NOTIFY); ";
  }
  const MessageSummary s = parse_message_summary(std::string(notify.body()));
  if (!s.error.empty()) {
    why << "body: " << s.error << "; ";
  } else {
    if (s.waiting != waiting) {
      why << "Messages-Waiting is " << (s.waiting ? "yes" : "no") << "; ";
    }
    // RFC 3842 §5.2: "yes" when there is at least one new message (of any class).
    int any_new = 0;
    for (const auto& [cls, n] : s.counts) {
      any_new += n[0];
    }
    if (s.waiting != (any_new > 0)) {
      why << "Messages-Waiting disagrees with the new counts; ";
    }
    auto voice = s.counts.find("voice");
    if (voice == s.counts.end()) {
      why << "no Voice-Message line; ";
    } else if (voice->second[0] != fresh || voice->second[1] != old) {
      why << "Voice-Message " << voice->second[0] << "/" << voice->second[1] << ", expected "
          << fresh << "/" << old << "; ";
    }
    if (!s.account.empty() && s.account.rfind("sip:1001@", 0) != 0) {
      why << "Message-Account " << s.account << " is not 1001's; ";
    }
  }
  const std::string problems = why.str();
  if (problems.empty()) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << problems << "\n" << notify.bytes();
}

TEST_F(SipMwiTest, ARegisteredPhoneWithoutASubscriptionGetsUnsolicitedNotifies) {
  start_mwi_pbx();
  // A short greeting (0.3 s of quiet): the beep is over 0.7 s after the answer.
  const std::string uploaded = http_raw(
      server_->port(), wav_put("/api/v1/users/" + std::to_string(user_) + "/greeting",
                               mono_wav(std::vector<std::int16_t>(2400, 0), 8000), kAdminToken));
  ASSERT_EQ(uploaded.rfind("HTTP/1.1 200", 0), 0u) << uploaded;
  RawPhone phone("1001", udp_port());
  ASSERT_TRUE(phone.register_contact()) << server_->log();
  const std::string contact_uri =
      "sip:1001@127.0.0.1:" + std::to_string(phone.sip_port()) + ";transport=udp";

  // The message: 3.5 s of call, about 2.8 s of it tone after the beep.
  const std::string cid = "unsolicited-" + random_token(8);
  SippProcess caller = start_sipp(
      dir_.path(),
      caller_options(scenario_, {std::string(kDid) + ";4155550199;"}, cid,
                     {"-d", "3500", "-mp", std::to_string(free_port(4, kTrunkIp))}, kTrunkIp));
  ASSERT_TRUE(caller.started());
  auto lit = phone.next_request("NOTIFY", 15s);
  SippRun run = finish_sipp(caller, 10s);
  EXPECT_EQ(run.exit_code, 0) << run.describe();
  ASSERT_TRUE(lit) << "no NOTIFY after the message was left\n" << server_->log();
  phone.reply(*lit, 200, "OK");
  EXPECT_TRUE(is_summary_notify(*lit, contact_uri, true, 1, 0));
  const json items = wait_messages(1);
  ASSERT_EQ(items.size(), 1u) << server_->log();
  const std::string message = "/api/v1/voicemails/" + std::to_string(items[0]["id"].get<int>());

  // Heard over the API: "no", the message now old.
  ASSERT_EQ(api("PATCH", message, json{{"heard", true}}.dump()).status, 200);
  auto heard = phone.next_request("NOTIFY", 5s);
  ASSERT_TRUE(heard) << "no NOTIFY after the message was heard\n" << server_->log();
  phone.reply(*heard, 200, "OK");
  EXPECT_TRUE(is_summary_notify(*heard, contact_uri, false, 0, 1));
  EXPECT_NE(heard->call_id(), lit->call_id()) << "outside any dialog: a new Call-ID each";

  // Marked unheard again, then deleted: "yes" 1/0, then "no" 0/0.
  ASSERT_EQ(api("PATCH", message, json{{"heard", false}}.dump()).status, 200);
  auto again = phone.next_request("NOTIFY", 5s);
  ASSERT_TRUE(again) << server_->log();
  phone.reply(*again, 200, "OK");
  EXPECT_TRUE(is_summary_notify(*again, contact_uri, true, 1, 0));
  ASSERT_EQ(api("DELETE", message).status, 204);
  auto gone = phone.next_request("NOTIFY", 5s);
  ASSERT_TRUE(gone) << "no NOTIFY after the message was deleted\n" << server_->log();
  phone.reply(*gone, 200, "OK");
  EXPECT_TRUE(is_summary_notify(*gone, contact_uri, false, 0, 0));
  EXPECT_FALSE(phone.next_request("NOTIFY", 500ms)) << "a NOTIFY with nothing changed";
}

TEST_F(SipMwiTest, NoUnsolicitedNotifyWhenTheSettingIsOff) {
  start_pbx("[sip]\nmwi_unsolicited = false\n[media]\nvoicemail_min_s = 1\n");
  user_ = user_id("1001");
  RawPhone phone("1001", udp_port());
  ASSERT_TRUE(phone.register_contact()) << server_->log();
  // A message appears without a call: marking it is enough to change the summary, but there
  // is none yet, so leave one the quick way (a short greeting, a short call).
  ASSERT_GT(create_trunk("Carrier", kTrunkIp, 5060, {{"inbound_sources", {kTrunkIp}}}), 0);
  post("/api/v1/inbound-routes",
       {{"name", "Ana's mailbox"},
        {"did", kDid},
        {"destination", {{"type", "voicemail"}, {"box", "user"}, {"id", user_}}}});
  const std::string uploaded = http_raw(
      server_->port(), wav_put("/api/v1/users/" + std::to_string(user_) + "/greeting",
                               mono_wav(std::vector<std::int16_t>(2400, 0), 8000), kAdminToken));
  ASSERT_EQ(uploaded.rfind("HTTP/1.1 200", 0), 0u) << uploaded;
  audio_ = write_ulaw_tone(dir_.path(), 700, 3);
  scenario_ =
      scenario_from_template(dir_.path(), "trunk_uac_voicemail_rtp.xml", {{"AUDIO", audio_}});
  SippRun run = leave_message("off-" + random_token(8), 3500);
  EXPECT_EQ(run.exit_code, 0) << run.describe();
  ASSERT_EQ(wait_messages(1).size(), 1u) << server_->log();
  EXPECT_FALSE(phone.next_request("NOTIFY", 1500ms)) << "an unsolicited NOTIFY although off";
}

}  // namespace
}  // namespace cohort::testing
