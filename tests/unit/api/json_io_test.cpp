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
  EXPECT_EQ(j["media"], "relay");
  t.password.clear();
  EXPECT_EQ(trunk_to_json(t)["has_password"], false);
  t.media = model::TrunkMedia::kDirect;
  EXPECT_EQ(trunk_to_json(t)["media"], "direct");
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

// Text that is not UTF-8 makes a body something other than JSON (RFC 8259 §8.1): the error
// names the field whose string holds it, and never quotes the bytes. Structural faults name
// no field.
TEST(JsonBodyParse, MalformedBodiesNameTheFieldBeingRead) {
  struct Case {
    std::string body;
    std::string field;
  };
  const std::vector<Case> cases = {
      {"{\"name\": \"G\xFF\"}", "name"},
      {"{\"a\": 1, \"name\": \"\xC3\x28\"}", "name"},
      {"{\"p\": [\"_X.\", \"9\xFF\"]}", "p[1]"},
      {"{\"w\": [{\"days\": [\"mon\"]}, {\"from\": \"\xE2\x82\"}]}", "w[1].from"},
      {"{\"d\": {\"type\": \"number\", \"number\": \"\\ud800\"}}", "d.number"},
      {"{\"\xFF\": 1}", ""},
      {"{\"a\": 1, \"\xFF\": 1}", ""},
      {"{\"a\": [1, 2}", ""},
      {"{\"name\":", ""},
      {"{\"name\": tru}", ""},
      {"\xFF", ""},
      {"{\"a\": 1", ""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.body);
    auto b = JsonBody::parse(json_request(c.body));
    ASSERT_FALSE(b);
    EXPECT_EQ(b.error().code, Errc::kInvalid);
    EXPECT_EQ(b.error().field, c.field);
    EXPECT_EQ(b.error().message.rfind("malformed JSON", 0), 0u) << b.error().message;
    for (char ch : b.error().message) {
      EXPECT_LT(static_cast<unsigned char>(ch), 0x80) << b.error().message;
    }
  }
}

// ---- schedules -----------------------------------------------------------------------

TEST(ScheduleJson, TimesOfDay) {
  EXPECT_EQ(parse_hhmm("00:00", false), 0);
  EXPECT_EQ(parse_hhmm("09:30", false), 570);
  EXPECT_EQ(parse_hhmm("23:59", false), 1439);
  EXPECT_EQ(parse_hhmm("24:00", true), 0);  // the midnight that ends the day
  for (const char* bad : {"24:00", "9:30", "09:3", "0930", "09:60", "25:00", "-1:00", "09:30 ", "",
                          "ab:cd", "09.30", "09:30:00"}) {
    EXPECT_EQ(parse_hhmm(bad, false), std::nullopt) << bad;
  }
  EXPECT_EQ(parse_hhmm("24:01", true), std::nullopt);
  EXPECT_EQ(format_hhmm(0), "00:00");
  EXPECT_EQ(format_hhmm(570), "09:30");
  EXPECT_EQ(format_hhmm(1439), "23:59");
}

TEST(ScheduleJson, CalendarDates) {
  EXPECT_EQ(parse_date("2026-12-25"), 20261225);
  EXPECT_EQ(parse_date("2024-02-29"), 20240229);
  for (const char* bad : {"2025-02-29", "2026-13-01", "2026-00-10", "2026-04-31", "2026-1-01",
                          "26-01-01", "2026/01/01", "2026-01-01T00:00", "", "2026-01-00"}) {
    EXPECT_EQ(parse_date(bad), std::nullopt) << bad;
  }
  EXPECT_EQ(format_date(20260105), "2026-01-05");
}

TEST(ScheduleJson, WeeklyIntervalsMapToDayBitsAndMinutes) {
  auto w = weekly_from_json(json::parse(R"([
      {"days": ["mon", "tue", "wed", "thu", "fri"], "from": "09:00", "to": "17:30"},
      {"days": ["sun", "sat"], "from": "22:00", "to": "06:00"},
      {"days": ["fri"], "from": "18:00", "to": "24:00"}])"));
  ASSERT_TRUE(w) << w.error().message;
  ASSERT_EQ(w->size(), 3u);
  EXPECT_EQ((*w)[0], (model::WeeklyInterval{0x1f, 540, 1050}));
  EXPECT_EQ((*w)[1], (model::WeeklyInterval{model::kSat | model::kSun, 1320, 360}));
  EXPECT_EQ((*w)[2], (model::WeeklyInterval{model::kFri, 1080, 0}));
  EXPECT_TRUE(weekly_from_json(json::array())->empty());
}

