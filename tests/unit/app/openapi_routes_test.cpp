// The checked-in OpenAPI document and the router must agree, route for route, both ways.

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <set>

#include "api/api.hpp"
#include "common/clock.hpp"
#include "store/sqlite/sqlite_store.hpp"

namespace cohort::api {
namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

TEST(OpenApi, EveryServedRouteIsDocumentedAndViceVersa) {
  std::string dir = (std::filesystem::temp_directory_path() / "cohort-openapi-XXXXXX").string();
  ASSERT_NE(::mkdtemp(dir.data()), nullptr);
  ManualClock clock;
  auto store = store::sqlite::open(dir + "/cohort.db", clock);
  ASSERT_TRUE(store) << store.error().message;
  Metrics metrics;
  Api api(**store, metrics, {});

  auto doc = nlohmann::json::parse(openapi_document(), nullptr, false);
  ASSERT_FALSE(doc.is_discarded()) << "docs/openapi.json is not valid JSON";
  ASSERT_TRUE(doc.contains("paths"));

  std::set<std::pair<std::string, std::string>> served;
  for (const Router::RouteInfo& r : api.router().routes()) {
    served.emplace(lower(r.method), r.pattern);
  }
  std::set<std::pair<std::string, std::string>> documented;
  for (const auto& [path, ops] : doc["paths"].items()) {
    for (const auto& [method, op] : ops.items()) {
      if (method != "parameters") {
        documented.emplace(method, path);
      }
    }
  }
  for (const auto& [method, path] : served) {
    EXPECT_TRUE(documented.count({method, path}))
        << "served but not documented: " << method << " " << path;
  }
  for (const auto& [method, path] : documented) {
    EXPECT_TRUE(served.count({method, path}))
        << "documented but not served: " << method << " " << path;
  }
  EXPECT_GE(served.size(), 20u);
  store->reset();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace cohort::api
