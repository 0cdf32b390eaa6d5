// Groups and memberships over the real server: fields, validation, fallbacks, membership
// from both sides, deletion with and without references.

#include "integration/api_fixture.hpp"

namespace cohort::testing {
namespace {

TEST_F(ApiTest, GroupCrudWithEveryField) {
  json trunk = call("POST", "/api/v1/trunks", {{"name", "CallCentric"}}).json();
  json other = create_group("Overflow");
  json g = create_group("Sales Dept", {{"description", "Sales"},
                                       {"extension", "600"},
                                       {"outbound_caller_id", "010000"},
                                       {"trunk", trunk["id"]},
                                       {"ring_strategy", "round_robin"},
                                       {"ring_timeout_s", 25},
                                       {"max_wait_s", 90},
                                       {"wrap_up_s", 15},
                                       {"cti_scope", true},
                                       {"fallback", {{"type", "group"}, {"id", other["id"]}}}});
  EXPECT_EQ(g["outbound_caller_id"], "010000");
  EXPECT_EQ(g["trunk"], trunk["id"]);
  EXPECT_EQ(g["ring_strategy"], "round_robin");
  EXPECT_EQ(g["ring_timeout_s"], 25);
  EXPECT_EQ(g["max_wait_s"], 90);
  EXPECT_EQ(g["wrap_up_s"], 15);
  EXPECT_EQ(g["cti_scope"], true);
  EXPECT_EQ(g["fallback"], (json{{"type", "group"}, {"id", other["id"]}}));
  EXPECT_EQ(g["member_count"], 0);

  json defaults = create_group("Plain");
  EXPECT_EQ(defaults["ring_strategy"], "simultaneous");
  EXPECT_EQ(defaults["ring_timeout_s"], 20);
  EXPECT_EQ(defaults["max_wait_s"], 120);
  EXPECT_EQ(defaults["wrap_up_s"], 0);
  EXPECT_TRUE(defaults["fallback"].is_null());
  EXPECT_TRUE(defaults["extension"].is_null());

  EXPECT_EQ(call("GET", id_path("/api/v1/groups", g)).json(), g);
  HttpResult p =
      call("PATCH", id_path("/api/v1/groups", g),
           {{"outbound_caller_id", "+4930123"}, {"fallback", nullptr}, {"trunk", nullptr}});
  ASSERT_EQ(p.status, 200) << p.body;
  EXPECT_EQ(p.json()["outbound_caller_id"], "+4930123");
  EXPECT_TRUE(p.json()["fallback"].is_null());
  EXPECT_TRUE(p.json()["trunk"].is_null());
  EXPECT_EQ(call("GET", "/api/v1/groups?q=sales").json()["items"].size(), 1u);
  EXPECT_EQ(call("GET", "/api/v1/groups").json()["items"].size(), 3u);
}

TEST_F(ApiTest, GroupBadInputNamesTheField) {
  json g = create_group("Support");
  struct Case {
    json body;
    std::string field;
  };
  const Case cases[] = {
      {{{"name", "support"}}, "name"},  // case-insensitive duplicate → 409 below
      {{{"name", "A"}, {"ring_strategy", "loudest"}}, "ring_strategy"},
      {{{"name", "A"}, {"ring_timeout_s", 0}}, "ring_timeout_s"},
      {{{"name", "A"}, {"ring_timeout_s", "20"}}, "ring_timeout_s"},
      {{{"name", "A"}, {"max_wait_s", 999999}}, "max_wait_s"},
      {{{"name", "A"}, {"wrap_up_s", -1}}, "wrap_up_s"},
      {{{"name", "A"}, {"outbound_caller_id", "01-00-00"}}, "outbound_caller_id"},
      {{{"name", "A"}, {"outbound_caller_id", "+"}}, "outbound_caller_id"},
      {{{"name", "A"}, {"extension", "6"}}, "extension"},
      {{{"name", "A"}, {"trunk", 4242}}, "trunk"},
      {{{"name", "A"}, {"cti_scope", 1}}, "cti_scope"},
      {{{"name", "A"}, {"fallback", {{"type", "group"}, {"id", 4242}}}}, "fallback.id"},
      {{{"name", "A"}, {"fallback", {{"type", "teleport"}}}}, "fallback.type"},
      {{{"name", "A"}, {"fallback", {{"type", "number"}, {"number", "abc"}}}}, "fallback.number"},
      {{{"name", "A"}, {"fallback", {{"type", "hangup"}, {"id", 1}}}}, "fallback.id"},
      {{{"name", "A"}, {"auto_pause_after", -1}}, "auto_pause_after"},
      {{{"name", "A"}, {"auto_pause_after", 101}}, "auto_pause_after"},
      {{{"name", "A"}, {"auto_pause_after", "3"}}, "auto_pause_after"},
      {{{"name", "A"}, {"auto_pause_after", 2.5}}, "auto_pause_after"},
      {{{"name", "A"}, {"auto_pause_unreachable", "yes"}}, "auto_pause_unreachable"},
      {{{"name", "A"}, {"auto_pause_scope", "everywhere"}}, "auto_pause_scope"},
      {{{"name", "A"}, {"auto_pause_scope", nullptr}}, "auto_pause_scope"},
      {{{"name", "A"}, {"waiting_mode", "music"}}, "waiting_mode"},
      {{{"name", "A"}, {"waiting_mode", 1}}, "waiting_mode"},
      {{{"name", "A"}, {"announce_position_every_s", -1}}, "announce_position_every_s"},
      {{{"name", "A"}, {"announce_position_every_s", 601}}, "announce_position_every_s"},
      {{{"name", "A"}, {"announce_position_every_s", "30"}}, "announce_position_every_s"},
      {{{"name", "A"}, {"member_count", 3}}, "member_count"},
      {{{"name", "A"}, {"colour", "red"}}, "colour"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.body.dump());
    HttpResult r = call("POST", "/api/v1/groups", c.body);
    expect_error(r, c.field == "name" ? 409 : 400, c.field);
  }
  EXPECT_EQ(call("GET", "/api/v1/groups").json()["items"].size(), 1u);
  // A group cannot fall back to itself, nor close a longer cycle.
  expect_error(call("PATCH", id_path("/api/v1/groups", g),
                    {{"fallback", {{"type", "group"}, {"id", g["id"]}}}}),
               400, "fallback");
  json b = create_group("B", {{"fallback", {{"type", "group"}, {"id", g["id"]}}}});
  HttpResult cycle = call("PATCH", id_path("/api/v1/groups", g),
                          {{"fallback", {{"type", "group"}, {"id", b["id"]}}}});
  expect_error(cycle, 400, "fallback");
  EXPECT_TRUE(call("GET", id_path("/api/v1/groups", g)).json()["fallback"].is_null());
}

// Auto-pause settings (docs/routing.md "Auto-pause"): off by default, stored, patched alone.
TEST_F(ApiTest, GroupAutoPauseSettings) {
  json plain = create_group("Plain desk");
  EXPECT_EQ(plain["auto_pause_after"], 0);
  EXPECT_EQ(plain["auto_pause_unreachable"], false);
  EXPECT_EQ(plain["auto_pause_scope"], "group");
  json g = create_group(
      "Strict desk",
      {{"auto_pause_after", 3}, {"auto_pause_unreachable", true}, {"auto_pause_scope", "all"}});
  EXPECT_EQ(g["auto_pause_after"], 3);
  EXPECT_EQ(g["auto_pause_unreachable"], true);
  EXPECT_EQ(g["auto_pause_scope"], "all");
  EXPECT_EQ(call("GET", id_path("/api/v1/groups", g)).json(), g);
  HttpResult p = call("PATCH", id_path("/api/v1/groups", g), {{"auto_pause_after", 100}});
  ASSERT_EQ(p.status, 200) << p.body;
  EXPECT_EQ(p.json()["auto_pause_after"], 100);
  EXPECT_EQ(p.json()["auto_pause_scope"], "all") << "a PATCH changes only what it sends";
  expect_error(call("PATCH", id_path("/api/v1/groups", g), {{"auto_pause_after", 1000}}), 400,
               "auto_pause_after");
  EXPECT_EQ(call("GET", id_path("/api/v1/groups", g)).json()["auto_pause_after"], 100)
      << "a refused PATCH changes nothing";
}

// Waiting for a group (issue 13): ringback and no announcements by default; stored, patched
// alone, and read back the same.
TEST_F(ApiTest, GroupWaitingSettings) {
  json plain = create_group("Quiet desk");
  EXPECT_EQ(plain["waiting_mode"], "ringback");
  EXPECT_EQ(plain["announce_position_every_s"], 0);
  json g = create_group("Busy desk",
                        {{"waiting_mode", "early_media"}, {"announce_position_every_s", 600}});
  EXPECT_EQ(g["waiting_mode"], "early_media");
  EXPECT_EQ(g["announce_position_every_s"], 600);
  EXPECT_EQ(call("GET", id_path("/api/v1/groups", g)).json(), g);
  HttpResult p = call("PATCH", id_path("/api/v1/groups", g), {{"waiting_mode", "answer"}});
  ASSERT_EQ(p.status, 200) << p.body;
  EXPECT_EQ(p.json()["waiting_mode"], "answer");
  EXPECT_EQ(p.json()["announce_position_every_s"], 600) << "a PATCH changes only what it sends";
  HttpResult q = call("PATCH", id_path("/api/v1/groups", g), {{"announce_position_every_s", 0}});
  ASSERT_EQ(q.status, 200) << q.body;
  EXPECT_EQ(q.json()["announce_position_every_s"], 0);
  expect_error(call("PATCH", id_path("/api/v1/groups", g), {{"waiting_mode", "hold"}}), 400,
               "waiting_mode");
  expect_error(call("PATCH", id_path("/api/v1/groups", g), {{"announce_position_every_s", 601}}),
               400, "announce_position_every_s");
  json stored = call("GET", id_path("/api/v1/groups", g)).json();
  EXPECT_EQ(stored["waiting_mode"], "answer") << "a refused PATCH changes nothing";
  EXPECT_EQ(stored["announce_position_every_s"], 0);
}

TEST_F(ApiTest, MembershipFromTheGroupSide) {
  json g = create_group("Team");
  json a = create_user("A", "a@example.com", "1101");
  json b = create_user("B", "b@example.com", "1102");
  json c = create_user("C", "c@example.com", "1103");
  std::string members = id_path("/api/v1/groups", g) + "/members/";
  auto uid = [](const json& u) { return std::to_string(u["id"].get<std::int64_t>()); };
  HttpResult first = call("PUT", members + uid(a));
  ASSERT_EQ(first.status, 201) << first.body;
  EXPECT_EQ(first.json()["position"], 1);
  EXPECT_EQ(first.json()["user_id"], a["id"]);
  EXPECT_TRUE(first.json()["joined_at"].is_string());
  EXPECT_EQ(call("PUT", members + uid(b)).status, 201);
  // C joins at the front: the others shift down.
  HttpResult front = call("PUT", members + uid(c), {{"position", 1}});
  ASSERT_EQ(front.status, 201) << front.body;
  auto order = [&]() {
    std::vector<std::int64_t> ids;
    const json listed_1 = call("GET", id_path("/api/v1/groups", g) + "/members").json()["items"];
    for (const json& m : listed_1) {
      ids.push_back(m["user_id"].get<std::int64_t>());
      EXPECT_EQ(m["position"].get<std::size_t>(), ids.size()) << "positions stay dense";
    }
    return ids;
  };
  using V = std::vector<std::int64_t>;
  EXPECT_EQ(order(), (V{c["id"], a["id"], b["id"]}));
  // PUT again is idempotent (200) and may move the member.
  EXPECT_EQ(call("PUT", members + uid(c), {{"position", 3}}).status, 200);
  EXPECT_EQ(order(), (V{a["id"], b["id"], c["id"]}));
  EXPECT_EQ(call("PUT", members + uid(a)).status, 200);
  EXPECT_EQ(order(), (V{a["id"], b["id"], c["id"]})) << "PUT without position keeps the place";
  // Paginated by position.
  json page = call("GET", id_path("/api/v1/groups", g) + "/members?limit=2").json();
  ASSERT_EQ(page["items"].size(), 2u);
  json rest = call("GET", id_path("/api/v1/groups", g) +
                              "/members?limit=2&cursor=" + page["next_cursor"].get<std::string>())
                  .json();
  ASSERT_EQ(rest["items"].size(), 1u);
  EXPECT_EQ(rest["items"][0]["user_id"], c["id"]);

  EXPECT_EQ(call("DELETE", members + uid(a)).status, 204);
  EXPECT_EQ(order(), (V{b["id"], c["id"]}));
  expect_error(call("DELETE", members + uid(a)), 404, "");
  expect_error(call("PUT", members + "9999"), 404, "");
  expect_error(call("PUT", members + uid(a), {{"position", 0}}), 400, "position");
  expect_error(call("PUT", members + uid(a), {{"rank", 1}}), 400, "rank");
  EXPECT_EQ(call("GET", id_path("/api/v1/groups", g)).json()["member_count"], 2);
}

TEST_F(ApiTest, MembershipFromTheUserSide) {
  json g1 = create_group("One");
  json g2 = create_group("Two");
  json g3 = create_group("Three");
  json u = create_user("U", "u@example.com", "1201");
  std::string groups = id_path("/api/v1/users", u) + "/groups";
  auto group_ids = [&]() {
    std::vector<std::int64_t> ids;
    const json listed_2 = call("GET", groups).json()["items"];
    for (const json& m : listed_2) {
      ids.push_back(m["group_id"].get<std::int64_t>());
    }
    return ids;
  };
  using V = std::vector<std::int64_t>;
  HttpResult r = call("PUT", groups, {{"group_ids", {g1["id"], g2["id"]}}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(group_ids(), (V{g1["id"], g2["id"]}));
  // Replacing the set keeps g2's membership, leaves g1, joins g3.
  std::string g2_joined = call("GET", groups).json()["items"][1]["joined_at"];
  ASSERT_EQ(call("PUT", groups, {{"group_ids", {g2["id"], g3["id"]}}}).status, 200);
  EXPECT_EQ(group_ids(), (V{g2["id"], g3["id"]}));
  EXPECT_EQ(call("GET", groups).json()["items"][0]["joined_at"], g2_joined);
  EXPECT_EQ(call("GET", id_path("/api/v1/groups", g1) + "/members").json()["items"].size(), 0u);
  // The group side sees the same memberships.
  json members = call("GET", id_path("/api/v1/groups", g3) + "/members").json()["items"];
  ASSERT_EQ(members.size(), 1u);
  EXPECT_EQ(members[0]["user_id"], u["id"]);
  // One group at a time from the profile.
  std::string one = groups + "/" + std::to_string(g1["id"].get<std::int64_t>());
  EXPECT_EQ(call("PUT", one).status, 201);
  EXPECT_EQ(call("DELETE", one).status, 204);
  // A bad set changes nothing: the whole replacement is one transaction.
  expect_error(call("PUT", groups, {{"group_ids", {g1["id"], 9999}}}), 400, "group_ids[1]");
  expect_error(call("PUT", groups, {{"group_ids", {g1["id"], g1["id"]}}}), 400, "group_ids[1]");
  expect_error(call("PUT", groups, {{"group_ids", "1,2"}}), 400, "group_ids");
  expect_error(call("PUT", groups, {{"groups", json::array()}}), 400, "groups");
  EXPECT_EQ(group_ids(), (V{g2["id"], g3["id"]}));
  ASSERT_EQ(call("PUT", groups, {{"group_ids", json::array()}}).status, 200);
  EXPECT_EQ(group_ids(), V{});
}

TEST_F(ApiTest, GroupDeleteKeepsUsersAndRemovesMemberships) {
  json g = create_group("Temp", {{"extension", "650"}});
  json u = create_user("Kept", "kept@example.com", "1301");
  std::string uid = std::to_string(u["id"].get<std::int64_t>());
  ASSERT_EQ(call("PUT", id_path("/api/v1/groups", g) + "/members/" + uid).status, 201);
  EXPECT_EQ(call("DELETE", id_path("/api/v1/groups", g)).status, 204);
  expect_error(call("GET", id_path("/api/v1/groups", g)), 404, "");
  json after = call("GET", id_path("/api/v1/users", u)).json();
  EXPECT_EQ(after["active"], true) << "deleting a group never deactivates users";
  EXPECT_EQ(call("GET", id_path("/api/v1/users", u) + "/groups").json()["items"].size(), 0u);
  // The extension is free again.
  create_group("Reuse", {{"extension", "650"}});
}

TEST_F(ApiTest, GroupDeleteWithReferencesIsRefusedUnlessForced) {
  json target = create_group("Tier 2");
  json holder = create_group("Tier 1", {{"fallback", {{"type", "group"}, {"id", target["id"]}}}});
  json vm =
      create_group("After hours",
                   {{"fallback", {{"type", "voicemail"}, {"box", "group"}, {"id", target["id"]}}}});
  HttpResult refused = call("DELETE", id_path("/api/v1/groups", target));
  expect_error(refused, 409, "");
  json refs = refused.json()["error"]["referrers"];
  ASSERT_EQ(refs.size(), 2u);
  EXPECT_EQ(refs[0]["id"], holder["id"]);
  EXPECT_EQ(refs[0]["kind"], "group");
  EXPECT_EQ(refs[1]["id"], vm["id"]);
  EXPECT_EQ(call("GET", id_path("/api/v1/groups", target)).status, 200);
  EXPECT_EQ(call("GET", "/api/v1/routing-gaps").json()["items"].size(), 0u);

  HttpResult forced = call("DELETE", id_path("/api/v1/groups", target) + "?force=true");
  ASSERT_EQ(forced.status, 200) << forced.body;
  EXPECT_EQ(forced.json()["routing_gaps"].size(), 2u);
  json gaps = call("GET", "/api/v1/routing-gaps").json()["items"];
  ASSERT_EQ(gaps.size(), 2u);
  EXPECT_EQ(gaps[0]["holder"]["name"], "Tier 1");
  EXPECT_EQ(gaps[0]["field"], "fallback");
  EXPECT_EQ(gaps[0]["destination"]["id"], target["id"]);
  // A group with a gap can still be edited; its dangling fallback is kept as it is.
  HttpResult renamed = call("PATCH", id_path("/api/v1/groups", vm), {{"name", "Evenings"}});
  ASSERT_EQ(renamed.status, 200) << renamed.body;
  EXPECT_EQ(renamed.json()["fallback"]["id"], target["id"]);
  // Mending the reference closes the gap.
  ASSERT_EQ(
      call("PATCH", id_path("/api/v1/groups", holder), {{"fallback", {{"type", "hangup"}}}}).status,
      200);
  EXPECT_EQ(call("GET", "/api/v1/routing-gaps").json()["items"].size(), 1u);
  // A group whose own fallback is its voicemail deletes without a fuss.
  json self = create_group("Self");
  ASSERT_EQ(call("PATCH", id_path("/api/v1/groups", self),
                 {{"fallback", {{"type", "voicemail"}, {"box", "group"}, {"id", self["id"]}}}})
                .status,
            200);
  EXPECT_EQ(call("DELETE", id_path("/api/v1/groups", self)).status, 204);
}

TEST_F(ApiTest, TrunkCrudAndDeleteClearsGroupsOnlyWhenForced) {
  HttpResult t = call("POST", "/api/v1/trunks", {{"name", "CallCentric"}});
  ASSERT_EQ(t.status, 201) << t.body;
  expect_error(call("POST", "/api/v1/trunks", {{"name", "callcentric"}}), 409, "name");
  json g = create_group("Sales", {{"trunk", t.json()["id"]}});
  std::string path = id_path("/api/v1/trunks", t.json());
  EXPECT_EQ(call("PATCH", path, {{"name", "CallCentric US"}}).json()["name"], "CallCentric US");
  expect_error(call("DELETE", path), 409, "");
  HttpResult forced = call("DELETE", path + "?force=true");
  ASSERT_EQ(forced.status, 200) << forced.body;
  EXPECT_TRUE(call("GET", id_path("/api/v1/groups", g)).json()["trunk"].is_null());
  expect_error(call("GET", path), 404, "");
}

}  // namespace
}  // namespace cohort::testing
