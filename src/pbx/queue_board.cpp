#include "pbx/queue_board.hpp"

#include <algorithm>
#include <numeric>

namespace cohort::pbx {

void QueueBoard::join(model::GroupId group, std::uint64_t key, std::int64_t since_ms) {
  std::lock_guard lock(mu_);
  auto& line = waiting_[group];
  if (std::none_of(line.begin(), line.end(), [&](const Waiting& w) { return w.key == key; })) {
    // Arrival order: a call that waited longer elsewhere (a fallback) keeps its seniority.
    const auto at =
        std::upper_bound(line.begin(), line.end(), since_ms,
                         [](std::int64_t t, const Waiting& w) { return t < w.since_ms; });
    line.insert(at, Waiting{key, since_ms});
  }
}

void QueueBoard::leave(model::GroupId group, std::uint64_t key) {
  std::lock_guard lock(mu_);
  const auto it = waiting_.find(group);
  if (it == waiting_.end()) {
    return;
  }
  std::erase_if(it->second, [&](const Waiting& w) { return w.key == key; });
  if (it->second.empty()) {
    waiting_.erase(it);
  }
}

int QueueBoard::position(model::GroupId group, std::uint64_t key) const {
  std::lock_guard lock(mu_);
  const auto it = waiting_.find(group);
  if (it == waiting_.end()) {
    return 0;
  }
  for (std::size_t i = 0; i < it->second.size(); ++i) {
    if (it->second[i].key == key) {
      return static_cast<int>(i) + 1;
    }
  }
  return 0;
}

void QueueBoard::answered(model::GroupId group, std::int64_t wait_ms) {
  std::lock_guard lock(mu_);
  auto& recent = recent_[group];
  recent.push_back(std::max<std::int64_t>(0, wait_ms));
  if (recent.size() > kRecentAnswers) {
    recent.pop_front();
  }
}

std::optional<std::int64_t> QueueBoard::expected_wait_ms(model::GroupId group, int position) const {
  std::lock_guard lock(mu_);
  const auto it = recent_.find(group);
  if (it == recent_.end() || it->second.empty() || position <= 0) {
    return std::nullopt;
  }
  const std::int64_t sum = std::accumulate(it->second.begin(), it->second.end(), std::int64_t{0});
  return sum / static_cast<std::int64_t>(it->second.size()) * position;
}

}  // namespace cohort::pbx
