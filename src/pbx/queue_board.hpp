#pragma once
// Who waits for which group, in order, across the SIP shards (issue 13, "Waiting for a
// group"): a caller's position in line, and the wait a caller can expect from the group's
// recent answers. Thread-safe; a few operations per call, never per packet.

#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <vector>

#include "model/ids.hpp"

namespace cohort::pbx {

class QueueBoard {
 public:
  /// The waits of this many recent answers make a group's expected wait.
  static constexpr std::size_t kRecentAnswers = 20;

  /// Call `key` starts waiting for `group` at `since_ms` (unix ms). Again: no change.
  void join(model::GroupId group, std::uint64_t key, std::int64_t since_ms);
  /// It stops waiting (answered, left for a fallback, hung up). Unknown: no change.
  void leave(model::GroupId group, std::uint64_t key);
  /// Its place in line, 1 = next; 0 when it is not waiting for `group`.
  int position(model::GroupId group, std::uint64_t key) const;
  /// A member answered a call of `group` that had waited `wait_ms`.
  void answered(model::GroupId group, std::int64_t wait_ms);
  /// What a caller at `position` can expect to wait: the mean of the recent answers' waits
  /// times its position; nullopt before the group has any answer.
  std::optional<std::int64_t> expected_wait_ms(model::GroupId group, int position) const;

 private:
  struct Waiting {
    std::uint64_t key = 0;
    std::int64_t since_ms = 0;
  };
  mutable std::mutex mu_;
  std::unordered_map<model::GroupId, std::vector<Waiting>> waiting_;  ///< in arrival order
  std::unordered_map<model::GroupId, std::deque<std::int64_t>> recent_;
};

}  // namespace cohort::pbx
