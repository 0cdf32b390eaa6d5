#pragma once
// Auto-pause (issue 12): writes the pauses MissedCalls found due, through the store like
// the API's own pause (one transaction each; the new snapshot is published by the store),
// on a writer thread of its own, so that no SIP thread ever waits on the disk. A pause is
// skipped when it no longer applies: the membership (scope group) or the user (scope all)
// is gone, or is paused already (a pause set by hand keeps its reason).
//
// Threading: queue() and applied() from any thread; the writes run on the writer thread.

#include <array>
#include <atomic>
#include <cstdint>
#include <vector>

#include "pbx/group_commit.hpp"
#include "pbx/missed_calls.hpp"
#include "store/repository.hpp"

namespace cohort::pbx {

class AutoPauseWriter {
 public:
  /// `store` must outlive the writer.
  explicit AutoPauseWriter(store::Store& store);

  void start();
  /// Writes what is queued and stops. Idempotent.
  void stop();

  /// Queues `order`; the writer wakes at once.
  void queue(AutoPauseOrder order);
  /// Writes `order` now, on the calling thread (the writer's; tests): true when the member
  /// was paused, false when it did not apply or the write failed (both logged).
  bool apply(const AutoPauseOrder& order);

  /// Pauses written since start, by cause (for /metrics).
  std::uint64_t applied(routing::PauseCause cause) const {
    return applied_[static_cast<std::size_t>(cause)].load(std::memory_order_relaxed);
  }

 private:
  struct Batch {
    std::vector<AutoPauseOrder> orders;
    std::size_t size() const { return orders.size(); }
  };
  bool commit(Batch& batch);

  store::Store& store_;
  std::array<std::atomic<std::uint64_t>, 2> applied_{};
  GroupCommit<Batch> writer_;
};

}  // namespace cohort::pbx
