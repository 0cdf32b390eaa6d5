// Trunks, outbound rules, inbound routes and schedules: the routing half of a transaction's
// repositories. Rules and routes are lists kept in dense positions (PositionedRows).

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string_view>

#include "store/sqlite/rows.hpp"
#include "store/sqlite/sqlite_store_impl.hpp"

namespace cohort::store::sqlite::detail {
namespace {

// ---- SQL -------------------------------------------------------------------------------
// Values are always bound; the texts are the statement cache's keys.

constexpr std::string_view kInsertTrunk =
    "INSERT INTO trunks(name, host, port, transport, username, password, auth_realm, "
    "register_enabled, register_expires_s, from_domain, max_concurrent_calls, inbound_sources, "
    "media, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
    "RETURNING id";
constexpr std::string_view kUpdateTrunk =
    "UPDATE trunks SET name = ?, host = ?, port = ?, transport = ?, username = ?, password = ?, "
    "auth_realm = ?, register_enabled = ?, register_expires_s = ?, from_domain = ?, "
    "max_concurrent_calls = ?, inbound_sources = ?, media = ?, updated_at = ? WHERE id = ?";
constexpr std::string_view kDeleteTrunk = "DELETE FROM trunks WHERE id = ?";
constexpr std::string_view kTrunkExists = "SELECT 1 FROM trunks WHERE id = ?";
// Done explicitly rather than left to ON DELETE SET NULL so that the groups' updated_at
// moves and the store learns which groups changed.
constexpr std::string_view kDetachTrunk =
    "UPDATE groups SET trunk_id = NULL, updated_at = ? WHERE trunk_id = ? RETURNING id";

constexpr std::string_view kInsertRule =
    "INSERT INTO outbound_rules(name, patterns, caller_groups, caller_users, strip, prepend, "
    "trunks, caller_id_policy, caller_id_value, allow_trunk_callers, position, created_at, "
    "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id";
constexpr std::string_view kUpdateRule =
    "UPDATE outbound_rules SET name = ?, patterns = ?, caller_groups = ?, caller_users = ?, "
    "strip = ?, prepend = ?, trunks = ?, caller_id_policy = ?, caller_id_value = ?, "
    "allow_trunk_callers = ?, position = ?, updated_at = ? WHERE id = ?";
constexpr std::string_view kDeleteRule = "DELETE FROM outbound_rules WHERE id = ?";
constexpr std::string_view kCountRules = "SELECT count(*) FROM outbound_rules";
constexpr std::string_view kRulePosition = "SELECT position FROM outbound_rules WHERE id = ?";
// A neighbour that only moves keeps its updated_at: the timestamp says when the rule itself
// was last edited, not when the list around it changed.
constexpr std::string_view kShiftRulesUp =
    "UPDATE outbound_rules SET position = position + 1 WHERE position >= ?1 AND position <= ?2";
constexpr std::string_view kShiftRulesDown =
    "UPDATE outbound_rules SET position = position - 1 WHERE position >= ?1 AND position <= ?2";

constexpr std::string_view kInsertRoute =
    "INSERT INTO inbound_routes(name, did, caller, trunk_id, destination, position, created_at, "
    "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id";
constexpr std::string_view kUpdateRoute =
    "UPDATE inbound_routes SET name = ?, did = ?, caller = ?, trunk_id = ?, destination = ?, "
    "position = ?, updated_at = ? WHERE id = ?";
constexpr std::string_view kDeleteRoute = "DELETE FROM inbound_routes WHERE id = ?";
constexpr std::string_view kCountRoutes = "SELECT count(*) FROM inbound_routes";
constexpr std::string_view kRoutePosition = "SELECT position FROM inbound_routes WHERE id = ?";
constexpr std::string_view kShiftRoutesUp =
    "UPDATE inbound_routes SET position = position + 1 WHERE position >= ?1 AND position <= ?2";
constexpr std::string_view kShiftRoutesDown =
    "UPDATE inbound_routes SET position = position - 1 WHERE position >= ?1 AND position <= ?2";

constexpr std::string_view kInsertSchedule =
    "INSERT INTO schedules(name, timezone, weekly, holidays, override, created_at, updated_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id";
constexpr std::string_view kUpdateSchedule =
    "UPDATE schedules SET name = ?, timezone = ?, weekly = ?, holidays = ?, override = ?, "
    "updated_at = ? WHERE id = ?";
constexpr std::string_view kDeleteSchedule = "DELETE FROM schedules WHERE id = ?";
constexpr std::string_view kScheduleExists = "SELECT 1 FROM schedules WHERE id = ?";
// Like kDetachTrunk: explicit, so the groups' updated_at moves and the patch carries them.
constexpr std::string_view kDetachSchedule =
    "UPDATE groups SET schedule_id = NULL, updated_at = ? WHERE schedule_id = ? RETURNING id";

}  // namespace

// ---- trunks --------------------------------------------------------------------------

Result<model::Trunk> Trunks::create(const model::Trunk& draft) {
  Hints hints{.name = draft.name, .kind = "trunk"};
  return tx_.op("create trunk", hints, [&]() -> Result<model::Trunk> {
    const std::int64_t now = tx_.now();
    model::TrunkId id = 0;
    {
      auto s = tx_.st().get(kInsertTrunk);
      detail::bind_trunk_fields(*s, 1, draft);
      s->bind(detail::kTrunkFieldCount + 1, now);
      s->bind(detail::kTrunkFieldCount + 2, now);
      s->executeStep();
      id = s->getColumn(0).getInt64();
    }
    tx_.touched().trunks.insert(id);
    return stored(detail::find_trunk(tx_.st(), id), "trunk", id);
  });
}

Result<model::Trunk> Trunks::update(const model::Trunk& t) {
  Hints hints{.name = t.name, .kind = "trunk"};
  return tx_.op("update trunk", hints, [&]() -> Result<model::Trunk> {
    {
      auto s = tx_.st().get(kUpdateTrunk);
      detail::bind_trunk_fields(*s, 1, t);
      s->bind(detail::kTrunkFieldCount + 1, tx_.now());
      s->bind(detail::kTrunkFieldCount + 2, t.id);
      if (s->exec() == 0) {
        return fail(Error::not_found(fmt::format("trunk {} not found", t.id)));
      }
    }
    tx_.touched().trunks.insert(t.id);
    return stored(detail::find_trunk(tx_.st(), t.id), "trunk", t.id);
  });
}

Result<void> Trunks::remove(model::TrunkId id) {
  return tx_.op("remove trunk", {}, [&]() -> Result<void> {
    if (!tx_.exists(kTrunkExists, id)) {
      return fail(Error::not_found(fmt::format("trunk {} not found", id)));
    }
    {
      auto s = tx_.st().get(kDetachTrunk);
      s->bind(1, tx_.now());
      s->bind(2, id);
      while (s->executeStep()) {
        tx_.touched().groups.insert(s->getColumn(0).getInt64());
      }
    }
    {
      auto s = tx_.st().get(kDeleteTrunk);
      s->bind(1, id);
      s->exec();
    }
    tx_.touched().trunks.insert(id);
    return {};
  });
}

// ---- lists in dense positions ----------------------------------------------------------

template <typename T>
Result<T> PositionedRows<T>::create(const T& draft) {
  Hints hints{.name = draft.name, .kind = t_.kind};
  return tx_.op(fmt::format("create {}", t_.kind), hints, [&]() -> Result<T> {
    const std::int64_t n = tx_.count(t_.count);
    const std::int64_t target =
        draft.position <= 0 ? n + 1 : std::clamp<std::int64_t>(draft.position, 1, n + 1);
    shift(t_.shift_up, target, kLastPosition);
    const std::int64_t now = tx_.now();
    std::int64_t id = 0;
    {
      auto s = tx_.st().get(t_.insert);
      t_.bind(*s, 1, draft);
      s->bind(t_.field_count + 1, target);
      s->bind(t_.field_count + 2, now);
      s->bind(t_.field_count + 3, now);
      s->executeStep();
      id = s->getColumn(0).getInt64();
    }
    tx_.touched().*t_.touched = true;
    return stored(t_.find(tx_.st(), id), t_.kind, id);
  });
}

template <typename T>
Result<T> PositionedRows<T>::update(const T& r) {
  Hints hints{.name = r.name, .kind = t_.kind};
  return tx_.op(fmt::format("update {}", t_.kind), hints, [&]() -> Result<T> {
    const auto at = position_of(r.id);
    if (!at) {
      return fail(Error::not_found(fmt::format("{} {} not found", t_.kind, r.id)));
    }
    const std::int64_t n = tx_.count(t_.count);
    const std::int64_t target = r.position <= 0 ? *at : std::clamp<std::int64_t>(r.position, 1, n);
    // The row itself lies outside the shifted range, so it is written once, below.
    if (target < *at) {
      shift(t_.shift_up, target, *at - 1);
    } else if (target > *at) {
      shift(t_.shift_down, *at + 1, target);
    }
    {
      auto s = tx_.st().get(t_.update);
      t_.bind(*s, 1, r);
      s->bind(t_.field_count + 1, target);
      s->bind(t_.field_count + 2, tx_.now());
      s->bind(t_.field_count + 3, r.id);
      s->exec();
    }
    tx_.touched().*t_.touched = true;
    return stored(t_.find(tx_.st(), r.id), t_.kind, r.id);
  });
}

template <typename T>
Result<void> PositionedRows<T>::remove(std::int64_t id) {
  return tx_.op(fmt::format("remove {}", t_.kind), {}, [&]() -> Result<void> {
    const auto at = position_of(id);
    if (!at) {
      return fail(Error::not_found(fmt::format("{} {} not found", t_.kind, id)));
    }
    {
      auto s = tx_.st().get(t_.remove);
      s->bind(1, id);
      s->exec();
    }
    shift(t_.shift_down, *at + 1, kLastPosition);
    tx_.touched().*t_.touched = true;
    return {};
  });
}

template <typename T>
std::optional<std::int64_t> PositionedRows<T>::position_of(std::int64_t id) {
  auto s = tx_.st().get(t_.position);
  s->bind(1, id);
  if (!s->executeStep()) {
    return std::nullopt;
  }
  return s->getColumn(0).getInt64();
}

template <typename T>
void PositionedRows<T>::shift(std::string_view sql, std::int64_t from, std::int64_t to) {
  auto s = tx_.st().get(sql);
  s->bind(1, from);
  s->bind(2, to);
  s->exec();
}

namespace {

const PositionedTable<model::OutboundRule> kRuleTable{"outbound rule",
                                                      kInsertRule,
                                                      kUpdateRule,
                                                      kDeleteRule,
                                                      kCountRules,
                                                      kRulePosition,
                                                      kShiftRulesUp,
                                                      kShiftRulesDown,
                                                      detail::kOutboundRuleFieldCount,
                                                      detail::bind_outbound_rule_fields,
                                                      detail::find_outbound_rule,
                                                      &Touched::outbound_rules};

const PositionedTable<model::InboundRoute> kRouteTable{"inbound route",
                                                       kInsertRoute,
                                                       kUpdateRoute,
                                                       kDeleteRoute,
                                                       kCountRoutes,
                                                       kRoutePosition,
                                                       kShiftRoutesUp,
                                                       kShiftRoutesDown,
                                                       detail::kInboundRouteFieldCount,
                                                       detail::bind_inbound_route_fields,
                                                       detail::find_inbound_route,
                                                       &Touched::inbound_routes};

}  // namespace

// ---- outbound rules, inbound routes --------------------------------------------------

OutboundRules::OutboundRules(TxContext& tx) : rows_(tx, kRuleTable) {}

Result<model::OutboundRule> OutboundRules::create(const model::OutboundRule& draft) {
  return rows_.create(draft);
}

Result<model::OutboundRule> OutboundRules::update(const model::OutboundRule& r) {
  return rows_.update(r);
}

Result<void> OutboundRules::remove(model::OutboundRuleId id) {
  return rows_.remove(id);
}

InboundRoutes::InboundRoutes(TxContext& tx) : rows_(tx, kRouteTable) {}

Result<model::InboundRoute> InboundRoutes::create(const model::InboundRoute& draft) {
  return rows_.create(draft);
}

Result<model::InboundRoute> InboundRoutes::update(const model::InboundRoute& r) {
  return rows_.update(r);
}

Result<void> InboundRoutes::remove(model::InboundRouteId id) {
  return rows_.remove(id);
}

// ---- schedules -----------------------------------------------------------------------

Result<model::Schedule> Schedules::create(const model::Schedule& draft) {
  Hints hints{.name = draft.name, .kind = "schedule"};
  return tx_.op("create schedule", hints, [&]() -> Result<model::Schedule> {
    const std::int64_t now = tx_.now();
    model::ScheduleId id = 0;
    {
      auto s = tx_.st().get(kInsertSchedule);
      detail::bind_schedule_fields(*s, 1, draft);
      s->bind(detail::kScheduleFieldCount + 1, now);
      s->bind(detail::kScheduleFieldCount + 2, now);
      s->executeStep();
      id = s->getColumn(0).getInt64();
    }
    tx_.touched().schedules.insert(id);
    return stored(detail::find_schedule(tx_.st(), id), "schedule", id);
  });
}

Result<model::Schedule> Schedules::update(const model::Schedule& sc) {
  Hints hints{.name = sc.name, .kind = "schedule"};
  return tx_.op("update schedule", hints, [&]() -> Result<model::Schedule> {
    {
      auto s = tx_.st().get(kUpdateSchedule);
      detail::bind_schedule_fields(*s, 1, sc);
      s->bind(detail::kScheduleFieldCount + 1, tx_.now());
      s->bind(detail::kScheduleFieldCount + 2, sc.id);
      if (s->exec() == 0) {
        return fail(Error::not_found(fmt::format("schedule {} not found", sc.id)));
      }
    }
    tx_.touched().schedules.insert(sc.id);
    return stored(detail::find_schedule(tx_.st(), sc.id), "schedule", sc.id);
  });
}

Result<void> Schedules::remove(model::ScheduleId id) {
  return tx_.op("remove schedule", {}, [&]() -> Result<void> {
    if (!tx_.exists(kScheduleExists, id)) {
      return fail(Error::not_found(fmt::format("schedule {} not found", id)));
    }
    {
      auto s = tx_.st().get(kDetachSchedule);
      s->bind(1, tx_.now());
      s->bind(2, id);
      while (s->executeStep()) {
        tx_.touched().groups.insert(s->getColumn(0).getInt64());
      }
    }
    {
      auto s = tx_.st().get(kDeleteSchedule);
      s->bind(1, id);
      s->exec();
    }
    tx_.touched().schedules.insert(id);
    return {};
  });
}

}  // namespace cohort::store::sqlite::detail
