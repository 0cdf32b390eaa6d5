#include "api/router.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <string>

namespace cohort::api {
namespace {

Request make(std::string method, std::string path) {
  Request r;
  r.method = std::move(method);
  r.target = path;
  r.path = std::move(path);
  return r;
}

// A handler that echoes which route ran and the parameters it got.
Handler echo(std::string name) {
  return [name](const Request&, const PathParams& params) {
    nlohmann::json p = nlohmann::json::object();
    for (const auto& [k, v] : params) {
      p[k] = v;
    }
    Response r;
    r.body = nlohmann::json{{"handler", name}, {"params", p}}.dump();
    return r;
  };
}

std::string header(const Response& r, const std::string& name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) {
      return v;
    }
  }
  return "<absent>";
}

class RouterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    router_.add("GET", "/api/v1/users", echo("list"));
    router_.add("POST", "/api/v1/users", echo("create"));
    router_.add("GET", "/api/v1/users/{id}", echo("get"));
    router_.add("DELETE", "/api/v1/users/{id}", echo("delete"));
    router_.add("GET", "/api/v1/groups/{group_id}/members/{user_id}", echo("member"));
    router_.add("GET", "/api/v1/users/me", echo("me"));
    router_.add("GET", "/", echo("root"));
  }
  Router router_;
};

TEST_F(RouterTest, DispatchesByMethodAndPath) {
  struct Case {
    std::string method, path, handler, route;
    nlohmann::json params;
  };
  const std::vector<Case> cases = {
      {"GET", "/api/v1/users", "list", "/api/v1/users", nlohmann::json::object()},
      {"POST", "/api/v1/users", "create", "/api/v1/users", nlohmann::json::object()},
      {"GET", "/api/v1/users/3", "get", "/api/v1/users/{id}", {{"id", "3"}}},
      {"DELETE", "/api/v1/users/42", "delete", "/api/v1/users/{id}", {{"id", "42"}}},
      {"GET",
       "/api/v1/groups/7/members/9",
       "member",
       "/api/v1/groups/{group_id}/members/{user_id}",
       {{"group_id", "7"}, {"user_id", "9"}}},
      // A literal beats a parameter even when registered after it.
      {"GET", "/api/v1/users/me", "me", "/api/v1/users/me", nlohmann::json::object()},
      // ...but only for its own method: DELETE /users/me is the {id} route's business.
      {"DELETE", "/api/v1/users/me", "delete", "/api/v1/users/{id}", {{"id", "me"}}},
      {"GET", "/", "root", "/", nlohmann::json::object()},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.method + " " + c.path);
    Response r = router_.dispatch(make(c.method, c.path));
    ASSERT_EQ(r.status, 200) << r.body;
    auto body = nlohmann::json::parse(r.body);
    EXPECT_EQ(body["handler"], c.handler);
    EXPECT_EQ(body["params"], c.params);
    EXPECT_EQ(r.route, c.route);
  }
}

TEST_F(RouterTest, UnknownPathIs404WithJsonError) {
  for (std::string path : {"/api/v1/nothing", "/api/v1/users/3/extra", "/api/v1/users//",
                           "/api/v1/users/", "/api/v1/groups//members/9", "/api", ""}) {
    SCOPED_TRACE(path);
    Response r = router_.dispatch(make("GET", path));
    EXPECT_EQ(r.status, 404);
    EXPECT_EQ(r.route, "");
    EXPECT_EQ(r.content_type, "application/json");
    auto body = nlohmann::json::parse(r.body);
    EXPECT_EQ(body["error"]["code"], "not_found");
    EXPECT_EQ(body["error"]["message"], "no route for " + path);
    EXPECT_TRUE(body["error"]["field"].is_null());
  }
}

TEST_F(RouterTest, KnownPathOtherMethodIs405WithAllow) {
  struct Case {
    std::string method, path, allow, route;
  };
  const std::vector<Case> cases = {
      {"PUT", "/api/v1/users", "GET, POST", "/api/v1/users"},
      {"PATCH", "/api/v1/users/3", "GET, DELETE", "/api/v1/users/{id}"},
      // Every route matching the path contributes, without duplicates.
      {"POST", "/api/v1/users/me", "GET, DELETE", "/api/v1/users/me"},
      // HEAD is not special.
      {"HEAD", "/api/v1/users", "GET, POST", "/api/v1/users"},
      // Methods are case-sensitive (RFC 9110 §9.1).
      {"get", "/", "GET", "/"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.method + " " + c.path);
    Response r = router_.dispatch(make(c.method, c.path));
    EXPECT_EQ(r.status, 405);
    EXPECT_EQ(header(r, "Allow"), c.allow);
    EXPECT_EQ(r.route, c.route);
    auto body = nlohmann::json::parse(r.body);
    EXPECT_EQ(body["error"]["code"], "method_not_allowed");
    EXPECT_TRUE(body["error"]["message"].is_string());
    EXPECT_TRUE(body["error"]["field"].is_null());
  }
}

TEST_F(RouterTest, HandlerResponseIsPassedThrough) {
  Router router;
  router.add("POST", "/things/{id}", [](const Request& req, const PathParams& p) {
    Response r;
    r.status = 201;
    r.content_type = "text/plain";
    r.body = p.at("id") + ":" + req.body;
    r.headers.emplace_back("Location", "/things/" + p.at("id"));
    r.route = "overwritten";
    return r;
  });
  Request req = make("POST", "/things/x1");
  req.body = "payload";
  Response r = router.dispatch(req);
  EXPECT_EQ(r.status, 201);
  EXPECT_EQ(r.content_type, "text/plain");
  EXPECT_EQ(r.body, "x1:payload");
  EXPECT_EQ(header(r, "Location"), "/things/x1");
  EXPECT_EQ(r.route, "/things/{id}");
}

TEST_F(RouterTest, RoutesListsRegistrationOrder) {
  auto routes = router_.routes();
  ASSERT_EQ(routes.size(), 7u);
  EXPECT_EQ(routes[0].method, "GET");
  EXPECT_EQ(routes[0].pattern, "/api/v1/users");
  EXPECT_EQ(routes[1].method, "POST");
  EXPECT_EQ(routes[3].method, "DELETE");
  EXPECT_EQ(routes[3].pattern, "/api/v1/users/{id}");
  EXPECT_EQ(routes[5].pattern, "/api/v1/users/me");
  EXPECT_EQ(routes[6].pattern, "/");
}

TEST(Router, EmptyRouterIs404) {
  Router router;
  EXPECT_TRUE(router.routes().empty());
  EXPECT_EQ(router.dispatch(make("GET", "/")).status, 404);
}

// What the API asks before authenticating a request no route takes (issue 12).
TEST_F(RouterTest, LookupSaysWhetherARouteTakesTheRequestAndWhichPathMatched) {
  auto found = router_.lookup("GET", "/api/v1/users/7");
  EXPECT_TRUE(found.route);
  EXPECT_EQ(found.path_pattern, "/api/v1/users/{id}");
  found = router_.lookup("PATCH", "/api/v1/users/7");
  EXPECT_FALSE(found.route);
  EXPECT_EQ(found.path_pattern, "/api/v1/users/{id}");
  found = router_.lookup("GET", "/api/v1/users/me");
  EXPECT_EQ(found.path_pattern, "/api/v1/users/me");
  found = router_.lookup("GET", "/api/v1/nothing");
  EXPECT_FALSE(found.route);
  EXPECT_EQ(found.path_pattern, "");
}

}  // namespace
}  // namespace cohort::api
