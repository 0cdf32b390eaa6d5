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

/// Migration N (1-based) is element N-1. Append only: a released migration never changes,
/// because databases in the field have already recorded it as applied.
std::span<const std::string_view> migrations();

/// The highest version recorded in schema_migrations (0 for a new database).
int applied_version(SQLite::Database& db);

/// Creates schema_migrations if needed and applies every pending migration, each in its own
/// transaction stamped with `now`. Refuses a database newer than this code. Start-up only;
/// errors name `path`.
Result<void> migrate(SQLite::Database& db, const std::string& path, std::int64_t now);

}  // namespace cohort::store::sqlite::detail
