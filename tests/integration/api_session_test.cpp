// Console sign-in through the real server (issue 10): password and token sessions, the
// cookie's flags, CSRF on writes, lock-out after failed sign-ins, revocation, kill -9, the
// security headers of every answer, and the console's files served at /.

#include <fstream>

#include "integration/api_fixture.hpp"

namespace cohort::testing {
namespace {

constexpr const char* kPassword = "correct horse battery";

class SessionTest : public ApiTest {
 protected:
  struct Signed {
    HttpResult result;
    std::string cookie;  ///< "cohort_session=…"
    std::string csrf;
  };
  /// POST /api/v1/session with `body`, no bearer token.
  Signed sign_in(const json& body) {
    Signed s;
    s.result = http_request(server_->port(), "POST", "/api/v1/session", body.dump());
    auto it = s.result.headers.find("set-cookie");
    if (it != s.result.headers.end()) {
      s.cookie = it->second.substr(0, it->second.find(';'));
    }
    if (s.result.status == 201) {
      s.csrf = s.result.json().value("csrf_token", "");
    }
    return s;
  }
  Signed sign_in(const std::string& email, const std::string& password) {
    return sign_in(json{{"email", email}, {"password", password}});
  }
  /// A request authenticated by the session cookie (and its CSRF token when given).
  HttpResult as(const Signed& s, const std::string& method, const std::string& target,
                const json& body = nullptr, bool with_csrf = true) {
    std::string headers = "Cookie: " + s.cookie + "\r\n";
    if (with_csrf && !s.csrf.empty()) {
      headers += "X-CSRF-Token: " + s.csrf + "\r\n";
    }
    return http_request(server_->port(), method, target, body.is_null() ? "" : body.dump(), "",
                        headers);
  }
  json agent(const std::string& ext = "2001") {
    return create_user("Ivy Chen", "ivy." + ext + "@example.com", ext, {{"password", kPassword}});
  }
  std::size_t group_count() { return call("GET", "/api/v1/groups").json()["items"].size(); }
};

TEST_F(SessionTest, PasswordSignInSetsAStrictHttpOnlyCookieAndReturnsTheUser) {
  json u = agent();
  EXPECT_EQ(u["has_password"], true);
  EXPECT_FALSE(u.contains("password")) << u.dump();
  Signed s = sign_in("IVY.2001@example.com ", kPassword);  // e-mail case and spaces do not matter
  ASSERT_EQ(s.result.status, 201) << s.result.body;
  const std::string& set_cookie = s.result.headers["set-cookie"];
  EXPECT_NE(set_cookie.find("HttpOnly"), std::string::npos) << set_cookie;
  EXPECT_NE(set_cookie.find("SameSite=Strict"), std::string::npos) << set_cookie;
  EXPECT_NE(set_cookie.find("Path=/"), std::string::npos) << set_cookie;
  EXPECT_EQ(set_cookie.find("Secure"), std::string::npos) << "plain HTTP here: " << set_cookie;
  json body = s.result.json();
  EXPECT_EQ(body["user"]["id"], u["id"]);
  EXPECT_EQ(body["role"], "agent");
  EXPECT_EQ(body["bootstrap"], false);
  EXPECT_EQ(body["csrf_token"].get<std::string>().size(), 64u);
  EXPECT_TRUE(body["expires_at"].is_string());
  // The secret in the cookie is not the CSRF token.
  EXPECT_EQ(s.cookie.find(s.csrf), std::string::npos);

  HttpResult again = as(s, "GET", "/api/v1/session");
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(again.json()["csrf_token"], s.csrf);
  // The session acts with the user's role: an agent reads itself, not the trunks.
  EXPECT_EQ(as(s, "GET", id_path("/api/v1/users", u)).status, 200);
  EXPECT_EQ(as(s, "GET", "/api/v1/trunks").status, 403);
  json other = create_user("Other", "other@example.com", "2099");
  EXPECT_EQ(as(s, "GET", id_path("/api/v1/users", other)).status, 403);
}

TEST_F(SessionTest, WritesThroughTheCookieNeedTheCsrfTokenAndChangeNothingWithout) {
  create_user("Ana", "ana@example.com", "2002", {{"role", "admin"}, {"password", kPassword}});
  Signed s = sign_in("ana@example.com", kPassword);
  ASSERT_EQ(s.result.status, 201) << s.result.body;
  std::size_t before = group_count();

  HttpResult none = as(s, "POST", "/api/v1/groups", {{"name", "Sales"}}, false);
  expect_error(none, 403, "X-CSRF-Token");
  Signed wrong = s;
  wrong.csrf = std::string(64, 'a');
  expect_error(as(wrong, "POST", "/api/v1/groups", {{"name", "Sales"}}), 403, "X-CSRF-Token");
  // Another session's token is as wrong as a made-up one.
  Signed other = sign_in("ana@example.com", kPassword);
  wrong.csrf = other.csrf;
  expect_error(as(wrong, "DELETE", "/api/v1/users/1"), 403, "X-CSRF-Token");
  EXPECT_EQ(group_count(), before);
  EXPECT_EQ(call("GET", "/api/v1/users/1").status, 200) << "the refused delete deleted";

  EXPECT_EQ(as(s, "POST", "/api/v1/groups", {{"name", "Sales"}}).status, 201);
  EXPECT_EQ(group_count(), before + 1);
  // Reads need no token; bearer requests never do.
  EXPECT_EQ(as(s, "GET", "/api/v1/groups", nullptr, false).status, 200);
  EXPECT_EQ(call("POST", "/api/v1/groups", {{"name", "Support"}}).status, 201);
}

TEST_F(SessionTest, WrongPasswordAndUnknownAccountsGetTheSameAnswer) {
  agent();
  create_user("No Password", "nopw@example.com", "2003");
  json inactive = create_user("Gone", "gone@example.com", "2004", {{"password", kPassword}});
  ASSERT_EQ(call("PATCH", id_path("/api/v1/users", inactive), {{"active", false}}).status, 200);
  std::vector<HttpResult> answers = {
      sign_in("ivy.2001@example.com", "not the password").result,
      sign_in("nobody@example.com", kPassword).result,
      sign_in("nopw@example.com", kPassword).result,
      sign_in("gone@example.com", kPassword).result,
  };
  for (const HttpResult& r : answers) {
    expect_error(r, 401, "");
    EXPECT_EQ(r.json()["error"]["message"], answers[0].json()["error"]["message"]);
    EXPECT_EQ(r.headers.count("set-cookie"), 0u);
  }
}

TEST_F(SessionTest, FiveFailuresLockTheAccountAtThisSourceWithRetryAfter) {
  agent();
  agent("2005");
  for (int i = 0; i < 5; ++i) {
    expect_error(sign_in("ivy.2001@example.com", "wrong password " + std::to_string(i)).result, 401,
                 "");
  }
  // Locked now, even with the right password: the guesser learns nothing more.
  HttpResult locked = sign_in("ivy.2001@example.com", kPassword).result;
  EXPECT_EQ(locked.status, 429) << locked.body;
  EXPECT_EQ(locked.json()["error"]["code"], "too_many_attempts");
  ASSERT_TRUE(locked.headers.count("retry-after"));
  int retry = std::stoi(locked.headers["retry-after"]);
  EXPECT_GT(retry, 0);
  EXPECT_LE(retry, 300);
  // Unknown e-mails lock the same way (no enumeration through the lock-out either).
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(sign_in("nobody@example.com", "wrong password").result.status, 401);
  }
  EXPECT_EQ(sign_in("nobody@example.com", "wrong password").result.status, 429);
  // Another account from the same source is not locked.
  EXPECT_EQ(sign_in("ivy.2005@example.com", kPassword).result.status, 201);
}

TEST_F(SessionTest, ApiTokensSignInTooAndTheSessionEndsWithTheToken) {
  Signed boot = sign_in(json{{"token", kAdminToken}});
  ASSERT_EQ(boot.result.status, 201) << boot.result.body;
  EXPECT_EQ(boot.result.json()["bootstrap"], true);
  EXPECT_TRUE(boot.result.json()["user"].is_null());
  EXPECT_EQ(boot.result.json()["role"], "admin");
  EXPECT_EQ(as(boot, "POST", "/api/v1/groups", {{"name", "Ops"}}).status, 201);

  json u = create_user("Sam", "sam@example.com", "2006", {{"role", "supervisor"}});
  HttpResult tok = call("POST", "/api/v1/tokens", {{"user_id", u["id"]}});
  ASSERT_EQ(tok.status, 201);
  Signed s = sign_in(json{{"token", tok.json()["token"]}});
  ASSERT_EQ(s.result.status, 201) << s.result.body;
  EXPECT_EQ(s.result.json()["role"], "supervisor");
  EXPECT_EQ(as(s, "GET", "/api/v1/trunks").status, 200);
  ASSERT_EQ(call("DELETE", id_path("/api/v1/tokens", tok.json())).status, 204);
  EXPECT_EQ(as(s, "GET", "/api/v1/trunks").status, 401);

  expect_error(sign_in(json{{"token", "cht_not_a_token"}}).result, 401, "");
  expect_error(sign_in(json{{"token", kAdminToken}, {"email", "a@b.c"}}).result, 400, "token");
  expect_error(sign_in(json{{"email", "a@b.c"}}).result, 400, "password");
  expect_error(sign_in(json{{"email", "a@b.c"}, {"password", 5}}).result, 400, "password");
  expect_error(sign_in(json{{"user", "a@b.c"}}).result, 400, "user");
}

TEST_F(SessionTest, APasswordChangeOrDeactivationEndsTheUsersSessions) {
  json u = agent();
  Signed first = sign_in("ivy.2001@example.com", kPassword);
  Signed second = sign_in("ivy.2001@example.com", kPassword);
  ASSERT_EQ(first.result.status, 201);
  ASSERT_EQ(call("PATCH", id_path("/api/v1/users", u), {{"password", "a new passphrase"}}).status,
            200);
  EXPECT_EQ(as(first, "GET", "/api/v1/session").status, 401);
  EXPECT_EQ(as(second, "GET", id_path("/api/v1/users", u)).status, 401);
  EXPECT_EQ(sign_in("ivy.2001@example.com", kPassword).result.status, 401);
  Signed fresh = sign_in("ivy.2001@example.com", "a new passphrase");
  ASSERT_EQ(fresh.result.status, 201);
  // Other changes keep the session.
  ASSERT_EQ(call("PATCH", id_path("/api/v1/users", u), {{"name", "Ivy C."}}).status, 200);
  EXPECT_EQ(as(fresh, "GET", "/api/v1/session").status, 200);

  ASSERT_EQ(call("PATCH", id_path("/api/v1/users", u), {{"active", false}}).status, 200);
  EXPECT_EQ(as(fresh, "GET", "/api/v1/session").status, 401);
  ASSERT_EQ(call("PATCH", id_path("/api/v1/users", u), {{"active", true}}).status, 200);
  EXPECT_EQ(as(fresh, "GET", "/api/v1/session").status, 401) << "reactivation revived a session";

  // null removes the console password: no sign-in at all.
  ASSERT_EQ(call("PATCH", id_path("/api/v1/users", u), {{"password", nullptr}}).status, 200);
  EXPECT_EQ(call("GET", id_path("/api/v1/users", u)).json()["has_password"], false);
  EXPECT_EQ(sign_in("ivy.2001@example.com", "a new passphrase").result.status, 401);
}

TEST_F(SessionTest, ConsolePasswordsAreCheckedAndNeverEchoedOrLogged) {
  json u = create_user("Kai", "kai@example.com", "2007");
  std::string path = id_path("/api/v1/users", u);
  expect_error(call("PATCH", path, {{"password", "eleven char"}}), 400, "password");
  expect_error(call("PATCH", path, {{"password", std::string(257, 'x')}}), 400, "password");
  expect_error(call("PATCH", path, {{"password", "twelve chars\n"}}), 400, "password");
  expect_error(call("PATCH", path, {{"password", 123456789012}}), 400, "password");
  expect_error(call("PATCH", path, {{"has_password", true}}), 400, "has_password");
  EXPECT_EQ(call("GET", path).json()["has_password"], false) << "a refused change changed";
  // Characters, not bytes: 12 two-byte characters pass, 256 of them too.
  std::string twelve;
  for (int i = 0; i < 12; ++i) {
    twelve += "\xc3\xa9";  // é
  }
  HttpResult ok = call("PATCH", path, {{"password", twelve}});
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(ok.body.find(twelve), std::string::npos);
  EXPECT_EQ(sign_in("kai@example.com", twelve).result.status, 201);
  std::string long_one;
  for (int i = 0; i < 256; ++i) {
    long_one += "\xc3\xa9";
  }
  EXPECT_EQ(call("PATCH", path, {{"password", long_one}}).status, 200);
  EXPECT_EQ(sign_in("kai@example.com", long_one).result.status, 201);
  std::string log = server_->log();
  EXPECT_EQ(log.find(twelve), std::string::npos) << "the password reached the log";
  EXPECT_EQ(log.find(kAdminToken), std::string::npos);
}

TEST_F(SessionTest, SignOutNeedsTheCsrfTokenThenEndsTheSessionAndClearsTheCookie) {
  agent();
  Signed s = sign_in("ivy.2001@example.com", kPassword);
  ASSERT_EQ(s.result.status, 201);
  expect_error(as(s, "DELETE", "/api/v1/session", nullptr, false), 403, "X-CSRF-Token");
  EXPECT_EQ(as(s, "GET", "/api/v1/session").status, 200);
  HttpResult out = as(s, "DELETE", "/api/v1/session");
  EXPECT_EQ(out.status, 204);
  EXPECT_NE(out.headers["set-cookie"].find("Max-Age=0"), std::string::npos);
  EXPECT_EQ(as(s, "GET", "/api/v1/session").status, 401);
  EXPECT_EQ(as(s, "GET", "/api/v1/groups").status, 401);
  EXPECT_EQ(http_request(server_->port(), "GET", "/api/v1/session").status, 401);
}

TEST_F(SessionTest, AnAcknowledgedSignInSurvivesKill9) {
  agent();
  Signed s = sign_in("ivy.2001@example.com", kPassword);
  ASSERT_EQ(s.result.status, 201);
  server_->kill();
  server_.reset();
  start();
  HttpResult r = as(s, "GET", "/api/v1/session");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["csrf_token"], s.csrf);
}

