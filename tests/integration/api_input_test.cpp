// Hostile text in every string field of every request body (issue 12): the server reads its
// own OpenAPI document, finds each operation with a JSON body and each string field of its
// schema, and sends non-ASCII, overlong and invalid UTF-8 values. None may get a 5xx; a
// refusal is a 4xx naming the field and changes nothing.

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "integration/api_fixture.hpp"

namespace cohort::testing {
namespace {

/// Where a string field sits in a body, and the object that must surround it: a field of one
/// variant of a `oneOf` (a Destination's `number`) needs that variant around it.
struct StringField {
  std::string name;           ///< as the API names it: "patterns[0]", "destination.number"
  json::json_pointer at;      ///< where to put the value in the body
  json::json_pointer parent;  ///< where `parent_value` goes, when a variant is needed
  json parent_value;
};

/// One value to try, and what the server may answer to it.
struct Probe {
  std::string label;
  std::string raw;    ///< the bytes between the quotes of the JSON string
  bool must_refuse;   ///< no field takes it: a 4xx is required, a 2xx is a failure
  bool invalid_json;  ///< not UTF-8: the body is not JSON at all, so the answer is a 400
};

const std::vector<Probe>& probes() {
  static const std::vector<Probe> kProbes = {
      {"e-acute", "\xC3\xA9", false, false},
      {"japanese", "\xE6\x97\xA5\xE6\x9C\xAC", false, false},
      {"100000 letters", std::string(100'000, 'a'), true, false},
      {"100000 digits", std::string(100'000, '9'), true, false},
      {"bytes C3 28", "\xC3\x28", true, true},
      {"byte FF", "x\xFFy", true, true},
  };
  return kProbes;
}

class ApiInputTest : public ApiTest {
 protected:
  void SetUp() override {
    ApiTest::SetUp();
    HttpResult r = call("GET", "/api/v1/openapi.json", nullptr, "");
    ASSERT_EQ(r.status, 200);
    doc_ = r.json();

    // The objects the path parameters name, so that PUT and PATCH reach validation.
    user_ = create_user("Fixture User", "fixture.user@example.com", "1001")["id"];
    group_ = create_group("Fixture Group")["id"];
    HttpResult t = call("POST", "/api/v1/trunks", {{"name", "Fixture Trunk"}});
    ASSERT_EQ(t.status, 201) << t.body;
    trunk_ = t.json()["id"];
    HttpResult sc =
        call("POST", "/api/v1/schedules", {{"name", "Fixture Hours"}, {"timezone", "UTC"}});
    ASSERT_EQ(sc.status, 201) << sc.body;
    schedule_ = sc.json()["id"];
    HttpResult rule = call("POST", "/api/v1/outbound-rules",
                           {{"name", "Fixture Rule"}, {"patterns", {"_X."}}, {"trunks", {trunk_}}});
    ASSERT_EQ(rule.status, 201) << rule.body;
    rule_ = rule.json()["id"];
    HttpResult route = call("POST", "/api/v1/inbound-routes",
                            {{"name", "Fixture Route"},
                             {"did", "_X."},
                             {"destination", {{"type", "user"}, {"id", user_}}}});
    ASSERT_EQ(route.status, 201) << route.body;
    route_ = route.json()["id"];
    HttpResult menu = call("POST", "/api/v1/ivr-menus", {{"name", "Fixture Menu"}});
    ASSERT_EQ(menu.status, 201) << menu.body;
    menu_ = menu.json()["id"];
  }

  /// A `$ref` resolved against the document.
  const json& resolve(const json& schema) const {
    if (schema.contains("$ref")) {
      const std::string ref = schema["$ref"];
      return doc_.at(json::json_pointer(ref.substr(1)));
    }
    return schema;
  }

  /// A valid value for a Destination variant, by its `type`.
  json destination_example(const std::string& type) const {
    if (type == "user") {
      return {{"type", "user"}, {"id", user_}};
    }
    if (type == "group") {
      return {{"type", "group"}, {"id", group_}};
    }
    if (type == "voicemail") {
      return {{"type", "voicemail"}, {"box", "user"}, {"id", user_}};
    }
    if (type == "number") {
      return {{"type", "number"}, {"number", "+15551234"}};
    }
    if (type == "hangup") {
      return {{"type", "hangup"}};
    }
    if (type == "ivr") {
      return {{"type", "ivr"}, {"id", menu_}};
    }
    ADD_FAILURE() << "no example for a destination of type " << type;
    return nullptr;
  }

  /// Every string field of `schema`, depth first; arrays contribute their first element.
  void string_fields(const json& schema_in, const std::string& name, const json::json_pointer& at,
                     const StringField* variant, std::vector<StringField>& out) const {
    const json& schema = resolve(schema_in);
    for (const char* combinator : {"allOf", "anyOf"}) {
      if (schema.contains(combinator)) {
        for (const json& s : schema[combinator]) {
          string_fields(s, name, at, variant, out);
        }
      }
    }
    if (schema.contains("oneOf")) {
      for (const json& option : schema["oneOf"]) {
        const json& o = resolve(option);
        const std::string type = o.at("properties").at("type").at("enum").at(0);
        StringField with{name, at, at, destination_example(type)};
        string_fields(o, name, at, &with, out);
      }
    }
    const json type = schema.value("type", json());
    auto add = [&] {
      StringField f{name, at, json::json_pointer(), nullptr};
      if (variant != nullptr) {
        f.parent = variant->parent;
        f.parent_value = variant->parent_value;
      }
      for (const StringField& seen : out) {
        if (seen.name == name) {
          return;  // `type` of every Destination variant: once is enough
        }
      }
      out.push_back(std::move(f));
    };
    if (type == "string") {
      add();
    } else if (type == "array" && schema.contains("items")) {
      string_fields(schema["items"], name + "[0]", at / 0, variant, out);
    }
    if (schema.contains("properties")) {
      for (const auto& [key, prop] : schema["properties"].items()) {
        string_fields(prop, name.empty() ? key : name + "." + key, at / key, variant, out);
      }
    }
  }

  /// A valid body for `method path` whose unique fields carry `n`; null when the test does
  /// not know the operation (which fails the test: a new operation needs a body here).
  json base_body(const std::string& method, const std::string& path, const std::string& field,
                 int n) const {
    const std::string k = std::to_string(n);
    const bool item = method == "POST" || method == "PATCH";
    if (item && path.starts_with("/api/v1/users")) {
      return {{"name", "Probe " + k},
              {"email", "probe." + k + "@example.com"},
              {"extension", std::to_string(30000 + n)}};
    }
    if (item && path.starts_with("/api/v1/groups")) {
      return {{"name", "Probe group " + k}};
    }
    if (item && path.starts_with("/api/v1/trunks")) {
      return {{"name", "Probe trunk " + k}, {"host", "sip.example.com"}};
    }
    if (path == "/api/v1/outbound-rules/explain") {
      return {{"number", "2125551234"}, {"caller_user_id", user_}};
    }
    if (item && path.starts_with("/api/v1/outbound-rules")) {
      return {{"name", "Probe rule " + k},
              {"patterns", {"_X."}},
              {"trunks", {trunk_}},
              {"prepend", "9"},
              {"caller_id", {{"policy", "fixed"}, {"value", "+15550100"}}}};
    }
    if (item && path.starts_with("/api/v1/inbound-routes")) {
      return {{"name", "Probe route " + k},
              {"did", "_X."},
              {"caller", "_X."},
              {"destination", {{"type", "user"}, {"id", user_}}}};
    }
    if (item && path.starts_with("/api/v1/schedules")) {
      return {{"name", "Probe hours " + k},
              {"timezone", "UTC"},
              {"weekly", {{{"days", {"mon"}}, {"from", "09:00"}, {"to", "17:00"}}}},
              {"holidays", {{{"name", "Closed"}, {"date", "2026-12-25"}}}},
              {"override", "auto"}};
    }
    if ((item || method == "PUT") && path.starts_with("/api/v1/ivr-menus")) {
      return {{"name", "Probe menu " + k},
              {"options", {{"1", {{"type", "group"}, {"id", group_}}}}}};
    }
    if (method == "PUT" && path == "/api/v1/users/{id}/status") {
      return {{"status", "paused"}, {"reason", "lunch"}};
    }
    if (method == "PUT" && path == "/api/v1/users/{id}/forwarding") {
      return {{"busy", {{"type", "number"}, {"number", "+15550100"}}}, {"no_answer_s", 20}};
    }
    if (method == "PUT" && (path == "/api/v1/users/{id}/groups/{group_id}" ||
                            path == "/api/v1/groups/{id}/members/{user_id}")) {
      return {{"paused", true}, {"pause_reason", "training"}};
    }
    if (method == "POST" && path == "/api/v1/session") {
      // An e-mail and a password, or a token: not both.
      if (field == "token") {
        return json::object();
      }
      return {{"email", "probe." + k + "@example.com"}, {"password", "not-the-password-" + k}};
    }
    return nullptr;
  }

  /// The path with its parameters replaced by the fixture objects.
  std::string concrete(const std::string& path) const {
    std::string out;
    std::size_t i = 0;
    while (i < path.size()) {
      const std::size_t open = path.find('{', i);
      if (open == std::string::npos) {
        out += path.substr(i);
        break;
      }
      const std::size_t close = path.find('}', open);
      out += path.substr(i, open - i);
      const std::string param = path.substr(open + 1, close - open - 1);
      const std::string before = path.substr(0, open);
      json id;
      if (param == "user_id") {
        id = user_;
      } else if (param == "group_id") {
        id = group_;
      } else if (before.ends_with("/users/")) {
        id = user_;
      } else if (before.ends_with("/groups/")) {
        id = group_;
      } else if (before.ends_with("/trunks/")) {
        id = trunk_;
      } else if (before.ends_with("/schedules/")) {
        id = schedule_;
      } else if (before.ends_with("/outbound-rules/")) {
        id = rule_;
      } else if (before.ends_with("/inbound-routes/")) {
        id = route_;
      } else if (before.ends_with("/ivr-menus/")) {
        id = menu_;
      } else if (before.ends_with("/voicemails/")) {
        id = 999999;  // messages come only from calls: none here, a 404 is never a 5xx
      } else {
        ADD_FAILURE() << "no fixture object for {" << param << "} in " << path;
      }
      out += id.dump();
      i = close + 1;
    }
    return out;
  }

  /// The snapshot version from /metrics: any committed change raises it.
  long snapshot_version() {
    HttpResult r = call("GET", "/metrics", nullptr, "");
    const std::string key = "\ncohort_snapshot_version ";
    const auto at = r.body.find(key);
    if (at == std::string::npos) {
      ADD_FAILURE() << "no cohort_snapshot_version in /metrics";
      return -1;
    }
    return std::stol(r.body.substr(at + key.size()));
  }

  json doc_;
  json user_, group_, trunk_, schedule_, rule_, route_, menu_;
};

TEST_F(ApiInputTest, NoStringFieldOfAnyBodyGetsA5xxForHostileText) {
  constexpr const char* kMarker = "@@probe@@";
  int n = 0;
  int operations = 0;
  int requests = 0;
  long version = snapshot_version();
  for (const auto& [path, item] : doc_.at("paths").items()) {
    for (const auto& [method_lower, op] : item.items()) {
      if (!op.is_object() || !op.contains("requestBody")) {
        continue;
      }
      const json& content = op["requestBody"].value("content", json::object());
      if (!content.contains("application/json")) {
        continue;
      }
      std::string method = method_lower;
      for (char& c : method) {
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      }
      std::vector<StringField> fields;
      string_fields(content["application/json"]["schema"], "", json::json_pointer(), nullptr,
                    fields);
      ++operations;
      const std::string target = concrete(path);
      for (const StringField& f : fields) {
        for (const Probe& p : probes()) {
          ++n;
          json body = base_body(method, path, f.name, n);
          ASSERT_FALSE(body.is_null())
              << "no valid body known for " << method << " " << path << ": add one to base_body()";
          if (!f.parent_value.is_null()) {
            body[f.parent] = f.parent_value;
          }
          body[f.at] = kMarker;
          std::string raw = body.dump();
          const std::string quoted = std::string("\"") + kMarker + "\"";
          raw.replace(raw.find(quoted), quoted.size(), "\"" + p.raw + "\"");

          const HttpResult r = call_raw_body(method, target, raw);
          ++requests;
          const std::string what = method + " " + path + " " + f.name + " = " + p.label;
          ASSERT_NE(r.status, 0) << what << ": no answer";
          EXPECT_LT(r.status, 500) << what << ": " << r.body.substr(0, 300);
          const bool sign_in = path == "/api/v1/session";
          if (r.status >= 200 && r.status < 300) {
            EXPECT_FALSE(p.must_refuse) << what << " was accepted: " << r.body.substr(0, 300);
            version = snapshot_version();
            continue;
          }
          // A refused sign-in answers 401 (or 429 when throttled) whatever was wrong, so as
          // not to tell which e-mails exist.
          if (sign_in && (r.status == 401 || r.status == 429)) {
            continue;
          }
          EXPECT_GE(r.status, 400) << what;
          const json err = json::parse(r.body, nullptr, false);
          ASSERT_TRUE(err.is_object() && err.contains("error")) << what << ": " << r.body;
          if (p.invalid_json) {
            EXPECT_EQ(r.status, 400) << what << ": " << r.body;
          }
          EXPECT_EQ(err["error"]["field"], f.name) << what << ": " << r.body.substr(0, 300);
          EXPECT_LE(r.body.size(), 2000u) << what << ": the error echoes the value";
          const long now = snapshot_version();
          EXPECT_EQ(now, version) << what << ": refused, yet the configuration changed";
          version = now;
        }
      }
    }
  }
  // The document must have been read: these operations exist (issue 12's report).
  EXPECT_GE(operations, 15);
  EXPECT_GT(requests, 300);
}

// Invalid UTF-8 anywhere in a body makes it something other than JSON (RFC 8259 §8.1): a 400,
// naming the field when it is inside one, and nothing changes.
TEST_F(ApiInputTest, InvalidUtf8AnywhereInABodyIsA400) {
  const long before = snapshot_version();
  struct Case {
    std::string body;
    std::string field;  ///< "" = none
  };
  const std::vector<Case> cases = {
      {"{\"name\": \"G\xFF\"}", "name"},
      {"{\"name\": \"\xC3\x28\"}", "name"},
      {"{\"\xFF\": 1}", ""},
      {"{\"name\": \"ok\", \"description\": \"\xED\xA0\x80\"}", "description"},  // a surrogate
      {"{\"name\": \"\\ud800\"}", "name"},  // an escaped lone surrogate is not text either
      {"{\"name\": \"ok\", \"fallback\": {\"type\": \"number\", \"number\": \"1\xE2\x82\"}}",
       "fallback.number"},
      {"\xEF\xBB\xBF\xFF", ""},
      {"{\"name\": \"overlong \xC0\xAF\"}", "name"},
  };
  for (const Case& c : cases) {
    const HttpResult r = call_raw_body("POST", "/api/v1/groups", c.body);
    expect_error(r, 400, c.field);
  }
  const HttpResult r = call_raw_body("PATCH", "/api/v1/outbound-rules/" + rule_.dump(),
                                     "{\"patterns\": [\"_X.\", \"9\xFF\"]}");
  expect_error(r, 400, "patterns[1]");
  EXPECT_EQ(snapshot_version(), before);
}

// The text the server echoes into its answers must stay UTF-8: a path or query that decodes
// to other bytes is refused, not answered with a body that cannot be encoded.
TEST_F(ApiInputTest, PathsAndQueriesThatAreNotUtf8AreRefused) {
  for (const char* target : {"/api/v1/%FF", "/api/v1/users/%C3%28", "/api/v1/users?q=%FF",
                             "/api/v1/cdrs?user=%FF", "/api/v1/security/bans/%FF"}) {
    const HttpResult r = call("GET", target);
    EXPECT_EQ(r.status, 400) << target << ": " << r.body;
    const HttpResult d = call("DELETE", target);
    EXPECT_LT(d.status, 500) << target << ": " << d.body;
  }
}

}  // namespace
}  // namespace cohort::testing
