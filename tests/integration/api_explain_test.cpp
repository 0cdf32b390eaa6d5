// POST /api/v1/outbound-rules/explain against the real server: the rule a call would take,
// the skipped rules with their reasons, the number sent, the caller ID and the trunks.

#include "api_fixture.hpp"

namespace cohort::testing {
namespace {

class ExplainTest : public ApiTest {
 protected:
  void SetUp() override {
    ApiTest::SetUp();
    ana_ = create_user("Ana", "ana@example.com", "2001", {{"caller_id", "5552001"}});
    bo_ = create_user("Bo", "bo@example.com", "2002");
    sales_ = create_group("Sales", {{"outbound_caller_id", "010000"}});
    HttpResult m = call("PUT", id_path("/api/v1/groups", sales_) + "/members/" +
                                   std::to_string(ana_["id"].get<int>()));
    ASSERT_LT(m.status, 300) << m.body;
    primary_ = create_trunk("Primary", "127.0.0.2");
    backup_ = create_trunk("Backup", "127.0.0.3");
    international_ = create_rule({{"name", "International"},
                                  {"patterns", {"_00."}},
                                  {"trunks", {primary_["id"]}},
                                  {"caller_users", {bo_["id"]}}});
    sales_rule_ = create_rule({{"name", "Sales"},
                               {"patterns", {"_9NXXNXXXXXX"}},
                               {"strip", 1},
                               {"prepend", "+1"},
                               {"caller_groups", {sales_["id"]}},
                               {"trunks", {primary_["id"], backup_["id"]}}});
    everyone_ = create_rule({{"name", "Everyone"},
                             {"patterns", {"_9NXXNXXXXXX"}},
                             {"strip", 1},
                             {"trunks", {backup_["id"]}}});
  }

  json create_trunk(const std::string& name, const std::string& host) {
    HttpResult r = call("POST", "/api/v1/trunks", {{"name", name}, {"host", host}});
    EXPECT_EQ(r.status, 201) << r.body;
    return r.json();
  }
  json create_rule(json body) {
    HttpResult r = call("POST", "/api/v1/outbound-rules", body);
    EXPECT_EQ(r.status, 201) << r.body;
    return r.json();
  }
  json explain(const json& body, int status = 200) {
    HttpResult r = call("POST", "/api/v1/outbound-rules/explain", body);
    EXPECT_EQ(r.status, status) << r.body;
    return r.json();
  }

  json ana_, bo_, sales_, primary_, backup_, international_, sales_rule_, everyone_;
};

TEST_F(ExplainTest, GroupMemberGetsTheGroupCallerIdAndTheTrunkOrder) {
  json j = explain({{"caller_user_id", ana_["id"]}, {"number", "92125551234"}});
  EXPECT_TRUE(j["matched"].get<bool>()) << j;
  EXPECT_EQ(j["rule"]["id"], sales_rule_["id"]);
  EXPECT_EQ(j["rule"]["name"], "Sales");
  EXPECT_EQ(j["number"], "+12125551234") << "strip 1, prepend +1";
  EXPECT_EQ(j["caller_id"], "010000");
  EXPECT_EQ(j["caller_id_group"]["name"], "Sales");
  ASSERT_EQ(j["trunks"].size(), 2u);
  EXPECT_EQ(j["trunks"][0]["name"], "Primary");
  EXPECT_EQ(j["trunks"][1]["name"], "Backup");
  ASSERT_EQ(j["skipped"].size(), 1u) << j;
  EXPECT_EQ(j["skipped"][0]["rule"]["name"], "International");
  EXPECT_EQ(j["skipped"][0]["reason"], "number does not match any pattern");
  EXPECT_TRUE(j["reason"].is_null());
}

TEST_F(ExplainTest, NonMemberFallsThroughToTheUserPolicy) {
  json j = explain({{"caller_user_id", bo_["id"]}, {"number", "92125551234"}});
  EXPECT_EQ(j["rule"]["name"], "Everyone") << j;
  EXPECT_EQ(j["caller_id"], "2002") << "no caller_id of its own: the extension";
  EXPECT_TRUE(j["caller_id_group"].is_null());
  EXPECT_EQ(j["number"], "2125551234");
  ASSERT_EQ(j["skipped"].size(), 2u) << j;
  EXPECT_NE(j["skipped"][1]["reason"].get<std::string>().find("caller is not in groups"),
            std::string::npos)
      << j;
}

TEST_F(ExplainTest, NoMatchAndTrunkCallersAreRefused) {
  json none = explain({{"caller_user_id", ana_["id"]}, {"number", "123"}});
  EXPECT_FALSE(none["matched"].get<bool>());
  EXPECT_TRUE(none["rule"].is_null());
  EXPECT_EQ(none["skipped"].size(), 3u);
  EXPECT_FALSE(none["reason"].get<std::string>().empty());
  json trunk = explain({{"from_trunk_id", primary_["id"]}, {"number", "92125551234"}});
  EXPECT_FALSE(trunk["matched"].get<bool>()) << "toll-fraud guard: " << trunk;
  // Allowing trunk callers on the unconditioned rule lets the call through.
  HttpResult p =
      call("PATCH", id_path("/api/v1/outbound-rules", everyone_), {{"allow_trunk_callers", true}});
  ASSERT_EQ(p.status, 200) << p.body;
  json allowed = explain({{"from_trunk_id", primary_["id"]}, {"number", "92125551234"}});
  EXPECT_EQ(allowed["rule"]["name"], "Everyone") << allowed;
}

TEST_F(ExplainTest, BadRequestsNameTheField) {
  expect_error(call("POST", "/api/v1/outbound-rules/explain", {{"caller_user_id", ana_["id"]}}),
               400, "number");
  expect_error(
      call("POST", "/api/v1/outbound-rules/explain", {{"caller_user_id", 9999}, {"number", "1"}}),
      400, "caller_user_id");
  expect_error(call("POST", "/api/v1/outbound-rules/explain", {{"number", "1"}}), 400,
               "caller_user_id");
  expect_error(call("POST", "/api/v1/outbound-rules/explain",
                    {{"caller_user_id", ana_["id"]}, {"number", "1"}, {"color", "red"}}),
               400, "color");
  HttpResult anon = http_request(server_->port(), "POST", "/api/v1/outbound-rules/explain",
                                 R"({"caller_user_id": 1, "number": "1"})", "");
  EXPECT_EQ(anon.status, 401);
}

}  // namespace
}  // namespace cohort::testing
