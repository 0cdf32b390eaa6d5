// CallRecords over an in-memory store: a call's records queued before one commit are
// written once, as the latest state; other calls keep their own records.

#include "pbx/call_records.hpp"

#include <gtest/gtest.h>

#include <mutex>
#include <vector>

namespace cohort::pbx {
namespace {

class MemoryCdrs : public store::CdrStore, public store::HuntStore {
 public:
  Result<void> save_cdrs(const std::vector<store::CdrRecord>& records) override {
    std::lock_guard lock(mu_);
    batches_.push_back(records);
    return {};
  }
  Result<std::size_t> close_interrupted(std::int64_t) override { return std::size_t{0}; }
  Result<std::vector<store::CdrRecord>> interrupted_dialogs(std::int64_t) override {
    return std::vector<store::CdrRecord>{};
  }
  Result<std::vector<store::CdrRecord>> query_cdrs(const store::CdrQuery&) override {
    return std::vector<store::CdrRecord>{};
  }
  Result<std::vector<std::pair<model::GroupId, model::UserId>>> load_cursors() override {
    return std::vector<std::pair<model::GroupId, model::UserId>>{};
  }
  Result<void> save_cursors(const std::vector<std::pair<model::GroupId, model::UserId>>&) override {
    return {};
  }
  Result<std::vector<std::pair<model::UserId, std::int64_t>>> last_calls() override {
    return std::vector<std::pair<model::UserId, std::int64_t>>{};
  }
  Result<std::vector<std::pair<model::UserId, std::int64_t>>> answered_since(
      std::int64_t) override {
    return std::vector<std::pair<model::UserId, std::int64_t>>{};
  }
  std::vector<std::vector<store::CdrRecord>> batches() {
    std::lock_guard lock(mu_);
    return batches_;
  }

 private:
  std::mutex mu_;
  std::vector<std::vector<store::CdrRecord>> batches_;
};

store::CdrRecord record(std::string id, std::int64_t answer_ms, std::int64_t end_ms) {
  store::CdrRecord r;
  r.id = std::move(id);
  r.answer_ms = answer_ms;
  r.end_ms = end_ms;
  return r;
}

TEST(CallRecords, ACallsRecordsBeforeOneCommitAreWrittenOnceAsTheLatest) {
  MemoryCdrs store;
  CallRecords records(store, store);
  records.start();
  // Nobody waits for these: they share the commit that stop() makes.
  records.write(record("call-1", 100, 0));
  records.write(record("call-2", 150, 0));
  records.write(record("call-1", 100, 900));
  records.stop();
  const auto batches = store.batches();
  ASSERT_EQ(batches.size(), 1u);
  ASSERT_EQ(batches[0].size(), 2u) << "call-1 written twice in one commit";
  EXPECT_EQ(batches[0][0].id, "call-1");
  EXPECT_EQ(batches[0][0].end_ms, 900) << "the earlier state of call-1 was kept";
  EXPECT_EQ(batches[0][1].id, "call-2");
}

}  // namespace
}  // namespace cohort::pbx
