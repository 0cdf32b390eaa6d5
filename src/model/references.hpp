#pragma once
// Who points at what: the referrers that block a delete, and the routing gaps (references
// whose target no longer exists) that a forced delete leaves behind.

#include <optional>
#include <string>
#include <vector>

#include "model/snapshot.hpp"

namespace cohort::model {

/// An object field that holds a reference.
struct Referrer {
  enum class Kind { kGroup };
  Kind kind = Kind::kGroup;
  std::int64_t id = 0;
  std::string name;
  std::string field;  ///< e.g. "fallback", "trunk"
  bool operator==(const Referrer&) const = default;
};
std::string_view to_string(Referrer::Kind k);

/// Every Destination in the model that points at `target`.
std::vector<Referrer> referrers_of(const Snapshot& s, Target target);
/// Every group whose `trunk` is `trunk`.
std::vector<Referrer> trunk_referrers(const Snapshot& s, TrunkId trunk);

struct RoutingGap {
  Referrer holder;
  Destination destination;  ///< the dangling destination as stored
  bool operator==(const RoutingGap&) const = default;
};
/// Every Destination whose target does not exist, ordered by holder id.
std::vector<RoutingGap> routing_gaps(const Snapshot& s);

/// If giving group `group` the fallback `fallback` would close a cycle of group fallbacks
/// (A → B → … → A, through group and group-voicemail-free hops), the cycle as group ids
/// starting and ending with `group`; otherwise nullopt.
std::optional<std::vector<GroupId>> fallback_cycle(const Snapshot& s, GroupId group,
                                                   const std::optional<Destination>& fallback);

}  // namespace cohort::model
