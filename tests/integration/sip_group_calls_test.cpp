// Calls to groups (issue 5) through the real server: a SIPp UAC on 127.0.0.3 plays a
// provider's trunk (the trunk's inbound_sources, so not challenged), an inbound route sends
// its DID to a group, and the members are SIPp phones registered as demo extensions, which
// answer, ring until cancelled, or refuse. Each test makes its own groups, memberships,
// routes and schedules over the REST API; the demo groups take no part. The assertions are
// on what each member received (INVITE, CANCEL, the From it was shown) and on the CDR.

#include <algorithm>
#include <cctype>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "sip_call_fixture.hpp"

namespace cohort::testing {
namespace {

constexpr const char* kTrunkIp = "127.0.0.3";
constexpr const char* kDid = "15550100";
constexpr const char* kOutside = "2125551234";
constexpr const char* kProviderDomainRegexp = "provider\\.example";

/// The value of header `name` ("From") in a request as SIPp traced it ("" if absent).
std::string header_of(const std::string& request, const std::string& name) {
  std::string lower = request;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  std::string key = "\n" + name + ":";
  std::transform(key.begin(), key.end(), key.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  auto at = lower.find(key);
  if (at == std::string::npos) {
    return {};
  }
  at += key.size();
  auto end = request.find_first_of("\r\n", at);
  std::string v = request.substr(at, end == std::string::npos ? std::string::npos : end - at);
  v.erase(0, v.find_first_not_of(' '));
  return v;
}

/// The user part of the first SIP URI in a From header value ("sip:4155550001@…").
std::string uri_user(const std::string& from) {
  auto at = from.find("sip:");
  if (at == std::string::npos) {
    return {};
  }
  at += 4;
  return from.substr(at, from.find('@', at) - at);
}

/// The callers' numbers (From user parts) of the INVITEs in SIPp's trace, retransmissions
/// dropped (the same Call-ID twice).
std::vector<std::string> invited_callers(const std::string& messages) {
  std::vector<std::string> out;
  std::vector<std::string> seen;
  for (const std::string& r : received_requests(messages, "INVITE")) {
    const std::string cid = header_of(r, "Call-ID");
    if (std::find(seen.begin(), seen.end(), cid) != seen.end()) {
      continue;
    }
    seen.push_back(cid);
    out.push_back(uri_user(header_of(r, "From")));
  }
  return out;
}

/// The number of distinct transactions of `method` (CANCEL, BYE) in SIPp's trace.
std::size_t distinct_requests(const std::string& messages, const std::string& method) {
  std::vector<std::string> seen;
  for (const std::string& r : received_requests(messages, method)) {
    const std::string key = header_of(r, "Call-ID") + "|" + header_of(r, "CSeq");
    if (std::find(seen.begin(), seen.end(), key) == seen.end()) {
      seen.push_back(key);
    }
  }
  return seen.size();
}

/// A trunk CSV row: the DID; the caller's number.
std::string trunk_row(const std::string& did, const std::string& caller) {
  return did + ";" + caller + ";";
}

/// A JSON value that the API may give as JSON text (fallback_to): parsed when a string.
json as_json(const json& v) {
  if (v.is_string()) {
    json parsed = json::parse(v.get<std::string>(), nullptr, false);
    return parsed.is_discarded() ? v : parsed;
  }
  return v;
}

class SipGroupCallTest : public SipCallTest {
 protected:
  /// The server, the trunk the provider calls in from (127.0.0.3) and none of the demo
  /// inbound routes: each test makes its own.
  void start_group_pbx() {
    start_pbx();
    const json routes = get("/api/v1/inbound-routes");
    for (const json& r : routes.value("items", json::array())) {
      HttpResult d = api("DELETE", "/api/v1/inbound-routes/" + std::to_string(id_of(r)));
      EXPECT_EQ(d.status, 204) << d.body;
    }
    trunk_in_ = create_trunk("Carrier in", kTrunkIp, 5060, {{"inbound_sources", {kTrunkIp}}});
    ASSERT_GT(trunk_in_, 0);
  }

  /// POST /api/v1/groups; `extra` fields override the defaults of the test groups (a short
  /// ring timeout, no wrap-up).
  std::int64_t make_group(const std::string& name, const json& extra = json::object()) {
    json body = {{"name", name}, {"ring_timeout_s", 5}, {"max_wait_s", 10}, {"wrap_up_s", 0}};
    for (const auto& [k, v] : extra.items()) {
      body[k] = v;
    }
    return id_of(post("/api/v1/groups", body));
  }
  /// Puts demo extensions `exts` into `group`, in this order (positions 1..n).
  void add_members(std::int64_t group, const std::vector<std::string>& exts) {
    for (const std::string& ext : exts) {
      put_member(group, ext, json::object());
    }
  }
  void put_member(std::int64_t group, const std::string& ext, const json& body) {
    const std::string path =
        "/api/v1/groups/" + std::to_string(group) + "/members/" + std::to_string(user_id(ext));
    HttpResult r = api("PUT", path, body.dump());
    EXPECT_TRUE(r.status == 201 || r.status == 200) << "PUT " << path << " → " << r.body;
  }
  /// An inbound route for `did` (a literal or a pattern) to `destination`.
  std::int64_t make_route(const std::string& name, const std::string& did,
                          const json& destination) {
    return id_of(post("/api/v1/inbound-routes",
                      {{"name", name}, {"did", did}, {"destination", destination}}));
  }
  static json to_group(std::int64_t id) { return {{"type", "group"}, {"id", id}}; }

  /// A call in from the provider's trunk, run to the end.
  SippRun trunk_call(const std::string& scenario, std::vector<std::string> rows,
                     const std::string& call_id, std::vector<std::string> extra = {}) {
    return call(scenario, std::move(rows), call_id, std::move(extra), kTrunkIp);
  }
  /// The same, in the background.
  SippProcess start_trunk_call(const std::string& scenario, std::vector<std::string> rows,
                               const std::string& call_id, std::vector<std::string> extra = {}) {
    SippProcess p = start_sipp(dir_.path(), caller_options(scenario, std::move(rows), call_id,
                                                           std::move(extra), kTrunkIp));
    EXPECT_TRUE(p.started());
    return p;
  }
  std::string refused(const std::string& status) {
    return scenario_from_template(dir_.path(), "call_uac_refused.xml", {{"STATUS", status}});
  }

  /// The ids of the members of a CDR's attempts and their results, in the order offered.
  static std::vector<std::pair<std::int64_t, std::string>> attempts_of(const json& cdr) {
    std::vector<std::pair<std::int64_t, std::string>> out;
    const json attempts = cdr.contains("attempts") ? cdr["attempts"] : json::array();
    for (const json& a : attempts.is_array() ? attempts : json::array()) {
      out.emplace_back(a.value("user", std::int64_t{0}), a.value("result", std::string()));
    }
    return out;
  }

  /// Expects a member's From to show the caller's number in the URI and "<group>: <number>"
  /// as the display name, on every INVITE it received.
  static void expect_group_from(const SippRun& member, const std::string& group,
                                const std::string& caller) {
    for (const std::string& r : received_requests(member.messages, "INVITE")) {
      const std::string from = header_of(r, "From");
      EXPECT_NE(from.find("\"" + group + ": " + caller + "\""), std::string::npos) << from;
      EXPECT_EQ(uri_user(from), caller) << from;
    }
  }

  /// Polls GET /api/v1/calls until a member's phone rings (a callee leg in state early).
  bool wait_member_ringing(std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      for (const json& c : active_calls()) {
        for (const json& leg : c.value("legs", json::array())) {
          if (leg.value("role", "") == "callee" && leg.value("state", "") == "early") {
            return true;
          }
        }
      }
      if (std::chrono::steady_clock::now() >= deadline) {
        return false;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }

  std::int64_t trunk_in_ = 0;
};

// Round robin: six calls one after the other, each answered, go around the three members
// in position order twice; the round starts at the first member.
TEST_F(SipGroupCallTest, RoundRobinGoesAroundTheMembersInOrder) {
  start_group_pbx();
  const std::int64_t g = make_group("RR Desk", {{"ring_strategy", "round_robin"}});
  const std::vector<std::string> exts = {"1003", "1004", "1005"};
  add_members(g, exts);
  make_route("RR line", kDid, to_group(g));
  std::vector<SippProcess> phones;
  for (const std::string& ext : exts) {
    phones.push_back(phone(ext, "uas_answer.xml", 6, std::chrono::seconds(40)));
  }
  std::vector<std::string> rows;
  for (int k = 1; k <= 6; ++k) {
    rows.push_back(trunk_row(kDid, "41555500" + std::to_string(10 + k)));
  }
  const std::string cid = "rr-" + random_token(8);
  SippRun run = trunk_call("trunk_uac.xml", rows, cid + "-%u", {"-d", "200", "-l", "1"});
  ASSERT_EQ(run.exit_code, 0) << run.describe() << server_->log();

  // Who took caller k, from what each phone was sent.
  std::map<std::string, std::string> taken_by;
  for (std::size_t m = 0; m < phones.size(); ++m) {
    SippRun r = stop_sipp(phones[m]);
    for (const std::string& caller : invited_callers(r.messages)) {
      EXPECT_EQ(taken_by.count(caller), 0u) << caller << " offered twice";
      taken_by[caller] = exts[m];
    }
    EXPECT_EQ(distinct_requests(r.messages, "CANCEL"), 0u) << r.messages;
  }
  std::vector<std::string> order;
  for (int k = 1; k <= 6; ++k) {
    order.push_back(taken_by["41555500" + std::to_string(10 + k)]);
  }
  EXPECT_EQ(order, (std::vector<std::string>{"1003", "1004", "1005", "1003", "1004", "1005"}));

  std::vector<std::int64_t> answered_by;
  for (int k = 1; k <= 6; ++k) {
    json cdr = ended_cdr(cid + "-" + std::to_string(k));
    ASSERT_TRUE(cdr.is_object());
    EXPECT_EQ(cdr["disposition"], "answered") << cdr.dump(2);
    EXPECT_EQ(cdr["direction"], "inbound") << cdr.dump(2);
    EXPECT_EQ(cdr["group"], g) << cdr.dump(2);
    EXPECT_EQ(cdr["did"], kDid) << cdr.dump(2);
    answered_by.push_back(cdr.value("answered_by", std::int64_t{0}));
  }
  const std::int64_t a = user_id("1003"), b = user_id("1004"), c = user_id("1005");
  EXPECT_EQ(answered_by, (std::vector<std::int64_t>{a, b, c, a, b, c}));
}

// Round robin survives a restart: the cursor is stored, so the round goes on where it was.
TEST_F(SipGroupCallTest, RoundRobinGoesOnAfterARestart) {
  start_group_pbx();
  const std::int64_t g = make_group("RR Restart", {{"ring_strategy", "round_robin"}});
  const std::vector<std::string> exts = {"1003", "1004", "1005"};
  add_members(g, exts);
  make_route("RR restart line", kDid, to_group(g));
  std::vector<SippProcess> phones;
  for (const std::string& ext : exts) {
    phones.push_back(phone(ext, "uas_answer.xml", 3, std::chrono::seconds(40)));
  }
  const std::string cid = "rrr-" + random_token(8);
  SippRun before =
      trunk_call("trunk_uac.xml", {trunk_row(kDid, "4155550021"), trunk_row(kDid, "4155550022")},
                 cid + "-a%u", {"-d", "200", "-l", "1"});
  ASSERT_EQ(before.exit_code, 0) << before.describe() << server_->log();
  ASSERT_TRUE(ended_cdr(cid + "-a2").is_object());

  restart();  // SIGTERM: pending writes flushed; the bindings and the cursor are stored
  SippRun after = trunk_call("trunk_uac.xml", {trunk_row(kDid, "4155550023")}, cid + "-b%u",
                             {"-d", "200", "-l", "1"});
  ASSERT_EQ(after.exit_code, 0) << after.describe() << server_->log();
  for (SippProcess& p : phones) {
    stop_sipp(p);
  }
  std::vector<std::int64_t> answered_by;
  for (const std::string& id : {cid + "-a1", cid + "-a2", cid + "-b1"}) {
    json cdr = ended_cdr(id);
    ASSERT_TRUE(cdr.is_object());
    answered_by.push_back(cdr.value("answered_by", std::int64_t{0}));
  }
  // Without the stored cursor the third call would start the round again at 1003.
  EXPECT_EQ(answered_by,
            (std::vector<std::int64_t>{user_id("1003"), user_id("1004"), user_id("1005")}));
}

// Least recent: 1004 took a call of another group first, so the never-called 1003 and 1005
// come first (by position), then 1004 (its call ended longest ago), and then again in the
// order their calls ended — not the round-robin order.
TEST_F(SipGroupCallTest, LeastRecentOffersTheLongestIdleMemberFirst) {
  start_group_pbx();
  const std::int64_t warm = make_group("Warm-up Desk");
  add_members(warm, {"1004"});
  make_route("Warm-up line", "15550199", to_group(warm));
  const std::int64_t g = make_group("LR Desk", {{"ring_strategy", "least_recent"}});
  const std::vector<std::string> exts = {"1003", "1004", "1005"};
  add_members(g, exts);
  make_route("LR line", kDid, to_group(g));
  std::vector<SippProcess> phones;
  for (const std::string& ext : exts) {
    phones.push_back(phone(ext, "uas_answer.xml", 7, std::chrono::seconds(40)));
  }
  SippRun warm_run = trunk_call("trunk_uac.xml", {trunk_row("15550199", "4155550100")},
                                "lr-warm-" + random_token(6), {"-d", "200"});
  ASSERT_EQ(warm_run.exit_code, 0) << warm_run.describe() << server_->log();

  std::vector<std::string> rows;
  for (int k = 1; k <= 6; ++k) {
    rows.push_back(trunk_row(kDid, "41555500" + std::to_string(20 + k)));
  }
  const std::string cid = "lr-" + random_token(8);
  SippRun run = trunk_call("trunk_uac.xml", rows, cid + "-%u", {"-d", "200", "-l", "1"});
  ASSERT_EQ(run.exit_code, 0) << run.describe() << server_->log();

  std::map<std::string, std::string> taken_by;
  for (std::size_t m = 0; m < phones.size(); ++m) {
    SippRun r = stop_sipp(phones[m]);
    for (const std::string& caller : invited_callers(r.messages)) {
      taken_by[caller] = exts[m];
    }
  }
  EXPECT_EQ(taken_by["4155550100"], "1004");
  std::vector<std::string> order;
  for (int k = 1; k <= 6; ++k) {
    order.push_back(taken_by["41555500" + std::to_string(20 + k)]);
  }
  EXPECT_EQ(order, (std::vector<std::string>{"1003", "1005", "1004", "1003", "1005", "1004"}));

  std::vector<std::int64_t> answered_by;
  for (int k = 1; k <= 6; ++k) {
    json cdr = ended_cdr(cid + "-" + std::to_string(k));
    ASSERT_TRUE(cdr.is_object());
    EXPECT_EQ(cdr["disposition"], "answered") << cdr.dump(2);
    answered_by.push_back(cdr.value("answered_by", std::int64_t{0}));
  }
  const std::int64_t a = user_id("1003"), b = user_id("1004"), c = user_id("1005");
  EXPECT_EQ(answered_by, (std::vector<std::int64_t>{a, c, b, a, c, b}));
}

// Simultaneous: every member is offered the call at once, with the caller's number and
// "<group>: <number>"; the first to answer takes it and the others get CANCEL.
TEST_F(SipGroupCallTest, SimultaneousRingsEveryoneAndCancelsTheOthersOnAnswer) {
  start_group_pbx();
  const std::int64_t g = make_group("Sim Desk", {{"ring_strategy", "simultaneous"}});
  add_members(g, {"1003", "1004", "1005"});
  make_route("Sim line", kDid, to_group(g));
  SippProcess p1 = phone("1003", "uas_ring_cancel.xml");
  SippProcess p2 = phone("1004", "uas_answer.xml");
  SippProcess p3 = phone("1005", "uas_ring_cancel.xml");
  const std::string cid = "sim-" + random_token(8);
  SippRun run = trunk_call("trunk_uac.xml", {trunk_row(kDid, "4155550031")}, cid, {"-d", "300"});
  ASSERT_EQ(run.exit_code, 0) << run.describe() << server_->log();

  SippRun r1 = finish_sipp(p1, std::chrono::seconds(5));
  SippRun r2 = finish_sipp(p2, std::chrono::seconds(5));
  SippRun r3 = finish_sipp(p3, std::chrono::seconds(5));
  EXPECT_EQ(r1.exit_code, 0) << r1.describe();
  EXPECT_EQ(r2.exit_code, 0) << r2.describe();
  EXPECT_EQ(r3.exit_code, 0) << r3.describe();
  for (const SippRun* r : {&r1, &r2, &r3}) {
    EXPECT_EQ(invited_callers(r->messages), std::vector<std::string>{"4155550031"}) << r->messages;
    expect_group_from(*r, "Sim Desk", "4155550031");
  }
  EXPECT_EQ(distinct_requests(r1.messages, "CANCEL"), 1u) << r1.messages;
  EXPECT_EQ(distinct_requests(r3.messages, "CANCEL"), 1u) << r3.messages;
  EXPECT_EQ(distinct_requests(r2.messages, "CANCEL"), 0u) << r2.messages;
  // RFC 3326: the phones that lost the call are told it was answered elsewhere, so that they
  // log no missed call.
  for (const SippRun* r : {&r1, &r3}) {
    const std::vector<std::string> cancels = received_requests(r->messages, "CANCEL");
    ASSERT_FALSE(cancels.empty()) << r->messages;
    EXPECT_EQ(header_of(cancels.front(), "Reason"),
              R"(SIP;cause=200;text="Call completed elsewhere")")
        << cancels.front();
  }
  // Names with spaces are quoted in key=value log lines, so that the lines still parse.
  EXPECT_NE(server_->log().find("event=group_answered call="), std::string::npos);
  EXPECT_NE(server_->log().find(R"(group="Sim Desk")"), std::string::npos) << server_->log();
  EXPECT_EQ(server_->log().find("group=Sim Desk"), std::string::npos) << server_->log();
  // The caller hears "ringing" once, though three phones rang (docs/life-of-a-call.md).
  std::size_t ringing = 0;
  for (const std::string& response : received_requests(run.messages, "SIP/2.0")) {
    ringing += response.starts_with("SIP/2.0 180 ") ? 1 : 0;
  }
  EXPECT_EQ(ringing, 1u) << run.messages;

  json cdr = ended_cdr(cid);
  ASSERT_TRUE(cdr.is_object());
  EXPECT_EQ(cdr["disposition"], "answered") << cdr.dump(2);
  EXPECT_EQ(cdr["answered_by"], user_id("1004")) << cdr.dump(2);
  EXPECT_EQ(cdr["group"], g) << cdr.dump(2);
  auto attempts = attempts_of(cdr);
  std::sort(attempts.begin(), attempts.end());
  const std::vector<std::pair<std::int64_t, std::string>> expected = {
      {user_id("1003"), "cancelled"},
      {user_id("1004"), "answered"},
      {user_id("1005"), "cancelled"}};
  EXPECT_EQ(attempts, expected) << cdr.dump(2);
}

// Do-not-disturb (PUT /users/{id}/status {"status": "dnd"}): a group call leaves the user out,
// a call to its extension is busy (486) without ringing it, and the status shows it.
TEST_F(SipGroupCallTest, DoNotDisturbSkipsGroupCallsAndMakesDirectCallsBusy) {
  start_group_pbx();
  const std::int64_t g = make_group("Quiet Desk", {{"ring_strategy", "simultaneous"}});
  add_members(g, {"1003", "1004"});
  make_route("Quiet line", kDid, to_group(g));
  const std::string status_path = "/api/v1/users/" + std::to_string(user_id("1003")) + "/status";
  HttpResult set = api("PUT", status_path, R"({"status": "dnd"})");
  ASSERT_EQ(set.status, 200) << set.body;
  EXPECT_EQ(set.json()["status"], "dnd") << set.body;
  EXPECT_EQ(get("/api/v1/users/" + std::to_string(user_id("1003")))["dnd"], true);

  SippProcess quiet = phone("1003", "uas_answer.xml", 1, std::chrono::seconds(8));
  SippProcess p2 = phone("1004", "uas_answer.xml");
  const std::string cid = "dnd-group-" + random_token(8);
  SippRun run = trunk_call("trunk_uac.xml", {trunk_row(kDid, "4155550041")}, cid, {"-d", "300"});
  ASSERT_EQ(run.exit_code, 0) << run.describe() << server_->log();
  SippRun r2 = finish_sipp(p2, std::chrono::seconds(5));
  EXPECT_EQ(r2.exit_code, 0) << r2.describe();
  json cdr = ended_cdr(cid);
  ASSERT_TRUE(cdr.is_object());
  EXPECT_EQ(cdr["answered_by"], user_id("1004")) << cdr.dump(2);

  // A colleague dials 1003 directly: busy, and the phone never rings.
  const std::string direct = "dnd-direct-" + random_token(8);
  SippOptions busy = caller_options(
      scenario_from_template(dir_.path(), "call_uac_refused.xml", {{"STATUS", "486"}}),
      {call_row("1003", "1001")}, direct);
  SippRun refused = run_sipp(dir_.path(), busy);
  EXPECT_EQ(refused.exit_code, 0) << refused.describe() << server_->log();
  json busy_cdr = ended_cdr(direct);
  ASSERT_TRUE(busy_cdr.is_object());
  EXPECT_EQ(busy_cdr["disposition"], "busy") << busy_cdr.dump(2);
  EXPECT_EQ(busy_cdr["sip_status"], 486) << busy_cdr.dump(2);
  SippRun q = stop_sipp(quiet);
  EXPECT_TRUE(received_requests(q.messages, "INVITE").empty()) << q.messages;

  // Available again: the phone rings for a direct call.
  ASSERT_EQ(api("PUT", status_path, R"({"status": "available"})").status, 200);
  EXPECT_EQ(get("/api/v1/users/" + std::to_string(user_id("1003")))["dnd"], false);
}

// Sequential with a ring timeout of 5 s: the first member rings out (CANCEL), the second
// answers.
TEST_F(SipGroupCallTest, RingTimeoutMovesToTheNextMember) {
  start_group_pbx();
  const std::int64_t g = make_group("Seq Desk", {{"ring_strategy", "sequential"}});
  add_members(g, {"1003", "1004"});
  make_route("Seq line", kDid, to_group(g));
  SippProcess p1 = phone("1003", "uas_ring_cancel.xml");
  SippProcess p2 = phone("1004", "uas_answer.xml");
  const std::string cid = "seq-" + random_token(8);
  const auto began = std::chrono::steady_clock::now();
  SippRun run = trunk_call("trunk_uac.xml", {trunk_row(kDid, "4155550041")}, cid, {"-d", "300"});
  ASSERT_EQ(run.exit_code, 0) << run.describe() << server_->log();
  const auto took = std::chrono::steady_clock::now() - began;
  EXPECT_GE(took, std::chrono::milliseconds(4800));
  EXPECT_LT(took, std::chrono::seconds(9));

  SippRun r1 = finish_sipp(p1, std::chrono::seconds(5));
  SippRun r2 = finish_sipp(p2, std::chrono::seconds(5));
  EXPECT_EQ(r1.exit_code, 0) << r1.describe();
  EXPECT_EQ(r2.exit_code, 0) << r2.describe();
  EXPECT_EQ(distinct_requests(r1.messages, "CANCEL"), 1u) << r1.messages;
  EXPECT_EQ(invited_callers(r2.messages), std::vector<std::string>{"4155550041"});

  json cdr = ended_cdr(cid);
  ASSERT_TRUE(cdr.is_object());
  EXPECT_EQ(cdr["disposition"], "answered") << cdr.dump(2);
  EXPECT_EQ(cdr["answered_by"], user_id("1004")) << cdr.dump(2);
  const std::vector<std::pair<std::int64_t, std::string>> expected = {
      {user_id("1003"), "no_answer"}, {user_id("1004"), "answered"}};
  EXPECT_EQ(attempts_of(cdr), expected) << cdr.dump(2);
}

// Members paused in the group, paused everywhere (user status) and on another call are left
// out: only the fourth member is offered the call.
TEST_F(SipGroupCallTest, BusyAndPausedMembersAreSkipped) {
  start_group_pbx();
  const std::int64_t g = make_group("Skip Desk", {{"ring_strategy", "simultaneous"}});
  add_members(g, {"1003", "1004", "1005", "1006"});
  make_route("Skip line", kDid, to_group(g));
  put_member(g, "1003", {{"paused", true}, {"pause_reason", "training"}});
  HttpResult st = api("PUT", "/api/v1/users/" + std::to_string(user_id("1004")) + "/status",
                      json{{"status", "paused"}, {"reason", "lunch"}}.dump());
  ASSERT_EQ(st.status, 200) << st.body;
  SippProcess p1 = phone("1003", "uas_answer.xml", 1, std::chrono::seconds(15));
  SippProcess p2 = phone("1004", "uas_answer.xml", 1, std::chrono::seconds(15));
  SippProcess p3 = phone("1005", "uas_answer.xml", 2, std::chrono::seconds(15));
  SippProcess p4 = phone("1006", "uas_answer.xml", 1, std::chrono::seconds(15));
  // 1005 is on a call from 1001 while the group call comes in.
  SippProcess busy =
      start_sipp(dir_.path(), caller_options("call_uac.xml", {call_row("1005", "1001")},
                                             "busy-" + random_token(6), {"-d", "3000"}));
  ASSERT_TRUE(wait_answered_calls(1)) << server_->log();

  const std::string cid = "skip-" + random_token(8);
  SippRun run = trunk_call("trunk_uac.xml", {trunk_row(kDid, "4155550051")}, cid, {"-d", "300"});
  ASSERT_EQ(run.exit_code, 0) << run.describe() << server_->log();
  SippRun busy_run = finish_sipp(busy, std::chrono::seconds(10));
  EXPECT_EQ(busy_run.exit_code, 0) << busy_run.describe();

  SippRun r1 = stop_sipp(p1);
  SippRun r2 = stop_sipp(p2);
  SippRun r3 = stop_sipp(p3);
  SippRun r4 = finish_sipp(p4, std::chrono::seconds(5));
  EXPECT_TRUE(received_requests(r1.messages, "INVITE").empty()) << "paused in group\n"
                                                                << r1.messages;
  EXPECT_TRUE(received_requests(r2.messages, "INVITE").empty()) << "paused\n" << r2.messages;
  EXPECT_EQ(invited_callers(r3.messages), std::vector<std::string>{"1001"}) << "busy\n"
                                                                            << r3.messages;
  EXPECT_EQ(invited_callers(r4.messages), std::vector<std::string>{"4155550051"}) << r4.messages;
  EXPECT_EQ(r4.exit_code, 0) << r4.describe();

  json cdr = ended_cdr(cid);
  ASSERT_TRUE(cdr.is_object());
  EXPECT_EQ(cdr["disposition"], "answered") << cdr.dump(2);
  EXPECT_EQ(cdr["answered_by"], user_id("1006")) << cdr.dump(2);
  const std::vector<std::pair<std::int64_t, std::string>> expected = {
      {user_id("1006"), "answered"}};
  EXPECT_EQ(attempts_of(cdr), expected) << cdr.dump(2);
}

// A member of two groups ringing for one is not offered the other's call meanwhile: the
// second group's other member gets it.
TEST_F(SipGroupCallTest, AMemberRingingForOneGroupIsNotOfferedAnotherCall) {
  start_group_pbx();
  const std::int64_t g1 = make_group("First Desk");
  const std::int64_t g2 = make_group("Second Desk");
  add_members(g1, {"1003"});
  add_members(g2, {"1003", "1004"});
  make_route("First line", "15550101", to_group(g1));
  make_route("Second line", "15550102", to_group(g2));
  SippProcess shared = phone("1003", "uas_ring_cancel.xml", 2, std::chrono::seconds(15));
  SippProcess other = phone("1004", "uas_answer.xml", 2, std::chrono::seconds(15));

  const std::string cid1 = "two1-" + random_token(8);
  SippProcess first = start_trunk_call("trunk_uac_cancel.xml",
                                       {trunk_row("15550101", "4155550061")}, cid1, {"-d", "3000"});
  ASSERT_TRUE(wait_member_ringing()) << server_->log();  // 1003 rings for First Desk
  const std::string cid2 = "two2-" + random_token(8);
  SippRun second =
      trunk_call("trunk_uac.xml", {trunk_row("15550102", "4155550062")}, cid2, {"-d", "300"});
  EXPECT_EQ(second.exit_code, 0) << second.describe() << server_->log();
  SippRun first_run = finish_sipp(first, std::chrono::seconds(10));
  EXPECT_EQ(first_run.exit_code, 0) << first_run.describe() << server_->log();

  SippRun rs = stop_sipp(shared);
  SippRun ro = stop_sipp(other);
  EXPECT_EQ(invited_callers(rs.messages), std::vector<std::string>{"4155550061"}) << rs.messages;
  expect_group_from(rs, "First Desk", "4155550061");
  EXPECT_EQ(invited_callers(ro.messages), std::vector<std::string>{"4155550062"}) << ro.messages;
  expect_group_from(ro, "Second Desk", "4155550062");

  json cdr2 = ended_cdr(cid2);
  ASSERT_TRUE(cdr2.is_object());
  EXPECT_EQ(cdr2["answered_by"], user_id("1004")) << cdr2.dump(2);
  const std::vector<std::pair<std::int64_t, std::string>> expected = {
      {user_id("1004"), "answered"}};
  EXPECT_EQ(attempts_of(cdr2), expected) << cdr2.dump(2);
  json cdr1 = ended_cdr(cid1);
  ASSERT_TRUE(cdr1.is_object());
  EXPECT_EQ(cdr1["disposition"], "abandoned") << cdr1.dump(2);
}

// A schedule held closed by its override sends the group's calls to its closed destination
// (another group, whose member answers); without one, to the group's voicemail, which
// answers (its greeting; the caller hangs up before leaving a message).
TEST_F(SipGroupCallTest, ClosedByOverrideGoesToTheClosedDestination) {
  start_group_pbx();
  const std::int64_t sched =
      id_of(post("/api/v1/schedules",
                 {{"name", "Night switch"}, {"timezone", "UTC"}, {"override", "closed"}}));
  ASSERT_GT(sched, 0);
  const std::int64_t night = make_group("Night Desk");
  add_members(night, {"1004"});
  const std::int64_t day =
      make_group("Day Desk", {{"schedule", sched}, {"closed_destination", to_group(night)}});
  add_members(day, {"1003"});
  make_route("Day line", kDid, to_group(day));
  const std::int64_t shut = make_group("Shut Desk", {{"schedule", sched}});
  add_members(shut, {"1003"});
  make_route("Shut line", "15550103", to_group(shut));
  SippProcess p_day = phone("1003", "uas_answer.xml", 1, std::chrono::seconds(15));
  SippProcess p_night = phone("1004", "uas_answer.xml", 1, std::chrono::seconds(15));

  const std::string cid = "closed-" + random_token(8);
  SippRun run = trunk_call("trunk_uac.xml", {trunk_row(kDid, "4155550071")}, cid, {"-d", "300"});
  ASSERT_EQ(run.exit_code, 0) << run.describe() << server_->log();
  const std::string cid_vm = "closed-vm-" + random_token(8);
  SippRun vm = trunk_call("trunk_uac_voicemail.xml", {trunk_row("15550103", "4155550072")}, cid_vm,
                          {"-d", "1500"});
  EXPECT_EQ(vm.exit_code, 0) << vm.describe() << server_->log();

  SippRun rd = stop_sipp(p_day);
  SippRun rn = finish_sipp(p_night, std::chrono::seconds(5));
  EXPECT_TRUE(received_requests(rd.messages, "INVITE").empty()) << rd.messages;
  EXPECT_EQ(invited_callers(rn.messages), std::vector<std::string>{"4155550071"}) << rn.messages;
  expect_group_from(rn, "Night Desk", "4155550071");

  json cdr = ended_cdr(cid);
  ASSERT_TRUE(cdr.is_object());
  EXPECT_EQ(cdr["group"], day) << cdr.dump(2);
  EXPECT_EQ(cdr["fallback_reason"], "closed") << cdr.dump(2);
  EXPECT_EQ(as_json(cdr["fallback_to"]), to_group(night)) << cdr.dump(2);
  EXPECT_EQ(cdr["answered_by"], user_id("1004")) << cdr.dump(2);
  EXPECT_EQ(cdr["disposition"], "answered") << cdr.dump(2);

  json cdr_vm = ended_cdr(cid_vm);
  ASSERT_TRUE(cdr_vm.is_object());
  EXPECT_EQ(cdr_vm["disposition"], "voicemail") << cdr_vm.dump(2);
  EXPECT_EQ(cdr_vm["hangup_cause"], "caller_bye") << cdr_vm.dump(2);
  EXPECT_EQ(cdr_vm["fallback_reason"], "closed") << cdr_vm.dump(2);
  EXPECT_EQ(as_json(cdr_vm["fallback_to"]),
            (json{{"type", "voicemail"}, {"box", "group"}, {"id", shut}}))
      << cdr_vm.dump(2);
  EXPECT_EQ(cdr_vm["sip_status"], 200) << cdr_vm.dump(2);
  EXPECT_TRUE(attempts_of(cdr_vm).empty()) << cdr_vm.dump(2);
}

// Nobody answers within max_wait_s (10 s, one ring of 10 s): the call falls back to a second
// group, whose member answers.
TEST_F(SipGroupCallTest, UnansweredCallFallsBackToASecondGroup) {
  start_group_pbx();
  const std::int64_t backup = make_group("Backup Desk");
  add_members(backup, {"1004"});
  const std::int64_t g = make_group(
      "Front Desk", {{"ring_timeout_s", 10}, {"max_wait_s", 10}, {"fallback", to_group(backup)}});
  add_members(g, {"1003"});
  make_route("Front line", kDid, to_group(g));
  SippProcess p1 = phone("1003", "uas_ring_cancel.xml", 2, std::chrono::seconds(25));
  SippProcess p2 = phone("1004", "uas_answer.xml", 1, std::chrono::seconds(25));
  const std::string cid = "fb-" + random_token(8);
  SippRun run = trunk_call("trunk_uac.xml", {trunk_row(kDid, "4155550081")}, cid, {"-d", "300"});
  ASSERT_EQ(run.exit_code, 0) << run.describe() << server_->log();
  SippRun r1 = stop_sipp(p1);
  SippRun r2 = finish_sipp(p2, std::chrono::seconds(5));
  EXPECT_EQ(invited_callers(r1.messages), std::vector<std::string>{"4155550081"}) << r1.messages;
  EXPECT_EQ(distinct_requests(r1.messages, "CANCEL"), 1u) << r1.messages;
  EXPECT_EQ(invited_callers(r2.messages), std::vector<std::string>{"4155550081"}) << r2.messages;
  expect_group_from(r2, "Backup Desk", "4155550081");

  json cdr = ended_cdr(cid);
  ASSERT_TRUE(cdr.is_object());
  EXPECT_EQ(cdr["group"], g) << cdr.dump(2);
  EXPECT_EQ(cdr["fallback_reason"], "no_answer") << cdr.dump(2);
  EXPECT_EQ(as_json(cdr["fallback_to"]), to_group(backup)) << cdr.dump(2);
  EXPECT_EQ(cdr["answered_by"], user_id("1004")) << cdr.dump(2);
  EXPECT_EQ(cdr["disposition"], "answered") << cdr.dump(2);
  const std::vector<std::pair<std::int64_t, std::string>> expected = {
      {user_id("1003"), "no_answer"}, {user_id("1004"), "answered"}};
  EXPECT_EQ(attempts_of(cdr), expected) << cdr.dump(2);
}

// Fallback to an outside number: out through the trunk an outbound rule gives the group,
// presenting the group's outbound caller ID.
TEST_F(SipGroupCallTest, UnansweredCallFallsBackToAnOutsideNumberWithTheGroupsCallerId) {
  start_group_pbx();
  const std::uint16_t port = free_port(1, "127.0.0.2");
  const std::int64_t out =
      create_trunk("Carrier out", "127.0.0.2", port, {{"from_domain", "provider.example"}});
  const std::int64_t g =
      make_group("Overflow Desk", {{"ring_timeout_s", 10},
                                   {"max_wait_s", 10},
                                   {"outbound_caller_id", "5550100"},
                                   {"fallback", {{"type", "number"}, {"number", kOutside}}}});
  add_members(g, {"1003"});
  create_rule({{"name", "Overflow out"},
               {"patterns", {"_X."}},
               {"trunks", {out}},
               {"caller_groups", {g}},
               {"caller_id", {{"policy", "group"}}}});
  make_route("Overflow line", kDid, to_group(g));
  SippProcess p1 = phone("1003", "uas_ring_cancel.xml", 2, std::chrono::seconds(25));
  const std::string prov_scenario = scenario_from_template(
      dir_.path(), "provider_uas.xml",
      {{"CALLER_ID", "5550100"}, {"FROM_HOST", kProviderDomainRegexp}, {"NUMBER", kOutside}});
  SippProcess prov = provider(prov_scenario, port, "127.0.0.2", 1, std::chrono::seconds(25));

  const std::string cid = "fbn-" + random_token(8);
  SippRun run = trunk_call("trunk_uac.xml", {trunk_row(kDid, "4155550091")}, cid, {"-d", "300"});
  ASSERT_EQ(run.exit_code, 0) << run.describe() << server_->log();
  SippRun rp = finish_sipp(prov, std::chrono::seconds(5));
  EXPECT_EQ(rp.exit_code, 0) << rp.describe();
  EXPECT_NE(rp.logs.find("sip:5550100@provider.example"), std::string::npos) << rp.logs;
  SippRun r1 = stop_sipp(p1);
  EXPECT_EQ(distinct_requests(r1.messages, "CANCEL"), 1u) << r1.messages;

  json cdr = ended_cdr(cid);
  ASSERT_TRUE(cdr.is_object());
  EXPECT_EQ(cdr["disposition"], "fallback") << cdr.dump(2);
  EXPECT_EQ(cdr["fallback_reason"], "no_answer") << cdr.dump(2);
  EXPECT_EQ(as_json(cdr["fallback_to"]), (json{{"type", "number"}, {"number", kOutside}}))
      << cdr.dump(2);
  EXPECT_EQ(cdr["caller_id"], "5550100") << cdr.dump(2);
  EXPECT_EQ(cdr["caller_id_group"], g) << cdr.dump(2);
  EXPECT_EQ(cdr["number_sent"], kOutside) << cdr.dump(2);
  EXPECT_FALSE(cdr["answered_at"].is_null()) << cdr.dump(2);
}

// The caller hangs up (CANCEL) while the members ring: each gets CANCEL, the CDR says
// abandoned.
TEST_F(SipGroupCallTest, CallerHangingUpWhileMembersRingIsAbandoned) {
  start_group_pbx();
  const std::int64_t g = make_group("Gone Desk");
  add_members(g, {"1003", "1004"});
  make_route("Gone line", kDid, to_group(g));
  SippProcess p1 = phone("1003", "uas_ring_cancel.xml");
  SippProcess p2 = phone("1004", "uas_ring_cancel.xml");
  const std::string cid = "abandon-" + random_token(8);
  SippRun run =
      trunk_call("trunk_uac_cancel.xml", {trunk_row(kDid, "4155550101")}, cid, {"-d", "1000"});
  ASSERT_EQ(run.exit_code, 0) << run.describe() << server_->log();
  SippRun r1 = finish_sipp(p1, std::chrono::seconds(5));
  SippRun r2 = finish_sipp(p2, std::chrono::seconds(5));
  EXPECT_EQ(r1.exit_code, 0) << r1.describe();
  EXPECT_EQ(r2.exit_code, 0) << r2.describe();
  EXPECT_EQ(distinct_requests(r1.messages, "CANCEL"), 1u) << r1.messages;
  EXPECT_EQ(distinct_requests(r2.messages, "CANCEL"), 1u) << r2.messages;
  // Nobody answered: the phones log a missed call (no "completed elsewhere" Reason). The
  // caller got the 200 for its CANCEL before the 487 (trunk_uac_cancel.xml checks the order).
  for (const SippRun* r : {&r1, &r2}) {
    for (const std::string& cancel : received_requests(r->messages, "CANCEL")) {
      EXPECT_EQ(header_of(cancel, "Reason"), "") << cancel;
    }
  }

  json cdr = ended_cdr(cid);
  ASSERT_TRUE(cdr.is_object());
  EXPECT_EQ(cdr["disposition"], "abandoned") << cdr.dump(2);
  EXPECT_EQ(cdr["group"], g) << cdr.dump(2);
  EXPECT_TRUE(cdr["answered_by"].is_null()) << cdr.dump(2);
  EXPECT_TRUE(cdr["answered_at"].is_null()) << cdr.dump(2);
  auto attempts = attempts_of(cdr);
  std::sort(attempts.begin(), attempts.end());
  const std::vector<std::pair<std::int64_t, std::string>> expected = {
      {user_id("1003"), "cancelled"}, {user_id("1004"), "cancelled"}};
  EXPECT_EQ(attempts, expected) << cdr.dump(2);
}

// A DID no route takes is a 404; a route whose group was deleted with ?force=true is a
// routing gap: 480, and the CDR says so.
TEST_F(SipGroupCallTest, UnroutedDidIsNotFoundAndADeletedGroupIsARoutingGap) {
  start_group_pbx();
  const std::int64_t g = make_group("Doomed Desk");
  const std::int64_t route = make_route("Doomed line", kDid, to_group(g));
  HttpResult del = api("DELETE", "/api/v1/groups/" + std::to_string(g) + "?force=true");
  ASSERT_EQ(del.status, 200) << del.body;

  const std::string cid_none = "noroute-" + random_token(8);
  SippRun none = trunk_call(refused("404"), {trunk_row("15559999", "4155550111")}, cid_none);
  EXPECT_EQ(none.exit_code, 0) << none.describe() << server_->log();
  EXPECT_NE(none.logs.find("final=SIP/2.0 404"), std::string::npos) << none.logs;
  EXPECT_EQ(none.messages.find("SIP/2.0 401"), std::string::npos) << none.messages;

  const std::string cid_gap = "gap-" + random_token(8);
  SippRun gap = trunk_call(refused("480"), {trunk_row(kDid, "4155550112")}, cid_gap);
  EXPECT_EQ(gap.exit_code, 0) << gap.describe() << server_->log();
  EXPECT_NE(gap.logs.find("final=SIP/2.0 480"), std::string::npos) << gap.logs;

  json cdr_none = ended_cdr(cid_none);
  ASSERT_TRUE(cdr_none.is_object());
  EXPECT_EQ(cdr_none["sip_status"], 404) << cdr_none.dump(2);
  EXPECT_TRUE(cdr_none["inbound_route"].is_null()) << cdr_none.dump(2);
  json cdr_gap = ended_cdr(cid_gap);
  ASSERT_TRUE(cdr_gap.is_object());
  EXPECT_EQ(cdr_gap["disposition"], "routing_gap") << cdr_gap.dump(2);
  EXPECT_EQ(cdr_gap["inbound_route"], route) << cdr_gap.dump(2);
  EXPECT_EQ(cdr_gap["did"], kDid) << cdr_gap.dump(2);
  EXPECT_EQ(cdr_gap["sip_status"], 480) << cdr_gap.dump(2);
}

// An internal caller dials the group's extension: the same distribution, the caller's
// extension shown to the member.
TEST_F(SipGroupCallTest, InternalCallToTheGroupExtensionReachesAMember) {
  start_pbx();
  const std::int64_t g = make_group("Ext Desk", {{"extension", "650"}});
  add_members(g, {"1003", "1004"});
  put_member(g, "1003", {{"paused", true}});
  SippProcess p1 = phone("1003", "uas_answer.xml", 1, std::chrono::seconds(15));
  SippProcess p2 = phone("1004", "uas_answer.xml");
  const std::string cid = "gext-" + random_token(8);
  SippRun run = call("call_uac.xml", {call_row("650", "1001")}, cid, {"-d", "300"});
  ASSERT_EQ(run.exit_code, 0) << run.describe() << server_->log();
  SippRun r1 = stop_sipp(p1);
  SippRun r2 = finish_sipp(p2, std::chrono::seconds(5));
  EXPECT_TRUE(received_requests(r1.messages, "INVITE").empty()) << r1.messages;
  EXPECT_EQ(r2.exit_code, 0) << r2.describe();
  EXPECT_EQ(invited_callers(r2.messages), std::vector<std::string>{"1001"}) << r2.messages;
  expect_group_from(r2, "Ext Desk", "1001");

  json cdr = ended_cdr(cid);
  ASSERT_TRUE(cdr.is_object());
  EXPECT_EQ(cdr["disposition"], "answered") << cdr.dump(2);
  EXPECT_EQ(cdr["direction"], "internal") << cdr.dump(2);
  EXPECT_EQ(cdr["group"], g) << cdr.dump(2);
  EXPECT_EQ(cdr["answered_by"], user_id("1004")) << cdr.dump(2);
  EXPECT_EQ(cdr["caller_user"], user_id("1001")) << cdr.dump(2);
}

}  // namespace
}  // namespace cohort::testing
