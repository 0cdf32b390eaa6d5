#include "api/json_io.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace cohort::api {
namespace {

using nlohmann::json;

std::vector<std::int64_t> ids_of(const json& page) {
  std::vector<std::int64_t> out;
  for (const json& item : page["items"]) {
    out.push_back(item["id"].get<std::int64_t>());
  }
  return out;
}

TEST(IdPage, WalksPagesByCursorSkippingFilteredObjects) {
  const std::vector<std::int64_t> ids = {1, 2, 4, 7, 8, 9, 12};
  // Odd ids are not visible.
  auto render = [](std::int64_t id) -> json {
    return id % 2 == 1 ? json(nullptr) : json{{"id", id}};
  };
  json first = id_page(ids, Page{.limit = 2, .after = 0}, render);
  EXPECT_EQ(ids_of(first), (std::vector<std::int64_t>{2, 4}));
  ASSERT_EQ(first["next_cursor"], "4");
  json second = id_page(ids, Page{.limit = 2, .after = 4}, render);
  EXPECT_EQ(ids_of(second), (std::vector<std::int64_t>{8, 12}));
  EXPECT_TRUE(second["next_cursor"].is_null()) << "nothing visible follows 12";
  json exact = id_page(ids, Page{.limit = 4, .after = 0}, render);
  EXPECT_EQ(ids_of(exact), (std::vector<std::int64_t>{2, 4, 8, 12}));
  EXPECT_TRUE(exact["next_cursor"].is_null()) << "a full last page has no next cursor";
  EXPECT_TRUE(id_page({}, Page{}, render)["items"].empty());
}

}  // namespace
}  // namespace cohort::api
