#pragma once
// Private to the SQLite backend: the mapping between table rows and domain values, and
// the reads that build snapshot patches. Column order lives here and nowhere else.

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include <optional>
#include <stdexcept>
#include <vector>

#include "model/snapshot.hpp"
#include "store/sqlite/statements.hpp"

namespace cohort::store::sqlite::detail {

/// A stored row that does not map back to a domain value (an unknown role, a fallback that
/// is not valid JSON): corruption or a hand edit. Thrown by the readers below and turned
/// into Error::internal at the store's boundary, never seen by callers.
class CorruptRow : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// INSERT/UPDATE statements bind the writable fields in this order, starting at `first`:
//   users:  name, email, extension, caller_id, role, active, paused, pause_reason,
//           digest_realm, ha1_md5, ha1_sha256                              (11 values)
//   groups: name, description, extension, outbound_caller_id, trunk_id, ring_strategy,
//           ring_timeout_s, max_wait_s, wrap_up_s, ring_in_use, skip_unregistered,
//           fallback, schedule_id, closed_destination, cti_scope, auto_pause_after,
//           auto_pause_unreachable, auto_pause_scope, waiting_mode,
//           announce_position_every_s                                      (20 values)
//   trunks: name, host, port, transport, username, password, auth_realm, register_enabled,
//           register_expires_s, from_domain, max_concurrent_calls, inbound_sources, media
//                                                                          (13 values)
//   outbound_rules: name, patterns, caller_groups, caller_users, strip, prepend, trunks,
//           caller_id_policy, caller_id_value, allow_trunk_callers        (10 values)
//           (position is written by the repository, which keeps positions dense)
//   inbound_routes: name, did, caller, trunk_id, destination               (5 values)
//           (position as for outbound_rules)
//   schedules: name, timezone, weekly, holidays, override                  (5 values)
// SELECTs read the id first, then these fields (position after the name for rules and
// routes), then created_at, updated_at; fields added by later migrations follow updated_at
// (groups from auto_pause_after on, trunks' media). Memberships read (owner id,) id,
// position, joined_at, paused, pause_reason.
inline constexpr int kUserFieldCount = 17;
inline constexpr int kGroupFieldCount = 20;
inline constexpr int kTrunkFieldCount = 13;
inline constexpr int kOutboundRuleFieldCount = 10;
inline constexpr int kInboundRouteFieldCount = 5;
inline constexpr int kScheduleFieldCount = 5;
void bind_user_fields(SQLite::Statement& s, int first, const model::User& u);
void bind_group_fields(SQLite::Statement& s, int first, const model::Group& g);
void bind_trunk_fields(SQLite::Statement& s, int first, const model::Trunk& t);
void bind_outbound_rule_fields(SQLite::Statement& s, int first, const model::OutboundRule& r);
void bind_inbound_route_fields(SQLite::Statement& s, int first, const model::InboundRoute& r);
void bind_schedule_fields(SQLite::Statement& s, int first, const model::Schedule& sc);

/// A destination stored in the API's JSON form, so that both read it the same way. `what`
/// names the column ("groups.fallback") and `field` the API field, in the CorruptRow thrown
/// when the text is not a valid destination.
model::Destination destination_of(const std::string& text, std::string_view what,
                                  const std::string& field, std::int64_t id);

// The after-state of one object; nullopt when it does not exist. Writer thread only.
std::optional<model::User> find_user(Statements& st, model::UserId id);
std::optional<model::Group> find_group(Statements& st, model::GroupId id);
std::optional<model::Trunk> find_trunk(Statements& st, model::TrunkId id);
std::optional<model::ApiToken> find_token(Statements& st, model::TokenId id);
std::optional<model::OutboundRule> find_outbound_rule(Statements& st, model::OutboundRuleId id);
std::optional<model::InboundRoute> find_inbound_route(Statements& st, model::InboundRouteId id);
std::optional<model::Schedule> find_schedule(Statements& st, model::ScheduleId id);
/// Every inbound route ordered by position.
std::vector<model::InboundRoute> inbound_routes(Statements& st);
/// Every outbound rule ordered by position.
std::vector<model::OutboundRule> outbound_rules(Statements& st);
/// A group's members ordered by position (empty for an unknown group).
std::vector<model::Member> members_of(Statements& st, model::GroupId group);
/// A user's memberships ordered by group id (empty for an unknown user).
std::vector<model::UserMembership> groups_of(Statements& st, model::UserId user);

/// An IVR menu's after-state (sqlite_ivr.cpp, which keeps the menus' rows).
std::optional<model::IvrMenu> find_ivr_menu(Statements& st, model::IvrMenuId id);
/// Every IVR menu, by id, into `patch`. Start-up only (load_everything).
void load_ivr_menus(SQLite::Database& db, model::SnapshotPatch& patch);

/// Every object in the database as one patch over the empty snapshot. Start-up only.
model::SnapshotPatch load_everything(SQLite::Database& db);

}  // namespace cohort::store::sqlite::detail
