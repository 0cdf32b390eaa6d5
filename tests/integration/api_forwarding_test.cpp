// A user's call forwarding over the real server (PUT/GET /api/v1/users/{id}/forwarding):
// what is stored and shown, 400s naming the field for each bad destination, and who may set
// it (an administrator, or the user itself; an agent not another's, a supervisor neither).

#include "integration/api_fixture.hpp"

namespace cohort::testing {
namespace {

std::string forwarding_path(const json& user) {
  return "/api/v1/users/" + std::to_string(user.at("id").get<std::int64_t>()) + "/forwarding";
}

TEST_F(ApiTest, ForwardingIsStoredShownInTheUserAndReplacedWhole) {
  json ana = create_user("Ana", "ana@example.com", "1001");
  json ben = create_user("Ben", "ben@example.com", "1002");
  json desk = create_group("Desk");
  EXPECT_EQ(
      ana["forwarding"],
      (json{{"always", nullptr}, {"busy", nullptr}, {"no_answer", nullptr}, {"no_answer_s", 20}}));

  const json body = {{"always", nullptr},
                     {"busy", {{"type", "user"}, {"id", ben["id"]}}},
                     {"no_answer", {{"type", "group"}, {"id", desk["id"]}}},
                     {"no_answer_s", 7}};
  HttpResult put = call("PUT", forwarding_path(ana), body);
  ASSERT_EQ(put.status, 200) << put.body;
  EXPECT_EQ(put.json(), body);
  EXPECT_EQ(call("GET", forwarding_path(ana)).json(), body);
  EXPECT_EQ(call("GET", id_path("/api/v1/users", ana)).json()["forwarding"], body);

  // PUT replaces: what is left out is off again, and the delay is back to 20 s.
  HttpResult number =
      call("PUT", forwarding_path(ana), {{"always", {{"type", "number"}, {"number", "+4930123"}}}});
  ASSERT_EQ(number.status, 200) << number.body;
  EXPECT_EQ(number.json(), (json{{"always", {{"type", "number"}, {"number", "+4930123"}}},
                                 {"busy", nullptr},
                                 {"no_answer", nullptr},
                                 {"no_answer_s", 20}}));

  // The user object does not take forwarding through PATCH.
  expect_error(call("PATCH", id_path("/api/v1/users", ana), {{"forwarding", nullptr}}), 400,
               "forwarding");
}

TEST_F(ApiTest, ForwardingBadInputNamesTheFieldAndChangesNothing) {
  json ana = create_user("Ana", "ana@example.com", "1001");
  const std::string path = forwarding_path(ana);
  expect_error(call("PUT", path, {{"busy", {{"type", "user"}, {"id", 999}}}}), 400, "busy.id");
  expect_error(call("PUT", path, {{"always", {{"type", "group"}, {"id", 999}}}}), 400, "always.id");
  expect_error(call("PUT", path, {{"always", {{"type", "user"}, {"id", ana["id"]}}}}), 400,
               "always.id");
  expect_error(call("PUT", path, {{"no_answer", {{"type", "number"}, {"number", "030-1234"}}}}),
               400, "no_answer.number");
  expect_error(call("PUT", path, {{"busy", {{"type", "number"}, {"number", "sip:evil"}}}}), 400,
               "busy.number");
  expect_error(
      call("PUT", path, {{"busy", {{"type", "voicemail"}, {"box", "user"}, {"id", ana["id"]}}}}),
      400, "busy.type");
  expect_error(call("PUT", path, {{"busy", {{"type", "hangup"}}}}), 400, "busy.type");
  expect_error(call("PUT", path, {{"no_answer_s", 4}}), 400, "no_answer_s");
  expect_error(call("PUT", path, {{"no_answer_s", 301}}), 400, "no_answer_s");
  expect_error(call("PUT", path, {{"no_answer_s", "20"}}), 400, "no_answer_s");
  expect_error(call("PUT", path, {{"sometimes", nullptr}}), 400, "sometimes");
  expect_error(call("PUT", "/api/v1/users/999/forwarding", json::object()), 404, "");
  EXPECT_EQ(call("GET", path).json()["always"], nullptr) << "nothing was stored";
}

TEST_F(ApiTest, AUserMaySetItsOwnForwardingAndNoOneElsesButAnAdmin) {
  json agent = create_user("Agent", "agent@example.com", "1001");
  json other = create_user("Other", "other@example.com", "1002");
  json sup = create_user("Sup", "sup@example.com", "1003", {{"role", "supervisor"}});
  const std::string agent_token = token_for(agent["id"].get<std::int64_t>());
  const std::string sup_token = token_for(sup["id"].get<std::int64_t>());
  const json to_other = {{"always", {{"type", "user"}, {"id", other["id"]}}}};
  const json to_agent = {{"always", {{"type", "user"}, {"id", agent["id"]}}}};

  HttpResult own = call("PUT", forwarding_path(agent), to_other, agent_token);
  EXPECT_EQ(own.status, 200) << own.body;
  EXPECT_EQ(call("GET", forwarding_path(agent), nullptr, agent_token).status, 200);
  expect_error(call("PUT", forwarding_path(other), to_agent, agent_token), 403, "");
  expect_error(call("GET", forwarding_path(other), nullptr, agent_token), 403, "");
  expect_error(call("PUT", forwarding_path(other), to_agent, sup_token), 403, "");
  EXPECT_EQ(call("GET", forwarding_path(other), nullptr, sup_token).status, 200);
  EXPECT_EQ(call("PUT", forwarding_path(other), to_agent).status, 200) << "the admin may";
  EXPECT_EQ(call("GET", forwarding_path(other)).json()["always"], to_agent["always"]);
}

}  // namespace
}  // namespace cohort::testing
