// Calls through the B2BUA, the configuration side, over the real server: trunks with every
// field and their status, outbound rules (order, moves, validation, references), active
// calls and call records.

#include <sqlite3.h>

#include <map>
#include <set>

#include "integration/api_fixture.hpp"

namespace cohort::testing {
namespace {

constexpr const char* kSecret = "prov1der-S3CRET!";

json full_trunk_body(const std::string& name) {
  return {{"name", name},
          {"host", "sip.callcentric.net"},
          {"port", 5080},
          {"transport", "tcp"},
          {"username", "17775551234"},
          {"password", kSecret},
          {"auth_realm", "callcentric.com"},
          {"register", true},
          {"register_expires_s", 600},
          {"from_domain", "callcentric.net"},
          {"max_concurrent_calls", 4},
          {"inbound_sources", {"204.11.192.0/22", "66.193.176.35"}},
          {"media", "direct"}};
}

/// Whether a response carries the trunk secret, or a "password" key at all (an error may
/// still name the field).
bool leaks_secret(const HttpResult& r) {
  return r.body.find(kSecret) != std::string::npos ||
         r.body.find("\"password\":") != std::string::npos;
}

class CallsApiTest : public ApiTest {
 protected:
  json create_trunk(const json& body) {
    HttpResult r = call("POST", "/api/v1/trunks", body);
    EXPECT_EQ(r.status, 201) << r.body;
    EXPECT_FALSE(leaks_secret(r)) << r.body;
    return r.json();
  }
  json create_rule(const json& body) {
    HttpResult r = call("POST", "/api/v1/outbound-rules", body);
    EXPECT_EQ(r.status, 201) << r.body;
    return r.json();
  }
  /// The rule names in list order, checking that positions are 1..n.
  std::vector<std::string> rule_names() {
    HttpResult r = call("GET", "/api/v1/outbound-rules");
    EXPECT_EQ(r.status, 200) << r.body;
    json j = r.json();
    EXPECT_TRUE(j["next_cursor"].is_null());
    std::vector<std::string> names;
    int expected = 1;
    for (const json& rule : j["items"]) {
      EXPECT_EQ(rule["position"], expected++) << rule.dump();
      names.push_back(rule["name"]);
    }
    return names;
  }
  static std::int64_t id(const json& obj) { return obj.at("id").get<std::int64_t>(); }
};

using Names = std::vector<std::string>;

// ---- trunks ------------------------------------------------------------------------------

TEST_F(CallsApiTest, TrunkCrudWithEveryFieldNeverReturnsThePassword) {
  json t = create_trunk(full_trunk_body("CallCentric"));
  json expected = full_trunk_body("CallCentric");
  expected.erase("password");
  for (const auto& [key, value] : expected.items()) {
    EXPECT_EQ(t[key], value) << key;
  }
  EXPECT_EQ(t["has_password"], true);
  ASSERT_TRUE(t.contains("status")) << t.dump();
  // A registering trunk reports its registration (it cannot reach the provider from a test,
  // so the state moves on from "registering"; the rest of the trunk does not change).
  ASSERT_TRUE(t["status"].is_object()) << t.dump();
  EXPECT_EQ(t["status"]["active_calls"], 0) << t.dump();
  const std::string state = t["status"]["state"].get<std::string>();
  EXPECT_TRUE(state == "registering" || state == "failed") << t.dump();
  EXPECT_TRUE(t["created_at"].is_string());

  const std::string path = id_path("/api/v1/trunks", t);
  HttpResult got = call("GET", path);
  ASSERT_EQ(got.status, 200);
  EXPECT_FALSE(leaks_secret(got)) << got.body;
  json got_json = got.json();
  got_json.erase("status");
  json t_without_status = t;
  t_without_status.erase("status");
  EXPECT_EQ(got_json, t_without_status);
  HttpResult list = call("GET", "/api/v1/trunks");
  ASSERT_EQ(list.status, 200);
  EXPECT_FALSE(leaks_secret(list)) << list.body;
  ASSERT_EQ(list.json()["items"].size(), 1u);
  EXPECT_TRUE(list.json()["items"][0].contains("status"));

  // A PATCH without the password keeps it.
  HttpResult patched = call("PATCH", path, {{"port", 5060}, {"register", false}});
  ASSERT_EQ(patched.status, 200) << patched.body;
  EXPECT_FALSE(leaks_secret(patched));
  EXPECT_EQ(patched.json()["port"], 5060);
  EXPECT_EQ(patched.json()["has_password"], true);
  EXPECT_EQ(patched.json()["username"], "17775551234");
  EXPECT_EQ(patched.json()["status"]["state"], "disabled") << patched.body;

  // The stored password survives a restart, and still is not returned.
  server_->stop();
  start();
  HttpResult after = call("GET", path);
  ASSERT_EQ(after.status, 200);
  EXPECT_FALSE(leaks_secret(after));
  EXPECT_EQ(after.json()["has_password"], true);
  EXPECT_EQ(after.json()["inbound_sources"], expected["inbound_sources"]);
  EXPECT_EQ(after.json()["auth_realm"], "callcentric.com");

  // null removes it; a new one sets it again.
  EXPECT_EQ(call("PATCH", path, {{"password", nullptr}}).json()["has_password"], false);
  HttpResult again = call("PATCH", path, {{"password", kSecret}});
  EXPECT_EQ(again.json()["has_password"], true);
  EXPECT_FALSE(leaks_secret(again));
  EXPECT_EQ(call("PATCH", path, {{"auth_realm", nullptr}}).json()["auth_realm"], nullptr);
}

TEST_F(CallsApiTest, TrunkDefaultsForANameOnlyTrunk) {
  json t = create_trunk({{"name", "Bare"}});
  EXPECT_EQ(t["host"], "");
  EXPECT_EQ(t["port"], 5060);
  EXPECT_EQ(t["transport"], "udp");
  EXPECT_EQ(t["username"], "");
  EXPECT_EQ(t["has_password"], false);
  EXPECT_TRUE(t["auth_realm"].is_null());
  EXPECT_EQ(t["register"], false);
  EXPECT_EQ(t["register_expires_s"], 3600);
  EXPECT_EQ(t["from_domain"], "");
  EXPECT_EQ(t["max_concurrent_calls"], 0);
  EXPECT_EQ(t["inbound_sources"], json::array());
  EXPECT_EQ(t["media"], "relay");
}

// Issue 13: a trunk relays its calls' RTP through Cohort unless told to leave it direct; a
// PATCH changes the setting only when it names it, and any other word or type changes
// nothing.
TEST_F(CallsApiTest, TrunkMediaIsRelayUnlessSetAndOnlyTakesItsTwoWords) {
  json t = create_trunk({{"name", "Provider"}});
  EXPECT_EQ(t["media"], "relay");
  const std::string path = id_path("/api/v1/trunks", t);

  HttpResult direct = call("PATCH", path, {{"media", "direct"}});
  ASSERT_EQ(direct.status, 200) << direct.body;
  EXPECT_EQ(direct.json()["media"], "direct");
  EXPECT_EQ(direct.json()["name"], "Provider");
  EXPECT_EQ(call("GET", path).json()["media"], "direct");
  EXPECT_EQ(call("GET", "/api/v1/trunks").json()["items"][0]["media"], "direct");

  // A PATCH of another field keeps it.
  HttpResult renamed = call("PATCH", path, {{"name", "Provider 2"}});
  ASSERT_EQ(renamed.status, 200) << renamed.body;
  EXPECT_EQ(renamed.json()["media"], "direct");

  const json before = call("GET", path).json();
  for (const json& bad : {json("sideways"), json(1), json(nullptr), json(true), json("Relay"),
                          json(""), json::array({"relay"})}) {
    SCOPED_TRACE(bad.dump());
    expect_error(call("PATCH", path, {{"media", bad}}), 400, "media");
    // Nor does a bad media let the other fields of the same request through.
    expect_error(call("PATCH", path, {{"port", 5080}, {"media", bad}}), 400, "media");
    EXPECT_EQ(call("GET", path).json(), before);
  }

  // Survives a restart, and goes back to relay when told.
  server_->stop();
  start();
  EXPECT_EQ(call("GET", path).json()["media"], "direct");
  HttpResult relay = call("PATCH", path, {{"media", "relay"}});
  ASSERT_EQ(relay.status, 200) << relay.body;
  EXPECT_EQ(relay.json()["media"], "relay");

  // Given on create.
  json created = create_trunk({{"name", "Direct"}, {"media", "direct"}});
  EXPECT_EQ(created["media"], "direct");
  EXPECT_EQ(call("GET", id_path("/api/v1/trunks", created)).json()["media"], "direct");
}

TEST_F(CallsApiTest, TrunkValidationNamesTheField) {
  struct Case {
    json change;
    const char* field;
  };
  const std::vector<Case> cases = {
      {{{"host", "sip provider.example"}}, "host"},
      {{{"port", 0}}, "port"},
      {{{"port", 70000}}, "port"},
      {{{"port", "5060"}}, "port"},
      {{{"transport", "tls"}}, "transport"},
      {{{"media", "sideways"}}, "media"},
      {{{"media", 2}}, "media"},
      {{{"media", nullptr}}, "media"},
      {{{"username", "with space"}}, "username"},
      {{{"password", "has\"quote"}}, "password"},
      {{{"auth_realm", ""}}, "auth_realm"},
      {{{"register_expires_s", 30}}, "register_expires_s"},
      {{{"from_domain", "not a domain"}}, "from_domain"},
      {{{"max_concurrent_calls", -1}}, "max_concurrent_calls"},
      {{{"inbound_sources", {"10.0.0.1", "10.0.0.0/33"}}}, "inbound_sources[1]"},
      {{{"inbound_sources", {"10.0.0.1", 7}}}, "inbound_sources[1]"},
      {{{"inbound_sources", "10.0.0.1"}}, "inbound_sources"},
      {{{"register", true}, {"host", ""}}, "register"},
      {{{"register", "yes"}}, "register"},
      {{{"has_password", true}}, "has_password"},
      {{{"status", nullptr}}, "status"},
      {{{"secret", "x"}}, "secret"},
  };
  for (const Case& c : cases) {
    json body = full_trunk_body("T");
    body.update(c.change);
    SCOPED_TRACE(body.dump());
    HttpResult r = call("POST", "/api/v1/trunks", body);
    expect_error(r, 400, c.field);
    EXPECT_FALSE(leaks_secret(r)) << r.body;
  }
  EXPECT_EQ(call("GET", "/api/v1/trunks").json()["items"].size(), 0u);
  // The same rules on PATCH, and nothing changes.
  json t = create_trunk(full_trunk_body("T"));
  expect_error(call("PATCH", id_path("/api/v1/trunks", t), {{"username", ""}}), 400, "register");
  EXPECT_EQ(call("GET", id_path("/api/v1/trunks", t)).json(), t);
}

// ---- outbound rules ----------------------------------------------------------------------

TEST_F(CallsApiTest, OutboundRuleCrudWithEveryField) {
  json t1 = create_trunk({{"name", "One"}});
  json t2 = create_trunk({{"name", "Two"}});
  json sales = create_group("Sales");
  json ana = create_user("Ana", "ana@example.com", "1001");
  json body = {{"name", "Sales out"},
               {"patterns", {"_9NXXXXXX", "_0[1-5]X!", "112"}},
               {"caller_groups", {id(sales)}},
               {"caller_users", {id(ana)}},
               {"strip", 1},
               {"prepend", "+1"},
               {"trunks", {id(t2), id(t1)}},
               {"caller_id", {{"policy", "fixed"}, {"value", "+15550100"}}},
               {"allow_trunk_callers", true}};
  json r = create_rule(body);
  for (const auto& [key, value] : body.items()) {
    EXPECT_EQ(r[key], value) << key;
  }
  EXPECT_EQ(r["position"], 1);
  EXPECT_TRUE(r["created_at"].is_string());
  const std::string path = id_path("/api/v1/outbound-rules", r);
  EXPECT_EQ(call("GET", path).json(), r);

  json defaults = create_rule({{"name", "Plain"}, {"patterns", {"_X."}}, {"trunks", {id(t1)}}});
  EXPECT_EQ(defaults["position"], 2);
  EXPECT_EQ(defaults["caller_groups"], json::array());
  EXPECT_EQ(defaults["caller_users"], json::array());
  EXPECT_EQ(defaults["strip"], 0);
  EXPECT_EQ(defaults["prepend"], "");
  EXPECT_TRUE(defaults["caller_id"].is_null());
  EXPECT_EQ(defaults["allow_trunk_callers"], false);

  HttpResult patched =
      call("PATCH", path, {{"caller_id", {{"policy", "group"}}}, {"prepend", ""}, {"strip", 0}});
  ASSERT_EQ(patched.status, 200) << patched.body;
  EXPECT_EQ(patched.json()["caller_id"], (json{{"policy", "group"}, {"value", nullptr}}));
  EXPECT_EQ(patched.json()["patterns"], body["patterns"]);
  EXPECT_EQ(call("PATCH", path, {{"caller_id", nullptr}}).json()["caller_id"], nullptr);

  // Survives a restart.
  json before = call("GET", "/api/v1/outbound-rules").json();
  server_->stop();
  start();
  EXPECT_EQ(call("GET", "/api/v1/outbound-rules").json(), before);

  EXPECT_EQ(call("DELETE", path).status, 204);
  expect_error(call("GET", path), 404, "");
  expect_error(call("DELETE", path), 404, "");
  expect_error(call("PATCH", path, {{"name", "x"}}), 404, "");
  expect_error(call("GET", "/api/v1/outbound-rules/abc"), 404, "");
  EXPECT_EQ(rule_names(), (Names{"Plain"}));
}

TEST_F(CallsApiTest, OutboundRulesKeepTheirOrderThroughInsertsMovesAndDeletes) {
  json t = create_trunk({{"name", "One"}});
  auto rule = [&](const std::string& name, std::optional<int> position = std::nullopt) {
    json body = {{"name", name}, {"patterns", {"_X."}}, {"trunks", {id(t)}}};
    if (position) {
      body["position"] = *position;
    }
    return create_rule(body);
  };
  json a = rule("A");
  json b = rule("B", 1);
  json c = rule("C", 2);
  json d = rule("D", 1000);  // clamped to the end
  EXPECT_EQ(d["position"], 4);
  EXPECT_EQ(rule_names(), (Names{"B", "C", "A", "D"}));

  HttpResult moved = call("PATCH", id_path("/api/v1/outbound-rules", a), {{"position", 1}});
  ASSERT_EQ(moved.status, 200) << moved.body;
  EXPECT_EQ(moved.json()["position"], 1);
  EXPECT_EQ(rule_names(), (Names{"A", "B", "C", "D"}));
  ASSERT_EQ(call("PATCH", id_path("/api/v1/outbound-rules", b), {{"position", 4}}).status, 200);
  EXPECT_EQ(rule_names(), (Names{"A", "C", "D", "B"}));
  // A PATCH without position leaves the rule where it is.
  ASSERT_EQ(call("PATCH", id_path("/api/v1/outbound-rules", d), {{"strip", 1}}).status, 200);
  EXPECT_EQ(rule_names(), (Names{"A", "C", "D", "B"}));

  EXPECT_EQ(call("DELETE", id_path("/api/v1/outbound-rules", c)).status, 204);
  EXPECT_EQ(rule_names(), (Names{"A", "D", "B"}));
  expect_error(call("PATCH", id_path("/api/v1/outbound-rules", a), {{"position", 0}}), 400,
               "position");
}

TEST_F(CallsApiTest, OutboundRuleValidationNamesTheField) {
  json t = create_trunk({{"name", "One"}});
  json g = create_group("Sales");
  create_rule({{"name", "Taken"}, {"patterns", {"_X."}}, {"trunks", {id(t)}}});
  struct Case {
    json change;
    const char* field;
  };
  const std::vector<Case> cases = {
      {{{"patterns", {"_X.", "_9[12"}}}, "patterns[1]"},
      {{{"patterns", {"_X.", "1", "_X.X"}}}, "patterns[2]"},
      {{{"patterns", json::array()}}, "patterns"},
      {{{"patterns", "_X."}}, "patterns"},
      {{{"patterns", {"_X.", 9}}}, "patterns[1]"},
      {{{"trunks", json::array()}}, "trunks"},
      {{{"trunks", {id(t), 999}}}, "trunks[1]"},
      {{{"trunks", {id(t), id(t)}}}, "trunks[1]"},
      {{{"trunks", {"1"}}}, "trunks[0]"},
      {{{"caller_groups", {999}}}, "caller_groups[0]"},
      {{{"caller_groups", {0}}}, "caller_groups[0]"},
      {{{"caller_users", {999}}}, "caller_users[0]"},
      {{{"strip", 33}}, "strip"},
      {{{"strip", -1}}, "strip"},
      {{{"prepend", "9a"}}, "prepend"},
      {{{"caller_id", {{"policy", "fixed"}}}}, "caller_id.value"},
      {{{"caller_id", {{"policy", "fixed"}, {"value", "abc"}}}}, "caller_id.value"},
      {{{"caller_id", {{"policy", "user"}, {"value", "123"}}}}, "caller_id.value"},
      {{{"caller_id", {{"policy", "group"}}}}, "caller_id.policy"},
      {{{"caller_id", {{"policy", "boss"}}}}, "caller_id.policy"},
      {{{"caller_id", {{"policy", "user"}, {"colour", "red"}}}}, "caller_id.colour"},
      {{{"caller_id", "user"}}, "caller_id"},
      {{{"position", 0}}, "position"},
      {{{"allow_trunk_callers", 1}}, "allow_trunk_callers"},
      {{{"id", 5}}, "id"},
      {{{"pattern", {"_X."}}}, "pattern"},
  };
  for (const Case& c : cases) {
    json body = {{"name", "New"}, {"patterns", {"_X."}}, {"trunks", {id(t)}}};
    body.update(c.change);
    SCOPED_TRACE(body.dump());
    expect_error(call("POST", "/api/v1/outbound-rules", body), 400, c.field);
  }
  HttpResult pattern = call("POST", "/api/v1/outbound-rules",
                            {{"name", "New"}, {"patterns", {"_X.", "_9[12"}}, {"trunks", {id(t)}}});
  EXPECT_EQ(pattern.json()["error"]["message"], "patterns[1]: unclosed '['");
  expect_error(call("POST", "/api/v1/outbound-rules", {{"patterns", {"_X."}}, {"trunks", {id(t)}}}),
               400, "name");
  expect_error(call("POST", "/api/v1/outbound-rules",
                    {{"name", "TAKEN"}, {"patterns", {"_X."}}, {"trunks", {id(t)}}}),
               409, "name");
  // A group policy with its group is fine.
  create_rule({{"name", "Group"},
               {"patterns", {"_X."}},
               {"trunks", {id(t)}},
               {"caller_groups", {id(g)}},
               {"caller_id", {{"policy", "group"}}}});
  EXPECT_EQ(rule_names(), (Names{"Taken", "Group"}));
}

TEST_F(CallsApiTest, DeletingWhatARuleUsesIsRefusedUnlessForcedAndLeavesGaps) {
  json t = create_trunk({{"name", "Carrier"}});
  json backup = create_trunk({{"name", "Backup"}});
  json sales = create_group("Sales");
  json ana = create_user("Ana", "ana@example.com", "1001");
  json r = create_rule({{"name", "Sales out"},
                        {"patterns", {"_X."}},
                        {"caller_groups", {id(sales)}},
                        {"caller_users", {id(ana)}},
                        {"trunks", {id(t), id(backup)}}});

  for (const auto& [path, field] : std::vector<std::pair<std::string, std::string>>{
           {id_path("/api/v1/trunks", t), "trunks"},
           {id_path("/api/v1/groups", sales), "caller_groups"},
           {id_path("/api/v1/users", ana), "caller_users"}}) {
    SCOPED_TRACE(path);
    HttpResult refused = call("DELETE", path);
    expect_error(refused, 409, "");
    json refs = refused.json()["error"]["referrers"];
    ASSERT_EQ(refs.size(), 1u) << refused.body;
    EXPECT_EQ(
        refs[0],
        (json{
            {"kind", "outbound_rule"}, {"id", r["id"]}, {"name", "Sales out"}, {"field", field}}));
    EXPECT_EQ(call("GET", path).status, 200);
  }
  EXPECT_EQ(call("GET", "/api/v1/routing-gaps").json()["items"].size(), 0u);

  // A trunk used by a group and a rule: the group is cleared, the rule keeps a gap.
  json g = create_group("Uses carrier", {{"trunk", id(t)}});
  HttpResult trunk_gone = call("DELETE", id_path("/api/v1/trunks", t) + "?force=true");
  ASSERT_EQ(trunk_gone.status, 200) << trunk_gone.body;
  EXPECT_EQ(trunk_gone.json()["cleared"].size(), 1u);
  EXPECT_EQ(trunk_gone.json()["cleared"][0]["id"], g["id"]);
  ASSERT_EQ(trunk_gone.json()["routing_gaps"].size(), 1u);
  EXPECT_EQ(trunk_gone.json()["routing_gaps"][0]["kind"], "outbound_rule");
  EXPECT_TRUE(call("GET", id_path("/api/v1/groups", g)).json()["trunk"].is_null());

  HttpResult group_gone = call("DELETE", id_path("/api/v1/groups", sales) + "?force=true");
  ASSERT_EQ(group_gone.status, 200) << group_gone.body;
  EXPECT_EQ(group_gone.json()["routing_gaps"][0]["field"], "caller_groups");
  ASSERT_EQ(call("DELETE", id_path("/api/v1/users", ana) + "?force=true").status, 200);

  // The rule keeps every dangling id; each is a gap naming what is missing.
  json kept = call("GET", id_path("/api/v1/outbound-rules", r)).json();
  EXPECT_EQ(kept["trunks"], (json{id(t), id(backup)}));
  EXPECT_EQ(kept["caller_groups"], (json{id(sales)}));
  json gaps = call("GET", "/api/v1/routing-gaps").json()["items"];
  ASSERT_EQ(gaps.size(), 3u) << gaps.dump();
  std::map<std::string, json> by_field;
  for (const json& gap : gaps) {
    EXPECT_EQ(gap["holder"],
              (json{{"kind", "outbound_rule"}, {"id", r["id"]}, {"name", "Sales out"}}));
    EXPECT_TRUE(gap["destination"].is_null());
    by_field[gap["field"]] = gap["missing"];
  }
  EXPECT_EQ(by_field["caller_groups"], (json{{"kind", "group"}, {"id", sales["id"]}}));
  EXPECT_EQ(by_field["caller_users"], (json{{"kind", "user"}, {"id", ana["id"]}}));
  EXPECT_EQ(by_field["trunks"], (json{{"kind", "trunk"}, {"id", t["id"]}}));

  // The rule can still be edited; a newly added dangling id is still refused.
  HttpResult renamed = call("PATCH", id_path("/api/v1/outbound-rules", r), {{"name", "Renamed"}});
  ASSERT_EQ(renamed.status, 200) << renamed.body;
  expect_error(
      call("PATCH", id_path("/api/v1/outbound-rules", r), {{"trunks", {id(t), id(backup), 999}}}),
      400, "trunks[2]");
  // Replacing the lists closes the gaps.
  ASSERT_EQ(call("PATCH", id_path("/api/v1/outbound-rules", r),
                 {{"trunks", {id(backup)}},
                  {"caller_groups", json::array()},
                  {"caller_users", json::array()}})
                .status,
            200);
  EXPECT_EQ(call("GET", "/api/v1/routing-gaps").json()["items"].size(), 0u);
}

// ---- active calls and call records -------------------------------------------------------

TEST_F(CallsApiTest, CallsIsAnEmptyListWithoutCalls) {
  HttpResult r = call("GET", "/api/v1/calls");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json(), (json{{"items", json::array()}, {"next_cursor", nullptr}}));
}

TEST_F(CallsApiTest, CdrsIsAnEmptyPageAndBadParametersAreNamed) {
  HttpResult r = call("GET", "/api/v1/cdrs");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json(), (json{{"items", json::array()}, {"next_cursor", nullptr}}));
  EXPECT_EQ(call("GET",
                 "/api/v1/cdrs?from=2026-01-01T00:00:00Z&to=2026-02-01T00:00:00%2B01:00&user=3&"
                 "group=2&direction=outbound&disposition=answered&limit=1000&cursor=5")
                .status,
            200);
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"from=yesterday", "from"},
      {"from=2026-01-01", "from"},
      {"to=2026-13-01T00:00:00Z", "to"},
      {"from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z", "to"},
      {"from=2026-01-01T00:00:00Z&to=2026-01-01T00:00:00Z", "to"},
      {"user=abc", "user"},
      {"user=0", "user"},
      {"group=-1", "group"},
      {"direction=sideways", "direction"},
      {"disposition=ANSWERED", "disposition"},
      {"limit=0", "limit"},
      {"limit=1001", "limit"},
      {"cursor=x", "cursor"},
      {"cursor=0", "cursor"},
  };
  for (const auto& [query, field] : bad) {
    SCOPED_TRACE(query);
    expect_error(call("GET", "/api/v1/cdrs?" + query), 400, field);
  }
}

