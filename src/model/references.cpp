#include "model/references.hpp"

#include <algorithm>

namespace cohort::model {
namespace {

// Longer than any sane chain of overflow groups; it only bounds a walk through data that
// was stored before validation existed (or by hand) and already holds a loop.
constexpr int kMaxFallbackHops = 64;

bool target_exists(const Snapshot& s, const Target& t) {
  return t.kind == Target::Kind::kUser ? s.user(t.id) != nullptr : s.group(t.id) != nullptr;
}

bool lists(const std::vector<std::int64_t>& ids, std::int64_t id) {
  return std::find(ids.begin(), ids.end(), id) != ids.end();
}

Referrer rule_referrer(const OutboundRule& r, std::string field) {
  return Referrer{Referrer::Kind::kOutboundRule, r.id, r.name, std::move(field)};
}

}  // namespace

std::string_view to_string(Referrer::Kind k) {
  switch (k) {
    case Referrer::Kind::kGroup:
      return "group";
    case Referrer::Kind::kOutboundRule:
      return "outbound_rule";
  }
  return "group";
}

std::string_view to_string(MissingObject::Kind k) {
  switch (k) {
    case MissingObject::Kind::kUser:
      return "user";
    case MissingObject::Kind::kGroup:
      return "group";
    case MissingObject::Kind::kTrunk:
      return "trunk";
  }
  return "user";
}

std::vector<Referrer> referrers_of(const Snapshot& s, Target target) {
  // Group fallbacks are the only destinations of this release; inbound routes, IVR options
  // and schedules join this walk when they arrive.
  std::vector<Referrer> out;
  for (GroupId id : s.group_ids()) {
    const Group* g = s.group(id);
    if (g == nullptr || !g->fallback) {
      continue;
    }
    if (target_of(*g->fallback) == target) {
      out.push_back(Referrer{Referrer::Kind::kGroup, id, g->name, "fallback"});
    }
  }
  // A rule's caller condition is not a destination, but deleting what it names changes who
  // the rule matches, so it blocks a delete the same way.
  const bool is_user = target.kind == Target::Kind::kUser;
  for (const OutboundRule& r : s.outbound_rules()) {
    if (lists(is_user ? r.caller_users : r.caller_groups, target.id)) {
      out.push_back(rule_referrer(r, is_user ? "caller_users" : "caller_groups"));
    }
  }
  return out;
}

std::vector<Referrer> trunk_referrers(const Snapshot& s, TrunkId trunk) {
  std::vector<Referrer> out;
  for (GroupId id : s.group_ids()) {
    const Group* g = s.group(id);
    if (g != nullptr && g->trunk == trunk) {
      out.push_back(Referrer{Referrer::Kind::kGroup, id, g->name, "trunk"});
    }
  }
  for (const OutboundRule& r : s.outbound_rules()) {
    if (lists(r.trunks, trunk)) {
      out.push_back(rule_referrer(r, "trunks"));
    }
  }
  return out;
}

std::vector<RoutingGap> routing_gaps(const Snapshot& s) {
  // group_ids() is ascending, so the result is ordered by holder id without a sort.
  std::vector<RoutingGap> out;
  for (GroupId id : s.group_ids()) {
    const Group* g = s.group(id);
    if (g == nullptr || !g->fallback) {
      continue;
    }
    auto target = target_of(*g->fallback);
    if (target && !target_exists(s, *target)) {
      const auto kind = target->kind == Target::Kind::kUser ? MissingObject::Kind::kUser
                                                            : MissingObject::Kind::kGroup;
      out.push_back(RoutingGap{Referrer{Referrer::Kind::kGroup, id, g->name, "fallback"},
                               MissingObject{kind, target->id}, *g->fallback});
    }
  }
  for (const OutboundRule& r : s.outbound_rules()) {
    for (GroupId id : r.caller_groups) {
      if (s.group(id) == nullptr) {
        out.push_back(RoutingGap{rule_referrer(r, "caller_groups"),
                                 MissingObject{MissingObject::Kind::kGroup, id}, std::nullopt});
      }
    }
    for (UserId id : r.caller_users) {
      if (s.user(id) == nullptr) {
        out.push_back(RoutingGap{rule_referrer(r, "caller_users"),
                                 MissingObject{MissingObject::Kind::kUser, id}, std::nullopt});
      }
    }
    for (TrunkId id : r.trunks) {
      if (s.trunk(id) == nullptr) {
        out.push_back(RoutingGap{rule_referrer(r, "trunks"),
                                 MissingObject{MissingObject::Kind::kTrunk, id}, std::nullopt});
      }
    }
  }
  return out;
}

std::optional<std::vector<GroupId>> fallback_cycle(const Snapshot& s, GroupId group,
                                                   const std::optional<Destination>& fallback) {
  // Only a group hop continues the chain: voicemail, a user, a number and hangup all end the
  // call's journey, so they cannot take part in a loop.
  std::vector<GroupId> path{group};
  const std::optional<Destination>* next = &fallback;
  for (int hop = 0; hop < kMaxFallbackHops; ++hop) {
    if (!*next) {
      return std::nullopt;
    }
    const auto* to = std::get_if<DestGroup>(&**next);
    if (to == nullptr) {
      return std::nullopt;
    }
    path.push_back(to->id);
    if (to->id == group) {
      return path;
    }
    // A loop that does not pass through `group` exists already; it is not the one this
    // change would close, so stop instead of walking it until the hop limit.
    if (std::find(path.begin() + 1, path.end() - 1, to->id) != path.end() - 1) {
      return std::nullopt;
    }
    const Group* g = s.group(to->id);
    if (g == nullptr) {
      return std::nullopt;
    }
    next = &g->fallback;
  }
  return std::nullopt;
}

}  // namespace cohort::model
