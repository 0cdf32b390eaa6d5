#include "model/cow_map.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>

namespace cohort::model {
namespace {

TEST(CowMap, SetFindEraseSize) {
  CowMap<std::int64_t, std::string> m;
  EXPECT_EQ(m.size(), 0u);
  EXPECT_EQ(m.find(std::int64_t{1}), nullptr);

  m.set(1, "one");
  m.set(2, "two");
  EXPECT_EQ(m.size(), 2u);
  ASSERT_NE(m.find(std::int64_t{1}), nullptr);
  EXPECT_EQ(*m.find(std::int64_t{1}), "one");

  m.set(1, "uno");  // replacing does not grow the map
  EXPECT_EQ(m.size(), 2u);
  EXPECT_EQ(*m.find(std::int64_t{1}), "uno");

  m.erase(std::int64_t{1});
  EXPECT_EQ(m.size(), 1u);
  EXPECT_EQ(m.find(std::int64_t{1}), nullptr);
  m.erase(std::int64_t{1});  // erasing a missing key is a no-op
  m.erase(std::int64_t{99});
  EXPECT_EQ(m.size(), 1u);
}

TEST(CowMap, StringKeysFindByStringView) {
  CowMap<std::string, int> m;
  m.set("101", 1);
  std::string_view key = "101";
  ASSERT_NE(m.find(key), nullptr);
  EXPECT_EQ(*m.find(key), 1);
  EXPECT_EQ(m.find(std::string_view("102")), nullptr);
  m.erase(key);
  EXPECT_EQ(m.size(), 0u);
}

TEST(CowMap, CopyIsIsolatedFromOriginal) {
  CowMap<std::int64_t, int> original;
  for (std::int64_t i = 0; i < 1000; ++i) {
    original.set(i, static_cast<int>(i));
  }
  CowMap<std::int64_t, int> copy = original;
  copy.set(5, -5);
  copy.set(5000, 5000);
  copy.erase(std::int64_t{7});

  EXPECT_EQ(*original.find(std::int64_t{5}), 5);
  EXPECT_EQ(original.find(std::int64_t{5000}), nullptr);
  ASSERT_NE(original.find(std::int64_t{7}), nullptr);
  EXPECT_EQ(original.size(), 1000u);

  EXPECT_EQ(*copy.find(std::int64_t{5}), -5);
  EXPECT_EQ(*copy.find(std::int64_t{5000}), 5000);
  EXPECT_EQ(copy.find(std::int64_t{7}), nullptr);
  EXPECT_EQ(copy.size(), 1000u);

  // Writing to the original afterwards does not leak into the copy either.
  original.set(6, -6);
  EXPECT_EQ(*copy.find(std::int64_t{6}), 6);
}

TEST(CowMap, WritingACopyClonesOneShard) {
  CowMap<std::int64_t, int> original;
  for (std::int64_t i = 0; i < 1000; ++i) {
    original.set(i, static_cast<int>(i));
  }
  CowMap<std::int64_t, int> copy = original;
  for (std::int64_t i = 0; i < 1000; ++i) {
    EXPECT_EQ(copy.find(i), original.find(i));  // a copy shares every node
  }
  copy.set(1, 100);
  // Only the entries of the shard holding key 1 were cloned: ~1000/256 of them.
  int cloned = 0;
  for (std::int64_t i = 0; i < 1000; ++i) {
    cloned += copy.find(i) != original.find(i) ? 1 : 0;
  }
  EXPECT_GE(cloned, 1);
  EXPECT_LE(cloned, 30);
}

TEST(CowMap, ForEachVisitsEveryEntry) {
  CowMap<std::int64_t, int, 16> m;
  std::map<std::int64_t, int> expected;
  for (std::int64_t i = 1; i <= 100; ++i) {
    m.set(i, static_cast<int>(i * 2));
    expected[i] = static_cast<int>(i * 2);
  }
  m.erase(std::int64_t{50});
  expected.erase(50);
  std::map<std::int64_t, int> seen;
  m.for_each([&](std::int64_t k, int v) { seen[k] = v; });
  EXPECT_EQ(seen, expected);
}

}  // namespace
}  // namespace cohort::model