TEST_F(SessionTest, EveryAnswerCarriesTheSecurityHeaders) {
  for (const HttpResult& r :
       {call("GET", "/api/v1/groups"), call("GET", "/api/v1/nope"),
        http_request(server_->port(), "GET", "/"), http_request(server_->port(), "GET", "/healthz"),
        sign_in("x@example.com", "wrong password").result}) {
    const std::string& csp = r.headers.at("content-security-policy");
    EXPECT_NE(csp.find("script-src 'self'"), std::string::npos) << csp;
    EXPECT_EQ(csp.find("unsafe-inline"), std::string::npos) << csp;
    EXPECT_NE(csp.find("frame-ancestors 'none'"), std::string::npos) << csp;
    EXPECT_EQ(r.headers.at("x-content-type-options"), "nosniff");
    EXPECT_EQ(r.headers.at("referrer-policy"), "no-referrer");
  }
  EXPECT_EQ(call("GET", "/api/v1/groups").headers.at("cache-control"), "no-store");
}

// A console directory as `vite build` leaves it, with precompressed twins.
class ConsoleTest : public ApiTest {
 protected:
  void SetUp() override {
    std::filesystem::create_directories(console_.path() + "/assets");
    write("index.html", "<!doctype html><title>Cohort</title><script src=/assets/app-1a2b.js>");
    write("assets/app-1a2b.js", "console.log('identity')");
    write("assets/app-1a2b.js.gz", "GZIP-BYTES");
    write("assets/app-1a2b.js.br", "BROTLI-BYTES");
    write("favicon.svg", "<svg/>");
    start({.extra_args = {"--console-dir", console_.path()}});
  }
  void write(const std::string& name, const std::string& bytes) {
    std::ofstream(console_.path() + "/" + name, std::ios::binary) << bytes;
  }
  HttpResult get(const std::string& target, const std::string& headers = "") {
    return http_request(server_->port(), "GET", target, "", "", headers);
  }
  TempDir console_;
};

