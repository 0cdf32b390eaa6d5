// The voicemail message index (VoicemailStore, issue 13): one row per message file, written
// by the voicemail writer and the API on the writer connection, listed by the API on the
// reader connection (docs/media.md "The message index").

#include <SQLiteCpp/Exception.h>
#include <SQLiteCpp/Statement.h>
#include <fmt/format.h>
#include <sqlite3.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/sqlite/rows.hpp"
#include "store/sqlite/sqlite_store_impl.hpp"

namespace cohort::store::sqlite::detail {
namespace {

constexpr std::string_view kInsertVoicemail =
    "INSERT INTO voicemails(box, box_id, file, call_id, caller, caller_name, called, group_id, "
    "started_at_ms, duration_ms, sample_rate, heard) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) RETURNING id";
constexpr std::string_view kNameInCdr = "UPDATE cdrs SET voicemail_id = ?1 WHERE id = ?2";
constexpr std::string_view kSetHeard = "UPDATE voicemails SET heard = ?1 WHERE id = ?2";
constexpr std::string_view kDeleteVoicemail = "DELETE FROM voicemails WHERE id = ?1";
constexpr std::string_view kSelectVoicemails =
    "SELECT id, box, box_id, file, call_id, caller, caller_name, called, group_id, "
    "started_at_ms, duration_ms, sample_rate, heard FROM voicemails";
constexpr std::string_view kCounts =
    "SELECT box, box_id, count(*), sum(heard = 0), sum(duration_ms) FROM voicemails";

std::string_view box_word(model::DestVoicemail::Box b) {
  return b == model::DestVoicemail::Box::kUser ? "user" : "group";
}

model::DestVoicemail::Box box_of(const std::string& word, std::int64_t id) {
  if (word == "user") {
    return model::DestVoicemail::Box::kUser;
  }
  if (word == "group") {
    return model::DestVoicemail::Box::kGroup;
  }
  throw CorruptRow(fmt::format("voicemails.box of row {} is '{}'", id, word));
}

VoicemailRecord read_voicemail_row(SQLite::Statement& s) {
  VoicemailRecord r;
  r.id = s.getColumn(0).getInt64();
  r.box.box = box_of(s.getColumn(1).getString(), r.id);
  r.box.id = s.getColumn(2).getInt64();
  r.file = s.getColumn(3).getString();
  r.call_id = s.getColumn(4).getString();
  r.caller = s.getColumn(5).getString();
  r.caller_name = s.getColumn(6).getString();
  r.called = s.getColumn(7).getString();
  r.group = optional_id(s.getColumn(8));
  r.started_at_ms = s.getColumn(9).getInt64();
  r.duration_ms = s.getColumn(10).getInt64();
  r.sample_rate = static_cast<std::uint32_t>(s.getColumn(11).getInt64());
  r.heard = s.getColumn(12).getInt() != 0;
  return r;
}

}  // namespace

Result<std::int64_t> SqliteStore::add_voicemail(const VoicemailRecord& r) {
  std::lock_guard lock(writer_mutex_);
  try {
    writer_->exec("BEGIN IMMEDIATE");
    std::int64_t id = 0;
    {
      auto q = statements_.get(kInsertVoicemail);
      q->bind(1, std::string(box_word(r.box.box)));
      q->bind(2, r.box.id);
      q->bind(3, r.file);
      q->bind(4, r.call_id);
      q->bind(5, r.caller);
      q->bind(6, r.caller_name);
      q->bind(7, r.called);
      if (r.group) {
        q->bind(8, *r.group);
      } else {
        q->bind(8);
      }
      q->bind(9, r.started_at_ms);
      q->bind(10, r.duration_ms);
      q->bind(11, static_cast<std::int64_t>(r.sample_rate));
      q->bind(12, r.heard ? 1 : 0);
      q->executeStep();
      id = q->getColumn(0).getInt64();
    }
    if (!r.call_id.empty()) {
      auto q = statements_.get(kNameInCdr);
      q->bind(1, id);
      q->bind(2, r.call_id);
      q->exec();
    }
    writer_->exec("COMMIT");
    return id;
  } catch (const SQLite::Exception& e) {
    rollback();
    if (e.getExtendedErrorCode() == SQLITE_CONSTRAINT_UNIQUE) {
      return fail(Error::conflict("file", fmt::format("{} is already indexed", r.file)));
    }
    return fail(map_error(e, "add voicemail", {}));
  }
}

Result<std::vector<VoicemailRecord>> SqliteStore::query_voicemails(const VoicemailQuery& query) {
  // The mailboxes are few (a user's own and its groups'): one OR term each, bound by
  // position; the index on (box, box_id, id) serves each.
  std::string sql(kSelectVoicemails);
  std::string_view joiner = " WHERE ";
  int next = 1;
  if (!query.boxes.empty()) {
    sql.append(joiner).append("(");
    for (std::size_t i = 0; i < query.boxes.size(); ++i) {
      sql.append(i == 0 ? "" : " OR ")
          .append(fmt::format("(box = ?{} AND box_id = ?{})", next, next + 1));
      next += 2;
    }
    sql.append(")");
    joiner = " AND ";
  }
  if (query.heard) {
    sql.append(joiner).append(fmt::format("heard = ?{}", next++));
    joiner = " AND ";
  }
  if (query.before_id > 0) {
    sql.append(joiner).append(fmt::format("id < ?{}", next++));
  }
  sql.append(fmt::format(" ORDER BY id DESC LIMIT ?{}", next));
  std::lock_guard lock(reader_mutex_);
  std::vector<VoicemailRecord> out;
  try {
    SQLite::Statement q(*reader_, sql);
    int at = 1;
    for (const MailboxKey& b : query.boxes) {
      q.bind(at++, std::string(box_word(b.box)));
      q.bind(at++, b.id);
    }
    if (query.heard) {
      q.bind(at++, *query.heard ? 1 : 0);
    }
    if (query.before_id > 0) {
      q.bind(at++, query.before_id);
    }
    q.bind(at, static_cast<std::int64_t>(
                   std::min<std::size_t>(query.limit, std::numeric_limits<std::int64_t>::max())));
    while (q.executeStep()) {
      out.push_back(read_voicemail_row(q));
    }
  } catch (const SQLite::Exception& e) {
    return fail(map_error(e, "query voicemails", {}));
  } catch (const CorruptRow& e) {
    return fail(Error::internal(fmt::format("query voicemails: {}", e.what())));
  }
  return out;
}

Result<std::optional<VoicemailRecord>> SqliteStore::voicemail(std::int64_t id) {
  std::lock_guard lock(reader_mutex_);
  try {
    SQLite::Statement q(*reader_, std::string(kSelectVoicemails) + " WHERE id = ?1");
    q.bind(1, id);
    if (!q.executeStep()) {
      return std::optional<VoicemailRecord>();
    }
    return std::optional<VoicemailRecord>(read_voicemail_row(q));
  } catch (const SQLite::Exception& e) {
    return fail(map_error(e, "read voicemail", {}));
  } catch (const CorruptRow& e) {
    return fail(Error::internal(fmt::format("read voicemail: {}", e.what())));
  }
}

Result<bool> SqliteStore::set_heard(std::int64_t id, bool heard) {
  std::lock_guard lock(writer_mutex_);
  try {
    auto q = statements_.get(kSetHeard);
    q->bind(1, heard ? 1 : 0);
    q->bind(2, id);
    return q->exec() > 0;
  } catch (const SQLite::Exception& e) {
    return fail(map_error(e, "mark voicemail heard", {}));
  }
}

Result<bool> SqliteStore::remove_voicemail(std::int64_t id) {
  std::lock_guard lock(writer_mutex_);
  try {
    auto q = statements_.get(kDeleteVoicemail);
    q->bind(1, id);
    return q->exec() > 0;
  } catch (const SQLite::Exception& e) {
    return fail(map_error(e, "delete voicemail", {}));
  }
}

Result<std::vector<std::pair<std::int64_t, std::string>>> SqliteStore::voicemail_files() {
  std::lock_guard lock(writer_mutex_);  // start-up: read what the last run wrote
  std::vector<std::pair<std::int64_t, std::string>> out;
  try {
    SQLite::Statement q(*writer_, "SELECT id, file FROM voicemails ORDER BY id");
    while (q.executeStep()) {
      out.emplace_back(q.getColumn(0).getInt64(), q.getColumn(1).getString());
    }
  } catch (const SQLite::Exception& e) {
    return fail(map_error(e, "voicemail files", {}));
  }
  return out;
}

Result<std::vector<MailboxCounts>> SqliteStore::mailbox_counts(std::optional<MailboxKey> box) {
  std::string sql(kCounts);
  if (box) {
    sql += " WHERE box = ?1 AND box_id = ?2";
  }
  sql += " GROUP BY box, box_id ORDER BY box, box_id";
  // On the writer connection: a count asked right after a write must see it, and the
  // reader's snapshot may be older than the writer's last commit by nothing but that.
  std::lock_guard lock(writer_mutex_);
  std::vector<MailboxCounts> out;
  try {
    SQLite::Statement q(*writer_, sql);
    if (box) {
      q.bind(1, std::string(box_word(box->box)));
      q.bind(2, box->id);
    }
    while (q.executeStep()) {
      MailboxCounts c;
      c.box.box = box_of(q.getColumn(0).getString(), 0);
      c.box.id = q.getColumn(1).getInt64();
      c.total = q.getColumn(2).getInt64();
      c.unheard = q.getColumn(3).getInt64();
      c.total_ms = q.getColumn(4).getInt64();
      out.push_back(c);
    }
  } catch (const SQLite::Exception& e) {
    return fail(map_error(e, "mailbox counts", {}));
  } catch (const CorruptRow& e) {
    return fail(Error::internal(fmt::format("mailbox counts: {}", e.what())));
  }
  return out;
}

}  // namespace cohort::store::sqlite::detail
