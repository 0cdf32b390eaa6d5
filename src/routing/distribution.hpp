#pragma once
// PURE: which members of a group a call is offered to, in which order and how long each is
// rung (issue 5, docs/routing.md "Group call distribution"). The group's policy, the members'
// runtime facts, the strategy's cursor and the time come in; a plan and the next cursor come
// out. pbx/ owns the facts (agent state, bindings, call history) and persists the cursor.

#include <cassert>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "model/entities.hpp"

namespace cohort::routing {

/// What a member is doing right now, across all its groups (DESIGN.md: busy in one group's
/// call means busy for all).
enum class AgentState { kAvailable, kRinging, kBusy, kWrapUp, kPaused };

/// Runtime facts about one member of the group being distributed.
struct MemberFacts {
  model::UserId user = 0;
  int position = 0;  ///< membership position in this group (1-based)
  AgentState state = AgentState::kAvailable;
  bool registered = true;             ///< has at least one binding
  std::int64_t last_call_end_ms = 0;  ///< any group (DESIGN.md); 0 = never called
  int answered_today = 0;             ///< in the group's time zone (computed by the caller)
  bool paused_in_group = false;       ///< paused for this group only
};

struct DistributionPolicy {
  model::RingStrategy strategy = model::RingStrategy::kSimultaneous;
  int ring_timeout_s = 20;
  int wrap_up_s = 0;
  bool ring_in_use = false;       ///< offer calls to members already on a call
  bool skip_unregistered = true;  ///< leave out members without a binding
};

/// The strategy's memory between calls of one group; persisted by the caller.
struct DistributionState {
  /// round_robin: the member offered first on the previous call. Other strategies keep it.
  std::optional<model::UserId> last_offered;
  bool operator==(const DistributionState&) const = default;
};

/// Users rung together (simultaneous) or one at a time (every other strategy): the `count`
/// users of the plan's `order` from index `first`. Read them with DistributionPlan::users.
struct Attempt {
  std::uint32_t first = 0;
  std::uint32_t count = 0;
  int timeout_s = 0;
  bool operator==(const Attempt&) const = default;
};

/// Flat: every user offered sits once in `order`, and each attempt is a range of it, so a
/// plan costs three allocations however many attempts it has (a vector per attempt cost
/// ~5.8 µs per plan on 500 members, bench/README.md).
struct DistributionPlan {
  std::vector<model::UserId> order;  ///< every user to offer, in the order offered
  std::vector<Attempt> attempts;     ///< in order; empty = nobody available: fallback at once
  DistributionState next_state;      ///< to persist
  /// Members left out, in position order, with the reason: "paused", "unregistered",
  /// "ringing", "busy" or "wrap_up" (the first that applies, in that order).
  std::vector<std::pair<model::UserId, std::string>> skipped;

  /// The users of one of this plan's attempts; valid while `order` is unchanged.
  std::span<const model::UserId> users(const Attempt& a) const {
    assert(a.first <= order.size() && a.count <= order.size() - a.first);
    return std::span<const model::UserId>(order).subspan(a.first, a.count);
  }
};

/// The distribution of one call to a group. `members` is the group's membership sorted by
/// position, each user once. `random_seed` is used by the random strategy only (the same
/// seed and facts give the same order). Pure: any thread.
DistributionPlan distribute(const DistributionPolicy& policy, std::span<const MemberFacts> members,
                            const DistributionState& state, std::int64_t now_ms,
                            std::uint64_t random_seed);

}  // namespace cohort::routing
