#pragma once
// Auto-pause (issue 12): each member's consecutive missed calls per group, shared by all
// shards like the agent board, and the pause that is due when a group's threshold is
// reached. Counting is routing::count_offer (pure); this class keeps the counts between
// calls, and counts one miss per call: a call that offers a member again in its next round
// (the plan ran out, hunt_retry) is still one call the member missed.
//
// Threading: every method from any thread; a mutex held only for a lookup or an update.
// The counts live in memory only: a restart forgets them (a member starts from zero).

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include "model/call_record.hpp"
#include "model/entities.hpp"
#include "model/ids.hpp"
#include "routing/auto_pause.hpp"

namespace cohort::pbx {

/// A pause to apply: `user` in `group` (scope group) or everywhere (scope all).
struct AutoPauseOrder {
  model::GroupId group = 0;
  model::UserId user = 0;
  model::AutoPauseScope scope = model::AutoPauseScope::kGroup;
  routing::PauseCause cause = routing::PauseCause::kMissedCalls;
  std::string reason;  ///< "auto: 3 missed calls", "auto: phone unreachable"
  bool operator==(const AutoPauseOrder&) const = default;
};

class MissedCalls {
 public:
  /// An offer of call `call` (any id unique among the calls of the process) of group `g` to
  /// `user` ended with `result`: counts it, and returns the pause that is due now (the
  /// member's count then starts again).
  std::optional<AutoPauseOrder> record(const model::Group& g, model::UserId user,
                                       model::AttemptResult result, std::uint64_t call);
  /// `user` was paused or resumed by hand: its count starts again in `group`, or in every
  /// group when none is given.
  void reset(model::UserId user, std::optional<model::GroupId> group = std::nullopt);
  /// The consecutive misses `user` has in `group` now.
  int misses(model::GroupId group, model::UserId user) const;

 private:
  struct Count {
    int misses = 0;
    std::optional<std::uint64_t> last_call;  ///< the call whose miss was counted last
  };
  mutable std::mutex mu_;
  std::map<std::pair<model::UserId, model::GroupId>, Count> counts_;
};

}  // namespace cohort::pbx
