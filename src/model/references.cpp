#include "model/references.hpp"

#include <algorithm>
#include <array>

namespace cohort::model {
namespace {

bool target_exists(const Snapshot& s, const Target& t) {
  switch (t.kind) {
    case Target::Kind::kUser:
      return s.user(t.id) != nullptr;
    case Target::Kind::kGroup:
      return s.group(t.id) != nullptr;
    case Target::Kind::kIvr:
      return s.ivr_menu(t.id) != nullptr;
  }
  return false;
}

MissingObject::Kind missing_kind(Target::Kind k) {
  switch (k) {
    case Target::Kind::kUser:
      return MissingObject::Kind::kUser;
    case Target::Kind::kGroup:
      return MissingObject::Kind::kGroup;
    case Target::Kind::kIvr:
      return MissingObject::Kind::kIvrMenu;
  }
  return MissingObject::Kind::kUser;
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

Referrer menu_referrer(const IvrMenu& m, std::string field) {
  return Referrer{Referrer::Kind::kIvrMenu, m.id, m.name, std::move(field)};
}

/// Every Destination a menu holds with the field that holds it, in the order reported:
/// options in key order, then timeout, then invalid.
template <class Visit>
void for_each_menu_destination(const IvrMenu& m, Visit visit) {
  for (const IvrOption& o : m.options) {
    visit(std::string("options.") + o.key, o.destination);
  }
  if (m.timeout) {
    visit(std::string("timeout"), *m.timeout);
  }
  if (m.invalid) {
    visit(std::string("invalid"), *m.invalid);
  }
}

std::optional<RoutingGap> gap_of(const Referrer& holder, const Destination& d, const Snapshot& s) {
  auto target = target_of(d);
  if (!target || target_exists(s, *target)) {
    return std::nullopt;
  }
  return RoutingGap{holder, MissingObject{missing_kind(target->kind), target->id}, d};
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
    case Referrer::Kind::kIvrMenu:
      return "ivr_menu";
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
    case MissingObject::Kind::kIvrMenu:
      return "ivr_menu";
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
  if (target.kind != Target::Kind::kIvr) {
    for (const OutboundRule& r : s.outbound_rules()) {
      if (lists(is_user ? r.caller_users : r.caller_groups, target.id)) {
        out.push_back(rule_referrer(r, is_user ? "caller_users" : "caller_groups"));
      }
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
  for (IvrMenuId id : s.ivr_menu_ids()) {
    const IvrMenu* m = s.ivr_menu(id);
    if (m == nullptr) {
      continue;
    }
    for_each_menu_destination(*m, [&](std::string field, const Destination& d) {
      if (target_of(d) == target) {
        out.push_back(menu_referrer(*m, std::move(field)));
      }
    });
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
  for (IvrMenuId id : s.ivr_menu_ids()) {
    const IvrMenu* m = s.ivr_menu(id);
    if (m == nullptr) {
      continue;
    }
    for_each_menu_destination(*m, [&](std::string field, const Destination& d) {
      if (auto gap = gap_of(menu_referrer(*m, std::move(field)), d, s)) {
        out.push_back(std::move(*gap));
      }
    });
  }
  return out;
}

}  // namespace cohort::model
