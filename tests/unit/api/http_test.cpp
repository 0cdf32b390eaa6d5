#include "api/http.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace cohort::api {
namespace {

using Query = std::vector<std::pair<std::string, std::string>>;

struct TargetCase {
  std::string target;
  std::optional<std::string> path;  // nullopt: parse_target must refuse the target
  Query query;
};

TEST(ParseTarget, Table) {
  const std::vector<TargetCase> cases = {
      {"/", "/", {}},
      {"/api/v1/users", "/api/v1/users", {}},
      {"/api/v1/users/", "/api/v1/users/", {}},
      {"/api/v1/users?", "/api/v1/users", {}},
      {"/api/v1/users?q=ann", "/api/v1/users", {{"q", "ann"}}},
      {"/a?x=1&y=2&x=3", "/a", {{"x", "1"}, {"y", "2"}, {"x", "3"}}},
      {"/a?flag", "/a", {{"flag", ""}}},
      {"/a?flag=", "/a", {{"flag", ""}}},
      {"/a?=v", "/a", {{"", "v"}}},
      {"/a?x=1&&y=2&", "/a", {{"x", "1"}, {"y", "2"}}},
      {"/a?x=a=b", "/a", {{"x", "a=b"}}},
      {"/a?q=ann+lee", "/a", {{"q", "ann lee"}}},
      {"/a?q=ann%2Blee", "/a", {{"q", "ann+lee"}}},
      {"/a?q%20x=%41%62", "/a", {{"q x", "Ab"}}},
      {"/a?q=%e2%82%AC", "/a", {{"q", "\xe2\x82\xac"}}},
      {"/a?next=%3Fx%3D1%26y", "/a", {{"next", "?x=1&y"}}},
      {"/a+b/c%20d", "/a+b/c d", {}},
      {"/users/%41nn", "/users/Ann", {}},
      {"/a%2Fb", "/a/b", {}},
      // Refused: not origin-form.
      {"", std::nullopt, {}},
      {"*", std::nullopt, {}},
      {"api/v1/users", std::nullopt, {}},
      {"http://example.com/a", std::nullopt, {}},
      {"example.com:443", std::nullopt, {}},
      {"/a#frag", std::nullopt, {}},
      // Refused: bad percent-escapes.
      {"/a%", std::nullopt, {}},
      {"/a%4", std::nullopt, {}},
      {"/a%zz", std::nullopt, {}},
      {"/a%4g", std::nullopt, {}},
      {"/a?q=%", std::nullopt, {}},
      {"/a?q=%2", std::nullopt, {}},
      {"/a?%xy=1", std::nullopt, {}},
      // Refused: NUL after decoding.
      {"/a%00b", std::nullopt, {}},
      {"/a?q=x%00", std::nullopt, {}},
      {"/a?%00=1", std::nullopt, {}},
      // Refused: not UTF-8 after decoding (answers echo paths and queries in JSON).
      {"/a%FF", std::nullopt, {}},
      {"/users/%C3%28", std::nullopt, {}},
      {"/a%C0%AF", std::nullopt, {}},
      {"/a?q=%FF", std::nullopt, {}},
      {"/a?q=%E2%82", std::nullopt, {}},
      {"/a?%ED%A0%80=1", std::nullopt, {}},
      {"/caf\xC3\xA9?q=\xE6\x97\xA5", "/caf\xC3\xA9", {{"q", "\xE6\x97\xA5"}}},
      {"/caf\xFF", std::nullopt, {}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE("target: " + c.target);
    auto parsed = parse_target(c.target);
    if (!c.path) {
      EXPECT_FALSE(parsed.has_value());
      continue;
    }
    ASSERT_TRUE(parsed.has_value());
    EXPECT_EQ(parsed->path, *c.path);
    EXPECT_EQ(parsed->query, c.query);
  }
}

TEST(ParseTarget, NulInRawTargetIsKeptOutOfThePath) {
  // A raw NUL cannot come through Beast, but parse_target must not pass one on either.
  std::string target("/a\0b", 4);
  auto parsed = parse_target(target);
  EXPECT_FALSE(parsed.has_value());
}

TEST(QueryParam, FirstValueAndAbsence) {
  Request req;
  req.query = {{"q", "ann"}, {"page", "2"}, {"q", "bob"}, {"empty", ""}};
  struct Case {
    std::string name;
    std::optional<std::string> want;
  };
  const std::vector<Case> cases = {
      {"q", "ann"}, {"page", "2"}, {"empty", ""}, {"missing", std::nullopt}, {"Q", std::nullopt},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE("name: " + c.name);
    auto got = req.query_param(c.name);
    ASSERT_EQ(got.has_value(), c.want.has_value());
    if (got) {
      EXPECT_EQ(*got, *c.want);
    }
  }
}

TEST(QueryParam, FromParsedTarget) {
  auto parsed = parse_target("/x?limit=10&q=a+b");
  ASSERT_TRUE(parsed);
  Request req;
  req.query = parsed->query;
  EXPECT_EQ(req.query_param("q"), std::optional<std::string_view>("a b"));
  EXPECT_EQ(req.query_param("limit"), std::optional<std::string_view>("10"));
}

}  // namespace
}  // namespace cohort::api

namespace cohort::api {
namespace {

TEST(CookieValue, ReadsTheNamedPairOfACookieString) {
  Request r;
  EXPECT_FALSE(r.cookie_value("cohort_session"));
  r.cookie = "theme=dark; cohort_session=abc123; other=x";
  EXPECT_EQ(r.cookie_value("cohort_session"), "abc123");
  EXPECT_EQ(r.cookie_value("theme"), "dark");
  EXPECT_EQ(r.cookie_value("other"), "x");
  EXPECT_FALSE(r.cookie_value("cohort"));
  EXPECT_FALSE(r.cookie_value("session"));
  // RFC 6265: a quoted value, whitespace around pairs, an empty value, a pair without '='.
  r.cookie = "  a=\"quoted\" ;b= ;junk; cohort_session = v2 ";
  EXPECT_EQ(r.cookie_value("a"), "quoted");
  EXPECT_EQ(r.cookie_value("b"), "");
  EXPECT_EQ(r.cookie_value("cohort_session"), "v2");
  EXPECT_FALSE(r.cookie_value("junk"));
  // The first pair of a name wins; a name is matched whole, not as a prefix or suffix.
  r.cookie = "xcohort_session=no; cohort_session=first; cohort_session=second";
  EXPECT_EQ(r.cookie_value("cohort_session"), "first");
  r.cookie = "cohort_session=a=b";
  EXPECT_EQ(r.cookie_value("cohort_session"), "a=b");
}

TEST(SafeMethod, OnlyMethodsThatChangeNothing) {
  for (const char* m : {"GET", "HEAD", "OPTIONS"}) {
    EXPECT_TRUE(Request{.method = m}.safe_method()) << m;
  }
  for (const char* m : {"POST", "PUT", "PATCH", "DELETE", "get", "TRACE", ""}) {
    EXPECT_FALSE(Request{.method = m}.safe_method()) << m;
  }
}

}  // namespace
}  // namespace cohort::api