TEST_F(ConsoleTest, ServesIndexForClientRoutesAndHashedAssetsForAYear) {
  HttpResult index = get("/");
  ASSERT_EQ(index.status, 200);
  EXPECT_NE(index.body.find("<title>Cohort</title>"), std::string::npos);
  EXPECT_EQ(index.headers["content-type"], "text/html; charset=utf-8");
  EXPECT_EQ(index.headers["cache-control"], "no-cache");
  for (const char* route : {"/users", "/groups/3/settings", "/sign-in?next=%2Fusers"}) {
    HttpResult r = get(route);
    EXPECT_EQ(r.status, 200) << route;
    EXPECT_EQ(r.body, index.body) << route;
  }
  HttpResult js = get("/assets/app-1a2b.js");
  EXPECT_EQ(js.status, 200);
  EXPECT_EQ(js.body, "console.log('identity')");
  EXPECT_EQ(js.headers["content-type"], "text/javascript; charset=utf-8");
  EXPECT_EQ(js.headers["cache-control"], "public, max-age=31536000, immutable");
  EXPECT_EQ(get("/favicon.svg").headers["content-type"], "image/svg+xml");
  // A missing asset or file is a 404, never index.html.
  EXPECT_EQ(get("/assets/app-old.js").status, 404);
  EXPECT_EQ(get("/robots.txt").status, 404);
  // The API keeps its own answers (without a token, even a path that names nothing is a 401:
  // docs/api.md "Authentication").
  HttpResult api = get("/api/v1/nope");
  EXPECT_EQ(api.headers["content-type"], "application/json");
  EXPECT_EQ(api.json()["error"]["code"], "unauthorized");
  HttpResult api_missing = http_request(server_->port(), "GET", "/api/v1/nope", "", kAdminToken);
  EXPECT_EQ(api_missing.headers["content-type"], "application/json");
  EXPECT_EQ(api_missing.json()["error"]["code"], "not_found");
  EXPECT_EQ(get("/healthz").status, 200);
  HttpResult post = http_request(server_->port(), "POST", "/users", "{}");
  EXPECT_EQ(post.status, 405);
  EXPECT_EQ(post.headers["allow"], "GET, HEAD");
}

