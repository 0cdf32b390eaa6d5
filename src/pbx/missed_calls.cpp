#include "pbx/missed_calls.hpp"

#include <limits>

namespace cohort::pbx {

std::optional<AutoPauseOrder> MissedCalls::record(const model::Group& g, model::UserId user,
                                                  model::AttemptResult result, std::uint64_t call) {
  if (!routing::auto_pause_enabled(g)) {
    return std::nullopt;
  }
  routing::AutoPauseStep step;
  {
    std::lock_guard lock(mu_);
    const auto key = std::pair{user, g.id};
    if (routing::classify(result) == routing::OfferCount::kAnswer) {
      counts_.erase(key);
      return std::nullopt;
    }
    Count& count = counts_[key];
    step = routing::count_offer(g, count.misses, result);
    const bool missed =
        step.misses > count.misses || step.pause == routing::PauseCause::kMissedCalls;
    if (missed && count.last_call == call) {
      return std::nullopt;  // this call's miss was counted already (an earlier round)
    }
    count.misses = step.misses;
    if (missed) {
      count.last_call = call;
    }
    if (count.misses == 0 && !count.last_call) {
      counts_.erase(key);
    }
  }
  if (!step.pause) {
    return std::nullopt;
  }
  return AutoPauseOrder{g.id, user, g.auto_pause_scope, *step.pause,
                        routing::pause_reason(*step.pause, g.auto_pause_after)};
}

void MissedCalls::reset(model::UserId user, std::optional<model::GroupId> group) {
  std::lock_guard lock(mu_);
  if (group) {
    counts_.erase(std::pair{user, *group});
    return;
  }
  constexpr model::GroupId kFirst = std::numeric_limits<model::GroupId>::min();
  counts_.erase(counts_.lower_bound(std::pair{user, kFirst}),
                counts_.lower_bound(std::pair{user + 1, kFirst}));
}

int MissedCalls::misses(model::GroupId group, model::UserId user) const {
  std::lock_guard lock(mu_);
  auto it = counts_.find(std::pair{user, group});
  return it == counts_.end() ? 0 : it->second.misses;
}

}  // namespace cohort::pbx
