#include "api/json_io.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace cohort::api {
namespace {

using nlohmann::json;

std::vector<std::int64_t> ids_of(const json& page) {
  std::vector<std::int64_t> out;
  for (const json& item : page["items"]) {
    out.push_back(item["id"].get<std::int64_t>());
  }
  return out;
}

TEST(IdPage, WalksPagesByCursorSkippingFilteredObjects) {
  const std::vector<std::int64_t> ids = {1, 2, 4, 7, 8, 9, 12};
  // Odd ids are not visible.
  auto render = [](std::int64_t id) -> json {
    return id % 2 == 1 ? json(nullptr) : json{{"id", id}};
  };
  json first = id_page(ids, Page{.limit = 2, .after = 0}, render);
  EXPECT_EQ(ids_of(first), (std::vector<std::int64_t>{2, 4}));
  ASSERT_EQ(first["next_cursor"], "4");
  json second = id_page(ids, Page{.limit = 2, .after = 4}, render);
  EXPECT_EQ(ids_of(second), (std::vector<std::int64_t>{8, 12}));
  EXPECT_TRUE(second["next_cursor"].is_null()) << "nothing visible follows 12";
  json exact = id_page(ids, Page{.limit = 4, .after = 0}, render);
  EXPECT_EQ(ids_of(exact), (std::vector<std::int64_t>{2, 4, 8, 12}));
  EXPECT_TRUE(exact["next_cursor"].is_null()) << "a full last page has no next cursor";
  EXPECT_TRUE(id_page({}, Page{}, render)["items"].empty());
}

TEST(Rfc3339, MillisecondsAreAlwaysThreeDigits) {
  EXPECT_EQ(rfc3339_ms(1'700'000'000'000), "2023-11-14T22:13:20.000Z");
  EXPECT_EQ(rfc3339_ms(1'700'000'000'007), "2023-11-14T22:13:20.007Z");
  EXPECT_EQ(rfc3339_ms(1'700'000'000'999), "2023-11-14T22:13:20.999Z");
  EXPECT_EQ(rfc3339_ms(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(rfc3339_ms(-1), "1969-12-31T23:59:59.999Z");
}

TEST(Rfc3339, ParsesDateTimesWithOffsetsAndFractions) {
  const std::int64_t t = 1'700'000'000'000;  // 2023-11-14T22:13:20Z
  EXPECT_EQ(parse_rfc3339_ms("2023-11-14T22:13:20Z"), t);
  EXPECT_EQ(parse_rfc3339_ms("2023-11-14t22:13:20z"), t);
  EXPECT_EQ(parse_rfc3339_ms("2023-11-14T22:13:20.5Z"), t + 500);
  EXPECT_EQ(parse_rfc3339_ms("2023-11-14T22:13:20.123456789Z"), t + 123);
  EXPECT_EQ(parse_rfc3339_ms("2023-11-14T23:43:20+01:30"), t);
  EXPECT_EQ(parse_rfc3339_ms("2023-11-14T17:13:20-05:00"), t);
  // A '+' that a query string decoded into a space.
  EXPECT_EQ(parse_rfc3339_ms("2023-11-15T00:13:20 02:00"), t);
  EXPECT_EQ(parse_rfc3339_ms("2024-02-29T00:00:00Z"), 1'709'164'800'000);
  // The round trip of what the API renders.
  EXPECT_EQ(parse_rfc3339_ms(rfc3339_ms(t + 42)), t + 42);
  EXPECT_EQ(parse_rfc3339_ms(rfc3339(1'600'000'000)), 1'600'000'000'000);
}

TEST(Rfc3339, RefusesWhatIsNotADateTime) {
  for (const char* bad :
       {"", "2023-11-14", "2023-11-14T22:13Z", "2023-11-14T22:13:20", "2023-11-14 22:13:20Z",
        "2023-13-01T00:00:00Z", "2023-02-29T00:00:00Z", "2023-04-31T00:00:00Z",
        "2023-11-14T24:00:00Z", "2023-11-14T22:60:00Z", "2023-11-14T22:13:61Z",
        "2023-11-14T22:13:20.Z", "2023-11-14T22:13:20+0100", "2023-11-14T22:13:20+24:00",
        "2023-11-14T22:13:20Zjunk", "1700000000", "23-11-14T22:13:20Z", "2023-1-14T22:13:20Z",
        "yesterday"}) {
    EXPECT_EQ(parse_rfc3339_ms(bad), std::nullopt) << bad;
  }
}

TEST(TrunkJson, NeverCarriesThePassword) {
  model::Trunk t;
  t.id = 3;
  t.name = "CallCentric";
  t.host = "sip.callcentric.net";
  t.username = "17775551234";
  t.password = "demo-trunk-secret";
  t.inbound_sources = {"204.11.192.0/22"};
  json j = trunk_to_json(t);
  EXPECT_EQ(j.dump().find("demo-trunk-secret"), std::string::npos) << j.dump();
  EXPECT_FALSE(j.contains("password"));
  EXPECT_EQ(j["has_password"], true);
  EXPECT_EQ(j["register"], false);
  EXPECT_EQ(j["transport"], "udp");
  EXPECT_TRUE(j["auth_realm"].is_null());
  EXPECT_EQ(j["inbound_sources"], json::array({"204.11.192.0/22"}));
  t.password.clear();
  EXPECT_EQ(trunk_to_json(t)["has_password"], false);
}

TEST(OutboundRuleJson, CallerIdIsNullForTheDefaultAndValueOnlyWhenFixed) {
  model::OutboundRule r;
  r.id = 1;
  r.name = "Sales";
  r.position = 2;
  r.patterns = {"_X."};
  r.caller_groups = {4};
  r.trunks = {1, 2};
  json j = outbound_rule_to_json(r);
  EXPECT_TRUE(j["caller_id"].is_null());
  EXPECT_EQ(j["trunks"], json::array({1, 2}));
  EXPECT_EQ(j["caller_users"], json::array());
  r.caller_id = model::CallerIdSetting{model::CallerIdPolicy::kGroup, ""};
  EXPECT_EQ(outbound_rule_to_json(r)["caller_id"], (json{{"policy", "group"}, {"value", nullptr}}));
  r.caller_id = model::CallerIdSetting{model::CallerIdPolicy::kFixed, "+15550100"};
  EXPECT_EQ(outbound_rule_to_json(r)["caller_id"],
            (json{{"policy", "fixed"}, {"value", "+15550100"}}));
}

Request json_request(const std::string& body) {
  Request req;
  req.body = body;
  return req;
}

TEST(JsonBodyLists, ElementErrorsNameTheIndex) {
  auto b = JsonBody::parse(json_request(
      R"({"p": ["_X.", "1"], "bad_p": ["a", 2], "ids": [3, 1], "neg": [1, 0], "str": [1, "2"],
          "big": [18446744073709551615], "flt": [1.0], "obj": {}})"));
  ASSERT_TRUE(b);
  EXPECT_EQ(b->string_list("p").value(), (std::vector<std::string>{"_X.", "1"}));
  EXPECT_EQ(b->id_list("ids").value(), (std::vector<std::int64_t>{3, 1}));
  EXPECT_EQ(b->string_list("bad_p").error().field, "bad_p[1]");
  EXPECT_EQ(b->id_list("neg").error().field, "neg[1]");
  EXPECT_EQ(b->id_list("str").error().field, "str[1]");
  EXPECT_EQ(b->id_list("big").error().field, "big[0]");
  EXPECT_EQ(b->id_list("flt").error().field, "flt[0]");
  EXPECT_EQ(b->id_list("obj").error().field, "obj");
  EXPECT_EQ(b->string_list("obj").error().field, "obj");
}

}  // namespace
}  // namespace cohort::api
