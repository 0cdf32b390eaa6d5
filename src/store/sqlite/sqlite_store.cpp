#include "store/sqlite/sqlite_store.hpp"

#include <nlohmann/json.hpp>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Exception.h>
#include <SQLiteCpp/Statement.h>
#include <fmt/format.h>
#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <limits>
#include <mutex>
#include <set>
#include <string_view>
#include <thread>
#include <utility>

#include "store/sqlite/rows.hpp"
#include "store/sqlite/schema.hpp"
#include "store/sqlite/statements.hpp"

namespace cohort::store::sqlite {
namespace {

using detail::Statements;

constexpr int kBusyTimeoutMs = 5000;
constexpr std::int64_t kLastPosition = std::numeric_limits<std::int64_t>::max();

// ---- SQL -------------------------------------------------------------------------------
// Values are always bound; the texts are the statement cache's keys.

constexpr std::string_view kInsertUser =
    "INSERT INTO users(name, email, extension, caller_id, role, active, paused, pause_reason, "
    "digest_realm, ha1_md5, ha1_sha256, password_hash, created_at, updated_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id";
constexpr std::string_view kUpdateUser =
    "UPDATE users SET name = ?, email = ?, extension = ?, caller_id = ?, role = ?, active = ?, "
    "paused = ?, pause_reason = ?, digest_realm = ?, ha1_md5 = ?, ha1_sha256 = ?, "
    "password_hash = ?, updated_at = ? WHERE id = ?";
constexpr std::string_view kDeleteUser = "DELETE FROM users WHERE id = ?";
constexpr std::string_view kUserExists = "SELECT 1 FROM users WHERE id = ?";
constexpr std::string_view kTokensOfUser = "SELECT id FROM api_tokens WHERE user_id = ?";
constexpr std::string_view kPositionsOfUser =
    "SELECT group_id, position FROM memberships WHERE user_id = ? ORDER BY group_id";

constexpr std::string_view kInsertGroup =
    "INSERT INTO groups(name, description, extension, outbound_caller_id, trunk_id, "
    "ring_strategy, ring_timeout_s, max_wait_s, wrap_up_s, ring_in_use, skip_unregistered, "
    "fallback, schedule_id, closed_destination, cti_scope, created_at, updated_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id";
constexpr std::string_view kUpdateGroup =
    "UPDATE groups SET name = ?, description = ?, extension = ?, outbound_caller_id = ?, "
    "trunk_id = ?, ring_strategy = ?, ring_timeout_s = ?, max_wait_s = ?, wrap_up_s = ?, "
    "ring_in_use = ?, skip_unregistered = ?, fallback = ?, schedule_id = ?, "
    "closed_destination = ?, cti_scope = ?, updated_at = ? WHERE id = ?";
constexpr std::string_view kDeleteGroup = "DELETE FROM groups WHERE id = ?";
constexpr std::string_view kGroupExists = "SELECT 1 FROM groups WHERE id = ?";
constexpr std::string_view kUsersOfGroup = "SELECT user_id FROM memberships WHERE group_id = ?";

constexpr std::string_view kInsertTrunk =
    "INSERT INTO trunks(name, host, port, transport, username, password, auth_realm, "
    "register_enabled, register_expires_s, from_domain, max_concurrent_calls, inbound_sources, "
    "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id";
constexpr std::string_view kUpdateTrunk =
    "UPDATE trunks SET name = ?, host = ?, port = ?, transport = ?, username = ?, password = ?, "
    "auth_realm = ?, register_enabled = ?, register_expires_s = ?, from_domain = ?, "
    "max_concurrent_calls = ?, inbound_sources = ?, updated_at = ? WHERE id = ?";
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

constexpr std::string_view kInsertToken =
    "INSERT INTO api_tokens(user_id, secret_sha256, created_at) VALUES (?, ?, ?) RETURNING id";
constexpr std::string_view kDeleteToken = "DELETE FROM api_tokens WHERE id = ?";

constexpr std::string_view kCountMembers = "SELECT count(*) FROM memberships WHERE group_id = ?";
constexpr std::string_view kMemberPosition =
    "SELECT position, joined_at FROM memberships WHERE group_id = ? AND user_id = ?";
constexpr std::string_view kInsertMember =
    "INSERT INTO memberships(group_id, user_id, position, joined_at) VALUES (?, ?, ?, ?)";
constexpr std::string_view kSetPosition =
    "UPDATE memberships SET position = ? WHERE group_id = ? AND user_id = ?";
constexpr std::string_view kSetPause =
    "UPDATE memberships SET paused = ?, pause_reason = ? WHERE group_id = ? AND user_id = ?";
constexpr std::string_view kDeleteMember =
    "DELETE FROM memberships WHERE group_id = ? AND user_id = ?";
// Shifts return the members they moved: each one's position changed, so its groups_of
// entry in the snapshot must be rebuilt too.
constexpr std::string_view kShiftUp =
    "UPDATE memberships SET position = position + 1 "
    "WHERE group_id = ?1 AND position >= ?2 AND position <= ?3 RETURNING user_id";
constexpr std::string_view kShiftDown =
    "UPDATE memberships SET position = position - 1 "
    "WHERE group_id = ?1 AND position >= ?2 AND position <= ?3 RETURNING user_id";

constexpr std::string_view kHealth = "SELECT count(*) FROM schema_migrations";

// ---- errors ----------------------------------------------------------------------------

/// What the constraint failures of one operation mean in API terms.
struct Hints {
  std::string_view email;
  std::string_view extension;
  std::string_view name;
  std::string_view kind;  ///< "group", "trunk", "schedule", ... for name conflicts
  std::optional<Error> foreign_key;
};

bool mentions(std::string_view message, std::string_view column) {
  return message.find(column) != std::string_view::npos;
}

/// Maps an SQLite failure to the project's error. UNIQUE failures name their column in the
/// message ("UNIQUE constraint failed: users.email"), which is how the API field is found;
/// FOREIGN KEY failures do not, so the operation says what one would mean.
Error map_error(const SQLite::Exception& e, std::string_view what, const Hints& h) {
  const int code = e.getErrorCode();
  const int extended = e.getExtendedErrorCode();
  const std::string_view message = e.what();
  if (extended == SQLITE_CONSTRAINT_UNIQUE || extended == SQLITE_CONSTRAINT_PRIMARYKEY) {
    if (mentions(message, "users.email")) {
      return Error::conflict("email", fmt::format("email '{}' is already in use", h.email));
    }
    if (mentions(message, "extensions.extension")) {
      return Error::conflict("extension",
                             fmt::format("extension {} is already in use", h.extension));
    }
    if (mentions(message, "groups.name") || mentions(message, "trunks.name") ||
        mentions(message, "outbound_rules.name") || mentions(message, "inbound_routes.name") ||
        mentions(message, "schedules.name")) {
      return Error::conflict("name", fmt::format("a {} named '{}' already exists", h.kind, h.name));
    }
    if (mentions(message, "api_tokens.secret_sha256")) {
      return Error::conflict("token", "a token with this secret already exists");
    }
  }
  if (extended == SQLITE_CONSTRAINT_FOREIGNKEY && h.foreign_key) {
    return *h.foreign_key;
  }
  const std::string text = fmt::format("{}: {}", what, message);
  switch (code) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_READONLY:
    case SQLITE_CANTOPEN:
      return Error{Errc::kUnavailable, text, {}};
    default:
      return Error::internal(text);
  }
}

template <class T>
Result<T> stored(std::optional<T> value, std::string_view kind, std::int64_t id) {
  if (!value) {
    // Just written inside this transaction: not finding it again is a bug.
    return fail(Error::internal(fmt::format("{} {} missing right after it was written", kind, id)));
  }
  return std::move(*value);
}

// ---- one transaction ---------------------------------------------------------------------

/// Everything a transaction changed, by id; its after-state is read back before COMMIT.
struct Touched {
  std::set<model::UserId> users;
  std::set<model::GroupId> groups;
  std::set<model::TrunkId> trunks;
  std::set<model::TokenId> tokens;
  std::set<model::GroupId> members;   ///< groups whose member list changed
  std::set<model::UserId> groups_of;  ///< users whose group list changed
  bool outbound_rules = false;        ///< the patch carries the whole ordered list
  bool inbound_routes = false;        ///< likewise
  std::set<model::ScheduleId> schedules;
};

/// State shared by the repositories of one open transaction. Writer thread only.
class TxContext {
 public:
  TxContext(SQLite::Database& db, Statements& statements, const Clock& clock)
      : db_(db), statements_(statements), clock_(clock) {}

