#pragma once
// Private to the SQLite backend: a cache of prepared statements on one connection.
// Preparing costs more than stepping; the store prepares each SQL text once per connection
// and hands out handles that reset the statement when they go out of scope, so no
// half-stepped statement keeps a read transaction open between two writes.

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include <cassert>
#include <memory>
#include <string_view>
#include <unordered_map>

namespace cohort::store::sqlite::detail {

class Statements {
 public:
  /// A borrowed, bound-by-the-caller statement; resets it on destruction.
  class Handle {
   public:
    Handle(SQLite::Statement& s, bool& busy) : s_(&s), busy_(&busy) { *busy_ = true; }
    Handle(const Handle&) = delete;
    Handle& operator=(const Handle&) = delete;
    ~Handle() {
      // tryReset reports the error of the last failed step again; that error has already
      // been thrown to the caller, so it is ignored here.
      (void)s_->tryReset();
      *busy_ = false;
    }
    SQLite::Statement* operator->() const { return s_; }
    SQLite::Statement& operator*() const { return *s_; }

   private:
    SQLite::Statement* s_;
    bool* busy_;
  };

  explicit Statements(SQLite::Database& db) : db_(db) {}

  /// The prepared statement for `sql`, which must have static storage (a literal): the
  /// cache keys on the text and keeps the view. Not reentrant for one SQL text: a handle
  /// must be released before the same text is requested again. Writer thread only.
  Handle get(std::string_view sql) {
    auto it = cache_.find(sql);
    if (it == cache_.end()) {
      auto entry = std::make_unique<Entry>(db_, sql);
      it = cache_.emplace(sql, std::move(entry)).first;
    }
    assert(!it->second->busy && "statement requested while already in use");
    return Handle(it->second->statement, it->second->busy);
  }

 private:
  struct Entry {
    Entry(SQLite::Database& db, std::string_view sql) : statement(db, std::string(sql)) {}
    SQLite::Statement statement;
    bool busy = false;
  };

  SQLite::Database& db_;
  std::unordered_map<std::string_view, std::unique_ptr<Entry>> cache_;
};

}  // namespace cohort::store::sqlite::detail