TEST_F(ConsoleTest, PicksTheCompressionTheBrowserAcceptsAndRevalidates) {
  HttpResult br = get("/assets/app-1a2b.js", "Accept-Encoding: gzip, deflate, br\r\n");
  EXPECT_EQ(br.body, "BROTLI-BYTES");
  EXPECT_EQ(br.headers["content-encoding"], "br");
  EXPECT_EQ(br.headers["vary"], "Accept-Encoding");
  HttpResult gz = get("/assets/app-1a2b.js", "Accept-Encoding: gzip;q=0.8, br;q=0\r\n");
  EXPECT_EQ(gz.body, "GZIP-BYTES");
  EXPECT_EQ(gz.headers["content-encoding"], "gzip");
  HttpResult plain = get("/assets/app-1a2b.js", "Accept-Encoding: identity\r\n");
  EXPECT_EQ(plain.body, "console.log('identity')");
  EXPECT_EQ(plain.headers.count("content-encoding"), 0u);
  HttpResult star = get("/assets/app-1a2b.js", "Accept-Encoding: *\r\n");
  EXPECT_EQ(star.body, "BROTLI-BYTES");
  // Each variant has its own validator; a matching one gets 304 without a body.
  ASSERT_NE(br.headers["etag"], gz.headers["etag"]);
  HttpResult again = get("/assets/app-1a2b.js",
                         "Accept-Encoding: br\r\nIf-None-Match: " + br.headers["etag"] + "\r\n");
  EXPECT_EQ(again.status, 304);
  EXPECT_TRUE(again.body.empty());
  EXPECT_EQ(get("/", "If-None-Match: \"other\"\r\n").status, 200);
}