  Statements& st() { return statements_; }
  Touched& touched() { return touched_; }
  std::int64_t now() const { return unix_seconds(clock_.now()); }
  /// Set when SQLite rolled the whole transaction back under us (disk full, I/O error) or a
  /// savepoint could not be undone: nothing more may be written and COMMIT must not run.
  const std::optional<Error>& broken() const { return broken_; }

  /// Runs one repository operation inside a savepoint, so that a failed operation changes
  /// nothing even when `work` carries on and commits the rest.
  template <class Body>
  auto op(std::string_view what, const Hints& hints, Body&& body) -> decltype(body()) {
    if (broken_) {
      return fail(*broken_);
    }
    try {
      db_.exec("SAVEPOINT op");
    } catch (const SQLite::Exception& e) {
      return fail(map_error(e, what, hints));
    }
    try {
      auto result = body();
      if (result) {
        db_.exec("RELEASE op");
      } else {
        undo();
      }
      return result;
    } catch (const SQLite::Exception& e) {
      Error error = map_error(e, what, hints);
      undo();
      return fail(std::move(error));
    } catch (const std::exception& e) {
      undo();
      return fail(Error::internal(fmt::format("{}: {}", what, e.what())));
    }
  }

  bool exists(std::string_view sql, std::int64_t id) {
    auto s = statements_.get(sql);
    s->bind(1, id);
    return s->executeStep();
  }

  std::int64_t count(std::string_view sql) {
    auto s = statements_.get(sql);
    s->executeStep();
    return s->getColumn(0).getInt64();
  }

  std::int64_t member_count(model::GroupId group) {
    auto s = statements_.get(kCountMembers);
    s->bind(1, group);
    s->executeStep();
    return s->getColumn(0).getInt64();
  }

  /// The position and joined_at of `user` in `group`, if it is a member.
  std::optional<std::pair<std::int64_t, std::int64_t>> position_of(model::GroupId group,
                                                                   model::UserId user) {
    auto s = statements_.get(kMemberPosition);
    s->bind(1, group);
    s->bind(2, user);
    if (!s->executeStep()) {
      return std::nullopt;
    }
    return std::make_pair(s->getColumn(0).getInt64(), s->getColumn(1).getInt64());
  }

  /// Moves the members of `group` at positions from..to by one (kShiftUp/kShiftDown).
  void shift(std::string_view sql, model::GroupId group, std::int64_t from, std::int64_t to) {
    auto s = statements_.get(sql);
    s->bind(1, group);
    s->bind(2, from);
    s->bind(3, to);
    while (s->executeStep()) {
      touched_.groups_of.insert(s->getColumn(0).getInt64());
    }
    touched_.members.insert(group);
  }

  void set_position(model::GroupId group, model::UserId user, std::int64_t position) {
    auto s = statements_.get(kSetPosition);
    s->bind(1, position);
    s->bind(2, group);
    s->bind(3, user);
    s->exec();
    touched_.members.insert(group);
    touched_.groups_of.insert(user);
  }

  /// Inserts `user` at `position` (1..n+1), shifting those at and after it down.
  void join(model::GroupId group, model::UserId user, std::int64_t position,
            std::int64_t joined_at) {
    shift(kShiftUp, group, position, kLastPosition);
    auto s = statements_.get(kInsertMember);
    s->bind(1, group);
    s->bind(2, user);
    s->bind(3, position);
    s->bind(4, joined_at);
    s->exec();
    touched_.members.insert(group);
    touched_.groups_of.insert(user);
  }

  /// Removes `user`, which sits at `position`, from `group` and closes the gap.
  void leave(model::GroupId group, model::UserId user, std::int64_t position) {
    {
      auto s = statements_.get(kDeleteMember);
      s->bind(1, group);
      s->bind(2, user);
      s->exec();
    }
    shift(kShiftDown, group, position + 1, kLastPosition);
    touched_.members.insert(group);
    touched_.groups_of.insert(user);
  }

  /// The after-state of everything touched, read inside the transaction before COMMIT.
  model::SnapshotPatch build_patch() {
    model::SnapshotPatch patch;
    for (model::UserId id : touched_.users) {
      patch.users.emplace_back(id, detail::find_user(statements_, id));
    }
    for (model::GroupId id : touched_.groups) {
      patch.groups.emplace_back(id, detail::find_group(statements_, id));
    }
    for (model::TrunkId id : touched_.trunks) {
      patch.trunks.emplace_back(id, detail::find_trunk(statements_, id));
    }
    for (model::TokenId id : touched_.tokens) {
      patch.tokens.emplace_back(id, detail::find_token(statements_, id));
    }
    for (model::GroupId id : touched_.members) {
      patch.members.emplace_back(id, detail::members_of(statements_, id));
    }
    for (model::UserId id : touched_.groups_of) {
      patch.groups_of.emplace_back(id, detail::groups_of(statements_, id));
    }
    if (touched_.outbound_rules) {
      patch.outbound_rules = detail::outbound_rules(statements_);
    }
    if (touched_.inbound_routes) {
      patch.inbound_routes = detail::inbound_routes(statements_);
    }
    for (model::ScheduleId id : touched_.schedules) {
      patch.schedules.emplace_back(id, detail::find_schedule(statements_, id));
    }
    return patch;
  }

 private:
  void undo() noexcept {
    if (sqlite3_get_autocommit(db_.getHandle()) != 0) {
      // Some errors (SQLITE_FULL, SQLITE_IOERR, ...) make SQLite roll back the whole
      // transaction; the savepoint is gone with it.
      broken_ = Error{Errc::kUnavailable, "the transaction was rolled back by SQLite", {}};
      return;
    }
    // ROLLBACK TO keeps the savepoint open; RELEASE closes it.
    if (db_.tryExec("ROLLBACK TO op") != SQLITE_OK || db_.tryExec("RELEASE op") != SQLITE_OK) {
      broken_ = Error::internal(
          fmt::format("cannot undo a failed operation: {}", sqlite3_errmsg(db_.getHandle())));
    }
  }

  SQLite::Database& db_;
  Statements& statements_;
  const Clock& clock_;
  Touched touched_;
  std::optional<Error> broken_;
};

class Users final : public UserRepository {
 public:
  explicit Users(TxContext& tx) : tx_(tx) {}

  Result<model::User> create(const model::User& draft) override {
    Hints hints{.email = draft.email, .extension = draft.extension};
    return tx_.op("create user", hints, [&]() -> Result<model::User> {
      const std::int64_t now = tx_.now();
      model::UserId id = 0;
      {
        auto s = tx_.st().get(kInsertUser);
        detail::bind_user_fields(*s, 1, draft);
        s->bind(detail::kUserFieldCount + 1, now);
        s->bind(detail::kUserFieldCount + 2, now);
        s->executeStep();
        id = s->getColumn(0).getInt64();
      }
      tx_.touched().users.insert(id);
      return stored(detail::find_user(tx_.st(), id), "user", id);
    });
  }

  Result<model::User> update(const model::User& u) override {
    Hints hints{.email = u.email, .extension = u.extension};
    return tx_.op("update user", hints, [&]() -> Result<model::User> {
      {
        auto s = tx_.st().get(kUpdateUser);
        detail::bind_user_fields(*s, 1, u);
        s->bind(detail::kUserFieldCount + 1, tx_.now());
        s->bind(detail::kUserFieldCount + 2, u.id);
        if (s->exec() == 0) {
          return fail(Error::not_found(fmt::format("user {} not found", u.id)));
        }
      }
      tx_.touched().users.insert(u.id);
      return stored(detail::find_user(tx_.st(), u.id), "user", u.id);
    });
  }

