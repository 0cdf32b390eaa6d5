// Auto-pause (issue 12) through the real server: a SIPp UAC on 127.0.0.3 plays a provider's
// trunk, an inbound route sends its DID to a group with auto_pause_after set, and members
// are SIPp phones registered as demo extensions: one refuses every call (486), another
// answers. After the threshold the refusing member shows paused with the reason over the
// API, is offered no more calls, and is offered them again once resumed over the API.

#include <algorithm>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "sip_call_fixture.hpp"

namespace cohort::testing {
namespace {

constexpr const char* kTrunkIp = "127.0.0.3";
constexpr const char* kDid = "15550100";

std::string trunk_row(const std::string& caller) {
  return std::string(kDid) + ";" + caller + ";";
}

class SipAutoPauseTest : public SipCallTest {
 protected:
  /// The server, a trunk the provider calls in from and one inbound route to a new group
  /// with `settings`, whose members are `exts` in this order.
  std::int64_t start_group(const json& settings, const std::vector<std::string>& exts) {
    start_pbx();
    for (const json& r : get("/api/v1/inbound-routes").value("items", json::array())) {
      EXPECT_EQ(api("DELETE", "/api/v1/inbound-routes/" + std::to_string(id_of(r))).status, 204);
    }
    EXPECT_GT(create_trunk("Carrier in", kTrunkIp, 5060, {{"inbound_sources", {kTrunkIp}}}), 0);
    json body = {{"name", "Pause Desk"},
                 {"ring_strategy", "sequential"},
                 {"ring_timeout_s", 5},
                 {"max_wait_s", 10},
                 {"wrap_up_s", 0}};
    for (const auto& [k, v] : settings.items()) {
      body[k] = v;
    }
    const std::int64_t g = id_of(post("/api/v1/groups", body));
    for (const std::string& ext : exts) {
      HttpResult r = api("PUT", members_path(g) + "/" + std::to_string(user_id(ext)), "{}");
      EXPECT_EQ(r.status, 201) << r.body;
    }
    post("/api/v1/inbound-routes",
         {{"name", "Pause line"}, {"did", kDid}, {"destination", {{"type", "group"}, {"id", g}}}});
    return g;
  }
  static std::string members_path(std::int64_t g) {
    return "/api/v1/groups/" + std::to_string(g) + "/members";
  }

  /// One call in from the provider, answered by somebody and ended; returns its CDR.
  json trunk_call(const std::string& call_id, const std::string& caller) {
    SippRun run = call("trunk_uac.xml", {trunk_row(caller)}, call_id, {"-d", "200"}, kTrunkIp);
    EXPECT_EQ(run.exit_code, 0) << run.describe() << server_->log();
    return ended_cdr(call_id);
  }

  /// The member `user` of group `g` as GET /groups/{g}/members shows it.
  json member(std::int64_t g, std::int64_t user) {
    for (const json& m : get(members_path(g)).value("items", json::array())) {
      if (m.value("user_id", std::int64_t{0}) == user) {
        return m;
      }
    }
    return nullptr;
  }
  /// Polls `read()` until `pred` holds for it, up to 5 s (the pause is written off the SIP
  /// threads, a few milliseconds after the offer that reached the threshold).
  template <class Pred>
  json wait_for(const std::function<json()>& read, Pred pred) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    json last = read();
    while (!pred(last) && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      last = read();
    }
    return last;
  }

