#include "model/references.hpp"

#include <algorithm>
#include <array>
#include <set>
#include <unordered_map>

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

Referrer route_referrer(const InboundRoute& r, std::string field) {
  return Referrer{Referrer::Kind::kInboundRoute, r.id, r.name, std::move(field)};
}

/// A group's exits that hold a Destination, in the order they are reported.
struct GroupExit {
  const char* field;
  const std::optional<Destination>* destination;
};
std::array<GroupExit, 2> exits_of(const Group& g) {
  return {GroupExit{"fallback", &g.fallback},
          GroupExit{"closed_destination", &g.closed_destination}};
}

/// A user's forwarding destinations, in the order they are reported.
std::array<GroupExit, 3> forwards_of(const User& u) {
  return {GroupExit{"forwarding.always", &u.forward_always},
          GroupExit{"forwarding.busy", &u.forward_busy},
          GroupExit{"forwarding.no_answer", &u.forward_no_answer}};
}

Referrer user_referrer(const User& u, std::string field) {
  return Referrer{Referrer::Kind::kUser, u.id, u.name, std::move(field)};
}

std::optional<GroupId> group_hop(const std::optional<Destination>& d) {
  if (!d) {
    return std::nullopt;
  }
  if (const auto* to = std::get_if<DestGroup>(&*d)) {
    return to->id;
  }
  return std::nullopt;
}

std::optional<RoutingGap> gap_of(const Referrer& holder, const Destination& d, const Snapshot& s) {
  auto target = target_of(d);
  if (!target || target_exists(s, *target)) {
    return std::nullopt;
  }
  const auto kind = target->kind == Target::Kind::kUser ? MissingObject::Kind::kUser
                                                        : MissingObject::Kind::kGroup;
  return RoutingGap{holder, MissingObject{kind, target->id}, d};
}

}  // namespace

std::string_view to_string(Referrer::Kind k) {
  switch (k) {
    case Referrer::Kind::kGroup:
      return "group";
    case Referrer::Kind::kOutboundRule:
      return "outbound_rule";
    case Referrer::Kind::kInboundRoute:
      return "inbound_route";
    case Referrer::Kind::kUser:
      return "user";
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
  std::vector<Referrer> out;
  for (GroupId id : s.group_ids()) {
    const Group* g = s.group(id);
    if (g == nullptr) {
      continue;
    }
    for (const GroupExit& e : exits_of(*g)) {
      if (*e.destination && target_of(**e.destination) == target) {
        out.push_back(Referrer{Referrer::Kind::kGroup, id, g->name, e.field});
      }
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
  for (const InboundRoute& r : s.inbound_routes()) {
    if (target_of(r.destination) == target) {
      out.push_back(route_referrer(r, "destination"));
    }
  }
  for (UserId id : s.user_ids()) {
    const User* u = s.user(id);
    if (u == nullptr) {
      continue;
    }
    for (const GroupExit& e : forwards_of(*u)) {
      if (*e.destination && target_of(**e.destination) == target) {
        out.push_back(user_referrer(*u, e.field));
      }
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
  for (const InboundRoute& r : s.inbound_routes()) {
    if (r.trunk == trunk) {
      out.push_back(route_referrer(r, "trunk"));
    }
  }
  return out;
}

std::vector<Referrer> schedule_referrers(const Snapshot& s, ScheduleId schedule) {
  std::vector<Referrer> out;
  for (GroupId id : s.group_ids()) {
    const Group* g = s.group(id);
    if (g != nullptr && g->schedule == schedule) {
      out.push_back(Referrer{Referrer::Kind::kGroup, id, g->name, "schedule"});
    }
  }
  return out;
}

std::vector<RoutingGap> routing_gaps(const Snapshot& s) {
  // group_ids() is ascending, so the result is ordered by holder id without a sort.
  std::vector<RoutingGap> out;
  for (GroupId id : s.group_ids()) {
    const Group* g = s.group(id);
    if (g == nullptr) {
      continue;
    }
    for (const GroupExit& e : exits_of(*g)) {
      if (!*e.destination) {
        continue;
      }
      if (auto gap =
              gap_of(Referrer{Referrer::Kind::kGroup, id, g->name, e.field}, **e.destination, s)) {
        out.push_back(std::move(*gap));
      }
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
  for (const InboundRoute& r : s.inbound_routes()) {
    if (auto gap = gap_of(route_referrer(r, "destination"), r.destination, s)) {
      out.push_back(std::move(*gap));
    }
    if (r.trunk && s.trunk(*r.trunk) == nullptr) {
      out.push_back(RoutingGap{route_referrer(r, "trunk"),
                               MissingObject{MissingObject::Kind::kTrunk, *r.trunk}, std::nullopt});
    }
  }
  for (UserId id : s.user_ids()) {
    const User* u = s.user(id);
    if (u == nullptr) {
      continue;
    }
    for (const GroupExit& e : forwards_of(*u)) {
      if (*e.destination) {
        if (auto gap = gap_of(user_referrer(*u, e.field), **e.destination, s)) {
          out.push_back(std::move(*gap));
        }
      }
    }
  }
  return out;
}

std::optional<std::vector<GroupId>> fallback_cycle(const Snapshot& s, GroupId group,
                                                   const std::optional<Destination>& exit) {
  // Breadth first over group hops: a group has two exits, so the hops form a graph, not a
  // chain; the first time `group` is reached is along the shortest cycle. Each group is
  // entered once, so a loop elsewhere (stored before validation, or by hand) ends the walk
  // instead of running it to the hop limit.
  const auto first = group_hop(exit);
  if (!first) {
    return std::nullopt;
  }
  std::unordered_map<GroupId, GroupId> came_from;  // group → the group whose exit led to it
  std::vector<GroupId> level{*first};
  came_from.emplace(*first, group);
  for (int hop = 1; hop <= kMaxFallbackHops && !level.empty(); ++hop) {
    std::vector<GroupId> next_level;
    for (GroupId at : level) {
      if (at == group) {
        std::vector<GroupId> path{group};
        for (GroupId g = came_from.at(group); g != group; g = came_from.at(g)) {
          path.push_back(g);
        }
        // `path` is group, then the hops backwards; the first hop is `*first`.
        std::reverse(path.begin() + 1, path.end());
        path.push_back(group);
        return path;
      }
      const Group* g = s.group(at);
      if (g == nullptr) {
        continue;
      }
      for (const GroupExit& e : exits_of(*g)) {
        const auto to = group_hop(*e.destination);
        if (to && came_from.emplace(*to, at).second) {
          next_level.push_back(*to);
        }
      }
    }
    level = std::move(next_level);
  }
  return std::nullopt;
}

std::vector<std::vector<GroupId>> group_cycles(const Snapshot& s) {
  // A group on a cycle leaves by an exit that comes back to it: the shortest such cycle per
  // group, each cycle reported once however many of its groups find it.
  std::set<std::vector<GroupId>> seen;
  std::vector<std::vector<GroupId>> out;
  for (GroupId id : s.group_ids()) {
    const Group* g = s.group(id);
    if (g == nullptr) {
      continue;
    }
    for (const GroupExit& e : exits_of(*g)) {
      auto cycle = fallback_cycle(s, id, *e.destination);
      if (!cycle) {
        continue;
      }
      cycle->pop_back();  // the start again
      std::rotate(cycle->begin(), std::min_element(cycle->begin(), cycle->end()), cycle->end());
      if (seen.insert(*cycle).second) {
        out.push_back(std::move(*cycle));
      }
    }
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const auto& a, const auto& b) { return a.front() < b.front(); });
  return out;
}

}  // namespace cohort::model