  Result<void> remove(model::UserId id) override {
    return tx_.op("remove user", {}, [&]() -> Result<void> {
      if (!tx_.exists(kUserExists, id)) {
        return fail(Error::not_found(fmt::format("user {} not found", id)));
      }
      // Leave every group explicitly rather than through ON DELETE CASCADE: the groups'
      // positions must be renumbered, which a cascade would not do.
      std::vector<std::pair<model::GroupId, std::int64_t>> places;
      {
        auto s = tx_.st().get(kPositionsOfUser);
        s->bind(1, id);
        while (s->executeStep()) {
          places.emplace_back(s->getColumn(0).getInt64(), s->getColumn(1).getInt64());
        }
      }
      for (const auto& [group, position] : places) {
        tx_.leave(group, id, position);
      }
      {
        // The tokens go by cascade; the snapshot must drop them too.
        auto s = tx_.st().get(kTokensOfUser);
        s->bind(1, id);
        while (s->executeStep()) {
          tx_.touched().tokens.insert(s->getColumn(0).getInt64());
        }
      }
      {
        auto s = tx_.st().get(kDeleteUser);
        s->bind(1, id);
        s->exec();
      }
      tx_.touched().users.insert(id);
      tx_.touched().groups_of.insert(id);
      return {};
    });
  }

 private:
  TxContext& tx_;
};

class Groups final : public GroupRepository {
 public:
  explicit Groups(TxContext& tx) : tx_(tx) {}

  Result<model::Group> create(const model::Group& draft) override {
    return tx_.op("create group", hints_for(draft), [&]() -> Result<model::Group> {
      const std::int64_t now = tx_.now();
      model::GroupId id = 0;
      {
        auto s = tx_.st().get(kInsertGroup);
        detail::bind_group_fields(*s, 1, draft);
        s->bind(detail::kGroupFieldCount + 1, now);
        s->bind(detail::kGroupFieldCount + 2, now);
        s->executeStep();
        id = s->getColumn(0).getInt64();
      }
      tx_.touched().groups.insert(id);
      return stored(detail::find_group(tx_.st(), id), "group", id);
    });
  }

  Result<model::Group> update(const model::Group& g) override {
    return tx_.op("update group", hints_for(g), [&]() -> Result<model::Group> {
      {
        auto s = tx_.st().get(kUpdateGroup);
        detail::bind_group_fields(*s, 1, g);
        s->bind(detail::kGroupFieldCount + 1, tx_.now());
        s->bind(detail::kGroupFieldCount + 2, g.id);
        if (s->exec() == 0) {
          return fail(Error::not_found(fmt::format("group {} not found", g.id)));
        }
      }
      tx_.touched().groups.insert(g.id);
      return stored(detail::find_group(tx_.st(), g.id), "group", g.id);
    });
  }

  Result<void> remove(model::GroupId id) override {
    return tx_.op("remove group", {}, [&]() -> Result<void> {
      if (!tx_.exists(kGroupExists, id)) {
        return fail(Error::not_found(fmt::format("group {} not found", id)));
      }
      {
        // Memberships go by cascade; their users' group lists change with them. Positions
        // elsewhere are unaffected: a position is per group.
        auto s = tx_.st().get(kUsersOfGroup);
        s->bind(1, id);
        while (s->executeStep()) {
          tx_.touched().groups_of.insert(s->getColumn(0).getInt64());
        }
      }
      {
        auto s = tx_.st().get(kDeleteGroup);
        s->bind(1, id);
        s->exec();
      }
      tx_.touched().groups.insert(id);
      tx_.touched().members.insert(id);
      return {};
    });
  }

 private:
  static Hints hints_for(const model::Group& g) {
    Hints hints{.extension = g.extension ? std::string_view(*g.extension) : std::string_view(),
                .name = g.name,
                .kind = "group"};
    // The only foreign key a group row carries.
    hints.foreign_key =
        Error::invalid("trunk", fmt::format("trunk {} does not exist", g.trunk.value_or(0)));
    return hints;
  }

  TxContext& tx_;
};

class Memberships final : public MembershipRepository {
 public:
  explicit Memberships(TxContext& tx) : tx_(tx) {}

  Result<PutResult> put(model::GroupId group, model::UserId user,
                        std::optional<int> position) override {
    return tx_.op("put membership", {}, [&]() -> Result<PutResult> {
      if (!tx_.exists(kGroupExists, group)) {
        return fail(Error::not_found(fmt::format("group {} not found", group)));
      }
      if (!tx_.exists(kUserExists, user)) {
        return fail(Error::not_found(fmt::format("user {} not found", user)));
      }
      const std::int64_t n = tx_.member_count(group);
      const auto current = tx_.position_of(group, user);
      if (!current) {
        const std::int64_t target =
            position ? std::clamp<std::int64_t>(*position, 1, n + 1) : n + 1;
        const std::int64_t now = tx_.now();
        tx_.join(group, user, target, now);
        return PutResult{{user, static_cast<int>(target), now}, true};
      }
      const auto [at, joined_at] = *current;
      if (!position) {
        return PutResult{{user, static_cast<int>(at), joined_at}, false};
      }
      const std::int64_t target = std::clamp<std::int64_t>(*position, 1, n);
      if (target < at) {
        tx_.shift(kShiftUp, group, target, at - 1);
        tx_.set_position(group, user, target);
      } else if (target > at) {
        tx_.shift(kShiftDown, group, at + 1, target);
        tx_.set_position(group, user, target);
      }
      return PutResult{{user, static_cast<int>(target), joined_at}, false};
    });
  }

  Result<void> remove(model::GroupId group, model::UserId user) override {
    return tx_.op("remove membership", {}, [&]() -> Result<void> {
      const auto current = tx_.position_of(group, user);
      if (!current) {
        return fail(
            Error::not_found(fmt::format("user {} is not a member of group {}", user, group)));
      }
      tx_.leave(group, user, current->first);
      return {};
    });
  }

  Result<model::Member> set_pause(model::GroupId group, model::UserId user, bool paused,
                                  const std::string& reason) override {
    return tx_.op("pause membership", {}, [&]() -> Result<model::Member> {
      const auto current = tx_.position_of(group, user);
      if (!current) {
        return fail(
            Error::not_found(fmt::format("user {} is not a member of group {}", user, group)));
      }
      const std::string kept = paused ? reason : std::string();
      {
        auto s = tx_.st().get(kSetPause);
        s->bind(1, paused ? 1 : 0);
        s->bind(2, kept);
        s->bind(3, group);
        s->bind(4, user);
        s->exec();
      }
      tx_.touched().members.insert(group);
      tx_.touched().groups_of.insert(user);
      return model::Member{user, static_cast<int>(current->first), current->second, paused, kept};
    });
  }

  Result<void> replace_groups_of(model::UserId user,
                                 const std::vector<model::GroupId>& groups) override {
    return tx_.op("replace groups of user", {}, [&]() -> Result<void> {
      if (!tx_.exists(kUserExists, user)) {
        return fail(Error::not_found(fmt::format("user {} not found", user)));
      }
      const std::set<model::GroupId> wanted(groups.begin(), groups.end());
      for (model::GroupId group : wanted) {
        if (!tx_.exists(kGroupExists, group)) {
          return fail(Error::invalid("group_ids", fmt::format("group {} does not exist", group)));
        }
      }
      std::vector<std::pair<model::GroupId, std::int64_t>> places;
      {
        auto s = tx_.st().get(kPositionsOfUser);
        s->bind(1, user);
        while (s->executeStep()) {
          places.emplace_back(s->getColumn(0).getInt64(), s->getColumn(1).getInt64());
        }
      }
      std::set<model::GroupId> kept;
      for (const auto& [group, position] : places) {
        if (wanted.contains(group)) {
          kept.insert(group);
        } else {
          tx_.leave(group, user, position);
        }
      }
      const std::int64_t now = tx_.now();
      for (model::GroupId group : wanted) {
        if (!kept.contains(group)) {
          tx_.join(group, user, tx_.member_count(group) + 1, now);
        }
      }
      return {};
    });
  }

