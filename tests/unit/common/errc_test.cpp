#include "common/errc.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <utility>
#include <vector>

namespace cohort {
namespace {

// The names are the `code` of API errors: a stable contract with API clients.
TEST(Errc, StableNames) {
  const std::vector<std::pair<Errc, std::string>> cases = {
      {Errc::kInvalid, "invalid"},         {Errc::kUnauthorized, "unauthorized"},
      {Errc::kForbidden, "forbidden"},     {Errc::kNotFound, "not_found"},
      {Errc::kConflict, "conflict"},       {Errc::kTooLarge, "too_large"},
      {Errc::kUnavailable, "unavailable"}, {Errc::kInternal, "internal"},
  };
  std::set<std::string> seen;
  for (const auto& [code, name] : cases) {
    EXPECT_EQ(errc_name(code), name);
    seen.insert(std::string(errc_name(code)));
  }
  EXPECT_EQ(seen.size(), cases.size());
}

}  // namespace
}  // namespace cohort
