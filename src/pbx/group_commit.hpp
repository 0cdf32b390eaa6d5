#pragma once
// Group commit: the SIP threads queue writes, each optionally with an acknowledgement to
// send once it is durable; one writer thread commits everything queued so far in one
// transaction and then runs the acknowledgements of that batch. A 200 OK therefore leaves
// only after what it acknowledges is on disk (a crash of the process loses nothing that was
// acknowledged), while the SIP threads never wait for the disk: under load the batches
// grow, so one commit acknowledges many requests. `spacing` makes them grow sooner: a commit
// starts at most once per spacing, so under load a commit carries every write of the last
// spacing (each commit costs a transaction, WAL frames and a wake-up per batch), while a
// lone write after a quiet spell still commits at once.
//
// Threading: add() from any thread (it takes the queue's lock for as long as `fill` runs);
// the writer and the acknowledgements run on the writer thread, with no lock of this class
// held, so an acknowledgement may take a shard's lock.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

namespace cohort::pbx {

/// The spacing of the registrar's and the call records' writers: a 200 OK waits at most this
/// much longer under load, and a commit carries every write of the last 10 ms. Each commit
/// writes the WAL pages its rows touch (the records' eleven indexes among them): at 1,000
/// calls/s, 12.4 page writes per call at a 2 ms spacing, 6.7 at 10 ms; at 4,000 REGISTER/s,
/// 23,279 page writes per 20,000 registrations at 2 ms, 5,399 at 10 ms. Ten milliseconds
/// more before a 200 OK is far below what a phone or a provider notices.
inline constexpr std::chrono::microseconds kCommitSpacing{10000};

/// `Batch` is default-constructible, movable and has `size()` (queued writes).
template <class Batch>
class GroupCommit {
 public:
  /// Writes one batch in one transaction; false when it failed (logged by the writer).
  using Writer = std::function<bool(Batch&)>;
  /// An acknowledgement: runs on the writer thread after its batch was committed
  /// (`durable` true) or failed to (`durable` false).
  using Done = std::function<void(bool durable)>;

  struct Options {
    /// Writes without an acknowledgement wait at most this long (or for `max_batch`).
    std::chrono::milliseconds linger{200};
    std::size_t max_batch = 2000;
    /// The least time from the start of one commit to the start of the next; 0: none.
    std::chrono::microseconds spacing{0};
  };

  GroupCommit(Writer writer, Options options) : writer_(std::move(writer)), options_(options) {}
  ~GroupCommit() { stop(); }
  GroupCommit(const GroupCommit&) = delete;
  GroupCommit& operator=(const GroupCommit&) = delete;

  void start() {
    std::lock_guard lock(mu_);
    if (!thread_.joinable()) {
      stopping_ = false;
      thread_ = std::thread([this] { run(); });
    }
  }

  /// Commits what is queued, runs its acknowledgements and joins the writer. Idempotent.
  void stop() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) {
      thread_.join();
    }
  }

  /// Queues a write: `fill(batch)` adds it to the pending batch under the queue's lock (the
  /// last write of a key may replace an earlier one). `done`, when given, runs once the
  /// batch holding this write is committed; the writer starts at once if it is idle.
  template <class Fill>
  void add(Fill&& fill, Done done = {}) {
    bool wake = false;
    {
      std::lock_guard lock(mu_);
      std::forward<Fill>(fill)(pending_);
      if (done) {
        waiters_.push_back(std::move(done));
        wake = idle_;
      }
      wake = wake || (idle_ && pending_.size() >= options_.max_batch);
      if (wake) {
        idle_ = false;  // one wake-up per batch, not one per write
      }
    }
    if (wake) {
      cv_.notify_one();
    }
  }

  /// Runs `done` after every write queued before it is committed (a barrier).
  void after_queued(Done done) {
    add([](Batch&) {}, std::move(done));
  }

  /// Batches committed and failed so far. Any thread.
  std::size_t commits() const {
    std::lock_guard lock(mu_);
    return commits_;
  }

 private:
  void run() {
    std::unique_lock lock(mu_);
    for (;;) {
      idle_ = true;
      cv_.wait_for(lock, options_.linger, [&] {
        return stopping_ || !waiters_.empty() || pending_.size() >= options_.max_batch;
      });
      idle_ = false;  // from here on add() does not wake the writer: it is about to commit
      if (options_.spacing.count() > 0 && !stopping_) {
        cv_.wait_until(lock, last_start_ + options_.spacing, [&] { return stopping_; });
      }
      if (pending_.size() == 0 && waiters_.empty()) {
        if (stopping_) {
          return;
        }
        continue;
      }
      last_start_ = std::chrono::steady_clock::now();
      Batch batch = std::exchange(pending_, Batch{});
      std::vector<Done> done = std::exchange(waiters_, {});
      lock.unlock();
      const bool durable = batch.size() == 0 || writer_(batch);
      for (Done& d : done) {
        d(durable);
      }
      lock.lock();
      ++commits_;
    }
  }

  Writer writer_;
  Options options_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  Batch pending_;
  std::vector<Done> waiters_;
  bool idle_ = false;
  bool stopping_ = false;
  std::size_t commits_ = 0;
  std::chrono::steady_clock::time_point last_start_{};
  std::thread thread_;
};

}  // namespace cohort::pbx
