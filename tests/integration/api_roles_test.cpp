// Authentication and roles: admin does everything, supervisor reads everything, agent
// reads itself and its groups; tokens act as their user and can be revoked.

#include "integration/api_fixture.hpp"

namespace cohort::testing {
namespace {

class RolesTest : public ApiTest {
 protected:
  void SetUp() override {
    ApiTest::SetUp();
    admin_ = create_user("Admin", "admin@example.com", "1001", {{"role", "admin"}});
    supervisor_ = create_user("Sup", "sup@example.com", "1002", {{"role", "supervisor"}});
    agent_ = create_user("Agent", "agent@example.com", "1003");
    other_ = create_user("Other", "other@example.com", "1004");
    mine_ = create_group("Mine");
    theirs_ = create_group("Theirs");
    put_member(mine_, agent_);
    put_member(mine_, other_);
    put_member(theirs_, other_);
    admin_token_ = token_for(admin_["id"]);
    supervisor_token_ = token_for(supervisor_["id"]);
    agent_token_ = token_for(agent_["id"]);
  }
  void put_member(const json& g, const json& u) {
    ASSERT_EQ(call("PUT", id_path("/api/v1/groups", g) + "/members/" +
                              std::to_string(u["id"].get<std::int64_t>()))
                  .status,
              201);
  }
  json admin_, supervisor_, agent_, other_, mine_, theirs_;
  std::string admin_token_, supervisor_token_, agent_token_;
};

TEST_F(RolesTest, MissingOrBadTokenIs401) {
  for (const char* target : {"/api/v1/users", "/api/v1/groups", "/api/v1/routing-gaps",
                             "/api/v1/trunks", "/api/v1/tokens"}) {
    SCOPED_TRACE(target);
    HttpResult none = call("GET", target, nullptr, "");
    expect_error(none, 401, "");
    EXPECT_NE(none.headers["www-authenticate"].find("Bearer"), std::string::npos);
    expect_error(call("GET", target, nullptr, "not-a-token"), 401, "");
  }
  expect_error(call("POST", "/api/v1/users", {{"name", "x"}}, ""), 401, "");
  expect_error(call("DELETE", id_path("/api/v1/groups", mine_), nullptr, "wrong"), 401, "");
  // Authentication comes before anything about the path.
  expect_error(call("PUT", "/api/v1/users/abc/groups/1", nullptr, ""), 401, "");
  expect_error(call("DELETE", "/api/v1/groups/1/members/abc", nullptr, ""), 401, "");
  // The scheme name is case-insensitive.
  EXPECT_EQ(http_request(server_->port(), "GET", "/api/v1/users", "", "",
                         std::string("Authorization: bearer ") + kAdminToken + "\r\n")
                .status,
            200);
}

TEST_F(RolesTest, AdminUserTokenMayWrite) {
  HttpResult r = call("POST", "/api/v1/groups", {{"name", "ByAdminUser"}}, admin_token_);
  EXPECT_EQ(r.status, 201) << r.body;
}

TEST_F(RolesTest, SupervisorReadsEverythingAndWritesNothing) {
  const std::string& t = supervisor_token_;
  EXPECT_EQ(call("GET", "/api/v1/users", nullptr, t).json()["items"].size(), 4u);
  EXPECT_EQ(call("GET", "/api/v1/groups", nullptr, t).json()["items"].size(), 2u);
  EXPECT_EQ(call("GET", id_path("/api/v1/users", other_), nullptr, t).status, 200);
  EXPECT_EQ(call("GET", id_path("/api/v1/groups", theirs_) + "/members", nullptr, t).status, 200);
  EXPECT_EQ(call("GET", "/api/v1/routing-gaps", nullptr, t).status, 200);
  EXPECT_EQ(call("GET", "/api/v1/trunks", nullptr, t).status, 200);
  // Own tokens only, so that a user can find and revoke them.
  json own = call("GET", "/api/v1/tokens", nullptr, t).json()["items"];
  ASSERT_EQ(own.size(), 1u);
  EXPECT_EQ(own[0]["user_id"], supervisor_["id"]);
  expect_error(
      call("GET", "/api/v1/tokens?user_id=" + std::to_string(agent_["id"].get<std::int64_t>()),
           nullptr, t),
      403, "");
  expect_error(call("POST", "/api/v1/groups", {{"name", "Nope"}}, t), 403, "");
  expect_error(call("PATCH", id_path("/api/v1/users", agent_), {{"name", "x"}}, t), 403, "");
  expect_error(call("DELETE", id_path("/api/v1/groups", mine_), nullptr, t), 403, "");
  expect_error(
      call("PUT", id_path("/api/v1/users", agent_) + "/groups", {{"group_ids", json::array()}}, t),
      403, "");
  expect_error(call("POST", "/api/v1/tokens", {{"user_id", agent_["id"]}}, t), 403, "");
  EXPECT_EQ(call("GET", "/api/v1/groups", nullptr, kAdminToken).json()["items"].size(), 2u);
}

TEST_F(RolesTest, AgentReadsOnlyItselfAndItsGroups) {
  const std::string& t = agent_token_;
  json users = call("GET", "/api/v1/users", nullptr, t).json()["items"];
  ASSERT_EQ(users.size(), 1u);
  EXPECT_EQ(users[0]["id"], agent_["id"]);
  EXPECT_EQ(call("GET", id_path("/api/v1/users", agent_), nullptr, t).status, 200);
  EXPECT_EQ(call("GET", id_path("/api/v1/users", agent_) + "/groups", nullptr, t).status, 200);
  expect_error(call("GET", id_path("/api/v1/users", other_), nullptr, t), 403, "");
  expect_error(call("GET", id_path("/api/v1/users", other_) + "/groups", nullptr, t), 403, "");
  json groups = call("GET", "/api/v1/groups", nullptr, t).json()["items"];
  ASSERT_EQ(groups.size(), 1u);
  EXPECT_EQ(groups[0]["id"], mine_["id"]);
  EXPECT_EQ(call("GET", id_path("/api/v1/groups", mine_), nullptr, t).status, 200);
  EXPECT_EQ(
      call("GET", id_path("/api/v1/groups", mine_) + "/members", nullptr, t).json()["items"].size(),
      2u);
  expect_error(call("GET", id_path("/api/v1/groups", theirs_), nullptr, t), 403, "");
  expect_error(call("GET", id_path("/api/v1/groups", theirs_) + "/members", nullptr, t), 403, "");
  expect_error(call("GET", "/api/v1/routing-gaps", nullptr, t), 403, "");
  expect_error(call("GET", "/api/v1/trunks", nullptr, t), 403, "");
  expect_error(call("PATCH", id_path("/api/v1/users", agent_), {{"role", "admin"}}, t), 403, "");
  expect_error(call("PUT",
                    id_path("/api/v1/groups", theirs_) + "/members/" +
                        std::to_string(agent_["id"].get<std::int64_t>()),
                    nullptr, t),
               403, "");
}

TEST_F(RolesTest, TokensFollowTheirUserAndCanBeRevoked) {
  // A role change applies to existing tokens at once.
  ASSERT_EQ(call("PATCH", id_path("/api/v1/users", agent_), {{"role", "supervisor"}}).status, 200);
  EXPECT_EQ(call("GET", "/api/v1/users", nullptr, agent_token_).json()["items"].size(), 4u);
  // Deactivating the user disables its tokens.
  ASSERT_EQ(call("PATCH", id_path("/api/v1/users", agent_), {{"active", false}}).status, 200);
  expect_error(call("GET", "/api/v1/users", nullptr, agent_token_), 401, "");
  expect_error(call("POST", "/api/v1/tokens", {{"user_id", agent_["id"]}}), 400, "user_id");
  // Revocation.
  json listed =
      call("GET", "/api/v1/tokens?user_id=" + std::to_string(supervisor_["id"].get<std::int64_t>()))
          .json()["items"];
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_FALSE(listed[0].contains("token")) << "secrets are shown once, at creation";
  EXPECT_EQ(call("DELETE", id_path("/api/v1/tokens", listed[0])).status, 204);
  expect_error(call("GET", "/api/v1/users", nullptr, supervisor_token_), 401, "");
  expect_error(call("DELETE", id_path("/api/v1/tokens", listed[0])), 404, "");
  // Deleting a user removes its tokens.
  ASSERT_EQ(call("DELETE", id_path("/api/v1/users", admin_)).status, 204);
  expect_error(call("GET", "/api/v1/users", nullptr, admin_token_), 401, "");
  expect_error(call("POST", "/api/v1/tokens", {{"user_id", 9999}}), 400, "user_id");
  expect_error(call("POST", "/api/v1/tokens", {{"user_id", "1"}}), 400, "user_id");
}

}  // namespace
}  // namespace cohort::testing
