#pragma once
// Small builders for model tests: a valid object with the fields a test cares about.

#include <string>
#include <utility>
#include <vector>

#include "model/entities.hpp"
#include "model/snapshot.hpp"

namespace cohort::model::testing {

inline User make_user(UserId id, std::string name, std::string extension, std::string email) {
  User u;
  u.id = id;
  u.name = std::move(name);
  u.extension = std::move(extension);
  u.email = std::move(email);
  return u;
}

inline User make_user(UserId id) {
  return make_user(id, "User " + std::to_string(id), std::to_string(1000 + id),
                   "user" + std::to_string(id) + "@example.com");
}

inline Group make_group(GroupId id, std::string name,
                        std::optional<std::string> extension = std::nullopt) {
  Group g;
  g.id = id;
  g.name = std::move(name);
  g.extension = std::move(extension);
  return g;
}

inline Trunk make_trunk(TrunkId id, std::string name) {
  Trunk t;
  t.id = id;
  t.name = std::move(name);
  return t;
}

inline OutboundRule make_rule(OutboundRuleId id, std::string name, std::vector<TrunkId> trunks,
                              std::vector<std::string> patterns = {"_X."}) {
  OutboundRule r;
  r.id = id;
  r.name = std::move(name);
  r.patterns = std::move(patterns);
  r.trunks = std::move(trunks);
  return r;
}

/// Replaces the whole ordered list of outbound rules (positions are set to 1..n).
inline Snapshot with_rules(const Snapshot& s, std::vector<OutboundRule> rules) {
  SnapshotPatch p;
  for (std::size_t i = 0; i < rules.size(); ++i) {
    rules[i].position = static_cast<int>(i + 1);
  }
  p.outbound_rules = std::move(rules);
  return s.apply(p);
}

inline InboundRoute make_route(InboundRouteId id, std::string name, std::string did,
                               Destination destination) {
  InboundRoute r;
  r.id = id;
  r.name = std::move(name);
  r.did = std::move(did);
  r.destination = std::move(destination);
  return r;
}

/// Replaces the whole ordered list of inbound routes (positions are set to 1..n).
inline Snapshot with_routes(const Snapshot& s, std::vector<InboundRoute> routes) {
  SnapshotPatch p;
  for (std::size_t i = 0; i < routes.size(); ++i) {
    routes[i].position = static_cast<int>(i + 1);
  }
  p.inbound_routes = std::move(routes);
  return s.apply(p);
}

inline Schedule make_schedule(ScheduleId id, std::string name, std::string timezone = "UTC") {
  Schedule sc;
  sc.id = id;
  sc.name = std::move(name);
  sc.timezone = std::move(timezone);
  return sc;
}

inline Snapshot with_schedules(const Snapshot& s, std::vector<Schedule> schedules) {
  SnapshotPatch p;
  for (auto& sc : schedules) {
    ScheduleId id = sc.id;
    p.schedules.emplace_back(id, std::move(sc));
  }
  return s.apply(p);
}

inline IvrMenu make_menu(IvrMenuId id, std::string name, std::vector<IvrOption> options = {}) {
  IvrMenu m;
  m.id = id;
  m.name = std::move(name);
  m.options = std::move(options);
  return m;
}

inline Snapshot with_menus(const Snapshot& s, std::vector<IvrMenu> menus) {
  SnapshotPatch p;
  for (auto& m : menus) {
    IvrMenuId id = m.id;
    p.ivr_menus.emplace_back(id, std::move(m));
  }
  return s.apply(p);
}

/// Applies a patch that saves (or replaces) the given objects.
inline Snapshot with(const Snapshot& s, std::vector<User> users, std::vector<Group> groups = {},
                     std::vector<Trunk> trunks = {}) {
  SnapshotPatch p;
  for (auto& u : users) {
    UserId id = u.id;
    p.users.emplace_back(id, std::move(u));
  }
  for (auto& g : groups) {
    GroupId id = g.id;
    p.groups.emplace_back(id, std::move(g));
  }
  for (auto& t : trunks) {
    TrunkId id = t.id;
    p.trunks.emplace_back(id, std::move(t));
  }
  return s.apply(p);
}

}  // namespace cohort::model::testing
