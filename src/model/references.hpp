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
  enum class Kind { kGroup, kOutboundRule };
  Kind kind = Kind::kGroup;
  std::int64_t id = 0;
  std::string name;
  std::string field;  ///< e.g. "fallback", "trunk", "caller_groups", "trunks"
  bool operator==(const Referrer&) const = default;
};
/// "group", "outbound_rule".
std::string_view to_string(Referrer::Kind k);

/// Everything that names `target`: Destinations (group fallbacks, ordered by group id), then
/// outbound rules whose caller_groups or caller_users list it (in position order).
std::vector<Referrer> referrers_of(const Snapshot& s, Target target);
/// Groups whose `trunk` is `trunk` (field "trunk", by id), then outbound rules that list it
/// in `trunks` (field "trunks", in position order).
std::vector<Referrer> trunk_referrers(const Snapshot& s, TrunkId trunk);

/// The object a routing gap points at, which no longer exists.
struct MissingObject {
  enum class Kind { kUser, kGroup, kTrunk };
  Kind kind = Kind::kUser;
  std::int64_t id = 0;
  bool operator==(const MissingObject&) const = default;
};
/// "user", "group", "trunk".
std::string_view to_string(MissingObject::Kind k);

struct RoutingGap {
  Referrer holder;
  MissingObject missing;
  /// The dangling Destination as stored (fallbacks); nullopt for an id in a rule's list.
  std::optional<Destination> destination;
  bool operator==(const RoutingGap&) const = default;
};
/// Every reference whose target does not exist: group fallbacks ordered by group id, then
/// outbound rules in position order, each rule's lists in the order caller_groups,
/// caller_users, trunks. A missing caller group or user matches no caller; a missing trunk
/// carries no call.
std::vector<RoutingGap> routing_gaps(const Snapshot& s);

/// If giving group `group` the fallback `fallback` would close a cycle of group fallbacks
/// (A → B → … → A, through group and group-voicemail-free hops), the cycle as group ids
/// starting and ending with `group`; otherwise nullopt.
std::optional<std::vector<GroupId>> fallback_cycle(const Snapshot& s, GroupId group,
                                                   const std::optional<Destination>& fallback);

}  // namespace cohort::model
