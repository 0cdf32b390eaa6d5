#include "store/sqlite/sqlite_store.hpp"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Exception.h>
#include <SQLiteCpp/Statement.h>
#include <fmt/format.h>
#include <sqlite3.h>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string_view>
#include <thread>
#include <utility>

#include "store/sqlite/rows.hpp"
#include "store/sqlite/schema.hpp"
#include "store/sqlite/sqlite_store_impl.hpp"
#include "store/sqlite/statements.hpp"

namespace cohort::store::sqlite {
namespace detail {
namespace {

constexpr std::string_view kHealth = "SELECT count(*) FROM schema_migrations";

// ---- errors ----------------------------------------------------------------------------

bool mentions(std::string_view message, std::string_view column) {
  return message.find(column) != std::string_view::npos;
}

}  // namespace

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
        mentions(message, "schedules.name") || mentions(message, "ivr_menus.name")) {
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

// ---- one transaction ---------------------------------------------------------------------

model::SnapshotPatch TxContext::build_patch() {
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
  for (model::IvrMenuId id : touched_.ivr_menus) {
    patch.ivr_menus.emplace_back(id, detail::find_ivr_menu(statements_, id));
  }
  return patch;
}

void TxContext::undo() noexcept {
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

namespace {

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
        schedules_(context_),
        ivr_menus_(context_) {}

  UserRepository& users() override { return users_; }
  GroupRepository& groups() override { return groups_; }
  MembershipRepository& memberships() override { return memberships_; }
  TrunkRepository& trunks() override { return trunks_; }
  TokenRepository& tokens() override { return tokens_; }
  OutboundRuleRepository& outbound_rules() override { return outbound_rules_; }
  InboundRouteRepository& inbound_routes() override { return inbound_routes_; }
  ScheduleRepository& schedules() override { return schedules_; }
  IvrMenuRepository& ivr_menus() override { return ivr_menus_; }

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
  IvrMenus ivr_menus_;
};

}  // namespace

// ---- the store -------------------------------------------------------------------------

Result<void> SqliteStore::transact(const std::function<Result<void>(Transaction&)>& work) {
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

bool SqliteStore::healthy() {
  // A second connection, so a health probe never queues behind a long write.
  std::lock_guard lock(health_mutex_);
  try {
    SQLite::Statement s(*health_, std::string(kHealth));
    return s.executeStep();
  } catch (const SQLite::Exception&) {
    return false;
  }
}

Result<void> SqliteStore::run(const std::function<Result<void>(Transaction&)>& work) {
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

void SqliteStore::rollback() noexcept {
  if (sqlite3_get_autocommit(writer_->getHandle()) == 0) {
    (void)writer_->tryExec("ROLLBACK");
  }
}

}  // namespace detail

namespace {

constexpr int kBusyTimeoutMs = 5000;

Error start_up_error(Errc code, const std::string& path, std::string_view step,
                     std::string_view detail) {
  return Error{code, fmt::format("sqlite {}: {}: {}", path, step, detail), {}};
}

}  // namespace

int schema_version() {
  return detail::migrations().back().version;
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
  return std::make_unique<detail::SqliteStore>(std::move(db), std::move(health), std::move(reader),
                                               clock, std::move(first));
}

}  // namespace cohort::store::sqlite