 private:
  TxContext& tx_;
};

class Trunks final : public TrunkRepository {
 public:
  explicit Trunks(TxContext& tx) : tx_(tx) {}

  Result<model::Trunk> create(const model::Trunk& draft) override {
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

  Result<model::Trunk> update(const model::Trunk& t) override {
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

  Result<void> remove(model::TrunkId id) override {
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

 private:
  TxContext& tx_;
};

/// The SQL and row mapping of a list kept in dense 1-based positions (outbound rules,
/// inbound routes): one definition of inserting, moving and deleting with the neighbours
/// shifted, instead of one copy per list.
template <typename T>
struct PositionedTable {
  std::string_view kind;  ///< "outbound rule": in errors and name-conflict hints
  std::string_view insert, update, remove, count, position, shift_up, shift_down;
  int field_count;  ///< fields bound by `bind`; position and times follow them
  void (*bind)(SQLite::Statement&, int, const T&);
  std::optional<T> (*find)(Statements&, std::int64_t);
  bool Touched::*touched;  ///< the patch then carries the whole ordered list
};

template <typename T>
class PositionedRows {
 public:
  PositionedRows(TxContext& tx, const PositionedTable<T>& table) : tx_(tx), t_(table) {}

  /// Inserts at `draft.position` (clamped to 1..n+1; 0 = at the end).
  Result<T> create(const T& draft) {
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

  /// Replaces every field; a changed position (clamped to 1..n; 0 = keep) moves the row.
  Result<T> update(const T& r) {
    Hints hints{.name = r.name, .kind = t_.kind};
    return tx_.op(fmt::format("update {}", t_.kind), hints, [&]() -> Result<T> {
      const auto at = position_of(r.id);
      if (!at) {
        return fail(Error::not_found(fmt::format("{} {} not found", t_.kind, r.id)));
      }
      const std::int64_t n = tx_.count(t_.count);
      const std::int64_t target =
          r.position <= 0 ? *at : std::clamp<std::int64_t>(r.position, 1, n);
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

  Result<void> remove(std::int64_t id) {
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

 private:
  std::optional<std::int64_t> position_of(std::int64_t id) {
    auto s = tx_.st().get(t_.position);
    s->bind(1, id);
    if (!s->executeStep()) {
      return std::nullopt;
    }
    return s->getColumn(0).getInt64();
  }

  void shift(std::string_view sql, std::int64_t from, std::int64_t to) {
    auto s = tx_.st().get(sql);
    s->bind(1, from);
    s->bind(2, to);
    s->exec();
  }

  TxContext& tx_;
  const PositionedTable<T>& t_;
};

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

class OutboundRules final : public OutboundRuleRepository {
 public:
  explicit OutboundRules(TxContext& tx) : rows_(tx, kRuleTable) {}
  Result<model::OutboundRule> create(const model::OutboundRule& draft) override {
    return rows_.create(draft);
  }
  Result<model::OutboundRule> update(const model::OutboundRule& r) override {
    return rows_.update(r);
  }
  Result<void> remove(model::OutboundRuleId id) override { return rows_.remove(id); }

 private:
  PositionedRows<model::OutboundRule> rows_;
};

class InboundRoutes final : public InboundRouteRepository {
 public:
  explicit InboundRoutes(TxContext& tx) : rows_(tx, kRouteTable) {}
  Result<model::InboundRoute> create(const model::InboundRoute& draft) override {
    return rows_.create(draft);
  }
  Result<model::InboundRoute> update(const model::InboundRoute& r) override {
    return rows_.update(r);
  }
  Result<void> remove(model::InboundRouteId id) override { return rows_.remove(id); }

 private:
  PositionedRows<model::InboundRoute> rows_;
};

class Schedules final : public ScheduleRepository {
 public:
  explicit Schedules(TxContext& tx) : tx_(tx) {}

  Result<model::Schedule> create(const model::Schedule& draft) override {
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

  Result<model::Schedule> update(const model::Schedule& sc) override {
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

  Result<void> remove(model::ScheduleId id) override {
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

 private:
  TxContext& tx_;
};

class Tokens final : public TokenRepository {
 public:
  explicit Tokens(TxContext& tx) : tx_(tx) {}

  Result<model::ApiToken> create(model::UserId user, const std::string& secret_sha256) override {
    Hints hints;
    hints.foreign_key = Error::invalid("user", fmt::format("user {} does not exist", user));
    return tx_.op("create token", hints, [&]() -> Result<model::ApiToken> {
      if (!tx_.exists(kUserExists, user)) {
        return fail(*hints.foreign_key);
      }
      model::TokenId id = 0;
      {
        auto s = tx_.st().get(kInsertToken);
        s->bind(1, user);
        s->bind(2, secret_sha256);
        s->bind(3, tx_.now());
        s->executeStep();
        id = s->getColumn(0).getInt64();
      }
      tx_.touched().tokens.insert(id);
      return stored(detail::find_token(tx_.st(), id), "token", id);
    });
  }

  Result<void> remove(model::TokenId id) override {
    return tx_.op("remove token", {}, [&]() -> Result<void> {
      {
        auto s = tx_.st().get(kDeleteToken);
        s->bind(1, id);
        if (s->exec() == 0) {
          return fail(Error::not_found(fmt::format("token {} not found", id)));
        }
      }
      tx_.touched().tokens.insert(id);
      return {};
    });
  }

 private:
  TxContext& tx_;
};

class SqliteTransaction final : public Transaction {
 public:
  SqliteTransaction(SQLite::Database& db, Statements& statements, const Clock& clock)
      : context_(db, statements, clock),
        users_(context_),
        groups_(context_),
        memberships_(context_),
        trunks_(context_),
        tokens_(context_),
        outbound_rules_(context_),
        inbound_routes_(context_),
        schedules_(context_) {}

  UserRepository& users() override { return users_; }
  GroupRepository& groups() override { return groups_; }
  MembershipRepository& memberships() override { return memberships_; }
  TrunkRepository& trunks() override { return trunks_; }
  TokenRepository& tokens() override { return tokens_; }
  OutboundRuleRepository& outbound_rules() override { return outbound_rules_; }
  InboundRouteRepository& inbound_routes() override { return inbound_routes_; }
  ScheduleRepository& schedules() override { return schedules_; }

  TxContext& context() { return context_; }

 private:
  TxContext context_;
  Users users_;
  Groups groups_;
  Memberships memberships_;
  Trunks trunks_;
  Tokens tokens_;
  OutboundRules outbound_rules_;
  InboundRoutes inbound_routes_;
  Schedules schedules_;
};

// ---- the store -------------------------------------------------------------------------

constexpr std::string_view kSelectBindings =
    "SELECT user_id, contact, instance_id, reg_id, q_milli, call_id, cseq, expires_at, source, "
    "transport, local, user_agent, path, updated_at FROM bindings ORDER BY user_id, contact";
constexpr std::string_view kUpsertBinding =
    "INSERT INTO bindings(user_id, contact, instance_id, reg_id, q_milli, call_id, cseq, "
    "expires_at, source, transport, local, user_agent, path, updated_at) "
    "SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14 "
    // A binding of a user deleted meanwhile is skipped, not an error that would roll back
    // the other bindings of the batch.
    "WHERE EXISTS (SELECT 1 FROM users WHERE id = ?1) "
    "ON CONFLICT(user_id, contact, instance_id, reg_id) DO UPDATE SET "
    "q_milli = excluded.q_milli, call_id = excluded.call_id, "
    "cseq = excluded.cseq, expires_at = excluded.expires_at, source = excluded.source, "
    "transport = excluded.transport, local = excluded.local, user_agent = excluded.user_agent, "
    "path = excluded.path, updated_at = excluded.updated_at";
constexpr std::string_view kDeleteBinding =
    "DELETE FROM bindings WHERE user_id = ? AND contact = ? AND instance_id = ? AND reg_id = ?";

constexpr std::string_view kSelectSessions =
    "SELECT id_sha256, user_id, kind, credential, created_ms, last_seen_ms FROM sessions";
constexpr std::string_view kUpsertSession =
    "INSERT INTO sessions(id_sha256, user_id, kind, credential, created_ms, last_seen_ms) "
    "SELECT ?1, ?2, ?3, ?4, ?5, ?6 "
    "WHERE ?2 IS NULL OR EXISTS (SELECT 1 FROM users WHERE id = ?2) "
    "ON CONFLICT(id_sha256) DO UPDATE SET last_seen_ms = excluded.last_seen_ms";
constexpr std::string_view kDeleteSession = "DELETE FROM sessions WHERE id_sha256 = ?";

constexpr std::string_view kUpsertCdr =
    "INSERT INTO cdrs(id, a_leg_call_id, b_leg_call_id, direction, caller_user, callee_user, "
    "caller, dialled, number_sent, caller_id, caller_id_group, trunk_id, rule_id, start_ms, "
    "ringing_ms, answer_ms, end_ms, disposition, hangup_cause, sip_status, inbound_route_id, "
    "did, group_id, answered_by, wait_ms, talk_ms, fallback_reason, fallback_to, attempts, "
    "dialogs) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, "
    "?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30) "
    // DO UPDATE rewrites the row in place and so keeps its seq; INSERT OR REPLACE would
    // delete it and hand out a new seq, moving the call in every cursor's order.
    "ON CONFLICT(id) DO UPDATE SET a_leg_call_id = excluded.a_leg_call_id, "
    "b_leg_call_id = excluded.b_leg_call_id, direction = excluded.direction, "
    "caller_user = excluded.caller_user, callee_user = excluded.callee_user, "
    "caller = excluded.caller, dialled = excluded.dialled, number_sent = excluded.number_sent, "
    "caller_id = excluded.caller_id, caller_id_group = excluded.caller_id_group, "
    "trunk_id = excluded.trunk_id, rule_id = excluded.rule_id, start_ms = excluded.start_ms, "
    "ringing_ms = excluded.ringing_ms, answer_ms = excluded.answer_ms, end_ms = excluded.end_ms, "
    "disposition = excluded.disposition, hangup_cause = excluded.hangup_cause, "
    "sip_status = excluded.sip_status, inbound_route_id = excluded.inbound_route_id, "
    "did = excluded.did, group_id = excluded.group_id, answered_by = excluded.answered_by, "
    "wait_ms = excluded.wait_ms, talk_ms = excluded.talk_ms, "
    "fallback_reason = excluded.fallback_reason, fallback_to = excluded.fallback_to, "
    "attempts = excluded.attempts, dialogs = excluded.dialogs";
constexpr std::string_view kCloseInterrupted =
    "UPDATE cdrs SET disposition = 'interrupted', end_ms = ?1 WHERE end_ms = 0";
constexpr std::string_view kSelectInterruptedDialogs =
    " WHERE dialogs != '' AND end_ms > 0 AND end_ms >= ?1 AND disposition = 'interrupted' "
    "ORDER BY seq";
constexpr std::string_view kSelectCdrs =
    "SELECT seq, id, a_leg_call_id, b_leg_call_id, direction, caller_user, callee_user, caller, "
    "dialled, number_sent, caller_id, caller_id_group, trunk_id, rule_id, start_ms, ringing_ms, "
    "answer_ms, end_ms, disposition, hangup_cause, sip_status, inbound_route_id, did, group_id, "
    "answered_by, wait_ms, talk_ms, fallback_reason, fallback_to, attempts, dialogs FROM cdrs";

constexpr std::string_view kUpsertCursor =
    "INSERT INTO hunt_cursors(group_id, user_id, updated_at) SELECT ?1, ?2, ?3 "
    // A cursor of a group deleted meanwhile is skipped, like a binding of a deleted user.
    "WHERE EXISTS (SELECT 1 FROM groups WHERE id = ?1) "
    "ON CONFLICT(group_id) DO UPDATE SET user_id = excluded.user_id, "
    "updated_at = excluded.updated_at";
constexpr std::string_view kSelectCursors =
    "SELECT group_id, user_id FROM hunt_cursors ORDER BY group_id";
constexpr std::string_view kSelectLastCalls =
    "SELECT answered_by, MAX(CASE WHEN end_ms > 0 THEN end_ms ELSE answer_ms END) FROM cdrs "
    "WHERE answered_by IS NOT NULL AND answer_ms > 0 GROUP BY answered_by ORDER BY answered_by";
constexpr std::string_view kSelectAnsweredSince =
    "SELECT answered_by, answer_ms FROM cdrs "
    "WHERE answered_by IS NOT NULL AND answer_ms > 0 AND answer_ms >= ? ORDER BY answer_ms, seq";

// A call record's enums are stored as their words (model/call_record.hpp), none as ''.
template <class E>
std::string word_or_empty(const std::optional<E>& value) {
  return value ? std::string(model::to_string(*value)) : std::string();
}

/// The value of the word stored in `column` of cdrs row `seq`; another word is a corrupt
/// row.
template <class E>
E word_of(const std::string& text, std::optional<E> (*parse)(std::string_view),
          std::string_view column, std::int64_t seq) {
  if (std::optional<E> value = parse(text)) {
    return *value;
  }
  throw detail::CorruptRow(fmt::format("cdrs.{} of row {} is '{}'", column, seq, text));
}

/// As word_of, with '' for none.
template <class E>
std::optional<E> optional_word_of(const std::string& text,
                                  std::optional<E> (*parse)(std::string_view),
                                  std::string_view column, std::int64_t seq) {
  if (text.empty()) {
    return std::nullopt;
  }
  return word_of(text, parse, column, seq);
}

std::string attempts_text(const std::vector<CdrRecord::Attempt>& attempts) {
  auto out = nlohmann::json::array();
  for (const CdrRecord::Attempt& a : attempts) {
    nlohmann::json item = {{"user", a.user},
                           {"group", nullptr},
                           {"start_ms", a.start_ms},
                           {"end_ms", a.end_ms},
                           {"result", word_or_empty(a.result)}};
    if (a.group) {
      item["group"] = *a.group;
    }
    out.push_back(std::move(item));
  }
  return out.dump();
}

std::string dialogs_text(const std::vector<LegDialog>& dialogs) {
  if (dialogs.empty()) {
    return {};
  }
  auto out = nlohmann::json::array();
  for (const LegDialog& d : dialogs) {
    out.push_back({{"call_id", d.call_id},
                   {"local_tag", d.local_tag},
                   {"remote_tag", d.remote_tag},
                   {"local_header", d.local_header},
                   {"remote_header", d.remote_header},
                   {"remote_target", d.remote_target},
                   {"route_set", d.route_set},
                   {"local_cseq", d.local_cseq},
                   {"transport", d.transport},
                   {"peer", d.peer}});
  }
  return out.dump();
}

std::vector<LegDialog> dialogs_of(const std::string& text, std::int64_t seq) {
  if (text.empty()) {
    return {};
  }
  auto json = nlohmann::json::parse(text, nullptr, false);
  if (!json.is_array()) {
    throw detail::CorruptRow(fmt::format("cdrs.dialogs of row {} is not a JSON array", seq));
  }
  std::vector<LegDialog> out;
  for (const auto& item : json) {
    auto text_of = [&](const char* key) {
      const auto& v = item.is_object() ? item.value(key, nlohmann::json()) : nlohmann::json();
      if (!v.is_string()) {
        throw detail::CorruptRow(
            fmt::format("cdrs.dialogs of row {} lacks the text field {}", seq, key));
      }
      return v.get<std::string>();
    };
    LegDialog d;
    d.call_id = text_of("call_id");
    d.local_tag = text_of("local_tag");
    d.remote_tag = text_of("remote_tag");
    d.local_header = text_of("local_header");
    d.remote_header = text_of("remote_header");
    d.remote_target = text_of("remote_target");
    d.transport = text_of("transport");
    d.peer = text_of("peer");
    const auto& routes = item.value("route_set", nlohmann::json());
    const auto& cseq = item.value("local_cseq", nlohmann::json());
    if (!routes.is_array() || !cseq.is_number_unsigned()) {
      throw detail::CorruptRow(fmt::format("cdrs.dialogs of row {} holds a bad dialog", seq));
    }
    for (const auto& r : routes) {
      if (!r.is_string()) {
        throw detail::CorruptRow(fmt::format("cdrs.dialogs of row {} holds a bad route", seq));
      }
      d.route_set.push_back(r.get<std::string>());
    }
    d.local_cseq = cseq.get<std::uint32_t>();
    out.push_back(std::move(d));
  }
  return out;
}

std::vector<CdrRecord::Attempt> attempts_of(const std::string& text, std::int64_t seq) {
  auto json = nlohmann::json::parse(text, nullptr, false);
  if (!json.is_array()) {
    throw detail::CorruptRow(fmt::format("cdrs.attempts of row {} is not a JSON array", seq));
  }
  std::vector<CdrRecord::Attempt> out;
  for (const auto& item : json) {
    if (!item.is_object() || !item.value("user", nlohmann::json()).is_number_integer() ||
        !item.value("start_ms", nlohmann::json()).is_number_integer() ||
        !item.value("end_ms", nlohmann::json()).is_number_integer() ||
        !item.value("result", nlohmann::json()).is_string()) {
      throw detail::CorruptRow(fmt::format("cdrs.attempts of row {} holds a bad attempt", seq));
    }
    CdrRecord::Attempt a;
    a.user = item["user"].get<model::UserId>();
    if (const auto& g = item.value("group", nlohmann::json()); g.is_number_integer()) {
      a.group = g.get<model::GroupId>();
    }
    a.start_ms = item["start_ms"].get<std::int64_t>();
    a.end_ms = item["end_ms"].get<std::int64_t>();
    a.result = optional_word_of(item["result"].get<std::string>(), model::parse_attempt_result,
                                "attempts[].result", seq);
    out.push_back(std::move(a));
  }
  return out;
}

void bind_optional_id(SQLite::Statement& s, int index, const std::optional<std::int64_t>& id) {
  if (id) {
    s.bind(index, *id);
  } else {
    s.bind(index);
  }
}

std::optional<std::int64_t> optional_id(const SQLite::Column& c) {
  if (c.isNull()) {
    return std::nullopt;
  }
  return c.getInt64();
}

CdrRecord read_cdr(SQLite::Statement& s) {
  CdrRecord r;
  r.seq = s.getColumn(0).getInt64();
  r.id = s.getColumn(1).getString();
  r.a_leg_call_id = s.getColumn(2).getString();
  r.b_leg_call_id = s.getColumn(3).getString();
  r.direction =
      word_of(s.getColumn(4).getString(), model::parse_call_direction, "direction", r.seq);
  r.caller_user = optional_id(s.getColumn(5));
  r.callee_user = optional_id(s.getColumn(6));
  r.caller = s.getColumn(7).getString();
  r.dialled = s.getColumn(8).getString();
  r.number_sent = s.getColumn(9).getString();
  r.caller_id = s.getColumn(10).getString();
  r.caller_id_group = optional_id(s.getColumn(11));
  r.trunk = optional_id(s.getColumn(12));
  r.rule = optional_id(s.getColumn(13));
  r.start_ms = s.getColumn(14).getInt64();
  r.ringing_ms = s.getColumn(15).getInt64();
  r.answer_ms = s.getColumn(16).getInt64();
  r.end_ms = s.getColumn(17).getInt64();
  r.disposition =
      optional_word_of(s.getColumn(18).getString(), model::parse_disposition, "disposition", r.seq);
  r.hangup_cause = s.getColumn(19).getString();
  r.sip_status = s.getColumn(20).getInt();
  r.inbound_route = optional_id(s.getColumn(21));
  r.did = s.getColumn(22).getString();
  r.group = optional_id(s.getColumn(23));
  r.answered_by = optional_id(s.getColumn(24));
  r.wait_ms = s.getColumn(25).getInt64();
  r.talk_ms = s.getColumn(26).getInt64();
  r.fallback_reason = optional_word_of(s.getColumn(27).getString(), model::parse_fallback_reason,
                                       "fallback_reason", r.seq);
  r.fallback_to = s.getColumn(28).getString();
  r.attempts = attempts_of(s.getColumn(29).getString(), r.seq);
  r.dialogs = dialogs_of(s.getColumn(30).getString(), r.seq);
  return r;
}

class SqliteStore final : public Store,
                          public BindingStore,
                          public CdrStore,
                          public HuntStore,
                          public SessionStore {
 public:
  SqliteStore(std::unique_ptr<SQLite::Database> writer, std::unique_ptr<SQLite::Database> health,
              std::unique_ptr<SQLite::Database> reader, const Clock& clock,
              model::SnapshotPtr first)
      : writer_(std::move(writer)),
        statements_(*writer_),
        health_(std::move(health)),
        reader_(std::move(reader)),
        clock_(clock),
        current_(std::move(first)) {}

  Result<void> transact(const std::function<Result<void>(Transaction&)>& work) override {
    // A nested call would wait on the mutex this thread holds; fail loudly instead.
    if (writer_thread_.load(std::memory_order_relaxed) == std::this_thread::get_id()) {
      return fail(Error::internal("transact called from inside a transaction on the same store"));
    }
    std::lock_guard lock(writer_mutex_);
    writer_thread_.store(std::this_thread::get_id(), std::memory_order_relaxed);
    Result<void> result = run(work);
    writer_thread_.store(std::thread::id(), std::memory_order_relaxed);
    return result;
  }

  model::SnapshotPtr snapshot() const override { return current_.load(std::memory_order_acquire); }

  BindingStore& bindings() override { return *this; }

  Result<std::vector<BindingRecord>> load_bindings() override {
    std::lock_guard lock(writer_mutex_);
    std::vector<BindingRecord> out;
    try {
      auto q = statements_.get(kSelectBindings);
      while (q->executeStep()) {
        BindingRecord b;
        b.user = q->getColumn(0).getInt64();
        b.contact = q->getColumn(1).getString();
        b.instance_id = q->getColumn(2).getString();
        b.reg_id = q->getColumn(3).getInt();
        b.q_milli = q->getColumn(4).getInt();
        b.call_id = q->getColumn(5).getString();
        b.cseq = static_cast<std::uint32_t>(q->getColumn(6).getInt64());
        b.expires_at = q->getColumn(7).getInt64();
        b.source = q->getColumn(8).getString();
        b.transport = q->getColumn(9).getString();
        b.local = q->getColumn(10).getString();
        b.user_agent = q->getColumn(11).getString();
        auto path = nlohmann::json::parse(q->getColumn(12).getString(), nullptr, false);
        if (path.is_array()) {
          for (const auto& p : path) {
            if (p.is_string()) {
              b.path.push_back(p.get<std::string>());
            }
          }
        }
        b.updated_at = q->getColumn(13).getInt64();
        out.push_back(std::move(b));
      }
    } catch (const SQLite::Exception& e) {
      return fail(map_error(e, "load bindings", {}));
    }
    return out;
  }

  Result<void> save_bindings(const std::vector<BindingRecord>& put,
                             const std::vector<BindingKey>& removed) override {
    if (put.empty() && removed.empty()) {
      return {};
    }
    std::lock_guard lock(writer_mutex_);
    try {
      writer_->exec("BEGIN IMMEDIATE");
      for (const BindingKey& k : removed) {
        auto q = statements_.get(kDeleteBinding);
        q->bind(1, k.user);
        q->bind(2, k.contact);
        q->bind(3, k.instance_id);
        q->bind(4, k.reg_id);
        q->exec();
      }
      for (const BindingRecord& b : put) {
        auto q = statements_.get(kUpsertBinding);
        q->bind(1, b.user);
        q->bind(2, b.contact);
        q->bind(3, b.instance_id);
        q->bind(4, b.reg_id);
        q->bind(5, b.q_milli);
        q->bind(6, b.call_id);
        q->bind(7, static_cast<std::int64_t>(b.cseq));
        q->bind(8, b.expires_at);
        q->bind(9, b.source);
        q->bind(10, b.transport);
        q->bind(11, b.local);
        q->bind(12, b.user_agent);
        q->bind(13, nlohmann::json(b.path).dump());
        q->bind(14, b.updated_at);
        q->exec();
      }
      writer_->exec("COMMIT");
    } catch (const SQLite::Exception& e) {
      rollback();
      return fail(map_error(e, "save bindings", {}));
    }
    return {};
  }

  CdrStore& cdrs() override { return *this; }

  Result<void> save_cdrs(const std::vector<CdrRecord>& records) override {
    if (records.empty()) {
      return {};
    }
    std::lock_guard lock(writer_mutex_);
    try {
      writer_->exec("BEGIN IMMEDIATE");
      for (const CdrRecord& r : records) {
        auto q = statements_.get(kUpsertCdr);
        q->bind(1, r.id);
        q->bind(2, r.a_leg_call_id);
        q->bind(3, r.b_leg_call_id);
        q->bind(4, std::string(model::to_string(r.direction)));
        bind_optional_id(*q, 5, r.caller_user);
        bind_optional_id(*q, 6, r.callee_user);
        q->bind(7, r.caller);
        q->bind(8, r.dialled);
        q->bind(9, r.number_sent);
        q->bind(10, r.caller_id);
        bind_optional_id(*q, 11, r.caller_id_group);
        bind_optional_id(*q, 12, r.trunk);
        bind_optional_id(*q, 13, r.rule);
        q->bind(14, r.start_ms);
        q->bind(15, r.ringing_ms);
        q->bind(16, r.answer_ms);
        q->bind(17, r.end_ms);
        q->bind(18, word_or_empty(r.disposition));
        q->bind(19, r.hangup_cause);
        q->bind(20, r.sip_status);
        bind_optional_id(*q, 21, r.inbound_route);
        q->bind(22, r.did);
        bind_optional_id(*q, 23, r.group);
        bind_optional_id(*q, 24, r.answered_by);
        q->bind(25, r.wait_ms);
        q->bind(26, r.talk_ms);
        q->bind(27, word_or_empty(r.fallback_reason));
        q->bind(28, r.fallback_to);
        q->bind(29, attempts_text(r.attempts));
        q->bind(30, dialogs_text(r.dialogs));
        q->exec();
      }
      writer_->exec("COMMIT");
    } catch (const SQLite::Exception& e) {
      rollback();
      return fail(map_error(e, "save cdrs", {}));
    }
    return {};
  }

  Result<std::size_t> close_interrupted(std::int64_t now_ms) override {
    std::lock_guard lock(writer_mutex_);
    try {
      auto q = statements_.get(kCloseInterrupted);
      q->bind(1, now_ms);
      return static_cast<std::size_t>(q->exec());
    } catch (const SQLite::Exception& e) {
      return fail(map_error(e, "close interrupted cdrs", {}));
    }
  }

  Result<std::vector<CdrRecord>> interrupted_dialogs(std::int64_t since_ms) override {
    std::lock_guard lock(writer_mutex_);  // start-up: read what close_interrupted wrote
    std::vector<CdrRecord> out;
    try {
      std::string sql(kSelectCdrs);
      sql.append(kSelectInterruptedDialogs);
      SQLite::Statement q(*writer_, sql);
      q.bind(1, since_ms);
      while (q.executeStep()) {
        out.push_back(read_cdr(q));
      }
    } catch (const SQLite::Exception& e) {
      return fail(map_error(e, "interrupted dialogs", {}));
    } catch (const detail::CorruptRow& e) {
      return fail(Error::internal(fmt::format("interrupted dialogs: {}", e.what())));
    }
    return out;
  }

  Result<std::vector<CdrRecord>> query_cdrs(const CdrQuery& query) override {
    // Only the filters in use go into the SQL, so that SQLite can pick the index of the
    // most selective one; the text varies, so it is prepared per call (the API calls this
    // at human rates) on the reader connection, which never waits for a write.
    std::string sql(kSelectCdrs);
    std::string_view joiner = " WHERE ";
    auto where = [&](std::string_view condition) {
      sql.append(joiner).append(condition);
      joiner = " AND ";
    };
    if (query.from_ms) {
      where("start_ms >= :from");
    }
    if (query.to_ms) {
      where("start_ms < :to");
    }
    if (query.user) {
      where("(caller_user = :user OR callee_user = :user)");
    }
    if (query.group) {
      where("(caller_id_group = :group OR group_id = :group)");
    }
    if (query.direction) {
      where("direction = :direction");
    }
    if (query.disposition) {
      where("disposition = :disposition");
    }
    if (query.before_seq > 0) {
      where("seq < :before");
    }
    sql.append(" ORDER BY seq DESC LIMIT :limit");
    std::lock_guard lock(reader_mutex_);
    std::vector<CdrRecord> out;
    try {
      SQLite::Statement q(*reader_, sql);
      if (query.from_ms) {
        q.bind(":from", *query.from_ms);
      }
      if (query.to_ms) {
        q.bind(":to", *query.to_ms);
      }
      if (query.user) {
        q.bind(":user", *query.user);
      }
      if (query.group) {
        q.bind(":group", *query.group);
      }
      if (query.direction) {
        q.bind(":direction", std::string(model::to_string(*query.direction)));
      }
      if (query.disposition) {
        q.bind(":disposition", std::string(model::to_string(*query.disposition)));
      }
      if (query.before_seq > 0) {
        q.bind(":before", query.before_seq);
      }
      q.bind(":limit", static_cast<std::int64_t>(std::min<std::size_t>(
                           query.limit, std::numeric_limits<std::int64_t>::max())));
      while (q.executeStep()) {
        out.push_back(read_cdr(q));
      }
    } catch (const SQLite::Exception& e) {
      return fail(map_error(e, "query cdrs", {}));
    } catch (const detail::CorruptRow& e) {
      return fail(Error::internal(fmt::format("query cdrs: {}", e.what())));
    }
    return out;
  }

  HuntStore& hunt() override { return *this; }

  SessionStore& sessions() override { return *this; }

  Result<std::vector<SessionRecord>> load_sessions() override {
    std::lock_guard lock(writer_mutex_);
    std::vector<SessionRecord> out;
    try {
      auto q = statements_.get(kSelectSessions);
      while (q->executeStep()) {
        SessionRecord r;
        r.id_sha256 = q->getColumn(0).getString();
        r.user = optional_id(q->getColumn(1));
        auto kind = parse_session_kind(q->getColumn(2).getString());
        if (!kind) {
          continue;  // written by a newer build: not ours to honour
        }
        r.kind = *kind;
        r.credential = q->getColumn(3).getString();
        r.created_ms = q->getColumn(4).getInt64();
        r.last_seen_ms = q->getColumn(5).getInt64();
        out.push_back(std::move(r));
      }
    } catch (const SQLite::Exception& e) {
      return fail(map_error(e, "load sessions", {}));
    }
    return out;
  }

  Result<void> save_session(const SessionRecord& r) override {
    std::lock_guard lock(writer_mutex_);
    try {
      auto q = statements_.get(kUpsertSession);
      q->bind(1, r.id_sha256);
      if (r.user) {
        q->bind(2, *r.user);
      } else {
        q->bind(2);
      }
      q->bind(3, std::string(to_string(r.kind)));
      q->bind(4, r.credential);
      q->bind(5, r.created_ms);
      q->bind(6, r.last_seen_ms);
      q->exec();
    } catch (const SQLite::Exception& e) {
      return fail(map_error(e, "save session", {}));
    }
    return {};
  }

  Result<void> delete_sessions(const std::vector<std::string>& ids) override {
    if (ids.empty()) {
      return {};
    }
    std::lock_guard lock(writer_mutex_);
    try {
      writer_->exec("BEGIN IMMEDIATE");
      for (const std::string& id : ids) {
        auto q = statements_.get(kDeleteSession);
        q->bind(1, id);
        q->exec();
      }
      writer_->exec("COMMIT");
    } catch (const SQLite::Exception& e) {
      rollback();
      return fail(map_error(e, "delete sessions", {}));
    }
    return {};
  }

  Result<std::vector<std::pair<model::GroupId, model::UserId>>> load_cursors() override {
    std::lock_guard lock(reader_mutex_);
    std::vector<std::pair<model::GroupId, model::UserId>> out;
    try {
      SQLite::Statement q(*reader_, std::string(kSelectCursors));
      while (q.executeStep()) {
        out.emplace_back(q.getColumn(0).getInt64(), q.getColumn(1).getInt64());
      }
    } catch (const SQLite::Exception& e) {
      return fail(map_error(e, "load hunt cursors", {}));
    }
    return out;
  }

  Result<void> save_cursors(
      const std::vector<std::pair<model::GroupId, model::UserId>>& cursors) override {
    if (cursors.empty()) {
      return {};
    }
    const std::int64_t now = unix_seconds(clock_.now());
    std::lock_guard lock(writer_mutex_);
    try {
      writer_->exec("BEGIN IMMEDIATE");
      for (const auto& [group, user] : cursors) {
        auto q = statements_.get(kUpsertCursor);
        q->bind(1, group);
        q->bind(2, user);
        q->bind(3, now);
        q->exec();
      }
      writer_->exec("COMMIT");
    } catch (const SQLite::Exception& e) {
      rollback();
      return fail(map_error(e, "save hunt cursors", {}));
    }
    return {};
  }

  Result<std::vector<std::pair<model::UserId, std::int64_t>>> last_calls() override {
    std::lock_guard lock(reader_mutex_);
    std::vector<std::pair<model::UserId, std::int64_t>> out;
    try {
      SQLite::Statement q(*reader_, std::string(kSelectLastCalls));
      while (q.executeStep()) {
        out.emplace_back(q.getColumn(0).getInt64(), q.getColumn(1).getInt64());
      }
    } catch (const SQLite::Exception& e) {
      return fail(map_error(e, "read last calls", {}));
    }
    return out;
  }

  Result<std::vector<std::pair<model::UserId, std::int64_t>>> answered_since(
      std::int64_t since_ms) override {
    std::lock_guard lock(reader_mutex_);
    std::vector<std::pair<model::UserId, std::int64_t>> out;
    try {
      SQLite::Statement q(*reader_, std::string(kSelectAnsweredSince));
      q.bind(1, since_ms);
      while (q.executeStep()) {
        out.emplace_back(q.getColumn(0).getInt64(), q.getColumn(1).getInt64());
      }
    } catch (const SQLite::Exception& e) {
      return fail(map_error(e, "read answered calls", {}));
    }
    return out;
  }

  bool healthy() override {
    // A second connection, so a health probe never queues behind a long write.
    std::lock_guard lock(health_mutex_);
    try {
      SQLite::Statement s(*health_, std::string(kHealth));
      return s.executeStep();
    } catch (const SQLite::Exception&) {
      return false;
    }
  }

 private:
  Result<void> run(const std::function<Result<void>(Transaction&)>& work) {
    if (sqlite3_get_autocommit(writer_->getHandle()) == 0) {
      // Left open by an earlier ROLLBACK that failed; start from a clean slate.
      (void)writer_->tryExec("ROLLBACK");
    }
    try {
      // IMMEDIATE: take the write lock now, so a busy database fails here and not at COMMIT.
      writer_->exec("BEGIN IMMEDIATE");
    } catch (const SQLite::Exception& e) {
      return fail(map_error(e, "begin transaction", {}));
    }
    SqliteTransaction tx(*writer_, statements_, clock_);
    Result<void> outcome;
    try {
      outcome = work(tx);
    } catch (const SQLite::Exception& e) {
      outcome = fail(map_error(e, "transaction", {}));
    } catch (const std::exception& e) {
      outcome = fail(Error::internal(fmt::format("transaction: {}", e.what())));
    }
    if (outcome && tx.context().broken()) {
      outcome = fail(*tx.context().broken());
    }
    if (!outcome) {
      rollback();
      return outcome;
    }
    model::SnapshotPtr next;
    try {
      model::SnapshotPatch patch = tx.context().build_patch();
      if (!patch.empty()) {
        // Derived before COMMIT so that a failure here can still roll back; writers are
        // serialised, so the current snapshot cannot change in between.
        next = std::make_shared<const model::Snapshot>(current_.load()->apply(patch));
      }
      writer_->exec("COMMIT");
    } catch (const SQLite::Exception& e) {
      rollback();
      return fail(map_error(e, "commit", {}));
    } catch (const std::exception& e) {
      rollback();
      return fail(Error::internal(fmt::format("commit: {}", e.what())));
    }
    if (next) {
      current_.store(std::move(next), std::memory_order_release);
    }
    return {};
  }

  void rollback() noexcept {
    if (sqlite3_get_autocommit(writer_->getHandle()) == 0) {
      (void)writer_->tryExec("ROLLBACK");
    }
  }

  std::unique_ptr<SQLite::Database> writer_;
  Statements statements_;  ///< declared after writer_: finalised before the connection closes
  std::unique_ptr<SQLite::Database> health_;
  std::mutex health_mutex_;
  std::unique_ptr<SQLite::Database> reader_;  ///< CDR queries and hunt history
  std::mutex reader_mutex_;
  const Clock& clock_;
  std::mutex writer_mutex_;
  std::atomic<std::thread::id> writer_thread_{};
  std::atomic<model::SnapshotPtr> current_;
};

Error start_up_error(Errc code, const std::string& path, std::string_view step,
                     std::string_view detail) {
  return Error{code, fmt::format("sqlite {}: {}: {}", path, step, detail), {}};
}

}  // namespace

int schema_version() {
  return static_cast<int>(detail::migrations().size());
}

Result<std::unique_ptr<Store>> open(const std::string& path, const Clock& clock) {
  std::unique_ptr<SQLite::Database> db;
  try {
    db = std::make_unique<SQLite::Database>(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE,
                                            kBusyTimeoutMs);
  } catch (const SQLite::Exception& e) {
    return fail(start_up_error(Errc::kUnavailable, path, "cannot open", e.what()));
  }
  try {
    // WAL + synchronous=NORMAL: a commit survives a crash of the process (the WAL is
    // written before COMMIT returns); only a power loss may drop the last transactions.
    db->exec("PRAGMA busy_timeout = 5000");
    const std::string mode = db->execAndGet("PRAGMA journal_mode = WAL").getString();
    if (mode != "wal") {
      return fail(start_up_error(Errc::kUnavailable, path, "configure",
                                 fmt::format("journal_mode is '{}', WAL is required", mode)));
    }
    db->exec("PRAGMA synchronous = NORMAL");
    db->exec("PRAGMA foreign_keys = ON");
    if (db->execAndGet("PRAGMA foreign_keys").getInt() != 1) {
      return fail(start_up_error(Errc::kInternal, path, "configure",
                                 "this SQLite cannot enforce foreign keys"));
    }
  } catch (const SQLite::Exception& e) {
    return fail(start_up_error(Errc::kUnavailable, path, "configure", e.what()));
  }
  if (auto migrated = detail::migrate(*db, path, unix_seconds(clock.now())); !migrated) {
    return fail(std::move(migrated).error());
  }
  std::unique_ptr<SQLite::Database> health;
  std::unique_ptr<SQLite::Database> reader;
  try {
    health = std::make_unique<SQLite::Database>(path, SQLite::OPEN_READONLY, kBusyTimeoutMs);
  } catch (const SQLite::Exception& e) {
    return fail(start_up_error(Errc::kUnavailable, path, "open health connection", e.what()));
  }
  try {
    reader = std::make_unique<SQLite::Database>(path, SQLite::OPEN_READONLY, kBusyTimeoutMs);
  } catch (const SQLite::Exception& e) {
    return fail(start_up_error(Errc::kUnavailable, path, "open reader connection", e.what()));
  }
  model::SnapshotPtr first;
  try {
    first = std::make_shared<const model::Snapshot>(
        model::Snapshot{}.apply(detail::load_everything(*db)));
  } catch (const std::exception& e) {
    return fail(start_up_error(Errc::kInternal, path, "load snapshot", e.what()));
  }
  return std::make_unique<SqliteStore>(std::move(db), std::move(health), std::move(reader), clock,
                                       std::move(first));
}

}  // namespace cohort::store::sqlite