TEST(ScheduleJson, WeeklyErrorsNameTheElement) {
  const std::vector<std::pair<const char*, const char*>> cases = {
      {R"({})", "weekly"},
      {R"([7])", "weekly[0]"},
      {R"([{"days": ["mon"], "from": "09:00", "to": "17:00", "start": "x"}])", "weekly[0].start"},
      {R"([{"from": "09:00", "to": "17:00"}])", "weekly[0].days"},
      {R"([{"days": [], "from": "09:00", "to": "17:00"}])", "weekly[0].days"},
      {R"([{"days": "mon", "from": "09:00", "to": "17:00"}])", "weekly[0].days"},
      {R"([{"days": ["mon", "funday"], "from": "09:00", "to": "17:00"}])", "weekly[0].days[1]"},
      {R"([{"days": ["mon", "Tue"], "from": "09:00", "to": "17:00"}])", "weekly[0].days[1]"},
      {R"([{"days": ["mon", "mon"], "from": "09:00", "to": "17:00"}])", "weekly[0].days[1]"},
      {R"([{"days": ["mon"], "from": "09:00", "to": "17:00"},
           {"days": ["tue"], "from": "9:00", "to": "17:00"}])",
       "weekly[1].from"},
      {R"([{"days": ["mon"], "from": "24:00", "to": "17:00"}])", "weekly[0].from"},
      {R"([{"days": ["mon"], "from": "09:00", "to": "24:30"}])", "weekly[0].to"},
      {R"([{"days": ["mon"], "from": "09:00"}])", "weekly[0].to"},
      {R"([{"days": ["mon"], "from": 900, "to": "17:00"}])", "weekly[0].from"},
  };
  for (const auto& [text, field] : cases) {
    auto r = weekly_from_json(json::parse(text));
    ASSERT_FALSE(r) << text;
    EXPECT_EQ(r.error().code, Errc::kInvalid) << text;
    EXPECT_EQ(r.error().field, field) << text;
  }
}

TEST(ScheduleJson, HolidaysAreDatesOrRanges) {
  auto h = holidays_from_json(json::parse(R"([
      {"name": "Christmas", "date": "2026-12-25", "yearly": true},
      {"from": "2026-08-03", "to": "2026-08-14"},
      {"name": "Year end", "from": "2026-12-24", "to": "2026-01-02", "yearly": true}])"));
  ASSERT_TRUE(h) << h.error().message;
  ASSERT_EQ(h->size(), 3u);
  EXPECT_EQ((*h)[0], (model::Holiday{"Christmas", 20261225, 20261225, true}));
  EXPECT_EQ((*h)[1], (model::Holiday{"", 20260803, 20260814, false}));
  EXPECT_EQ((*h)[2], (model::Holiday{"Year end", 20261224, 20260102, true}));
}

TEST(ScheduleJson, HolidayErrorsNameTheElement) {
  const std::vector<std::pair<const char*, const char*>> cases = {
      {R"("x")", "holidays"},
      {R"(["2026-12-25"])", "holidays[0]"},
      {R"([{"name": "x"}])", "holidays[0].date"},
      {R"([{"date": "2026-02-30"}])", "holidays[0].date"},
      {R"([{"date": "2026-12-25"}, {"date": 20261225}])", "holidays[1].date"},
      {R"([{"from": "2026-08-03"}])", "holidays[0].to"},
      {R"([{"to": "2026-08-03"}])", "holidays[0].from"},
      {R"([{"from": "2026-08-14", "to": "2026-08-03"}])", "holidays[0].to"},
      {R"([{"from": "2026-08-03", "to": "2026-08-32"}])", "holidays[0].to"},
      {R"([{"date": "2026-12-25", "to": "2026-12-26"}])", "holidays[0].to"},
      {R"([{"date": "2026-12-25", "yearly": "yes"}])", "holidays[0].yearly"},
      {R"([{"date": "2026-12-25", "name": 3}])", "holidays[0].name"},
      {R"([{"date": "2026-12-25", "when": "x"}])", "holidays[0].when"},
  };
  for (const auto& [text, field] : cases) {
    auto r = holidays_from_json(json::parse(text));
    ASSERT_FALSE(r) << text;
    EXPECT_EQ(r.error().code, Errc::kInvalid) << text;
    EXPECT_EQ(r.error().field, field) << text;
  }
}

