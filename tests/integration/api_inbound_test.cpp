// Inbound routes, schedules, the group fields for business hours and hunting, user status
// and membership pauses, over the real server and a real SQLite file.

#include "integration/api_fixture.hpp"

namespace cohort::testing {
namespace {

json group_dest(const json& g) {
  return {{"type", "group"}, {"id", g["id"]}};
}

std::vector<std::int64_t> ids_of(const json& items) {
  std::vector<std::int64_t> out;
  for (const json& i : items) {
    out.push_back(i["id"].get<std::int64_t>());
  }
  return out;
}

class InboundApiTest : public ApiTest {
 protected:
  json create_route(const std::string& name, json extra) {
    json body = {{"name", name}};
    body.update(extra);
    HttpResult r = call("POST", "/api/v1/inbound-routes", body);
    EXPECT_EQ(r.status, 201) << r.body;
    return r.json();
  }
  json create_schedule(const std::string& name, json extra = json::object()) {
    json body = {{"name", name}, {"timezone", "Europe/Berlin"}};
    body.update(extra);
    HttpResult r = call("POST", "/api/v1/schedules", body);
    EXPECT_EQ(r.status, 201) << r.body;
    return r.json();
  }
  /// The ids of every route, in position order.
  std::vector<std::int64_t> route_order() {
    return ids_of(call("GET", "/api/v1/inbound-routes").json()["items"]);
  }
};

// ---- inbound routes ---------------------------------------------------------------------

TEST_F(InboundApiTest, RouteCrudWithEveryField) {
  json trunk = call("POST", "/api/v1/trunks", {{"name", "Inbound Carrier"}}).json();
  json sales = create_group("Inbound Sales");
  json r = create_route("Sales line", {{"did", "_1555010XXXX"},
                                       {"caller", "_+49X."},
                                       {"trunk", trunk["id"]},
                                       {"destination", group_dest(sales)}});
  EXPECT_EQ(r["did"], "_1555010XXXX");
  EXPECT_EQ(r["caller"], "_+49X.");
  EXPECT_EQ(r["trunk"], trunk["id"]);
  EXPECT_EQ(r["destination"], group_dest(sales));
  EXPECT_GE(r["position"].get<int>(), 1);
  EXPECT_TRUE(r["created_at"].is_string());
  EXPECT_EQ(call("GET", id_path("/api/v1/inbound-routes", r)).json(), r);

  json plain = create_route("Night line", {{"did", "911"}, {"destination", {{"type", "hangup"}}}});
  EXPECT_TRUE(plain["caller"].is_null());
  EXPECT_TRUE(plain["trunk"].is_null());

  HttpResult patched = call("PATCH", id_path("/api/v1/inbound-routes", r),
                            {{"caller", nullptr}, {"trunk", nullptr}, {"name", "Sales main"}});
  ASSERT_EQ(patched.status, 200) << patched.body;
  EXPECT_TRUE(patched.json()["caller"].is_null());
  EXPECT_TRUE(patched.json()["trunk"].is_null());
  EXPECT_EQ(patched.json()["name"], "Sales main");
  EXPECT_EQ(patched.json()["did"], "_1555010XXXX");

  EXPECT_EQ(call("DELETE", id_path("/api/v1/inbound-routes", r)).status, 204);
  expect_error(call("GET", id_path("/api/v1/inbound-routes", r)), 404, "");
  expect_error(call("DELETE", id_path("/api/v1/inbound-routes", r)), 404, "");
  expect_error(call("PATCH", id_path("/api/v1/inbound-routes", r), {{"name", "x"}}), 404, "");
}

TEST_F(InboundApiTest, RoutePositionsInsertMoveAndCloseUp) {
  const std::vector<std::int64_t> before = route_order();
  json hangup = {{"type", "hangup"}};
  json a = create_route("Route A", {{"did", "100"}, {"destination", hangup}});
  json b = create_route("Route B", {{"did", "200"}, {"destination", hangup}});
  json c = create_route("Route C", {{"did", "300"}, {"destination", hangup}, {"position", 1}});
  std::vector<std::int64_t> order = route_order();
  ASSERT_EQ(order.size(), before.size() + 3);
  EXPECT_EQ(order.front(), c["id"]);
  EXPECT_EQ(order[order.size() - 2], a["id"]);
  EXPECT_EQ(order.back(), b["id"]);
  json items = call("GET", "/api/v1/inbound-routes").json()["items"];
  for (std::size_t i = 0; i < items.size(); ++i) {
    EXPECT_EQ(items[i]["position"], i + 1);
  }

  // Move B to the top; a position beyond the end is clamped.
  ASSERT_EQ(call("PATCH", id_path("/api/v1/inbound-routes", b), {{"position", 1}}).status, 200);
  order = route_order();
  EXPECT_EQ(order[0], b["id"]);
  EXPECT_EQ(order[1], c["id"]);
  HttpResult last = call("PATCH", id_path("/api/v1/inbound-routes", b), {{"position", 999}});
  ASSERT_EQ(last.status, 200) << last.body;
  EXPECT_EQ(last.json()["position"], order.size());
  EXPECT_EQ(route_order().back(), b["id"]);

  ASSERT_EQ(call("DELETE", id_path("/api/v1/inbound-routes", c)).status, 204);
  items = call("GET", "/api/v1/inbound-routes").json()["items"];
  ASSERT_EQ(items.size(), before.size() + 2);
  for (std::size_t i = 0; i < items.size(); ++i) {
    EXPECT_EQ(items[i]["position"], i + 1);
  }
}

TEST_F(InboundApiTest, RouteBadInputNamesTheField) {
  json g = create_group("Route Target");
  json ok = {{"name", "Valid"}, {"did", "_X."}, {"destination", group_dest(g)}};
  auto with = [&](json change) {
    json body = ok;
    body.update(change);
    return call("POST", "/api/v1/inbound-routes", body);
  };
  auto without = [&](const char* key) {
    json body = ok;
    body.erase(key);
    return call("POST", "/api/v1/inbound-routes", body);
  };
  expect_error(without("name"), 400, "name");
  expect_error(without("did"), 400, "did");
  expect_error(without("destination"), 400, "destination");
  expect_error(with({{"name", " "}}), 400, "name");
  expect_error(with({{"did", ""}}), 400, "did");
  expect_error(with({{"did", "_1[23"}}), 400, "did");
  expect_error(with({{"did", 1555}}), 400, "did");
  expect_error(with({{"caller", "_X.X"}}), 400, "caller");
  expect_error(with({{"trunk", 99999}}), 400, "trunk");
  expect_error(with({{"trunk", "1"}}), 400, "trunk");
  expect_error(with({{"position", 0}}), 400, "position");
  expect_error(with({{"destination", {{"type", "group"}, {"id", 99999}}}}), 400, "destination.id");
  expect_error(with({{"destination", {{"type", "user"}, {"id", 99999}}}}), 400, "destination.id");
  expect_error(with({{"destination", {{"type", "voicemail"}, {"box", "group"}, {"id", 99999}}}}),
               400, "destination.id");
  expect_error(with({{"destination", {{"type", "group"}, {"ID", 1}}}}), 400, "destination.ID");
  expect_error(with({{"destination", {{"type", "number"}, {"number", "12-34"}}}}), 400,
               "destination.number");
  expect_error(with({{"dd", "1"}}), 400, "dd");
  expect_error(with({{"id", 5}}), 400, "id");
  HttpResult first = with(json::object());
  ASSERT_EQ(first.status, 201) << first.body;
  expect_error(with({{"name", "VALID"}}), 409, "name");
  // Format errors come before the name conflict.
  expect_error(with({{"name", "VALID"}, {"did", "_["}}), 400, "did");
  expect_error(call("PATCH", id_path("/api/v1/inbound-routes", first.json()), {{"did", "_["}}), 400,
               "did");
  EXPECT_EQ(call("GET", id_path("/api/v1/inbound-routes", first.json())).json()["did"], "_X.");
}

TEST_F(InboundApiTest, ReferencedTargetsNeedForceAndLeaveGaps) {
  json trunk = call("POST", "/api/v1/trunks", {{"name", "Gap Carrier"}}).json();
  json g = create_group("Gap Group");
  json u = create_user("Gap User", "gap.user@example.com", "7101");
  json to_group = create_route(
      "To group", {{"did", "_70XX"}, {"trunk", trunk["id"]}, {"destination", group_dest(g)}});
  json to_user = create_route(
      "To user", {{"did", "_71XX"}, {"destination", {{"type", "user"}, {"id", u["id"]}}}});
  ASSERT_TRUE(call("GET", "/api/v1/routing-gaps").json()["items"].empty());

  HttpResult refused = call("DELETE", id_path("/api/v1/groups", g));
  expect_error(refused, 409, "");
  json refs = refused.json()["error"]["referrers"];
  ASSERT_EQ(refs.size(), 1u) << refused.body;
  EXPECT_EQ(refs[0], (json{{"kind", "inbound_route"},
                           {"id", to_group["id"]},
                           {"name", "To group"},
                           {"field", "destination"}}));
  HttpResult user_refused = call("DELETE", id_path("/api/v1/users", u));
  expect_error(user_refused, 409, "");
  EXPECT_EQ(user_refused.json()["error"]["referrers"][0]["kind"], "inbound_route");
  HttpResult trunk_refused = call("DELETE", id_path("/api/v1/trunks", trunk));
  expect_error(trunk_refused, 409, "");
  EXPECT_EQ(trunk_refused.json()["error"]["referrers"][0]["field"], "trunk");
  EXPECT_EQ(call("GET", id_path("/api/v1/groups", g)).status, 200);

  HttpResult forced = call("DELETE", id_path("/api/v1/groups", g) + "?force=true");
  ASSERT_EQ(forced.status, 200) << forced.body;
  EXPECT_EQ(forced.json()["routing_gaps"][0]["kind"], "inbound_route");
  HttpResult forced_trunk = call("DELETE", id_path("/api/v1/trunks", trunk) + "?force=true");
  ASSERT_EQ(forced_trunk.status, 200) << forced_trunk.body;
  EXPECT_TRUE(forced_trunk.json()["cleared"].empty());
  EXPECT_EQ(forced_trunk.json()["routing_gaps"][0]["id"], to_group["id"]);

  json gaps = call("GET", "/api/v1/routing-gaps").json()["items"];
  ASSERT_EQ(gaps.size(), 2u) << gaps;
  EXPECT_EQ(
      gaps[0],
      (json{{"holder", {{"kind", "inbound_route"}, {"id", to_group["id"]}, {"name", "To group"}}},
            {"field", "destination"},
            {"missing", {{"kind", "group"}, {"id", g["id"]}}},
            {"destination", group_dest(g)}}));
  EXPECT_EQ(gaps[1]["field"], "trunk");
  EXPECT_EQ(gaps[1]["missing"], (json{{"kind", "trunk"}, {"id", trunk["id"]}}));
  EXPECT_TRUE(gaps[1]["destination"].is_null());

  // The route keeps its dangling references and can still be renamed; a new destination
  // closes that gap.
  HttpResult renamed =
      call("PATCH", id_path("/api/v1/inbound-routes", to_group), {{"name", "Orphan"}});
  ASSERT_EQ(renamed.status, 200) << renamed.body;
  EXPECT_EQ(renamed.json()["trunk"], trunk["id"]);
  ASSERT_EQ(call("PATCH", id_path("/api/v1/inbound-routes", to_group),
                 {{"destination", {{"type", "hangup"}}}})
                .status,
            200);
  EXPECT_EQ(call("GET", "/api/v1/routing-gaps").json()["items"].size(), 1u);
  (void)to_user;
}

// ---- schedules --------------------------------------------------------------------------

TEST_F(InboundApiTest, ScheduleCrudRoundTripsEveryField) {
  json body = {
      {"weekly",
       {{{"days", {"mon", "tue", "wed", "thu", "fri"}}, {"from", "09:00"}, {"to", "17:30"}},
        {{"days", {"sat"}}, {"from", "22:00"}, {"to", "24:00"}}}},
      {"holidays",
       {{{"name", "Christmas"}, {"date", "2026-12-25"}, {"yearly", true}},
        {{"name", "Summer"}, {"from", "2026-08-03"}, {"to", "2026-08-14"}}}},
      {"override", "closed"}};
  json sc = create_schedule("Office hours", body);
  EXPECT_EQ(sc["timezone"], "Europe/Berlin");
  EXPECT_EQ(sc["override"], "closed");
  EXPECT_EQ(sc["weekly"][0]["days"], (json{"mon", "tue", "wed", "thu", "fri"}));
  EXPECT_EQ(sc["weekly"][0]["to"], "17:30");
  EXPECT_EQ(sc["weekly"][1]["to"], "00:00");  // 24:00 is midnight
  EXPECT_EQ(sc["holidays"][0],
            (json{{"name", "Christmas"}, {"date", "2026-12-25"}, {"yearly", true}}));
  EXPECT_EQ(
      sc["holidays"][1],
      (json{{"name", "Summer"}, {"from", "2026-08-03"}, {"to", "2026-08-14"}, {"yearly", false}}));
  EXPECT_EQ(call("GET", id_path("/api/v1/schedules", sc)).json(), sc);

  json defaults = create_schedule("Defaults");
  EXPECT_EQ(defaults["weekly"], json::array());
  EXPECT_EQ(defaults["holidays"], json::array());
  EXPECT_EQ(defaults["override"], "auto");

  json listed = call("GET", "/api/v1/schedules?limit=1").json();
  ASSERT_EQ(listed["items"].size(), 1u);
  EXPECT_FALSE(listed["next_cursor"].is_null());

  HttpResult patched =
      call("PATCH", id_path("/api/v1/schedules", sc),
           {{"override", "auto"}, {"timezone", "America/New_York"}, {"holidays", json::array()}});
  ASSERT_EQ(patched.status, 200) << patched.body;
  EXPECT_EQ(patched.json()["override"], "auto");
  EXPECT_EQ(patched.json()["timezone"], "America/New_York");
  EXPECT_TRUE(patched.json()["holidays"].empty());
  EXPECT_EQ(patched.json()["weekly"], sc["weekly"]);

  EXPECT_EQ(call("DELETE", id_path("/api/v1/schedules", defaults)).status, 204);
  expect_error(call("GET", id_path("/api/v1/schedules", defaults)), 404, "");
  expect_error(call("GET", id_path("/api/v1/schedules", defaults) + "/state"), 404, "");
}

TEST_F(InboundApiTest, ScheduleBadInputNamesTheField) {
  auto post = [&](json change) {
    json body = {{"name", "Bad"}, {"timezone", "UTC"}};
    body.update(change);
    return call("POST", "/api/v1/schedules", body);
  };
  json interval = {{"days", {"mon"}}, {"from", "09:00"}, {"to", "17:00"}};
  auto weekly = [&](json change) {
    json second = interval;
    second.update(change);
    return json{{"weekly", {interval, second}}};
  };
  expect_error(call("POST", "/api/v1/schedules", {{"name", "No zone"}}), 400, "timezone");
  expect_error(call("POST", "/api/v1/schedules", {{"timezone", "UTC"}}), 400, "name");
  expect_error(post({{"timezone", "Mars/Olympus_Mons"}}), 400, "timezone");
  expect_error(post({{"timezone", "europe/berlin "}}), 400, "timezone");
  expect_error(post({{"timezone", 1}}), 400, "timezone");
  expect_error(post(weekly({{"from", "9:00"}})), 400, "weekly[1].from");
  expect_error(post(weekly({{"from", "24:00"}})), 400, "weekly[1].from");
  expect_error(post(weekly({{"to", "17:60"}})), 400, "weekly[1].to");
  expect_error(post(weekly({{"to", "25:00"}})), 400, "weekly[1].to");
  expect_error(post(weekly({{"days", json::array()}})), 400, "weekly[1].days");
  expect_error(post(weekly({{"days", {"mon", "xyz"}}})), 400, "weekly[1].days[1]");
  expect_error(post(weekly({{"days", {"mon", "mon"}}})), 400, "weekly[1].days[1]");
  expect_error(post(weekly({{"start", "09:00"}})), 400, "weekly[1].start");
  expect_error(post({{"weekly", "mon-fri"}}), 400, "weekly");
  expect_error(post({{"holidays", {{{"date", "2026-02-30"}}}}}), 400, "holidays[0].date");
  expect_error(post({{"holidays", {{{"date", "2026-12-25"}}, {{"date", "25.12.2026"}}}}}), 400,
               "holidays[1].date");
  expect_error(post({{"holidays", {{{"from", "2026-08-14"}, {"to", "2026-08-03"}}}}}), 400,
               "holidays[0].to");
  expect_error(post({{"holidays", {{{"from", "2026-08-03"}}}}}), 400, "holidays[0].to");
  expect_error(post({{"holidays", {{{"name", "x"}}}}}), 400, "holidays[0].date");
  expect_error(post({{"override", "night"}}), 400, "override");
  expect_error(post({{"id", 3}}), 400, "id");
  // A yearly range may wrap the year end.
  HttpResult wrap =
      post({{"holidays", {{{"from", "2026-12-24"}, {"to", "2026-01-02"}, {"yearly", true}}}}});
  ASSERT_EQ(wrap.status, 201) << wrap.body;
  expect_error(post({{"name", "BAD"}}), 409, "name");
  expect_error(post({{"name", "BAD"}, {"timezone", "Nowhere/Else"}}), 400, "timezone");
  expect_error(call("PATCH", id_path("/api/v1/schedules", wrap.json()), {{"timezone", "CEST"}}),
               400, "timezone");
}

TEST_F(InboundApiTest, StateFollowsOverridesAndWeeklyHours) {
  // Every day 00:00–00:00 is open the whole day, so "now" is surely inside it.
  json always =
      create_schedule("Always", {{"timezone", "UTC"},
                                 {"weekly",
                                  {{{"days", {"mon", "tue", "wed", "thu", "fri", "sat", "sun"}},
                                    {"from", "00:00"},
                                    {"to", "00:00"}}}}});
  json never = create_schedule("Never", {{"timezone", "UTC"}});
  auto state = [&](const json& sc) {
    HttpResult r = call("GET", id_path("/api/v1/schedules", sc) + "/state");
    EXPECT_EQ(r.status, 200) << r.body;
    return r.json();
  };

  json open = state(always);
  EXPECT_EQ(open["open"], true) << open;
  EXPECT_EQ(open["reason"], "hours");
  EXPECT_EQ(open["timezone"], "UTC");
  EXPECT_TRUE(open["now"].is_string());
  EXPECT_FALSE(open.contains("holiday"));

  json closed = state(never);
  EXPECT_EQ(closed["open"], false) << closed;
  EXPECT_EQ(closed["reason"], "outside_hours");
  EXPECT_TRUE(closed["until"].is_null());

  ASSERT_EQ(call("PATCH", id_path("/api/v1/schedules", always), {{"override", "closed"}}).status,
            200);
  json forced_closed = state(always);
  EXPECT_EQ(forced_closed["open"], false);
  EXPECT_EQ(forced_closed["reason"], "override");
  EXPECT_TRUE(forced_closed["until"].is_null());

  ASSERT_EQ(call("PATCH", id_path("/api/v1/schedules", never), {{"override", "open"}}).status, 200);
  json forced_open = state(never);
  EXPECT_EQ(forced_open["open"], true);
  EXPECT_EQ(forced_open["reason"], "override");

  // A holiday today closes the always-open schedule (auto again), whatever today is.
  ASSERT_EQ(call("PATCH", id_path("/api/v1/schedules", always), {{"override", "auto"}}).status,
            200);
  const std::string today = open["now"].get<std::string>().substr(0, 10);
  HttpResult holiday = call("PATCH", id_path("/api/v1/schedules", always),
                            {{"holidays", {{{"name", "Test day"}, {"date", today}}}}});
  ASSERT_EQ(holiday.status, 200) << holiday.body;
  json on_holiday = state(always);
  // Midnight UTC may pass between the two requests; then the holiday is yesterday.
  if (on_holiday["now"].get<std::string>().substr(0, 10) == today) {
    EXPECT_EQ(on_holiday["open"], false) << on_holiday;
    EXPECT_EQ(on_holiday["reason"], "holiday");
    EXPECT_EQ(on_holiday["holiday"], "Test day");
  }
}

TEST_F(InboundApiTest, DeletingAScheduleInUseNeedsForceAndClearsTheGroups) {
  json sc = create_schedule("Used");
  json g = create_group("Scheduled", {{"schedule", sc["id"]}});
  EXPECT_EQ(g["schedule"], sc["id"]);

  HttpResult refused = call("DELETE", id_path("/api/v1/schedules", sc));
  expect_error(refused, 409, "");
  EXPECT_EQ(
      refused.json()["error"]["referrers"],
      (json::array(
          {{{"kind", "group"}, {"id", g["id"]}, {"name", "Scheduled"}, {"field", "schedule"}}})));
  expect_error(call("DELETE", id_path("/api/v1/schedules", sc) + "?force=maybe"), 400, "force");

  HttpResult forced = call("DELETE", id_path("/api/v1/schedules", sc) + "?force=true");
  ASSERT_EQ(forced.status, 200) << forced.body;
  EXPECT_EQ(forced.json()["deleted"], sc["id"]);
  EXPECT_EQ(forced.json()["cleared"][0]["id"], g["id"]);
  EXPECT_TRUE(call("GET", id_path("/api/v1/groups", g)).json()["schedule"].is_null());
  EXPECT_TRUE(call("GET", "/api/v1/routing-gaps").json()["items"].empty());
}

// ---- groups -----------------------------------------------------------------------------

TEST_F(InboundApiTest, GroupHoursAndHuntingFieldsRoundTrip) {
  json sc = create_schedule("Group hours");
  json night = create_group("Night shift");
  json g = create_group("Day shift");
  EXPECT_EQ(g["ring_in_use"], false);
  EXPECT_EQ(g["skip_unregistered"], true);
  EXPECT_TRUE(g["schedule"].is_null());
  EXPECT_TRUE(g["closed_destination"].is_null());

  HttpResult patched = call("PATCH", id_path("/api/v1/groups", g),
                            {{"ring_in_use", true},
                             {"skip_unregistered", false},
                             {"schedule", sc["id"]},
                             {"closed_destination", group_dest(night)}});
  ASSERT_EQ(patched.status, 200) << patched.body;
  EXPECT_EQ(patched.json()["ring_in_use"], true);
  EXPECT_EQ(patched.json()["skip_unregistered"], false);
  EXPECT_EQ(patched.json()["schedule"], sc["id"]);
  EXPECT_EQ(patched.json()["closed_destination"], group_dest(night));
  EXPECT_EQ(call("GET", id_path("/api/v1/groups", g)).json(), patched.json());

  expect_error(call("PATCH", id_path("/api/v1/groups", g), {{"schedule", 99999}}), 400, "schedule");
  expect_error(call("PATCH", id_path("/api/v1/groups", g), {{"ring_in_use", 1}}), 400,
               "ring_in_use");
  expect_error(call("PATCH", id_path("/api/v1/groups", g),
                    {{"closed_destination", {{"type", "user"}, {"id", 99999}}}}),
               400, "closed_destination.id");
  expect_error(call("PATCH", id_path("/api/v1/groups", g), {{"closed_destination", group_dest(g)}}),
               400, "closed_destination");

  // The group closed to Night is referenced by it.
  HttpResult refused = call("DELETE", id_path("/api/v1/groups", night));
  expect_error(refused, 409, "");
  EXPECT_EQ(refused.json()["error"]["referrers"][0]["field"], "closed_destination");

  HttpResult cleared = call("PATCH", id_path("/api/v1/groups", g),
                            {{"schedule", nullptr}, {"closed_destination", nullptr}});
  ASSERT_EQ(cleared.status, 200) << cleared.body;
  EXPECT_TRUE(cleared.json()["schedule"].is_null());
  EXPECT_TRUE(cleared.json()["closed_destination"].is_null());
}

TEST_F(InboundApiTest, CyclesThroughClosedDestinationsAreRefused) {
  json a = create_group("Cycle A");
  json b = create_group("Cycle B", {{"fallback", group_dest(a)}});
  // A closed to B closes A → B → A through B's fallback.
  HttpResult closed_loop =
      call("PATCH", id_path("/api/v1/groups", a), {{"closed_destination", group_dest(b)}});
  expect_error(closed_loop, 400, "closed_destination");
  EXPECT_NE(closed_loop.json()["error"]["message"].get<std::string>().find("Cycle B"),
            std::string::npos);
  // A third group closed to A, and A falling back to it: a loop through a closed destination.
  json c = create_group("Cycle C", {{"closed_destination", group_dest(a)}});
  expect_error(call("PATCH", id_path("/api/v1/groups", a), {{"fallback", group_dest(c)}}), 400,
               "fallback");
  // A new group can point anywhere: it cannot be on a cycle yet.
  EXPECT_EQ(create_group("Cycle D", {{"closed_destination", group_dest(b)}})["closed_destination"],
            group_dest(b));
  EXPECT_EQ(call("GET", "/api/v1/routing-gaps").json()["cycles"], json::array());
}

// ---- user status and membership pauses --------------------------------------------------

TEST_F(InboundApiTest, UserStatusForAdminsAndTheAgentItself) {
  json agent = create_user("Status Agent", "status.agent@example.com", "7201");
  json other = create_user("Other Agent", "other.agent@example.com", "7202");
  json sup = create_user("Status Sup", "status.sup@example.com", "7203", {{"role", "supervisor"}});
  const std::string agent_token = token_for(agent["id"]);
  const std::string sup_token = token_for(sup["id"]);
  const std::string path = id_path("/api/v1/users", agent) + "/status";

  const json idle = {{"ringing", false}, {"calls", 0}, {"last_call_ended_at", nullptr}};
  EXPECT_EQ(call("GET", path).json(), (json{{"user_id", agent["id"]},
                                            {"status", "available"},
                                            {"reason", nullptr},
                                            {"paused_in_groups", json::array()},
                                            {"live", idle}}));
  EXPECT_EQ(agent["paused"], false);
  EXPECT_TRUE(agent["pause_reason"].is_null());

  // The agent pauses itself.
  HttpResult paused =
      call("PUT", path, {{"status", "paused"}, {"reason", "  lunch  "}}, agent_token);
  ASSERT_EQ(paused.status, 200) << paused.body;
  EXPECT_EQ(paused.json(), (json{{"user_id", agent["id"]},
                                 {"status", "paused"},
                                 {"reason", "lunch"},
                                 {"paused_in_groups", json::array()},
                                 {"live", idle}}));
  EXPECT_EQ(call("GET", path, nullptr, agent_token).json(), paused.json());
  json user = call("GET", id_path("/api/v1/users", agent)).json();
  EXPECT_EQ(user["paused"], true);
  EXPECT_EQ(user["pause_reason"], "lunch");

  // Not anyone else's, and not reading anyone else's.
  const std::string other_path = id_path("/api/v1/users", other) + "/status";
  expect_error(call("PUT", other_path, {{"status", "paused"}}, agent_token), 403, "");
  expect_error(call("GET", other_path, nullptr, agent_token), 403, "");
  expect_error(call("PUT", "/api/v1/users/99999/status", {{"status", "paused"}}, agent_token), 403,
               "");
  EXPECT_EQ(call("GET", other_path).json()["status"], "available");

  // A supervisor resumes the agent; resuming clears the reason.
  HttpResult resumed = call("PUT", path, {{"status", "available"}}, sup_token);
  ASSERT_EQ(resumed.status, 200) << resumed.body;
  EXPECT_EQ(resumed.json()["status"], "available");
  EXPECT_TRUE(resumed.json()["reason"].is_null());
  EXPECT_TRUE(call("GET", id_path("/api/v1/users", agent)).json()["pause_reason"].is_null());

  expect_error(call("PUT", path, {{"status", "busy"}}), 400, "status");
  expect_error(call("PUT", path, json::object()), 400, "status");
  expect_error(call("PUT", path, {{"status", "available"}, {"reason", "x"}}), 400, "reason");
  expect_error(call("PUT", path, {{"status", "paused"}, {"reason", std::string(201, 'r')}}), 400,
               "reason");
  expect_error(call("PUT", path, {{"status", "paused"}, {"mood", "x"}}), 400, "mood");
  expect_error(call("PUT", "/api/v1/users/99999/status", {{"status", "paused"}}), 404, "");
  // paused is not set through PATCH.
  expect_error(call("PATCH", id_path("/api/v1/users", agent), {{"paused", true}}), 400, "paused");
}

TEST_F(InboundApiTest, MembershipPauseRoundTripAndWhoMayPause) {
  json g = create_group("Pause Group");
  json agent = create_user("Pause Agent", "pause.agent@example.com", "7301");
  json other = create_user("Pause Other", "pause.other@example.com", "7302");
  const std::string agent_token = token_for(agent["id"]);
  const std::string member =
      id_path("/api/v1/groups", g) + "/members/" + std::to_string(agent["id"].get<std::int64_t>());
  const std::string mine =
      id_path("/api/v1/users", agent) + "/groups/" + std::to_string(g["id"].get<std::int64_t>());
  const std::string others =
      id_path("/api/v1/users", other) + "/groups/" + std::to_string(g["id"].get<std::int64_t>());

  // An agent cannot join a group by pausing in it.
  expect_error(call("PUT", mine, {{"paused", true}}, agent_token), 404, "");
  HttpResult joined = call("PUT", member, json::object());
  ASSERT_EQ(joined.status, 201) << joined.body;
  EXPECT_EQ(joined.json()["paused"], false);
  EXPECT_TRUE(joined.json()["pause_reason"].is_null());
  ASSERT_EQ(call("PUT",
                 id_path("/api/v1/groups", g) + "/members/" +
                     std::to_string(other["id"].get<std::int64_t>()),
                 json::object())
                .status,
            201);

  // The agent pauses itself in this group only, from the user's side.
  HttpResult paused =
      call("PUT", mine, {{"paused", true}, {"pause_reason", "training"}}, agent_token);
  ASSERT_EQ(paused.status, 200) << paused.body;
  EXPECT_EQ(paused.json()["paused"], true);
  EXPECT_EQ(paused.json()["pause_reason"], "training");
  EXPECT_EQ(paused.json()["group_id"], g["id"]);
  EXPECT_EQ(paused.json()["position"], 1);
  json members = call("GET", id_path("/api/v1/groups", g) + "/members").json()["items"];
  ASSERT_EQ(members.size(), 2u);
  EXPECT_EQ(members[0]["paused"], true);
  EXPECT_EQ(members[0]["pause_reason"], "training");
  EXPECT_EQ(members[1]["paused"], false);
  // Paused in one group is not paused everywhere; the status lists the group's pause.
  const json status = call("GET", id_path("/api/v1/users", agent) + "/status").json();
  EXPECT_EQ(status["status"], "available");
  EXPECT_EQ(status["paused_in_groups"],
            (json::array({{{"group_id", g["id"]}, {"reason", "training"}}})));

  // Agents may not move themselves, pause others, or send an empty body.
  expect_error(call("PUT", mine, {{"paused", true}, {"position", 2}}, agent_token), 403, "");
  expect_error(call("PUT", mine, json::object(), agent_token), 403, "");
  expect_error(call("PUT", others, {{"paused", true}}, agent_token), 403, "");

  // A supervisor may pause anyone, but not move them.
  json sup = create_user("Pause Sup", "pause.sup@example.com", "7304", {{"role", "supervisor"}});
  const std::string sup_token = token_for(sup["id"]);
  HttpResult by_sup = call("PUT", others, {{"paused", true}}, sup_token);
  ASSERT_EQ(by_sup.status, 200) << by_sup.body;
  EXPECT_EQ(by_sup.json()["paused"], true);
  EXPECT_EQ(by_sup.json()["pause_reason"], "");
  expect_error(call("PUT", others, {{"position", 1}}, sup_token), 403, "");

  // An admin resumes it from the group's side; the position stays.
  HttpResult resumed = call("PUT", member, {{"paused", false}});
  ASSERT_EQ(resumed.status, 200) << resumed.body;
  EXPECT_EQ(resumed.json()["paused"], false);
  EXPECT_TRUE(resumed.json()["pause_reason"].is_null());
  EXPECT_EQ(resumed.json()["position"], 1);
  EXPECT_EQ(resumed.json()["user_id"], agent["id"]);

  expect_error(call("PUT", member, {{"pause_reason", "x"}}), 400, "pause_reason");
  expect_error(call("PUT", member, {{"paused", false}, {"pause_reason", "x"}}), 400,
               "pause_reason");
  expect_error(call("PUT", member, {{"paused", "yes"}}), 400, "paused");
  expect_error(call("PUT", member, {{"paused", true}, {"pause_reason", std::string(201, 'x')}}),
               400, "pause_reason");
  // An admin may add a member paused in one request.
  json third = create_user("Pause Third", "pause.third@example.com", "7303");
  HttpResult added = call(
      "PUT",
      id_path("/api/v1/groups", g) + "/members/" + std::to_string(third["id"].get<std::int64_t>()),
      {{"paused", true}, {"position", 1}});
  ASSERT_EQ(added.status, 201) << added.body;
  EXPECT_EQ(added.json()["paused"], true);
  EXPECT_EQ(added.json()["position"], 1);
}

TEST_F(InboundApiTest, AgentsCannotReadOrWriteRoutesAndSchedules) {
  json agent = create_user("Plain Agent", "plain.agent@example.com", "7401");
  json sup = create_user("Plain Sup", "plain.sup@example.com", "7402", {{"role", "supervisor"}});
  const std::string agent_token = token_for(agent["id"]);
  const std::string sup_token = token_for(sup["id"]);
  json sc = create_schedule("Readable");
  for (const char* path : {"/api/v1/inbound-routes", "/api/v1/schedules"}) {
    expect_error(call("GET", path, nullptr, agent_token), 403, "");
    EXPECT_EQ(call("GET", path, nullptr, sup_token).status, 200);
    expect_error(call("POST", path, {{"name", "x"}}, sup_token), 403, "");
  }
  EXPECT_EQ(call("GET", id_path("/api/v1/schedules", sc) + "/state", nullptr, sup_token).status,
            200);
  expect_error(call("GET", id_path("/api/v1/schedules", sc) + "/state", nullptr, agent_token), 403,
               "");
  expect_error(call("DELETE", id_path("/api/v1/schedules", sc), nullptr, sup_token), 403, "");
}

}  // namespace
}  // namespace cohort::testing
