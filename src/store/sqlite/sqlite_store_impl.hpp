#pragma once
// Private to the SQLite backend: the store and transaction classes behind sqlite_store.hpp,
// shared by the files that implement them.
//   sqlite_store.cpp      open, pragmas, error mapping, transactions, the snapshot
//   sqlite_directory.cpp  users, groups, memberships, API tokens
//   sqlite_routing.cpp    trunks, outbound rules, inbound routes, schedules
//   sqlite_ivr.cpp        IVR menus (their rows too)
//   sqlite_runtime.cpp    registrar bindings, hunt cursors, console sessions
//   sqlite_cdrs.cpp       call records
//   sqlite_voicemail.cpp  the voicemail message index
// Each file keeps the SQL texts it runs.

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Exception.h>
#include <SQLiteCpp/Statement.h>
#include <fmt/format.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "common/clock.hpp"
#include "model/snapshot.hpp"
#include "store/repository.hpp"
#include "store/sqlite/statements.hpp"

namespace cohort::store::sqlite::detail {

inline constexpr std::int64_t kLastPosition = std::numeric_limits<std::int64_t>::max();

// ---- errors ----------------------------------------------------------------------------

/// What the constraint failures of one operation mean in API terms.
struct Hints {
  std::string_view email;
  std::string_view extension;
  std::string_view name;
  std::string_view kind;  ///< "group", "trunk", "schedule", ... for name conflicts
  std::optional<Error> foreign_key;
};

/// Maps an SQLite failure to the project's error (sqlite_store.cpp).
Error map_error(const SQLite::Exception& e, std::string_view what, const Hints& h);

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
  std::set<model::IvrMenuId> ivr_menus;
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

  // Members of a group keep dense 1-based positions (sqlite_directory.cpp).
  std::int64_t member_count(model::GroupId group);
  /// The position and joined_at of `user` in `group`, if it is a member.
  std::optional<std::pair<std::int64_t, std::int64_t>> position_of(model::GroupId group,
                                                                   model::UserId user);
  /// Moves the members of `group` at positions from..to by one (kShiftUp/kShiftDown).
  void shift(std::string_view sql, model::GroupId group, std::int64_t from, std::int64_t to);
  void set_position(model::GroupId group, model::UserId user, std::int64_t position);
  /// Inserts `user` at `position` (1..n+1), shifting those at and after it down.
  void join(model::GroupId group, model::UserId user, std::int64_t position,
            std::int64_t joined_at);
  /// Removes `user`, which sits at `position`, from `group` and closes the gap.
  void leave(model::GroupId group, model::UserId user, std::int64_t position);

  /// The after-state of everything touched, read inside the transaction before COMMIT.
  model::SnapshotPatch build_patch();

 private:
  void undo() noexcept;

  SQLite::Database& db_;
  Statements& statements_;
  const Clock& clock_;
  Touched touched_;
  std::optional<Error> broken_;
};

// ---- the repositories of one transaction (sqlite_directory.cpp) -------------------------

class Users final : public UserRepository {
 public:
  explicit Users(TxContext& tx) : tx_(tx) {}

  Result<model::User> create(const model::User& draft) override;
  Result<model::User> update(const model::User& u) override;
  Result<void> remove(model::UserId id) override;

 private:
  TxContext& tx_;
};

class Groups final : public GroupRepository {
 public:
  explicit Groups(TxContext& tx) : tx_(tx) {}

  Result<model::Group> create(const model::Group& draft) override;
  Result<model::Group> update(const model::Group& g) override;
  Result<void> remove(model::GroupId id) override;

 private:
  static Hints hints_for(const model::Group& g);

  TxContext& tx_;
};

class Memberships final : public MembershipRepository {
 public:
  explicit Memberships(TxContext& tx) : tx_(tx) {}

  Result<PutResult> put(model::GroupId group, model::UserId user,
                        std::optional<int> position) override;
  Result<void> remove(model::GroupId group, model::UserId user) override;
  Result<model::Member> set_pause(model::GroupId group, model::UserId user, bool paused,
                                  const std::string& reason) override;
  Result<void> replace_groups_of(model::UserId user,
                                 const std::vector<model::GroupId>& groups) override;

 private:
  TxContext& tx_;
};

class Tokens final : public TokenRepository {
 public:
  explicit Tokens(TxContext& tx) : tx_(tx) {}

  Result<model::ApiToken> create(model::UserId user, const std::string& secret_sha256) override;
  Result<void> remove(model::TokenId id) override;

 private:
  TxContext& tx_;
};

// ---- the routing repositories (sqlite_routing.cpp) ---------------------------------------

class Trunks final : public TrunkRepository {
 public:
  explicit Trunks(TxContext& tx) : tx_(tx) {}

  Result<model::Trunk> create(const model::Trunk& draft) override;
  Result<model::Trunk> update(const model::Trunk& t) override;
  Result<void> remove(model::TrunkId id) override;

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
  Result<T> create(const T& draft);

  /// Replaces every field; a changed position (clamped to 1..n; 0 = keep) moves the row.
  Result<T> update(const T& r);

  Result<void> remove(std::int64_t id);