  static std::vector<std::pair<std::int64_t, std::string>> attempts_of(const json& cdr) {
    std::vector<std::pair<std::int64_t, std::string>> out;
    for (const json& a : cdr.value("attempts", json::array())) {
      out.emplace_back(a.value("user", std::int64_t{0}), a.value("result", std::string()));
    }
    return out;
  }
  std::string busy_phone() {
    return scenario_from_template(dir_.path(), "uas_reject.xml",
                                  {{"STATUS", "486"}, {"REASON", "Busy Here"}});
  }
};

// auto_pause_after 2: 1003 refuses two calls in a row (both go on to 1004) and is paused in
// the group with the reason; the third call goes straight to 1004; once resumed over the
// API, 1003 is offered the fourth call again.
TEST_F(SipAutoPauseTest, MemberWhoRefusesTwiceIsPausedInTheGroupUntilResumed) {
  const std::int64_t g = start_group({{"auto_pause_after", 2}}, {"1003", "1004"});
  const std::int64_t refuser = user_id("1003"), taker = user_id("1004");
  SippProcess p1 = phone("1003", busy_phone(), 3, std::chrono::seconds(60));
  SippProcess p2 = phone("1004", "uas_answer.xml", 4, std::chrono::seconds(60));
  const std::string cid = "ap-" + random_token(8);
  using Attempts = std::vector<std::pair<std::int64_t, std::string>>;

  json first = trunk_call(cid + "-1", "4155550061");
  EXPECT_EQ(attempts_of(first), (Attempts{{refuser, "busy"}, {taker, "answered"}}))
      << first.dump(2);
  EXPECT_EQ(member(g, refuser)["paused"], false) << "one miss is not enough";

  json second = trunk_call(cid + "-2", "4155550062");
  EXPECT_EQ(attempts_of(second), (Attempts{{refuser, "busy"}, {taker, "answered"}}))
      << second.dump(2);
  json paused = wait_for([&] { return member(g, refuser); },
                         [](const json& m) { return m.value("paused", false); });
  EXPECT_EQ(paused["paused"], true) << paused.dump() << server_->log();
  EXPECT_EQ(paused["pause_reason"], "auto: 2 missed calls") << paused.dump();
  EXPECT_EQ(member(g, taker)["paused"], false);
  // The user's status shows the group pause and its reason; the user itself is not paused.
  json status = get("/api/v1/users/" + std::to_string(refuser) + "/status");
  EXPECT_EQ(status["status"], "available") << status.dump();
  EXPECT_EQ(status["paused_in_groups"],
            (json::array({{{"group_id", g}, {"reason", "auto: 2 missed calls"}}})))
      << status.dump();
  EXPECT_EQ(metric("cohort_auto_pauses_total{cause=\"missed_calls\"}").value_or(-1), 1.0)
      << metrics_text();
  EXPECT_EQ(metric("cohort_auto_pauses_total{cause=\"unreachable\"}").value_or(-1), 0.0);
  EXPECT_NE(server_->log().find("sip event=auto_pause user=" + std::to_string(refuser)),
            std::string::npos)
      << server_->log();

  json third = trunk_call(cid + "-3", "4155550063");
  EXPECT_EQ(attempts_of(third), (Attempts{{taker, "answered"}})) << third.dump(2);

  // The agent resumes itself (a supervisor or an admin could too): offered again.
  HttpResult resumed =
      api("PUT", members_path(g) + "/" + std::to_string(refuser), R"({"paused": false})");
  ASSERT_EQ(resumed.status, 200) << resumed.body;
  EXPECT_EQ(resumed.json()["paused"], false);
  EXPECT_TRUE(resumed.json()["pause_reason"].is_null()) << resumed.body;
  json fourth = trunk_call(cid + "-4", "4155550064");
  EXPECT_EQ(attempts_of(fourth), (Attempts{{refuser, "busy"}, {taker, "answered"}}))
      << fourth.dump(2);
  EXPECT_EQ(member(g, refuser)["paused"], false) << "the count started again at the resume";

  SippRun r1 = finish_sipp(p1, std::chrono::seconds(5));
  EXPECT_EQ(r1.exit_code, 0) << r1.describe();
  EXPECT_EQ(received_requests(r1.messages, "INVITE").size(), 3u) << "never the third call";
  stop_sipp(p2);
}

// Scope "all": one refusal pauses the user everywhere (its status), and making it available
// again over the status API lifts it.
TEST_F(SipAutoPauseTest, ScopeAllPausesTheUserEverywhere) {
  start_group({{"auto_pause_after", 1}, {"auto_pause_scope", "all"}}, {"1005", "1006"});
  const std::int64_t refuser = user_id("1005");
  SippProcess p1 = phone("1005", busy_phone(), 1, std::chrono::seconds(30));
  SippProcess p2 = phone("1006", "uas_answer.xml", 1, std::chrono::seconds(30));
  json cdr = trunk_call("aps-" + random_token(8), "4155550071");
  ASSERT_TRUE(cdr.is_object());
  EXPECT_EQ(cdr["answered_by"], user_id("1006")) << cdr.dump(2);

  const std::string user_path = "/api/v1/users/" + std::to_string(refuser);
  json u = wait_for([&] { return get(user_path); },
                    [](const json& j) { return j.value("paused", false); });
  EXPECT_EQ(u["paused"], true) << u.dump() << server_->log();
  EXPECT_EQ(u["pause_reason"], "auto: 1 missed call") << u.dump();
  json status = get(user_path + "/status");
  EXPECT_EQ(status["status"], "paused") << status.dump();
  EXPECT_EQ(status["reason"], "auto: 1 missed call") << status.dump();

  HttpResult lifted = api("PUT", user_path + "/status", R"({"status": "available"})");
  ASSERT_EQ(lifted.status, 200) << lifted.body;
  EXPECT_EQ(get(user_path)["paused"], false);
  finish_sipp(p1, std::chrono::seconds(5));
  stop_sipp(p2);
}

}  // namespace
}  // namespace cohort::testing