TEST(ScheduleJson, OutputReadsBackAsInput) {
  model::Schedule sc;
  sc.id = 4;
  sc.name = "Office";
  sc.timezone = "Europe/Berlin";
  sc.weekly = {{model::kMon | model::kFri, 540, 1020}, {model::kSun, 1320, 0}};
  sc.holidays = {{"Christmas", 20261225, 20261225, true}, {"", 20260803, 20260814, false}};
  sc.override_mode = model::ScheduleOverride::kOpen;
  json j = schedule_to_json(sc);
  EXPECT_EQ(j["override"], "open");
  EXPECT_EQ(j["timezone"], "Europe/Berlin");
  EXPECT_EQ(j["weekly"][0], (json{{"days", {"mon", "fri"}}, {"from", "09:00"}, {"to", "17:00"}}));
  EXPECT_EQ(j["weekly"][1]["to"], "00:00");
  EXPECT_EQ(j["holidays"][0],
            (json{{"name", "Christmas"}, {"date", "2026-12-25"}, {"yearly", true}}));
  EXPECT_EQ(j["holidays"][1],
            (json{{"name", ""}, {"from", "2026-08-03"}, {"to", "2026-08-14"}, {"yearly", false}}));
  EXPECT_EQ(weekly_from_json(j["weekly"]).value(), sc.weekly);
  EXPECT_EQ(holidays_from_json(j["holidays"]).value(), sc.holidays);
}

// ---- inbound routes, groups, users, members ---------------------------------------------

TEST(InboundRouteJson, NullsForAnyCallerAndAnyTrunk) {
  model::InboundRoute r;
  r.id = 2;
  r.name = "Main";
  r.position = 1;
  r.did = "_1555XXXX";
  r.destination = model::DestGroup{3};
  json j = inbound_route_to_json(r);
  EXPECT_TRUE(j["caller"].is_null());
  EXPECT_TRUE(j["trunk"].is_null());
  EXPECT_EQ(j["destination"], (json{{"type", "group"}, {"id", 3}}));
  EXPECT_EQ(j["did"], "_1555XXXX");
  r.caller = "_+49X.";
  r.trunk = 7;
  j = inbound_route_to_json(r);
  EXPECT_EQ(j["caller"], "_+49X.");
  EXPECT_EQ(j["trunk"], 7);
}

TEST(GroupJson, HoursAndHuntingFields) {
  model::Snapshot s;
  model::Group g;
  g.id = 1;
  g.name = "Sales";
  json j = group_to_json(g, s);
  EXPECT_EQ(j["ring_in_use"], false);
  EXPECT_EQ(j["skip_unregistered"], true);
  EXPECT_TRUE(j["schedule"].is_null());
  EXPECT_TRUE(j["closed_destination"].is_null());
  g.schedule = 4;
  g.closed_destination = model::DestHangup{};
  j = group_to_json(g, s);
  EXPECT_EQ(j["schedule"], 4);
  EXPECT_EQ(j["closed_destination"], (json{{"type", "hangup"}}));
}

TEST(UserJson, PauseReasonOnlyWhilePaused) {
  model::User u;
  u.id = 1;
  u.pause_reason = "stale";
  json j = user_to_json(u);
  EXPECT_EQ(j["paused"], false);
  EXPECT_TRUE(j["pause_reason"].is_null());
  u.paused = true;
  u.pause_reason = "lunch";
  j = user_to_json(u);
  EXPECT_EQ(j["paused"], true);
  EXPECT_EQ(j["pause_reason"], "lunch");

  model::Snapshot s;
  model::Member m{.user = 1, .position = 2, .joined_at = 0, .paused = true, .pause_reason = ""};
  EXPECT_EQ(member_to_json(m, s)["paused"], true);
  EXPECT_EQ(member_to_json(m, s)["pause_reason"], "");
  model::UserMembership um{
      .group = 3, .position = 1, .joined_at = 0, .paused = false, .pause_reason = ""};
  EXPECT_EQ(user_membership_to_json(um, s)["paused"], false);
  EXPECT_TRUE(user_membership_to_json(um, s)["pause_reason"].is_null());
}

}  // namespace
}  // namespace cohort::api
