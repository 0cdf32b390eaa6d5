// GroupCommit: acknowledgements run only after the batch holding their write is committed;
// what arrives during a commit shares the next one; a failed commit is reported to its
// acknowledgements; stop() commits what is queued.

#include "pbx/group_commit.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace cohort::pbx {
namespace {

using namespace std::chrono_literals;

struct Ints {
  std::vector<int> values;
  std::size_t size() const { return values.size(); }
};

/// A writer the test holds inside its commit until released.
class GatedWriter {
 public:
  bool write(Ints& batch) {
    std::unique_lock lock(mu_);
    batches_.push_back(batch.values);
    ++entered_;
    cv_.notify_all();
    cv_.wait(lock, [&] { return open_; });
    return succeed_;
  }
  void wait_entered(int n) {
    std::unique_lock lock(mu_);
    ASSERT_TRUE(cv_.wait_for(lock, 5s, [&] { return entered_ >= n; })) << "no commit started";
  }
  void open(bool succeed = true) {
    std::lock_guard lock(mu_);
    open_ = true;
    succeed_ = succeed;
    cv_.notify_all();
  }
  std::vector<std::vector<int>> batches() {
    std::lock_guard lock(mu_);
    return batches_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::vector<int>> batches_;
  int entered_ = 0;
  bool open_ = false;
  bool succeed_ = true;
};

/// Waits up to 5 s for `flag`.
bool eventually(const std::atomic<int>& counter, int value) {
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (counter.load() != value) {
    if (std::chrono::steady_clock::now() > deadline) {
      return false;
    }
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

TEST(GroupCommit, AcknowledgementsWaitForTheirCommitAndLaterWritesShareOne) {
  GatedWriter w;
  GroupCommit<Ints> gc([&](Ints& b) { return w.write(b); },
                       {std::chrono::milliseconds(10'000), 1000});
  gc.start();
  std::atomic<int> acked{0}, failed{0};
  auto done = [&](bool durable) { ++(durable ? acked : failed); };
  gc.add([](Ints& b) { b.values.push_back(1); }, done);
  w.wait_entered(1);  // an acknowledged write starts a commit at once (linger is 10 s)
  // Three more arrive while the first commit is in progress.
  for (int v : {2, 3, 4}) {
    gc.add([v](Ints& b) { b.values.push_back(v); }, done);
  }
  std::this_thread::sleep_for(20ms);
  EXPECT_EQ(acked.load(), 0) << "acknowledged before its commit returned";
  w.open();
  ASSERT_TRUE(eventually(acked, 4));
  const auto batches = w.batches();
  ASSERT_EQ(batches.size(), 2u) << "the three later writes share one commit";
  EXPECT_EQ(batches[0], std::vector<int>{1});
  EXPECT_EQ(batches[1], (std::vector<int>{2, 3, 4}));
  EXPECT_EQ(failed.load(), 0);
}

TEST(GroupCommit, AFailedCommitIsReportedToItsAcknowledgements) {
  GatedWriter w;
  w.open(false);
  GroupCommit<Ints> gc([&](Ints& b) { return w.write(b); }, {});
  gc.start();
  std::atomic<int> acked{0}, failed{0};
  gc.add([](Ints& b) { b.values.push_back(7); },
         [&](bool durable) { ++(durable ? acked : failed); });
  ASSERT_TRUE(eventually(failed, 1));
  EXPECT_EQ(acked.load(), 0);
}

TEST(GroupCommit, WritesNobodyWaitsForLingerAndStopCommitsThem) {
  GatedWriter w;
  w.open();
  auto gc = std::make_unique<GroupCommit<Ints>>([&](Ints& b) { return w.write(b); },
                                                GroupCommit<Ints>::Options{10'000ms, 1000});
  gc->start();
  gc->add([](Ints& b) { b.values.push_back(5); });
  gc->add([](Ints& b) { b.values.push_back(6); });
  std::this_thread::sleep_for(30ms);
  EXPECT_TRUE(w.batches().empty()) << "no commit for writes without an acknowledgement yet";
  gc->stop();
  ASSERT_EQ(w.batches().size(), 1u) << "stop() commits what is queued";
  EXPECT_EQ(w.batches()[0], (std::vector<int>{5, 6}));
}

TEST(GroupCommit, ABarrierRunsAfterEverythingQueuedBeforeIt) {
  GatedWriter w;
  w.open();
  GroupCommit<Ints> gc([&](Ints& b) { return w.write(b); }, {10'000ms, 1000});
  gc.start();
  gc.add([](Ints& b) { b.values.push_back(8); });
  std::atomic<int> acked{0};
  gc.after_queued([&](bool durable) {
    if (durable && !w.batches().empty() && w.batches().back() == std::vector<int>{8}) {
      ++acked;
    }
  });
  ASSERT_TRUE(eventually(acked, 1)) << "the barrier ran before the write it follows";
}

// With a spacing, acknowledged writes that arrive soon after a commit started wait for the
// spacing to pass and then share one commit; a write after a quiet spell commits at once.
TEST(GroupCommit, SpacingGathersWritesUnderLoadButNotAfterAQuietSpell) {
  GatedWriter w;
  w.open();
  using Clock = std::chrono::steady_clock;
  GroupCommit<Ints> gc([&](Ints& b) { return w.write(b); },
                       {10'000ms, 1000, std::chrono::microseconds(400ms)});
  gc.start();
  std::atomic<int> acked{0};
  auto done = [&](bool durable) { acked += durable ? 1 : 0; };
  const auto t0 = Clock::now();
  gc.add([](Ints& b) { b.values.push_back(1); }, done);
  ASSERT_TRUE(eventually(acked, 1));
  EXPECT_LT(Clock::now() - t0, 300ms) << "the first write after a quiet spell waited";
  for (int v : {2, 3, 4}) {
    gc.add([v](Ints& b) { b.values.push_back(v); }, done);
    std::this_thread::sleep_for(10ms);
  }
  ASSERT_TRUE(eventually(acked, 4));
  EXPECT_GE(Clock::now() - t0, 400ms) << "the second commit started within the spacing";
  auto batches = w.batches();
  ASSERT_EQ(batches.size(), 2u);
  EXPECT_EQ(batches[1], (std::vector<int>{2, 3, 4})) << "writes within the spacing share one";
  std::this_thread::sleep_for(500ms);  // a quiet spell longer than the spacing
  const auto t1 = Clock::now();
  gc.add([](Ints& b) { b.values.push_back(5); }, done);
  ASSERT_TRUE(eventually(acked, 5));
  EXPECT_LT(Clock::now() - t1, 300ms) << "a write after a quiet spell waited for the spacing";
}

}  // namespace
}  // namespace cohort::pbx