/// Writes call records straight into the server's database, as the CDR writer would.
class CdrsApiTest : public CallsApiTest {
 protected:
  static constexpr std::int64_t kT0 = 1'790'000'000'000;  // 2026-09-21T14:13:20Z

  void insert(const std::string& id, std::int64_t start_ms, std::optional<std::int64_t> caller,
              std::optional<std::int64_t> callee, const std::string& direction,
              const std::string& disposition, std::optional<std::int64_t> group) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((dir_.path() + "/cohort.db").c_str(), &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    sqlite3_stmt* s = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(
                  db,
                  "INSERT INTO cdrs(id, a_leg_call_id, b_leg_call_id, direction, caller_user, "
                  "callee_user, caller, dialled, number_sent, caller_id, caller_id_group, "
                  "trunk_id, rule_id, start_ms, ringing_ms, answer_ms, end_ms, disposition, "
                  "hangup_cause, sip_status) VALUES (?1, 'a@x', 'b@y', ?2, ?3, ?4, '1003', "
                  "'915551234', '+15551234', '010000', ?5, 1, 2, ?6, ?6 + 500, ?7, ?8, ?9, "
                  "'caller_bye', 200)",
                  -1, &s, nullptr),
              SQLITE_OK)
        << sqlite3_errmsg(db);
    auto bind_opt = [&](int i, std::optional<std::int64_t> v) {
      if (v) {
        sqlite3_bind_int64(s, i, *v);
      } else {
        sqlite3_bind_null(s, i);
      }
    };
    sqlite3_bind_text(s, 1, id.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 2, direction.c_str(), -1, SQLITE_TRANSIENT);
    bind_opt(3, caller);
    bind_opt(4, callee);
    bind_opt(5, group);
    sqlite3_bind_int64(s, 6, start_ms);
    const bool answered = disposition == "answered" || disposition.empty();
    sqlite3_bind_int64(s, 7, answered ? start_ms + 3'000 : 0);
    sqlite3_bind_int64(s, 8, disposition.empty() ? 0 : start_ms + 60'123);
    sqlite3_bind_text(s, 9, disposition.c_str(), -1, SQLITE_TRANSIENT);
    EXPECT_EQ(sqlite3_step(s), SQLITE_DONE) << sqlite3_errmsg(db);
    sqlite3_finalize(s);
    sqlite3_close(db);
  }

  static std::vector<std::string> ids(const json& page) {
    std::vector<std::string> out;
    for (const json& item : page["items"]) {
      out.push_back(item["id"]);
    }
    return out;
  }
};

TEST_F(CdrsApiTest, RecordsAreFilteredPagedAndScopedToTheAgent) {
  json sup_user = create_user("Sup", "sup@example.com", "1001", {{"role", "supervisor"}});
  json agent = create_user("Agent", "agent@example.com", "1002");
  const std::int64_t a = id(agent);
  const std::int64_t other = a + 100;
  insert("c1", kT0, a, std::nullopt, "outbound", "answered", 7);
  insert("c2", kT0 + 1'000, other, a, "internal", "busy", std::nullopt);
  insert("c3", kT0 + 2'000, other, std::nullopt, "outbound", "no_answer", 7);
  insert("c4", kT0 + 3'000, other, std::nullopt, "inbound", "", std::nullopt);  // still up

  json all = call("GET", "/api/v1/cdrs").json();
  EXPECT_EQ(ids(all), (std::vector<std::string>{"c4", "c3", "c2", "c1"}));
  const json& c1 = all["items"][3];
  EXPECT_EQ(c1["started_at"], "2026-09-21T14:13:20.000Z");
  EXPECT_EQ(c1["ringing_at"], "2026-09-21T14:13:20.500Z");
  EXPECT_EQ(c1["ended_at"], "2026-09-21T14:14:20.123Z");
  EXPECT_EQ(c1["caller_user"], a);
  EXPECT_TRUE(c1["callee_user"].is_null());
  EXPECT_EQ(c1["caller_id_group"], 7);
  EXPECT_EQ(c1["trunk"], 1);
  EXPECT_EQ(c1["rule"], 2);
  EXPECT_EQ(c1["number_sent"], "+15551234");
  EXPECT_EQ(c1["sip_status"], 200);
  const json& c4 = all["items"][0];
  EXPECT_TRUE(c4["disposition"].is_null());
  EXPECT_TRUE(c4["ended_at"].is_null());
  EXPECT_TRUE(all["items"][1]["answered_at"].is_null());

  auto page = [&](const std::string& query, const std::string& token = kAdminToken) {
    HttpResult r = call("GET", "/api/v1/cdrs" + query, nullptr, token);
    EXPECT_EQ(r.status, 200) << r.body;
    return r.json();
  };
  using Ids = std::vector<std::string>;
  EXPECT_EQ(ids(page("?direction=outbound")), (Ids{"c3", "c1"}));
  EXPECT_EQ(ids(page("?disposition=busy")), (Ids{"c2"}));
  EXPECT_EQ(ids(page("?group=7")), (Ids{"c3", "c1"}));
  EXPECT_EQ(ids(page("?user=" + std::to_string(a))), (Ids{"c2", "c1"}));
  EXPECT_EQ(ids(page("?from=2026-09-21T14:13:21Z")), (Ids{"c4", "c3", "c2"}));
  EXPECT_EQ(ids(page("?to=2026-09-21T14:13:21Z")), (Ids{"c1"}));
  // 14:13:21.5 in UTC, written with an offset ('+' as %2B and as a decoded space).
  EXPECT_EQ(ids(page("?from=2026-09-21T16:13:21.5%2B02:00")), (Ids{"c4", "c3"}));
  EXPECT_EQ(ids(page("?from=2026-09-21T16:13:21.5+02:00")), (Ids{"c4", "c3"}));

  // Pages of two, by cursor.
  json first = page("?limit=2");
  EXPECT_EQ(ids(first), (Ids{"c4", "c3"}));
  ASSERT_TRUE(first["next_cursor"].is_string()) << first.dump();
  json second = page("?limit=2&cursor=" + first["next_cursor"].get<std::string>());
  EXPECT_EQ(ids(second), (Ids{"c2", "c1"}));
  EXPECT_TRUE(second["next_cursor"].is_null()) << "a full last page has no next cursor";

  // A supervisor sees everything; an agent only the calls it made or took.
  const std::string sup = token_for(id(sup_user));
  const std::string mine = token_for(a);
  EXPECT_EQ(ids(page("", sup)).size(), 4u);
  EXPECT_EQ(ids(page("", mine)), (Ids{"c2", "c1"}));
  EXPECT_EQ(ids(page("?user=" + std::to_string(a), mine)), (Ids{"c2", "c1"}));
  EXPECT_EQ(ids(page("?direction=internal", mine)), (Ids{"c2"}));
  expect_error(call("GET", "/api/v1/cdrs?user=" + std::to_string(other), nullptr, mine), 403, "");
}

// ---- roles -------------------------------------------------------------------------------

TEST_F(CallsApiTest, SupervisorsReadAndOnlyAdminsWrite) {
  json t = create_trunk(full_trunk_body("Carrier"));
  json r = create_rule({{"name", "R"}, {"patterns", {"_X."}}, {"trunks", {id(t)}}});
  json sup = create_user("Sup", "sup@example.com", "1001", {{"role", "supervisor"}});
  json agent = create_user("Agent", "agent@example.com", "1002");
  const std::string sup_token = token_for(id(sup));
  const std::string agent_token = token_for(id(agent));
  const std::string trunk = id_path("/api/v1/trunks", t);
  const std::string rule = id_path("/api/v1/outbound-rules", r);

  for (const std::string& target :
       {std::string("/api/v1/trunks"), trunk, std::string("/api/v1/outbound-rules"), rule,
        std::string("/api/v1/calls"), std::string("/api/v1/cdrs")}) {
    SCOPED_TRACE(target);
    HttpResult read = call("GET", target, nullptr, sup_token);
    EXPECT_EQ(read.status, 200) << read.body;
    EXPECT_FALSE(leaks_secret(read)) << read.body;
    if (target != "/api/v1/cdrs") {
      expect_error(call("GET", target, nullptr, agent_token), 403, "");
    }
    expect_error(call("GET", target, nullptr, ""), 401, "");
  }
  json rule_body = {{"name", "New"}, {"patterns", {"_X."}}, {"trunks", {id(t)}}};
  for (const std::string& token : {sup_token, agent_token}) {
    expect_error(call("POST", "/api/v1/trunks", {{"name", "X"}}, token), 403, "");
    expect_error(call("PATCH", trunk, {{"port", 5061}}, token), 403, "");
    expect_error(call("DELETE", trunk, nullptr, token), 403, "");
    expect_error(call("POST", "/api/v1/outbound-rules", rule_body, token), 403, "");
    expect_error(call("PATCH", rule, {{"name", "Y"}}, token), 403, "");
    expect_error(call("DELETE", rule, nullptr, token), 403, "");
  }
  EXPECT_EQ(call("GET", rule).json(), r);
  EXPECT_EQ(call("GET", trunk).json()["port"], 5080);
}

}  // namespace
}  // namespace cohort::testing
