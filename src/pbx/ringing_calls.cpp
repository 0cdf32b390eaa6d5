#include "pbx/ringing_calls.hpp"

#include <algorithm>

namespace cohort::pbx {

void RingingCalls::ringing(std::size_t shard, std::uint64_t call,
                           std::optional<model::GroupId> group, model::UserId user,
                           std::int64_t now_ms) {
  std::lock_guard lock(mu_);
  auto [it, added] = calls_.try_emplace(call);
  Entry& e = it->second;
  if (added) {
    e.shard = shard;
    e.since_ms = now_ms;
  }
  e.group = group;  // a fallback to another group moves the call there
  if (std::find(e.users.begin(), e.users.end(), user) == e.users.end()) {
    e.users.push_back(user);
  }
}

void RingingCalls::stopped(std::uint64_t call) {
  std::lock_guard lock(mu_);
  calls_.erase(call);
}

std::optional<std::size_t> RingingCalls::shard_ringing(model::UserId user) const {
  std::lock_guard lock(mu_);
  const Entry* best = nullptr;
  for (const auto& [key, e] : calls_) {
    if (std::find(e.users.begin(), e.users.end(), user) != e.users.end() &&
        (best == nullptr || e.since_ms < best->since_ms)) {
      best = &e;
    }
  }
  return best ? std::optional(best->shard) : std::nullopt;
}

std::optional<std::size_t> RingingCalls::shard_offered_by(
    std::span<const model::GroupId> groups) const {
  std::lock_guard lock(mu_);
  const Entry* best = nullptr;
  for (const auto& [key, e] : calls_) {
    if (e.group && std::find(groups.begin(), groups.end(), *e.group) != groups.end() &&
        (best == nullptr || e.since_ms < best->since_ms)) {
      best = &e;
    }
  }
  return best ? std::optional(best->shard) : std::nullopt;
}

}  // namespace cohort::pbx
