// Authentication comes before routing under /api/v1 (issue 12, docs/api.md "Authentication"):
// without a valid token a path that names nothing is a 401, not a 404, so that an
// unauthenticated caller cannot map the API. With a token, unknown paths stay 404 and known
// paths with another method 405.

#include "integration/api_fixture.hpp"

namespace cohort::testing {
namespace {

void expect_unauthorized(const HttpResult& r, const std::string& what) {
  EXPECT_EQ(r.status, 401) << what << ": " << r.body;
  EXPECT_EQ(r.headers.count("www-authenticate"), 1u) << what;
  const json body = json::parse(r.body, nullptr, false);
  ASSERT_TRUE(body.is_object()) << what << ": " << r.body;
  EXPECT_EQ(body["error"]["code"], "unauthorized") << what;
}

TEST_F(ApiTest, WithoutATokenUnknownApiPathsAre401) {
  for (const char* path : {"/api/v1/nothing", "/api/v1", "/api/v1/", "/api/v1/users/1/nothing",
                           "/api/v1/openapi.json/x"}) {
    expect_unauthorized(call("GET", path, nullptr, ""), std::string("GET ") + path);
    expect_unauthorized(call("GET", path, nullptr, "not-a-valid-token-at-all"),
                        std::string("GET with a bad token ") + path);
    expect_unauthorized(call("DELETE", path, nullptr, ""), std::string("DELETE ") + path);
  }
  // A known path with a method it does not take tells as much as a 404 would.
  expect_unauthorized(call("POST", "/api/v1/users/1", nullptr, ""), "POST /api/v1/users/1");
  expect_unauthorized(call("GET", "/api/v1/groups/1/members", nullptr, ""),
                      "GET /api/v1/groups/1/members");
  // A route that exists checks the token before its path ids, the membership routes included.
  expect_unauthorized(call("PUT", "/api/v1/groups/1/members/abc", nullptr, ""),
                      "PUT /api/v1/groups/1/members/abc");
  expect_unauthorized(call("DELETE", "/api/v1/users/abc/groups/1", nullptr, ""),
                      "DELETE /api/v1/users/abc/groups/1");
}

TEST_F(ApiTest, WithATokenUnknownApiPathsStay404And405) {
  for (const char* path : {"/api/v1/nothing", "/api/v1", "/api/v1/", "/api/v1/users/1/nothing"}) {
    expect_error(call("GET", path), 404, "");
  }
  HttpResult r = call("POST", "/api/v1/users/1");
  EXPECT_EQ(r.status, 405) << r.body;
  EXPECT_NE(r.headers["allow"].find("PATCH"), std::string::npos) << r.headers["allow"];
}

TEST_F(ApiTest, PublicPathsAndPathsOutsideTheApiNeedNoToken) {
  EXPECT_EQ(call("GET", "/api/v1/openapi.json", nullptr, "").status, 200);
  // The document's path is public, so its other methods are plain 405s.
  EXPECT_EQ(call("PUT", "/api/v1/openapi.json", nullptr, "").status, 405);
  EXPECT_EQ(call("GET", "/healthz", nullptr, "").status, 200);
  EXPECT_EQ(call("GET", "/metrics", nullptr, "").status, 200);
  // Sign-in judges its own body: an empty one is a 400, not a 401.
  EXPECT_EQ(call("POST", "/api/v1/session", nullptr, "").status, 400);
  // Not the v1 API: no token is asked for.
  EXPECT_EQ(call("GET", "/api/v2/users", nullptr, "").status, 404);
}

TEST_F(ApiTest, UnauthenticatedUnknownPathsCountAsUnmatched) {
  call("GET", "/api/v1/probe-1", nullptr, "");
  call("GET", "/api/v1/probe-2", nullptr, "");
  const std::string m = call("GET", "/metrics", nullptr, "").body;
  EXPECT_NE(m.find(R"(cohort_http_requests_total{method="GET",route="unmatched",status="401"} 2)"),
            std::string::npos)
      << m;
}

}  // namespace
}  // namespace cohort::testing
