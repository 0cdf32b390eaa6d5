#pragma once
// Private to the SQLite backend: the schema as an ordered list of migrations and the code
// that brings a database up to date at open.

#include <SQLiteCpp/Database.h>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "common/errc.hpp"

namespace cohort::store::sqlite::detail {

/// One step of the schema. Versions ascend and may have gaps (branches number their
/// migrations ahead of merging); a released migration never changes, because databases in
/// the field have already recorded it as applied.
struct Migration {
  int version = 0;
  std::string_view sql;
};
std::span<const Migration> migrations();

/// The highest version recorded in schema_migrations (0 for a new database).
int applied_version(SQLite::Database& db);
/// Whether `version` is recorded in schema_migrations.
bool is_applied(SQLite::Database& db, int version);

/// Creates schema_migrations if needed and applies every migration not recorded, each in its own
/// transaction stamped with `now`. Refuses a database newer than this code. Start-up only;
/// errors name `path`.
Result<void> migrate(SQLite::Database& db, const std::string& path, std::int64_t now);

}  // namespace cohort::store::sqlite::detail
