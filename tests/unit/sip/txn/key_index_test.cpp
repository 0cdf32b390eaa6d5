// The flat key index against a std::map model: random files, replacements and erases,
// across growth, shrinking and probe runs that wrap around the end of the slots.
#include "sip/txn/key_index.hpp"

#include <gtest/gtest.h>

#include <deque>
#include <map>
#include <random>
#include <string>

namespace cohort::sip::txn {
namespace {

TEST(KeyIndex, EmptyFindsNothingAndEraseIsANoOp) {
  KeyIndex index;
  EXPECT_FALSE(index.find("z9hG4bK1").has_value());
  index.erase("z9hG4bK1", 1);
  EXPECT_EQ(index.size(), 0u);
}

TEST(KeyIndex, FileFindErase) {
  KeyIndex index;
  const std::string a = "z9hG4bKa|host:5060|REGISTER", b = "z9hG4bKb|host:5060|REGISTER";
  index.file(a, 1);
  index.file(b, 2);
  EXPECT_EQ(index.find(a), 1u);
  EXPECT_EQ(index.find(b), 2u);
  EXPECT_FALSE(index.find("z9hG4bKc|host:5060|REGISTER").has_value());
  index.erase(a, 1);
  EXPECT_FALSE(index.find(a).has_value());
  EXPECT_EQ(index.find(b), 2u);
  EXPECT_EQ(index.size(), 1u);
}

TEST(KeyIndex, ANewerOwnerKeepsTheKeyWhenTheOlderIsErased) {
  KeyIndex index;
  const std::string older = "k", newer = "k";  // equal keys in two strings
  index.file(older, 1);
  index.file(newer, 2);
  EXPECT_EQ(index.size(), 1u);
  index.erase(older, 1);  // the older owner is reaped: the key stays with the newer one
  EXPECT_EQ(index.find("k"), 2u);
  index.erase(newer, 2);
  EXPECT_FALSE(index.find("k").has_value());
}

TEST(KeyIndex, AgreesWithAMapUnderRandomFilesAndErases) {
  std::mt19937_64 rng(11);
  KeyIndex index;
  // Keys live in a deque (stable addresses), as the table's entries do.
  std::deque<std::string> storage;
  std::map<std::string, std::pair<TxnId, const std::string*>> model;
  TxnId next = 0;
  std::size_t peak_capacity = 0, peak_size = 0;
  for (int round = 0; round < 3; ++round) {
    // Grow to 20,000 keys drawn from 30,000 (so some are filed twice), then erase most.
    for (int i = 0; i < 20000; ++i) {
      storage.push_back("z9hG4bK" + std::to_string(rng() % 30000) + "|INVITE");
      const std::string& key = storage.back();
      index.file(key, ++next);
      model[key] = {next, &key};
    }
    peak_capacity = std::max(peak_capacity, index.capacity());
    peak_size = std::max(peak_size, model.size());
    ASSERT_EQ(index.size(), model.size());
    for (auto it = model.begin(); it != model.end();) {
      if (rng() % 10 != 0) {
        // An erase by a stale id changes nothing.
        index.erase(*it->second.second, it->second.first + 1000000);
        ASSERT_EQ(index.find(it->first), it->second.first);
        index.erase(*it->second.second, it->second.first);
        it = model.erase(it);
      } else {
        ++it;
      }
    }
    ASSERT_EQ(index.size(), model.size());
    for (const auto& [key, value] : model) {
      ASSERT_EQ(index.find(key), value.first) << key;
    }
    for (int i = 0; i < 2000; ++i) {
      const std::string probe = "z9hG4bK" + std::to_string(rng() % 30000) + "|INVITE";
      const auto it = model.find(probe);
      ASSERT_EQ(index.find(probe).has_value(), it != model.end()) << probe;
    }
  }
  // Emptied after a burst, the index gives its memory back.
  for (const auto& [key, value] : model) {
    index.erase(*value.second, value.first);
  }
  EXPECT_EQ(index.size(), 0u);
  EXPECT_GE(peak_capacity, 2 * peak_size);  // the load stayed at most 1/2
  EXPECT_LE(index.capacity(), 16u);
}

}  // namespace
}  // namespace cohort::sip::txn