TEST_F(ApiTest, WithoutABuiltConsoleTheRootSaysHowToBuildIt) {
  TempDir empty;
  server_.reset();
  start({.extra_args = {"--console-dir", empty.path()}});
  HttpResult r = http_request(server_->port(), "GET", "/");
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("make build"), std::string::npos) << r.body;
  EXPECT_EQ(http_request(server_->port(), "GET", "/users/3").status, 200);
  EXPECT_NE(server_->banner().find("not built"), std::string::npos) << server_->banner();
  EXPECT_EQ(call("GET", "/api/v1/groups").status, 200);
}

TEST_F(ApiTest, CallRecordsDownloadAsCsvWithAHeaderRow) {
  HttpResult r = call("GET", "/api/v1/cdrs?format=csv");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.headers["content-type"], "text/csv; charset=utf-8; header=present");
  EXPECT_NE(r.headers["content-disposition"].find("attachment"), std::string::npos);
  EXPECT_EQ(r.body.rfind("id,direction,caller_user,", 0), 0u) << r.body;
  EXPECT_EQ(r.body.substr(r.body.size() - 2), "\r\n");
  HttpResult by_accept =
      http_request(server_->port(), "GET", "/api/v1/cdrs", "", kAdminToken, "Accept: text/csv\r\n");
  EXPECT_EQ(by_accept.body, r.body);
  expect_error(call("GET", "/api/v1/cdrs?format=xml"), 400, "format");
  EXPECT_EQ(call("GET", "/api/v1/cdrs?format=json").json()["items"], json::array());
}

}  // namespace
}  // namespace cohort::testing
