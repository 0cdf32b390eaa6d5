// IVR menus over the real server (docs/api.md "IVR menus"): every field, defaults, PUT and
// PATCH, strict input naming the field, roles, the ivr destination everywhere one is taken,
// cycles of automatic exits, referenced deletes (409 / forced → routing gaps), restart.

#include "integration/api_fixture.hpp"

#include <thread>

#include "support/sip_client.hpp"

namespace cohort::testing {
namespace {

class IvrApiTest : public ApiTest {
 protected:
  json create_menu(const std::string& name, json extra = json::object()) {
    json body = {{"name", name}};
    body.update(extra);
    HttpResult r = call("POST", "/api/v1/ivr-menus", body);
    EXPECT_EQ(r.status, 201) << r.body;
    return r.json();
  }
  static json to(const std::string& type, const json& obj) {
    return {{"type", type}, {"id", obj.at("id")}};
  }
};

TEST_F(IvrApiTest, CrudWithEveryField) {
  json sales = create_group("Sales");
  json support = create_group("Support");
  json ana = create_user("Ana", "ana@example.com", "1201");
  json plain = create_menu("Plain");
  EXPECT_EQ(plain["options"], json::object());
  EXPECT_EQ(plain["timeout_s"], 5);
  EXPECT_TRUE(plain["timeout"].is_null());
  EXPECT_TRUE(plain["invalid"].is_null());
  EXPECT_EQ(plain["repeat"], 3);
  EXPECT_EQ(plain["direct_dial"], false);
  EXPECT_TRUE(plain["created_at"].is_string());

  json options = {{"1", to("group", sales)}, {"2", to("group", support)},
                  {"*", to("user", ana)},    {"#", {{"type", "hangup"}}},
                  {"0", to("ivr", plain)},   {"9", {{"type", "number"}, {"number", "+4930123"}}}};
  json main = create_menu("Main", {{"options", options},
                                   {"timeout_s", 8},
                                   {"timeout", to("group", support)},
                                   {"invalid", to("ivr", plain)},
                                   {"repeat", 2},
                                   {"direct_dial", true}});
  EXPECT_EQ(main["options"], options);
  EXPECT_EQ(main["timeout_s"], 8);
  EXPECT_EQ(main["timeout"], to("group", support));
  EXPECT_EQ(main["invalid"], to("ivr", plain));
  EXPECT_EQ(main["repeat"], 2);
  EXPECT_EQ(main["direct_dial"], true);
  EXPECT_EQ(call("GET", id_path("/api/v1/ivr-menus", main)).json(), main);

  // The usual list envelope, paged by id, with a name filter.
  json list = call("GET", "/api/v1/ivr-menus").json();
  ASSERT_EQ(list["items"].size(), 2u);
  EXPECT_TRUE(list["next_cursor"].is_null());
  json page = call("GET", "/api/v1/ivr-menus?limit=1").json();
  ASSERT_EQ(page["items"].size(), 1u);
  EXPECT_EQ(page["items"][0]["id"], plain["id"]);
  ASSERT_TRUE(page["next_cursor"].is_string());
  json rest =
      call("GET", "/api/v1/ivr-menus?limit=1&cursor=" + page["next_cursor"].get<std::string>())
          .json();
  ASSERT_EQ(rest["items"].size(), 1u);
  EXPECT_EQ(rest["items"][0]["id"], main["id"]);
  EXPECT_EQ(call("GET", "/api/v1/ivr-menus?q=MAI").json()["items"].size(), 1u);

  // PATCH changes what it sends; options are replaced whole.
  HttpResult patched = call("PATCH", id_path("/api/v1/ivr-menus", main),
                            {{"options", {{"3", to("group", sales)}}}, {"timeout", nullptr}});
  ASSERT_EQ(patched.status, 200) << patched.body;
  EXPECT_EQ(patched.json()["options"], (json{{"3", to("group", sales)}}));
  EXPECT_TRUE(patched.json()["timeout"].is_null());
  EXPECT_EQ(patched.json()["repeat"], 2) << "a PATCH changes only what it sends";
  EXPECT_EQ(patched.json()["created_at"], main["created_at"]);

  // PUT replaces the whole menu: what it leaves out takes its default.
  HttpResult put = call("PUT", id_path("/api/v1/ivr-menus", main),
                        {{"name", "Reception"}, {"options", {{"1", to("group", support)}}}});
  ASSERT_EQ(put.status, 200) << put.body;
  EXPECT_EQ(put.json()["name"], "Reception");
  EXPECT_EQ(put.json()["repeat"], 3);
  EXPECT_EQ(put.json()["timeout_s"], 5);
  EXPECT_EQ(put.json()["direct_dial"], false);
  EXPECT_TRUE(put.json()["invalid"].is_null());
  expect_error(call("PUT", id_path("/api/v1/ivr-menus", main), {{"repeat", 2}}), 400, "name");

  EXPECT_EQ(call("DELETE", id_path("/api/v1/ivr-menus", main)).status, 204);
  expect_error(call("GET", id_path("/api/v1/ivr-menus", main)), 404, "");
  expect_error(call("PATCH", id_path("/api/v1/ivr-menus", main), {{"repeat", 2}}), 404, "");
  expect_error(call("PUT", id_path("/api/v1/ivr-menus", main), {{"name", "X"}}), 404, "");
  expect_error(call("DELETE", id_path("/api/v1/ivr-menus", main)), 404, "");
  expect_error(call("GET", "/api/v1/ivr-menus/abc"), 404, "");
}

TEST_F(IvrApiTest, BadInputNamesTheField) {
  json g = create_group("Sales");
  json existing = create_menu("Main");
  struct Case {
    json body;
    std::string field;
    int status = 400;
  };
  const Case cases[] = {
      {{{"name", "main"}}, "name", 409},
      {{{"name", " "}}, "name"},
      {{{"name", 7}}, "name"},
      {{{"name", "A"}, {"colour", "red"}}, "colour"},
      {{{"name", "A"}, {"id", 3}}, "id"},
      {{{"name", "A"}, {"created_at", "2026-01-01T00:00:00Z"}}, "created_at"},
      {{{"name", "A"}, {"options", json::array()}}, "options"},
      {{{"name", "A"}, {"options", nullptr}}, "options"},
      {{{"name", "A"}, {"options", {{"A", {{"type", "hangup"}}}}}}, "options.A"},
      {{{"name", "A"}, {"options", {{"10", {{"type", "hangup"}}}}}}, "options.10"},
      {{{"name", "A"}, {"options", {{"", {{"type", "hangup"}}}}}}, "options"},
      {{{"name", "A"}, {"options", {{"7", {{"type", "group"}, {"id", 4242}}}}}}, "options.7.id"},
      {{{"name", "A"}, {"options", {{"7", {{"type", "group"}}}}}}, "options.7.id"},
      {{{"name", "A"}, {"options", {{"7", {{"type", "group"}, {"id", "1"}}}}}}, "options.7.id"},
      {{{"name", "A"}, {"options", {{"#", {{"type", "teleport"}}}}}}, "options.#.type"},
      {{{"name", "A"}, {"options", {{"*", {{"type", "ivr"}, {"id", 4242}}}}}}, "options.*.id"},
      {{{"name", "A"}, {"options", {{"5", {{"type", "number"}, {"number", "x"}}}}}},
       "options.5.number"},
      {{{"name", "A"}, {"options", {{"5", "hangup"}}}}, "options.5"},
      {{{"name", "A"}, {"timeout_s", 0}}, "timeout_s"},
      {{{"name", "A"}, {"timeout_s", 61}}, "timeout_s"},
      {{{"name", "A"}, {"timeout_s", "5"}}, "timeout_s"},
      {{{"name", "A"}, {"timeout_s", 2.5}}, "timeout_s"},
      {{{"name", "A"}, {"repeat", 0}}, "repeat"},
      {{{"name", "A"}, {"repeat", 11}}, "repeat"},
      {{{"name", "A"}, {"repeat", true}}, "repeat"},
      {{{"name", "A"}, {"direct_dial", 1}}, "direct_dial"},
      {{{"name", "A"}, {"timeout", {{"type", "user"}, {"id", 4242}}}}, "timeout.id"},
      {{{"name", "A"}, {"timeout", "hangup"}}, "timeout"},
      {{{"name", "A"}, {"invalid", {{"type", "ivr"}, {"id", 4242}}}}, "invalid.id"},
      {{{"name", "A"}, {"invalid", {{"type", "hangup"}, {"id", 1}}}}, "invalid.id"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.body.dump());
    expect_error(call("POST", "/api/v1/ivr-menus", c.body), c.status, c.field);
  }
  expect_error(call("POST", "/api/v1/ivr-menus", {{"repeat", 2}}), 400, "name");
  expect_error(call_raw_body("POST", "/api/v1/ivr-menus", "{\"name\": "), 400, "");
  EXPECT_EQ(call("GET", "/api/v1/ivr-menus").json()["items"].size(), 1u) << "nothing was written";

  // A menu's automatic exits cannot lead back to itself, nor close a cycle.
  const std::string path = id_path("/api/v1/ivr-menus", existing);
  expect_error(call("PATCH", path, {{"timeout", to("ivr", existing)}}), 400, "timeout.id");
  json sub = create_menu("Sub", {{"invalid", to("ivr", existing)}});
  HttpResult cycle = call("PATCH", path, {{"timeout", to("ivr", sub)}});
  expect_error(cycle, 400, "timeout");
  EXPECT_NE(cycle.json()["error"]["message"].get<std::string>().find("IVR Sub"), std::string::npos)
      << cycle.body;
  // … nor through a group's fallback.
  ASSERT_EQ(call("PATCH", path, {{"invalid", to("group", g)}}).status, 200);
  HttpResult group_cycle =
      call("PATCH", id_path("/api/v1/groups", g), {{"fallback", to("ivr", existing)}});
  expect_error(group_cycle, 400, "fallback");
  EXPECT_EQ(group_cycle.json()["error"]["message"],
            "fallback cycle: Sales(" + std::to_string(g["id"].get<std::int64_t>()) +
                ") → IVR Main(" + std::to_string(existing["id"].get<std::int64_t>()) +
                ") → Sales(" + std::to_string(g["id"].get<std::int64_t>()) + ")");
  // Options may lead back: the caller chose ("0 — main menu").
  ASSERT_EQ(call("PATCH", path, {{"options", {{"0", to("ivr", existing)}, {"9", to("ivr", sub)}}}})
                .status,
            200);
  ASSERT_EQ(
      call("PATCH", id_path("/api/v1/ivr-menus", sub), {{"options", {{"0", to("ivr", existing)}}}})
          .status,
      200);
  EXPECT_EQ(call("GET", "/api/v1/routing-gaps").json()["cycles"], json::array());
}

TEST_F(IvrApiTest, TheIvrDestinationIsAcceptedEverywhere) {
  json menu = create_menu("Main");
  json trunk = call("POST", "/api/v1/trunks", {{"name", "Carrier"}}).json();
  HttpResult route =
      call("POST", "/api/v1/inbound-routes",
           {{"name", "Main number"}, {"did", "4930123"}, {"destination", to("ivr", menu)}});
  ASSERT_EQ(route.status, 201) << route.body;
  EXPECT_EQ(route.json()["destination"], to("ivr", menu));
  json g = create_group("Night",
                        {{"fallback", to("ivr", menu)}, {"closed_destination", to("ivr", menu)}});
  EXPECT_EQ(g["fallback"], to("ivr", menu));
  EXPECT_EQ(g["closed_destination"], to("ivr", menu));
  json u = create_user("Ana", "ana@example.com", "1201");
  HttpResult fwd =
      call("PUT", id_path("/api/v1/users", u) + "/forwarding", {{"no_answer", to("ivr", menu)}});
  ASSERT_EQ(fwd.status, 200) << fwd.body;
  EXPECT_EQ(fwd.json()["no_answer"], to("ivr", menu));
  // A menu that does not exist is named as such.
  expect_error(call("POST", "/api/v1/inbound-routes",
                    {{"name", "Other"},
                     {"did", "4930124"},
                     {"destination", {{"type", "ivr"}, {"id", 4242}}}}),
               400, "destination.id");
  (void)trunk;
}

TEST_F(IvrApiTest, ReferencedDeleteIsRefusedUnlessForced) {
  json menu = create_menu("Main");
  json other = create_menu("Other", {{"options", {{"0", to("ivr", menu)}}}});
  json self = create_menu("Self");
  ASSERT_EQ(
      call("PATCH", id_path("/api/v1/ivr-menus", self), {{"options", {{"9", to("ivr", self)}}}})
          .status,
      200);
  json g = create_group("Night", {{"closed_destination", to("ivr", menu)}});
  // A menu whose own option names it ("9: hear this again") goes with it: no referrer.
  EXPECT_EQ(call("DELETE", id_path("/api/v1/ivr-menus", self)).status, 204);

  HttpResult refused = call("DELETE", id_path("/api/v1/ivr-menus", menu));
  expect_error(refused, 409, "");
  json refs = refused.json()["error"]["referrers"];
  ASSERT_EQ(refs.size(), 2u);
  EXPECT_EQ(
      refs[0],
      (json{
          {"kind", "group"}, {"id", g["id"]}, {"name", "Night"}, {"field", "closed_destination"}}));
  EXPECT_EQ(
      refs[1],
      (json{{"kind", "ivr_menu"}, {"id", other["id"]}, {"name", "Other"}, {"field", "options.0"}}));
  EXPECT_EQ(call("GET", id_path("/api/v1/ivr-menus", menu)).status, 200);

  HttpResult forced = call("DELETE", id_path("/api/v1/ivr-menus", menu) + "?force=true");
  ASSERT_EQ(forced.status, 200) << forced.body;
  EXPECT_EQ(forced.json()["deleted"], menu["id"]);
  EXPECT_EQ(forced.json()["routing_gaps"].size(), 2u);
  json gaps = call("GET", "/api/v1/routing-gaps").json()["items"];
  ASSERT_EQ(gaps.size(), 2u);
  EXPECT_EQ(gaps[0]["holder"]["kind"], "group");
  EXPECT_EQ(gaps[0]["missing"], (json{{"kind", "ivr_menu"}, {"id", menu["id"]}}));
  EXPECT_EQ(gaps[1]["holder"],
            (json{{"kind", "ivr_menu"}, {"id", other["id"]}, {"name", "Other"}}));
  EXPECT_EQ(gaps[1]["field"], "options.0");
  EXPECT_EQ(gaps[1]["destination"], to("ivr", menu));
  // A menu holding a gap can still be renamed; the dangling option is kept.
  HttpResult renamed = call("PATCH", id_path("/api/v1/ivr-menus", other), {{"name", "Renamed"}});
  ASSERT_EQ(renamed.status, 200) << renamed.body;
  EXPECT_EQ(renamed.json()["options"]["0"], to("ivr", menu));
  // Deleting the group an option names leaves a gap too (forced, as for any group).
  json sales = create_group("Sales");
  ASSERT_EQ(
      call("PATCH", id_path("/api/v1/ivr-menus", other), {{"options", {{"1", to("group", sales)}}}})
          .status,
      200);
  HttpResult group_refused = call("DELETE", id_path("/api/v1/groups", sales));
  expect_error(group_refused, 409, "");
  EXPECT_EQ(group_refused.json()["error"]["referrers"][0]["field"], "options.1");
}

TEST_F(IvrApiTest, AdminsWriteSupervisorsReadAgentsNeither) {
  json sup = create_user("Sup", "sup@example.com", "1002", {{"role", "supervisor"}});
  json agent = create_user("Agent", "agent@example.com", "1003");
  const std::string sup_token = token_for(sup["id"]);
  const std::string agent_token = token_for(agent["id"]);
  json menu = create_menu("Main");
  const std::string path = id_path("/api/v1/ivr-menus", menu);
  EXPECT_EQ(call("GET", "/api/v1/ivr-menus", nullptr, sup_token).status, 200);
  EXPECT_EQ(call("GET", path, nullptr, sup_token).status, 200);
  for (const std::string& token : {sup_token, agent_token}) {
    expect_error(call("POST", "/api/v1/ivr-menus", {{"name", "X"}}, token), 403, "");
    expect_error(call("PATCH", path, {{"repeat", 2}}, token), 403, "");
    expect_error(call("PUT", path, {{"name", "X"}}, token), 403, "");
    expect_error(call("DELETE", path, nullptr, token), 403, "");
  }
  expect_error(call("GET", "/api/v1/ivr-menus", nullptr, agent_token), 403, "");
  expect_error(call("GET", path, nullptr, agent_token), 403, "");
  EXPECT_EQ(call("GET", "/api/v1/ivr-menus", nullptr, "wrong").status, 401);
  EXPECT_EQ(call("GET", path).json()["repeat"], 3) << "nothing changed";
}

TEST_F(IvrApiTest, MenusSurviveARestart) {
  json g = create_group("Sales");
  json menu = create_menu("Main", {{"options", {{"1", to("group", g)}}}, {"direct_dial", true}});
  server_->stop();
  start();
  EXPECT_EQ(call("GET", id_path("/api/v1/ivr-menus", menu)).json(), menu);
}

// A menu needs the caller's SDP offer to answer with Cohort's media: a call that reaches one
// without an offer (a late-offer INVITE) ends with 480 and a record that says why
// (docs/life-of-a-call.md section 2a). Menus that play: sip_ivr_test.cpp.
TEST_F(IvrApiTest, ACallWithoutAnOfferReachingAMenuEnds480) {
  ASSERT_NE(server_->sip_udp_port(), 0) << server_->log();
  HttpResult trunk =
      call("POST", "/api/v1/trunks", {{"name", "Carrier"}, {"inbound_sources", {"127.0.0.9"}}});
  ASSERT_EQ(trunk.status, 201) << trunk.body;
  json menu = create_menu("Main");
  HttpResult route =
      call("POST", "/api/v1/inbound-routes",
           {{"name", "Main number"}, {"did", "4930555"}, {"destination", to("ivr", menu)}});
  ASSERT_EQ(route.status, 201) << route.body;

  SipClient phone(SipTransport::kUdp, "127.0.0.9", server_->sip_udp_port());
  ASSERT_TRUE(phone.ok()) << phone.error();
  const std::string via = phone.via();
  const std::string head = "sip:4930555@127.0.0.1:" + std::to_string(server_->sip_udp_port());
  const std::string dialog =
      "From: <sip:+15550001@127.0.0.9>;tag=ivr1\r\n"
      "To: <sip:4930555@127.0.0.1>\r\n"
      "Call-ID: ivr-unavailable-1@127.0.0.9\r\n";
  ASSERT_TRUE(phone.send_raw("INVITE " + head + " SIP/2.0\r\nVia: " + via +
                             "\r\nMax-Forwards: 70\r\n" + dialog + "CSeq: 1 INVITE\r\nContact: " +
                             phone.contact("+15550001") + "\r\nContent-Length: 0\r\n\r\n"));
  int final_status = 0;
  std::string reason;
  for (int i = 0; i < 10 && final_status == 0; ++i) {
    auto msg = phone.receive(2s);
    ASSERT_TRUE(msg.has_value()) << "no final response\n" << server_->log();
    if (msg->status() >= 200) {
      final_status = msg->status();
      reason = std::string(msg->reason());
    }
  }
  EXPECT_EQ(final_status, 480);
  EXPECT_EQ(reason, "Temporarily Unavailable: IVR menu cannot answer");
  // ACK the failure (RFC 3261 §17.1.1.3); the To tag does not matter to this check.
  phone.send_raw("ACK " + head + " SIP/2.0\r\nVia: " + via + "\r\nMax-Forwards: 70\r\n" + dialog +
                 "CSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n");

  // The record is written by the CDR writer's thread: wait for it.
  json record;
  for (int i = 0; i < 50 && record.is_null(); ++i) {
    const json listed = call("GET", "/api/v1/cdrs").json();
    for (const json& r : listed["items"]) {
      if (r["sip_status"] == 480) {
        record = r;
      }
    }
    if (record.is_null()) {
      std::this_thread::sleep_for(100ms);
    }
  }
  ASSERT_FALSE(record.is_null()) << call("GET", "/api/v1/cdrs").body;
  EXPECT_EQ(record["hangup_cause"], "480 Temporarily Unavailable: IVR menu cannot answer");
  EXPECT_EQ(record["disposition"], "failed");
  EXPECT_EQ(record["direction"], "inbound");
}

}  // namespace
}  // namespace cohort::testing
