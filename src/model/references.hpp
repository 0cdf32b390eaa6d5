#pragma once
// Who points at what: the referrers that block a delete, and the routing gaps (references
// whose target no longer exists) that a forced delete leaves behind.

#include <optional>
#include <string>
#include <vector>

#include "model/cycles.hpp"
#include "model/snapshot.hpp"

namespace cohort::model {

/// An object field that holds a reference.
struct Referrer {
  enum class Kind { kGroup, kOutboundRule, kInboundRoute, kUser, kIvrMenu };
  Kind kind = Kind::kGroup;
  std::int64_t id = 0;
  std::string name;
  /// e.g. "fallback", "closed_destination", "trunk", "schedule", "caller_groups", "trunks",
  /// "destination", "forwarding.always" (a user's call forwarding), "options.1", "timeout",
  /// "invalid" (an IVR menu's option for key 1, its timeout and invalid destinations)
  std::string field;
  bool operator==(const Referrer&) const = default;
};
/// "group", "outbound_rule", "inbound_route", "user", "ivr_menu".
std::string_view to_string(Referrer::Kind k);

/// Everything that names `target`: group Destinations ordered by group id (each group's
/// "fallback", then its "closed_destination"), then outbound rules whose caller_groups or
/// caller_users list it (in position order), then inbound routes whose "destination" is it
/// (in position order), then users forwarding to it, by user id ("forwarding.always",
/// "forwarding.busy", "forwarding.no_answer"), then IVR menus by id (each menu's options in
/// key order "options.0" … "options.#", then "timeout", then "invalid").
std::vector<Referrer> referrers_of(const Snapshot& s, Target target);
/// Groups whose `trunk` is `trunk` (field "trunk", by id), then outbound rules that list it
/// in `trunks` (field "trunks", in position order), then inbound routes limited to it
/// (field "trunk", in position order).
std::vector<Referrer> trunk_referrers(const Snapshot& s, TrunkId trunk);
/// Groups whose business hours are `schedule` (field "schedule", by id).
std::vector<Referrer> schedule_referrers(const Snapshot& s, ScheduleId schedule);

/// The object a routing gap points at, which no longer exists.
struct MissingObject {
  enum class Kind { kUser, kGroup, kTrunk, kIvrMenu };
  Kind kind = Kind::kUser;
  std::int64_t id = 0;
  bool operator==(const MissingObject&) const = default;
};
/// "user", "group", "trunk", "ivr_menu".
std::string_view to_string(MissingObject::Kind k);

struct RoutingGap {
  Referrer holder;
  MissingObject missing;
  /// The dangling Destination as stored (fallbacks); nullopt for an id in a rule's list.
  std::optional<Destination> destination;
  bool operator==(const RoutingGap&) const = default;
};
/// Every reference whose target does not exist, in this order:
///  1. groups by id, each group's "fallback" before its "closed_destination";
///  2. outbound rules in position order, each rule's lists in the order caller_groups,
///     caller_users, trunks;
///  3. inbound routes in position order, each route's "destination" before its "trunk";
///  4. users by id, each user's forwarding always, busy, no_answer;
///  5. IVR menus by id, each menu's options in key order, then timeout, then invalid.
/// A missing caller group or user matches no caller; a missing trunk carries no call; an
/// inbound route whose trunk is gone matches no call.
std::vector<RoutingGap> routing_gaps(const Snapshot& s);

// Cycles of automatic exits (groups and IVR menus): model/cycles.hpp.

}  // namespace cohort::model