 private:
  std::optional<std::int64_t> position_of(std::int64_t id);

  void shift(std::string_view sql, std::int64_t from, std::int64_t to);

  TxContext& tx_;
  const PositionedTable<T>& t_;
};

class OutboundRules final : public OutboundRuleRepository {
 public:
  explicit OutboundRules(TxContext& tx);
  Result<model::OutboundRule> create(const model::OutboundRule& draft) override;
  Result<model::OutboundRule> update(const model::OutboundRule& r) override;
  Result<void> remove(model::OutboundRuleId id) override;

 private:
  PositionedRows<model::OutboundRule> rows_;
};

class InboundRoutes final : public InboundRouteRepository {
 public:
  explicit InboundRoutes(TxContext& tx);
  Result<model::InboundRoute> create(const model::InboundRoute& draft) override;
  Result<model::InboundRoute> update(const model::InboundRoute& r) override;
  Result<void> remove(model::InboundRouteId id) override;

 private:
  PositionedRows<model::InboundRoute> rows_;
};

class Schedules final : public ScheduleRepository {
 public:
  explicit Schedules(TxContext& tx) : tx_(tx) {}

  Result<model::Schedule> create(const model::Schedule& draft) override;
  Result<model::Schedule> update(const model::Schedule& sc) override;
  Result<void> remove(model::ScheduleId id) override;

 private:
  TxContext& tx_;
};

// ---- IVR menus (sqlite_ivr.cpp) ----------------------------------------------------------

class IvrMenus final : public IvrMenuRepository {
 public:
  explicit IvrMenus(TxContext& tx) : tx_(tx) {}

  Result<model::IvrMenu> create(const model::IvrMenu& draft) override;
  Result<model::IvrMenu> update(const model::IvrMenu& m) override;
  Result<void> remove(model::IvrMenuId id) override;

 private:
  TxContext& tx_;
};

// ---- the store -------------------------------------------------------------------------

/// Reads a nullable id column (sqlite_runtime.cpp, sqlite_cdrs.cpp).
inline std::optional<std::int64_t> optional_id(const SQLite::Column& c) {
  if (c.isNull()) {
    return std::nullopt;
  }
  return c.getInt64();
}

// Store, transact(), healthy() and the plumbing in sqlite_store.cpp; the rest as marked.
class SqliteStore final : public Store,
                          public BindingStore,
                          public CdrStore,
                          public HuntStore,
                          public SessionStore,
                          public VoicemailStore {
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

  Result<void> transact(const std::function<Result<void>(Transaction&)>& work) override;

  model::SnapshotPtr snapshot() const override { return current_.load(std::memory_order_acquire); }

  BindingStore& bindings() override { return *this; }

  // Bindings (sqlite_runtime.cpp).
  Result<std::vector<BindingRecord>> load_bindings() override;
  Result<void> save_bindings(const std::vector<BindingRecord>& put,
                             const std::vector<BindingKey>& removed) override;

  CdrStore& cdrs() override { return *this; }

  // Call records (sqlite_cdrs.cpp).
  Result<void> save_cdrs(const std::vector<CdrRecord>& records) override;
  Result<std::size_t> close_interrupted(std::int64_t now_ms) override;
  Result<std::vector<CdrRecord>> interrupted_dialogs(std::int64_t since_ms) override;
  Result<std::vector<CdrRecord>> query_cdrs(const CdrQuery& query) override;

  HuntStore& hunt() override { return *this; }

  SessionStore& sessions() override { return *this; }

  // Console sessions and hunt cursors (sqlite_runtime.cpp).
  Result<std::vector<SessionRecord>> load_sessions() override;
  Result<void> save_session(const SessionRecord& r) override;
  Result<void> delete_sessions(const std::vector<std::string>& ids) override;
  Result<std::vector<std::pair<model::GroupId, model::UserId>>> load_cursors() override;
  Result<void> save_cursors(
      const std::vector<std::pair<model::GroupId, model::UserId>>& cursors) override;
  Result<std::vector<std::pair<model::UserId, std::int64_t>>> last_calls() override;
  Result<std::vector<std::pair<model::UserId, std::int64_t>>> answered_since(
      std::int64_t since_ms) override;

  VoicemailStore& voicemails() override { return *this; }

  // The voicemail index (sqlite_voicemail.cpp).
  Result<std::int64_t> add_voicemail(const VoicemailRecord& r) override;
  Result<std::vector<VoicemailRecord>> query_voicemails(const VoicemailQuery& q) override;
  Result<std::optional<VoicemailRecord>> voicemail(std::int64_t id) override;
  Result<bool> set_heard(std::int64_t id, bool heard) override;
  Result<bool> remove_voicemail(std::int64_t id) override;
  Result<std::vector<std::pair<std::int64_t, std::string>>> voicemail_files() override;
  Result<std::vector<MailboxCounts>> mailbox_counts(std::optional<MailboxKey> box) override;

  bool healthy() override;

 private:
  Result<void> run(const std::function<Result<void>(Transaction&)>& work);

  void rollback() noexcept;

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

}  // namespace cohort::store::sqlite::detail
