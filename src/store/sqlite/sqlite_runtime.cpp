// The shell's runtime state that outlives a restart: registrar bindings (BindingStore), hunt
// cursors and last-call times (HuntStore), console sessions (SessionStore).

#include <nlohmann/json.hpp>

#include <SQLiteCpp/Exception.h>
#include <SQLiteCpp/Statement.h>

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "store/sqlite/sqlite_store_impl.hpp"

namespace cohort::store::sqlite::detail {
namespace {

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

}  // namespace

// ---- bindings ------------------------------------------------------------------------

Result<std::vector<BindingRecord>> SqliteStore::load_bindings() {
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

Result<void> SqliteStore::save_bindings(const std::vector<BindingRecord>& put,
                                        const std::vector<BindingKey>& removed) {
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
    // Text is bound without a copy (the records outlive each exec): a binding write would
    // otherwise cost SQLite one allocation per text column.
    std::string path;
    for (const BindingRecord& b : put) {
      auto q = statements_.get(kUpsertBinding);
      path = nlohmann::json(b.path).dump();
      q->bind(1, b.user);
      q->bindNoCopy(2, b.contact);
      q->bindNoCopy(3, b.instance_id);
      q->bind(4, b.reg_id);
      q->bind(5, b.q_milli);
      q->bindNoCopy(6, b.call_id);
      q->bind(7, static_cast<std::int64_t>(b.cseq));
      q->bind(8, b.expires_at);
      q->bindNoCopy(9, b.source);
      q->bindNoCopy(10, b.transport);
      q->bindNoCopy(11, b.local);
      q->bindNoCopy(12, b.user_agent);
      q->bindNoCopy(13, path);
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

// ---- console sessions ----------------------------------------------------------------

Result<std::vector<SessionRecord>> SqliteStore::load_sessions() {
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

Result<void> SqliteStore::save_session(const SessionRecord& r) {
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

Result<void> SqliteStore::delete_sessions(const std::vector<std::string>& ids) {
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

// ---- hunt cursors and history --------------------------------------------------------

Result<std::vector<std::pair<model::GroupId, model::UserId>>> SqliteStore::load_cursors() {
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

Result<void> SqliteStore::save_cursors(
    const std::vector<std::pair<model::GroupId, model::UserId>>& cursors) {
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

Result<std::vector<std::pair<model::UserId, std::int64_t>>> SqliteStore::last_calls() {
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

Result<std::vector<std::pair<model::UserId, std::int64_t>>> SqliteStore::answered_since(
    std::int64_t since_ms) {
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

}  // namespace cohort::store::sqlite::detail
