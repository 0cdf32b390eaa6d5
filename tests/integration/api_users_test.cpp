// Users over the real server: CRUD, strict input, uniqueness, search and pagination.

#include <fstream>
#include <iterator>
#include <set>

#include "integration/api_fixture.hpp"

namespace cohort::testing {
namespace {

TEST_F(ApiTest, UserCrudRoundTrip) {
  json u = create_user(
      "Ana Alvarez", "Ana@Example.com", "1001",
      {{"sip_password", "s3cret-pass"}, {"role", "supervisor"}, {"caller_id", "+15550001"}});
  ASSERT_TRUE(u["id"].is_number_integer());
  EXPECT_EQ(u["name"], "Ana Alvarez");
  EXPECT_EQ(u["extension"], "1001");
  EXPECT_EQ(u["role"], "supervisor");
  EXPECT_EQ(u["active"], true);
  EXPECT_EQ(u["caller_id"], "+15550001");
  EXPECT_EQ(u["has_sip_password"], true);
  EXPECT_FALSE(u.contains("sip_password")) << "the password is write-only";

  HttpResult got = call("GET", id_path("/api/v1/users", u));
  ASSERT_EQ(got.status, 200);
  EXPECT_EQ(got.json(), u);

  HttpResult patched =
      call("PATCH", id_path("/api/v1/users", u), {{"name", "Ana A."}, {"caller_id", nullptr}});
  ASSERT_EQ(patched.status, 200) << patched.body;
  EXPECT_EQ(patched.json()["name"], "Ana A.");
  EXPECT_TRUE(patched.json()["caller_id"].is_null());
  EXPECT_EQ(patched.json()["email"], "Ana@Example.com");

  EXPECT_EQ(call("DELETE", id_path("/api/v1/users", u)).status, 204);
  expect_error(call("GET", id_path("/api/v1/users", u)), 404, "");
  expect_error(call("DELETE", id_path("/api/v1/users", u)), 404, "");
  expect_error(call("PATCH", id_path("/api/v1/users", u), {{"name", "x"}}), 404, "");
}

TEST_F(ApiTest, UserPasswordIsStoredAsDigestOnly) {
  json u = create_user("Ben", "ben@example.com", "1002", {{"sip_password", "Plain-Text-42"}});
  std::string token = token_for(u["id"].get<std::int64_t>());
  ASSERT_FALSE(token.empty());
  ASSERT_EQ(server_->stop(), 0);
  // Neither the SIP password nor the API token secret may appear anywhere in the database
  // files (main file and WAL).
  for (const char* file : {"/cohort.db", "/cohort.db-wal"}) {
    std::ifstream in(dir_.path() + file, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(bytes.find("Plain-Text-42"), std::string::npos) << file;
    EXPECT_EQ(bytes.find(token), std::string::npos) << file;
  }
}

TEST_F(ApiTest, UserChangingExtensionNeedsNewPassword) {
  json u = create_user("Chloe", "chloe@example.com", "1003", {{"sip_password", "password-1"}});
  expect_error(call("PATCH", id_path("/api/v1/users", u), {{"extension", "1033"}}), 400,
               "sip_password");
  HttpResult ok = call("PATCH", id_path("/api/v1/users", u),
                       {{"extension", "1033"}, {"sip_password", "password-2"}});
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(ok.json()["extension"], "1033");
  HttpResult cleared = call("PATCH", id_path("/api/v1/users", u), {{"sip_password", nullptr}});
  EXPECT_EQ(cleared.json()["has_sip_password"], false);
}

TEST_F(ApiTest, UserBadInputNamesTheFieldAndChangesNothing) {
  create_user("Dev", "dev@example.com", "1004");
  struct Case {
    std::string body;
    std::string field;
  };
  const Case cases[] = {
      {R"({"name": "X", "email": "x@example.com", "extension": "12a"})", "extension"},
      {R"({"name": "X", "email": "x@example.com", "extension": "1"})", "extension"},
      {R"({"name": "X", "email": "x@example.com", "extension": "12345678901"})", "extension"},
      {R"({"name": "X", "email": "x@example.com", "extension": 1005})", "extension"},
      {R"({"name": "X", "email": "not-an-email", "extension": "1005"})", "email"},
      {R"({"name": "", "email": "x@example.com", "extension": "1005"})", "name"},
      {R"({"name": 7, "email": "x@example.com", "extension": "1005"})", "name"},
      {R"({"email": "x@example.com", "extension": "1005"})", "name"},
      {R"({"name": "X", "extension": "1005"})", "email"},
      {R"({"name": "X", "email": "x@example.com"})", "extension"},
      {R"({"name": "X", "email": "x@example.com", "extension": "1005", "role": "boss"})", "role"},
      {R"({"name": "X", "email": "x@example.com", "extension": "1005", "active": "yes"})",
       "active"},
      {R"({"name": "X", "email": "x@example.com", "extension": "1005", "caller_id": "12-34"})",
       "caller_id"},
      {R"({"name": "X", "email": "x@example.com", "extension": "1005", "sip_password": "short"})",
       "sip_password"},
      {R"({"name": "X", "email": "x@example.com", "extension": "1005", "nickname": "x"})",
       "nickname"},
      {R"({"name": "X", "email": "x@example.com", "extension": "1005", "id": 99})", "id"},
  };
  for (const Case& c : cases) {
    HttpResult r = call_raw_body("POST", "/api/v1/users", c.body);
    SCOPED_TRACE(c.body);
    expect_error(r, 400, c.field);
  }
  expect_error(call_raw_body("POST", "/api/v1/users", "{\"name\": "), 400, "");
  expect_error(call_raw_body("POST", "/api/v1/users", "[1, 2]"), 400, "");
  expect_error(call_raw_body("POST", "/api/v1/users", ""), 400, "");
  // Nothing was created by any rejected request.
  EXPECT_EQ(call("GET", "/api/v1/users").json()["items"].size(), 1u);
}

TEST_F(ApiTest, UserUniquenessConflictsNameTheField) {
  create_user("Elena", "elena@example.com", "1005");
  create_group("Support", {{"extension", "600"}});
  expect_error(call("POST", "/api/v1/users",
                    {{"name", "E2"}, {"email", "ELENA@example.COM"}, {"extension", "1006"}}),
               409, "email");
  expect_error(call("POST", "/api/v1/users",
                    {{"name", "E2"}, {"email", "e2@example.com"}, {"extension", "1005"}}),
               409, "extension");
  // Extensions are unique across users and groups, both ways.
  expect_error(call("POST", "/api/v1/users",
                    {{"name", "E2"}, {"email", "e2@example.com"}, {"extension", "600"}}),
               409, "extension");
  expect_error(call("POST", "/api/v1/groups", {{"name", "G"}, {"extension", "1005"}}), 409,
               "extension");
  EXPECT_EQ(call("GET", "/api/v1/users").json()["items"].size(), 1u);
}

TEST_F(ApiTest, UserSearchIsCaseInsensitiveOnNameAndEmail) {
  create_user("Farid Haddad", "farid@acme.test", "2001");
  create_user("Grace Kim", "grace@ACME.test", "2002");
  create_user("Hugo Silva", "hugo@other.test", "2003");
  auto names = [&](const std::string& q) {
    std::set<std::string> out;
    const json listed_1 = call("GET", "/api/v1/users?q=" + q).json()["items"];
    for (const json& u : listed_1) {
      out.insert(u["name"].get<std::string>());
    }
    return out;
  };
  EXPECT_EQ(names("acme"), (std::set<std::string>{"Farid Haddad", "Grace Kim"}));
  EXPECT_EQ(names("KIM"), (std::set<std::string>{"Grace Kim"}));
  EXPECT_EQ(names("hugo%40other"), (std::set<std::string>{"Hugo Silva"}));
  EXPECT_EQ(names("nobody"), (std::set<std::string>{}));
  EXPECT_EQ(call("GET", "/api/v1/users?role=agent").json()["items"].size(), 3u);
  expect_error(call("GET", "/api/v1/users?role=boss"), 400, "role");
}

TEST_F(ApiTest, UserListPaginatesWithCursor) {
  for (int i = 0; i < 25; ++i) {
    std::string n = std::to_string(3000 + i);
    create_user((i % 2 == 0 ? "Even " : "Odd ") + n, "u" + n + "@example.com", n);
  }
  std::set<std::int64_t> seen;
  std::string cursor;
  int pages = 0;
  for (;;) {
    std::string target = "/api/v1/users?q=even&limit=5";
    if (!cursor.empty()) {
      target += "&cursor=" + cursor;
    }
    json page = call("GET", target).json();
    ++pages;
    for (const json& u : page["items"]) {
      EXPECT_TRUE(seen.insert(u["id"].get<std::int64_t>()).second) << "duplicate across pages";
      EXPECT_EQ(u["name"].get<std::string>().rfind("Even", 0), 0u);
    }
    if (page["next_cursor"].is_null()) {
      break;
    }
    EXPECT_EQ(page["items"].size(), 5u);
    cursor = page["next_cursor"].get<std::string>();
    ASSERT_LT(pages, 10);
  }
  EXPECT_EQ(seen.size(), 13u);
  EXPECT_EQ(pages, 3);
  expect_error(call("GET", "/api/v1/users?limit=0"), 400, "limit");
  expect_error(call("GET", "/api/v1/users?limit=1001"), 400, "limit");
  expect_error(call("GET", "/api/v1/users?cursor=abc"), 400, "cursor");
}

TEST_F(ApiTest, UserDeleteReportsReferences) {
  json u = create_user("Ivy", "ivy@example.com", "1009");
  json g = create_group("Night", {{"fallback", {{"type", "user"}, {"id", u["id"]}}}});
  HttpResult refused = call("DELETE", id_path("/api/v1/users", u));
  expect_error(refused, 409, "");
  ASSERT_EQ(refused.json()["error"]["referrers"].size(), 1u);
  EXPECT_EQ(refused.json()["error"]["referrers"][0]["id"], g["id"]);
  EXPECT_EQ(refused.json()["error"]["referrers"][0]["field"], "fallback");
  EXPECT_EQ(call("GET", id_path("/api/v1/users", u)).status, 200) << "refused delete changed state";

  HttpResult forced = call("DELETE", id_path("/api/v1/users", u) + "?force=true");
  ASSERT_EQ(forced.status, 200) << forced.body;
  EXPECT_EQ(forced.json()["routing_gaps"][0]["id"], g["id"]);
  json gaps = call("GET", "/api/v1/routing-gaps").json()["items"];
  ASSERT_EQ(gaps.size(), 1u);
  EXPECT_EQ(gaps[0]["holder"]["id"], g["id"]);
  EXPECT_EQ(gaps[0]["destination"]["type"], "user");
  expect_error(call("DELETE", id_path("/api/v1/groups", g) + "?force=maybe"), 400, "force");
}

}  // namespace
}  // namespace cohort::testing
