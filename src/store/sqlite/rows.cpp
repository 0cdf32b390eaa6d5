#include "store/sqlite/rows.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <limits>
#include <string>

namespace cohort::store::sqlite::detail {
namespace {

constexpr std::string_view kSelectUser =
    "SELECT id, name, email, extension, caller_id, role, active, paused, pause_reason, "
    "digest_realm, ha1_md5, ha1_sha256, created_at, updated_at, password_hash, dnd, "
    "forward_always, forward_busy, forward_no_answer, forward_no_answer_s FROM users WHERE id = ?";
constexpr std::string_view kSelectAllUsers =
    "SELECT id, name, email, extension, caller_id, role, active, paused, pause_reason, "
    "digest_realm, ha1_md5, ha1_sha256, created_at, updated_at, password_hash, dnd, "
    "forward_always, forward_busy, forward_no_answer, forward_no_answer_s FROM users ORDER BY id";
constexpr std::string_view kSelectGroup =
    "SELECT id, name, description, extension, outbound_caller_id, trunk_id, ring_strategy, "
    "ring_timeout_s, max_wait_s, wrap_up_s, ring_in_use, skip_unregistered, fallback, "
    "schedule_id, closed_destination, cti_scope, created_at, updated_at, auto_pause_after, "
    "auto_pause_unreachable, auto_pause_scope, waiting_mode, announce_position_every_s FROM groups "
    "WHERE id = ?";
constexpr std::string_view kSelectAllGroups =
    "SELECT id, name, description, extension, outbound_caller_id, trunk_id, ring_strategy, "
    "ring_timeout_s, max_wait_s, wrap_up_s, ring_in_use, skip_unregistered, fallback, "
    "schedule_id, closed_destination, cti_scope, created_at, updated_at, auto_pause_after, "
    "auto_pause_unreachable, auto_pause_scope, waiting_mode, announce_position_every_s FROM groups "
    "ORDER BY id";
constexpr std::string_view kSelectTrunk =
    "SELECT id, name, host, port, transport, username, password, auth_realm, register_enabled, "
    "register_expires_s, from_domain, max_concurrent_calls, inbound_sources, created_at, "
    "updated_at, media FROM trunks WHERE id = ?";
constexpr std::string_view kSelectAllTrunks =
    "SELECT id, name, host, port, transport, username, password, auth_realm, register_enabled, "
    "register_expires_s, from_domain, max_concurrent_calls, inbound_sources, created_at, "
    "updated_at, media FROM trunks ORDER BY id";
constexpr std::string_view kSelectOutboundRule =
    "SELECT id, name, position, patterns, caller_groups, caller_users, strip, prepend, trunks, "
    "caller_id_policy, caller_id_value, allow_trunk_callers, created_at, updated_at "
    "FROM outbound_rules WHERE id = ?";
constexpr std::string_view kSelectAllOutboundRules =
    "SELECT id, name, position, patterns, caller_groups, caller_users, strip, prepend, trunks, "
    "caller_id_policy, caller_id_value, allow_trunk_callers, created_at, updated_at "
    "FROM outbound_rules ORDER BY position, id";
constexpr std::string_view kSelectInboundRoute =
    "SELECT id, name, position, did, caller, trunk_id, destination, created_at, updated_at "
    "FROM inbound_routes WHERE id = ?";
constexpr std::string_view kSelectAllInboundRoutes =
    "SELECT id, name, position, did, caller, trunk_id, destination, created_at, updated_at "
    "FROM inbound_routes ORDER BY position, id";
constexpr std::string_view kSelectSchedule =
    "SELECT id, name, timezone, weekly, holidays, override, created_at, updated_at "
    "FROM schedules WHERE id = ?";
constexpr std::string_view kSelectAllSchedules =
    "SELECT id, name, timezone, weekly, holidays, override, created_at, updated_at "
    "FROM schedules ORDER BY id";
constexpr std::string_view kSelectToken =
    "SELECT id, user_id, secret_sha256, created_at FROM api_tokens WHERE id = ?";
constexpr std::string_view kSelectAllTokens =
    "SELECT id, user_id, secret_sha256, created_at FROM api_tokens ORDER BY id";
constexpr std::string_view kSelectMembers =
    "SELECT user_id, position, joined_at, paused, pause_reason FROM memberships "
    "WHERE group_id = ? "
    "ORDER BY position";
constexpr std::string_view kSelectGroupsOf =
    "SELECT group_id, position, joined_at, paused, pause_reason FROM memberships "
    "WHERE user_id = ? "
    "ORDER BY group_id";
constexpr std::string_view kSelectAllMembers =
    "SELECT group_id, user_id, position, joined_at, paused, pause_reason FROM memberships "
    "ORDER BY group_id, position";
constexpr std::string_view kSelectAllGroupsOf =
    "SELECT user_id, group_id, position, joined_at, paused, pause_reason FROM memberships "
    "ORDER BY user_id, group_id";

std::optional<std::string> optional_text(const SQLite::Column& c) {
  if (c.isNull()) {
    return std::nullopt;
  }
  return c.getString();
}

void bind_optional(SQLite::Statement& s, int index, const std::optional<std::string>& v) {
  if (v) {
    s.bind(index, *v);
  } else {
    s.bind(index);
  }
}

std::optional<model::Destination> optional_destination(const SQLite::Column& c,
                                                       std::string_view what,
                                                       const std::string& field, std::int64_t id);

model::User read_user(SQLite::Statement& s) {
  model::User u;
  u.id = s.getColumn(0).getInt64();
  u.name = s.getColumn(1).getString();
  u.email = s.getColumn(2).getString();
  u.extension = s.getColumn(3).getString();
  u.caller_id = optional_text(s.getColumn(4));
  std::string role = s.getColumn(5).getString();
  auto parsed = model::parse_role(role);
  if (!parsed) {
    throw CorruptRow(fmt::format("users.role of user {} is '{}'", u.id, role));
  }
  u.role = *parsed;
  u.active = s.getColumn(6).getInt() != 0;
  u.paused = s.getColumn(7).getInt() != 0;
  u.pause_reason = s.getColumn(8).getString();
  u.digest.realm = s.getColumn(9).getString();
  u.digest.ha1_md5 = s.getColumn(10).getString();
  u.digest.ha1_sha256 = s.getColumn(11).getString();
  u.created_at = s.getColumn(12).getInt64();
  u.updated_at = s.getColumn(13).getInt64();
  u.password_hash = s.getColumn(14).getString();
  u.dnd = s.getColumn(15).getInt() != 0;
  u.forward_always = optional_destination(s.getColumn(16), "users.forward_always", "always", u.id);
  u.forward_busy = optional_destination(s.getColumn(17), "users.forward_busy", "busy", u.id);
  u.forward_no_answer =
      optional_destination(s.getColumn(18), "users.forward_no_answer", "no_answer", u.id);
  u.forward_no_answer_s = s.getColumn(19).getInt();
  return u;
}

}  // namespace

model::Destination destination_of(const std::string& text, std::string_view what,
                                  const std::string& field, std::int64_t id) {
  auto json = nlohmann::json::parse(text, nullptr, false);
  if (json.is_discarded()) {
    throw CorruptRow(fmt::format("{} of row {} is not JSON", what, id));
  }
  auto dest = model::destination_from_json(json, field);
  if (!dest) {
    throw CorruptRow(
        fmt::format("{} of row {}: {} ({})", what, id, dest.error().message, dest.error().field));
  }
  return std::move(*dest);
}

namespace {

std::optional<model::Destination> optional_destination(const SQLite::Column& c,
                                                       std::string_view what,
                                                       const std::string& field, std::int64_t id) {
  if (c.isNull()) {
    return std::nullopt;
  }
  return destination_of(c.getString(), what, field, id);
}

std::optional<std::string> destination_text(const std::optional<model::Destination>& d) {
  if (!d) {
    return std::nullopt;
  }
  return model::destination_to_json(*d).dump();
}

model::Group read_group(SQLite::Statement& s) {
  model::Group g;
  g.id = s.getColumn(0).getInt64();
  g.name = s.getColumn(1).getString();
  g.description = s.getColumn(2).getString();
  g.extension = optional_text(s.getColumn(3));
  g.outbound_caller_id = optional_text(s.getColumn(4));
  if (!s.getColumn(5).isNull()) {
    g.trunk = s.getColumn(5).getInt64();
  }
  std::string strategy = s.getColumn(6).getString();
  auto parsed = model::parse_ring_strategy(strategy);
  if (!parsed) {
    throw CorruptRow(fmt::format("groups.ring_strategy of group {} is '{}'", g.id, strategy));
  }
  g.ring_strategy = *parsed;
  g.ring_timeout_s = s.getColumn(7).getInt();
  g.max_wait_s = s.getColumn(8).getInt();
  g.wrap_up_s = s.getColumn(9).getInt();
  g.ring_in_use = s.getColumn(10).getInt() != 0;
  g.skip_unregistered = s.getColumn(11).getInt() != 0;
  g.fallback = optional_destination(s.getColumn(12), "groups.fallback", "fallback", g.id);
  if (!s.getColumn(13).isNull()) {
    g.schedule = s.getColumn(13).getInt64();
  }
  g.closed_destination = optional_destination(s.getColumn(14), "groups.closed_destination",
                                              "closed_destination", g.id);
  g.cti_scope = s.getColumn(15).getInt() != 0;
  g.created_at = s.getColumn(16).getInt64();
  g.updated_at = s.getColumn(17).getInt64();
  g.auto_pause_after = s.getColumn(18).getInt();
  g.auto_pause_unreachable = s.getColumn(19).getInt() != 0;
  std::string scope = s.getColumn(20).getString();
  auto parsed_scope = model::parse_auto_pause_scope(scope);
  if (!parsed_scope) {
    throw CorruptRow(fmt::format("groups.auto_pause_scope of group {} is '{}'", g.id, scope));
  }
  g.auto_pause_scope = *parsed_scope;
  std::string waiting = s.getColumn(21).getString();
  auto parsed_waiting = model::parse_waiting_mode(waiting);
  if (!parsed_waiting) {
    throw CorruptRow(fmt::format("groups.waiting_mode of group {} is '{}'", g.id, waiting));
  }
  g.waiting_mode = *parsed_waiting;
  g.announce_position_every_s = s.getColumn(22).getInt();
  return g;
}

/// A JSON array column; `what` names it in the corruption message.
nlohmann::json json_array(const SQLite::Column& c, std::string_view what, std::int64_t id) {
  auto json = nlohmann::json::parse(c.getString(), nullptr, false);
  if (!json.is_array()) {
    throw CorruptRow(fmt::format("{} of row {} is not a JSON array", what, id));
  }
  return json;
}

std::vector<std::string> string_list(const SQLite::Column& c, std::string_view what,
                                     std::int64_t id) {
  std::vector<std::string> out;
  for (const auto& item : json_array(c, what, id)) {
    if (!item.is_string()) {
      throw CorruptRow(fmt::format("{} of row {} holds a non-string", what, id));
    }
    out.push_back(item.get<std::string>());
  }
  return out;
}

std::vector<std::int64_t> id_list(const SQLite::Column& c, std::string_view what, std::int64_t id) {
  std::vector<std::int64_t> out;
  for (const auto& item : json_array(c, what, id)) {
    if (!item.is_number_integer()) {
      throw CorruptRow(fmt::format("{} of row {} holds a non-integer", what, id));
    }
    out.push_back(item.get<std::int64_t>());
  }
  return out;
}

model::Trunk read_trunk(SQLite::Statement& s) {
  model::Trunk t;
  t.id = s.getColumn(0).getInt64();
  t.name = s.getColumn(1).getString();
  t.host = s.getColumn(2).getString();
  t.port = s.getColumn(3).getInt();
  std::string transport = s.getColumn(4).getString();
  auto parsed = model::parse_trunk_transport(transport);
  if (!parsed) {
    throw CorruptRow(fmt::format("trunks.transport of trunk {} is '{}'", t.id, transport));
  }
  t.transport = *parsed;
  t.username = s.getColumn(5).getString();
  t.password = s.getColumn(6).getString();
  t.auth_realm = optional_text(s.getColumn(7));
  t.register_enabled = s.getColumn(8).getInt() != 0;
  t.register_expires_s = s.getColumn(9).getInt();
  t.from_domain = s.getColumn(10).getString();
  t.max_concurrent_calls = s.getColumn(11).getInt();
  t.inbound_sources = string_list(s.getColumn(12), "trunks.inbound_sources", t.id);
  t.created_at = s.getColumn(13).getInt64();
  t.updated_at = s.getColumn(14).getInt64();
  std::string media = s.getColumn(15).getString();
  auto parsed_media = model::parse_trunk_media(media);
  if (!parsed_media) {
    throw CorruptRow(fmt::format("trunks.media of trunk {} is '{}'", t.id, media));
  }
  t.media = *parsed_media;
  return t;
}

model::OutboundRule read_outbound_rule(SQLite::Statement& s) {
  model::OutboundRule r;
  r.id = s.getColumn(0).getInt64();
  r.name = s.getColumn(1).getString();
  r.position = s.getColumn(2).getInt();
  r.patterns = string_list(s.getColumn(3), "outbound_rules.patterns", r.id);
  r.caller_groups = id_list(s.getColumn(4), "outbound_rules.caller_groups", r.id);
  r.caller_users = id_list(s.getColumn(5), "outbound_rules.caller_users", r.id);
  r.strip = s.getColumn(6).getInt();
  r.prepend = s.getColumn(7).getString();
  r.trunks = id_list(s.getColumn(8), "outbound_rules.trunks", r.id);
  if (!s.getColumn(9).isNull()) {
    std::string policy = s.getColumn(9).getString();
    auto parsed = model::parse_caller_id_policy(policy);
    if (!parsed) {
      throw CorruptRow(
          fmt::format("outbound_rules.caller_id_policy of rule {} is '{}'", r.id, policy));
    }
    r.caller_id = model::CallerIdSetting{*parsed, s.getColumn(10).getString()};
  }
  r.allow_trunk_callers = s.getColumn(11).getInt() != 0;
  r.created_at = s.getColumn(12).getInt64();
  r.updated_at = s.getColumn(13).getInt64();
  return r;
}

model::InboundRoute read_inbound_route(SQLite::Statement& s) {
  model::InboundRoute r;
  r.id = s.getColumn(0).getInt64();
  r.name = s.getColumn(1).getString();
  r.position = s.getColumn(2).getInt();
  r.did = s.getColumn(3).getString();
  r.caller = optional_text(s.getColumn(4));
  if (!s.getColumn(5).isNull()) {
    r.trunk = s.getColumn(5).getInt64();
  }
  r.destination =
      destination_of(s.getColumn(6).getString(), "inbound_routes.destination", "destination", r.id);
  r.created_at = s.getColumn(7).getInt64();
  r.updated_at = s.getColumn(8).getInt64();
  return r;
}

/// An integer inside a JSON value that must fit `int`.
int small_int(const nlohmann::json& j, std::string_view what, std::int64_t id) {
  if (!j.is_number_integer() || j.get<std::int64_t>() < std::numeric_limits<int>::min() ||
      j.get<std::int64_t>() > std::numeric_limits<int>::max()) {
    throw CorruptRow(fmt::format("{} of row {} holds a bad number", what, id));
  }
  return j.get<int>();
}

std::vector<model::WeeklyInterval> weekly_of(const SQLite::Column& c, std::int64_t id) {
  constexpr std::string_view kWhat = "schedules.weekly";
  std::vector<model::WeeklyInterval> out;
  for (const auto& item : json_array(c, kWhat, id)) {
    if (!item.is_array() || item.size() != 3) {
      throw CorruptRow(fmt::format("{} of row {} holds a non-triple", kWhat, id));
    }
    const int days = small_int(item[0], kWhat, id);
    if (days < 0 || days > 0x7f) {
      throw CorruptRow(fmt::format("{} of row {} holds days {}", kWhat, id, days));
    }
    out.push_back({static_cast<std::uint8_t>(days), small_int(item[1], kWhat, id),
                   small_int(item[2], kWhat, id)});
  }
  return out;
}

std::vector<model::Holiday> holidays_of(const SQLite::Column& c, std::int64_t id) {
  constexpr std::string_view kWhat = "schedules.holidays";
  std::vector<model::Holiday> out;
  for (const auto& item : json_array(c, kWhat, id)) {
    if (!item.is_object() || !item.contains("name") || !item["name"].is_string() ||
        !item.contains("from") || !item.contains("to") || !item.contains("yearly") ||
        !item["yearly"].is_boolean()) {
      throw CorruptRow(fmt::format("{} of row {} holds a malformed holiday", kWhat, id));
    }
    out.push_back({item["name"].get<std::string>(), small_int(item["from"], kWhat, id),
                   small_int(item["to"], kWhat, id), item["yearly"].get<bool>()});
  }
  return out;
}

model::Schedule read_schedule(SQLite::Statement& s) {
  model::Schedule sc;
  sc.id = s.getColumn(0).getInt64();
  sc.name = s.getColumn(1).getString();
  sc.timezone = s.getColumn(2).getString();
  sc.weekly = weekly_of(s.getColumn(3), sc.id);
  sc.holidays = holidays_of(s.getColumn(4), sc.id);
  std::string mode = s.getColumn(5).getString();
  auto parsed = model::parse_schedule_override(mode);
  if (!parsed) {
    throw CorruptRow(fmt::format("schedules.override of schedule {} is '{}'", sc.id, mode));
  }
  sc.override_mode = *parsed;
  sc.created_at = s.getColumn(6).getInt64();
  sc.updated_at = s.getColumn(7).getInt64();
  return sc;
}

model::Member read_member(SQLite::Statement& s, int first) {
  return {s.getColumn(first).getInt64(), s.getColumn(first + 1).getInt(),
          s.getColumn(first + 2).getInt64(), s.getColumn(first + 3).getInt() != 0,
          s.getColumn(first + 4).getString()};
}

model::UserMembership read_membership(SQLite::Statement& s, int first) {
  return {s.getColumn(first).getInt64(), s.getColumn(first + 1).getInt(),
          s.getColumn(first + 2).getInt64(), s.getColumn(first + 3).getInt() != 0,
          s.getColumn(first + 4).getString()};
}

model::ApiToken read_token(SQLite::Statement& s) {
  model::ApiToken t;
  t.id = s.getColumn(0).getInt64();
  t.user = s.getColumn(1).getInt64();
  t.secret_sha256 = s.getColumn(2).getString();
  t.created_at = s.getColumn(3).getInt64();
  return t;
}

template <class T, class Read>
std::optional<T> find_one(Statements& st, std::string_view sql, std::int64_t id, Read read) {
  auto s = st.get(sql);
  s->bind(1, id);
  if (!s->executeStep()) {
    return std::nullopt;
  }
  return read(*s);
}

}  // namespace

void bind_user_fields(SQLite::Statement& s, int first, const model::User& u) {
  s.bind(first, u.name);
  s.bind(first + 1, u.email);
  s.bind(first + 2, u.extension);
  bind_optional(s, first + 3, u.caller_id);
  s.bind(first + 4, std::string(model::to_string(u.role)));
  s.bind(first + 5, u.active ? 1 : 0);
  s.bind(first + 6, u.paused ? 1 : 0);
  s.bind(first + 7, u.pause_reason);
  s.bind(first + 8, u.digest.realm);
  s.bind(first + 9, u.digest.ha1_md5);
  s.bind(first + 10, u.digest.ha1_sha256);
  s.bind(first + 11, u.password_hash);
  s.bind(first + 12, u.dnd ? 1 : 0);
  bind_optional(s, first + 13, destination_text(u.forward_always));
  bind_optional(s, first + 14, destination_text(u.forward_busy));
  bind_optional(s, first + 15, destination_text(u.forward_no_answer));
  s.bind(first + 16, u.forward_no_answer_s);
}

void bind_group_fields(SQLite::Statement& s, int first, const model::Group& g) {
  s.bind(first, g.name);
  s.bind(first + 1, g.description);
  bind_optional(s, first + 2, g.extension);
  bind_optional(s, first + 3, g.outbound_caller_id);
  if (g.trunk) {
    s.bind(first + 4, *g.trunk);
  } else {
    s.bind(first + 4);
  }
  s.bind(first + 5, std::string(model::to_string(g.ring_strategy)));
  s.bind(first + 6, g.ring_timeout_s);
  s.bind(first + 7, g.max_wait_s);
  s.bind(first + 8, g.wrap_up_s);
  s.bind(first + 9, g.ring_in_use ? 1 : 0);
  s.bind(first + 10, g.skip_unregistered ? 1 : 0);
  bind_optional(s, first + 11, destination_text(g.fallback));
  if (g.schedule) {
    s.bind(first + 12, *g.schedule);
  } else {
    s.bind(first + 12);
  }
  bind_optional(s, first + 13, destination_text(g.closed_destination));
  s.bind(first + 14, g.cti_scope ? 1 : 0);
  s.bind(first + 15, g.auto_pause_after);
  s.bind(first + 16, g.auto_pause_unreachable ? 1 : 0);
  s.bind(first + 17, std::string(model::to_string(g.auto_pause_scope)));
  s.bind(first + 18, std::string(model::to_string(g.waiting_mode)));
  s.bind(first + 19, g.announce_position_every_s);
}

void bind_trunk_fields(SQLite::Statement& s, int first, const model::Trunk& t) {
  s.bind(first, t.name);
  s.bind(first + 1, t.host);
  s.bind(first + 2, t.port);
  s.bind(first + 3, std::string(model::to_string(t.transport)));
  s.bind(first + 4, t.username);
  s.bind(first + 5, t.password);
  bind_optional(s, first + 6, t.auth_realm);
  s.bind(first + 7, t.register_enabled ? 1 : 0);
  s.bind(first + 8, t.register_expires_s);
  s.bind(first + 9, t.from_domain);
  s.bind(first + 10, t.max_concurrent_calls);
  s.bind(first + 11, nlohmann::json(t.inbound_sources).dump());
  s.bind(first + 12, std::string(model::to_string(t.media)));
}

void bind_outbound_rule_fields(SQLite::Statement& s, int first, const model::OutboundRule& r) {
  s.bind(first, r.name);
  s.bind(first + 1, nlohmann::json(r.patterns).dump());
  s.bind(first + 2, nlohmann::json(r.caller_groups).dump());
  s.bind(first + 3, nlohmann::json(r.caller_users).dump());
  s.bind(first + 4, r.strip);
  s.bind(first + 5, r.prepend);
  s.bind(first + 6, nlohmann::json(r.trunks).dump());
  if (r.caller_id) {
    s.bind(first + 7, std::string(model::to_string(r.caller_id->policy)));
    s.bind(first + 8, r.caller_id->value);
  } else {
    // NULL policy = the rule's default, which depends on caller_groups when it is used.
    s.bind(first + 7);
    s.bind(first + 8, std::string());
  }
  s.bind(first + 9, r.allow_trunk_callers ? 1 : 0);
}

void bind_inbound_route_fields(SQLite::Statement& s, int first, const model::InboundRoute& r) {
  s.bind(first, r.name);
  s.bind(first + 1, r.did);
  bind_optional(s, first + 2, r.caller);
  if (r.trunk) {
    s.bind(first + 3, *r.trunk);
  } else {
    s.bind(first + 3);
  }
  s.bind(first + 4, model::destination_to_json(r.destination).dump());
}

void bind_schedule_fields(SQLite::Statement& s, int first, const model::Schedule& sc) {
  auto weekly = nlohmann::json::array();
  for (const model::WeeklyInterval& w : sc.weekly) {
    weekly.push_back({static_cast<int>(w.days), w.from_min, w.to_min});
  }
  auto holidays = nlohmann::json::array();
  for (const model::Holiday& h : sc.holidays) {
    holidays.push_back({{"name", h.name}, {"from", h.from}, {"to", h.to}, {"yearly", h.yearly}});
  }
  s.bind(first, sc.name);
  s.bind(first + 1, sc.timezone);
  s.bind(first + 2, weekly.dump());
  s.bind(first + 3, holidays.dump());
  s.bind(first + 4, std::string(model::to_string(sc.override_mode)));
}

std::optional<model::User> find_user(Statements& st, model::UserId id) {
  return find_one<model::User>(st, kSelectUser, id, read_user);
}

std::optional<model::Group> find_group(Statements& st, model::GroupId id) {
  return find_one<model::Group>(st, kSelectGroup, id, read_group);
}

std::optional<model::Trunk> find_trunk(Statements& st, model::TrunkId id) {
  return find_one<model::Trunk>(st, kSelectTrunk, id, read_trunk);
}

std::optional<model::ApiToken> find_token(Statements& st, model::TokenId id) {
  return find_one<model::ApiToken>(st, kSelectToken, id, read_token);
}

std::optional<model::OutboundRule> find_outbound_rule(Statements& st, model::OutboundRuleId id) {
  return find_one<model::OutboundRule>(st, kSelectOutboundRule, id, read_outbound_rule);
}

std::optional<model::InboundRoute> find_inbound_route(Statements& st, model::InboundRouteId id) {
  return find_one<model::InboundRoute>(st, kSelectInboundRoute, id, read_inbound_route);
}

std::optional<model::Schedule> find_schedule(Statements& st, model::ScheduleId id) {
  return find_one<model::Schedule>(st, kSelectSchedule, id, read_schedule);
}

std::vector<model::InboundRoute> inbound_routes(Statements& st) {
  std::vector<model::InboundRoute> out;
  auto s = st.get(kSelectAllInboundRoutes);
  while (s->executeStep()) {
    out.push_back(read_inbound_route(*s));
  }
  return out;
}

std::vector<model::OutboundRule> outbound_rules(Statements& st) {
  std::vector<model::OutboundRule> out;
  auto s = st.get(kSelectAllOutboundRules);
  while (s->executeStep()) {
    out.push_back(read_outbound_rule(*s));
  }
  return out;
}

std::vector<model::Member> members_of(Statements& st, model::GroupId group) {
  std::vector<model::Member> out;
  auto s = st.get(kSelectMembers);
  s->bind(1, group);
  while (s->executeStep()) {
    out.push_back(read_member(*s, 0));
  }
  return out;
}

std::vector<model::UserMembership> groups_of(Statements& st, model::UserId user) {
  std::vector<model::UserMembership> out;
  auto s = st.get(kSelectGroupsOf);
  s->bind(1, user);
  while (s->executeStep()) {
    out.push_back(read_membership(*s, 0));
  }
  return out;
}

model::SnapshotPatch load_everything(SQLite::Database& db) {
  model::SnapshotPatch patch;
  {
    SQLite::Statement s(db, std::string(kSelectAllUsers));
    while (s.executeStep()) {
      model::User u = read_user(s);
      model::UserId id = u.id;
      patch.users.emplace_back(id, std::move(u));
    }
  }
  {
    SQLite::Statement s(db, std::string(kSelectAllGroups));
    while (s.executeStep()) {
      model::Group g = read_group(s);
      model::GroupId id = g.id;
      patch.groups.emplace_back(id, std::move(g));
    }
  }
  {
    SQLite::Statement s(db, std::string(kSelectAllTrunks));
    while (s.executeStep()) {
      model::Trunk t = read_trunk(s);
      model::TrunkId id = t.id;
      patch.trunks.emplace_back(id, std::move(t));
    }
  }
  {
    SQLite::Statement s(db, std::string(kSelectAllOutboundRules));
    std::vector<model::OutboundRule> rules;
    while (s.executeStep()) {
      rules.push_back(read_outbound_rule(s));
    }
    if (!rules.empty()) {
      patch.outbound_rules = std::move(rules);
    }
  }
  {
    SQLite::Statement s(db, std::string(kSelectAllInboundRoutes));
    std::vector<model::InboundRoute> routes;
    while (s.executeStep()) {
      routes.push_back(read_inbound_route(s));
    }
    if (!routes.empty()) {
      patch.inbound_routes = std::move(routes);
    }
  }
  {
    SQLite::Statement s(db, std::string(kSelectAllSchedules));
    while (s.executeStep()) {
      model::Schedule sc = read_schedule(s);
      model::ScheduleId id = sc.id;
      patch.schedules.emplace_back(id, std::move(sc));
    }
  }
  load_ivr_menus(db, patch);
  {
    SQLite::Statement s(db, std::string(kSelectAllTokens));
    while (s.executeStep()) {
      model::ApiToken t = read_token(s);
      model::TokenId id = t.id;
      patch.tokens.emplace_back(id, std::move(t));
    }
  }
  {
    // Rows arrive grouped by group and ordered by position: one list per run of group ids.
    SQLite::Statement s(db, std::string(kSelectAllMembers));
    while (s.executeStep()) {
      model::GroupId group = s.getColumn(0).getInt64();
      if (patch.members.empty() || patch.members.back().first != group) {
        patch.members.emplace_back(group, std::vector<model::Member>{});
      }
      patch.members.back().second.push_back(read_member(s, 1));
    }
  }
  {
    SQLite::Statement s(db, std::string(kSelectAllGroupsOf));
    while (s.executeStep()) {
      model::UserId user = s.getColumn(0).getInt64();
      if (patch.groups_of.empty() || patch.groups_of.back().first != user) {
        patch.groups_of.emplace_back(user, std::vector<model::UserMembership>{});
      }
      patch.groups_of.back().second.push_back(read_membership(s, 1));
    }
  }
  return patch;
}

}  // namespace cohort::store::sqlite::detail
