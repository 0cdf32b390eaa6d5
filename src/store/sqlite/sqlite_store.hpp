#pragma once
// The embedded SQLite backend: WAL, synchronous=NORMAL, foreign keys on, versioned
// migrations applied at open, prepared statements only. One writing connection, writers
// serialised by a mutex; configuration reads are served from the published snapshot, CDR
// queries and health probes from read-only connections of their own.

#include <memory>
#include <string>

#include "common/clock.hpp"
#include "store/repository.hpp"

namespace cohort::store::sqlite {

/// Opens (creating if needed) the database at `path`, applies pending migrations and
/// loads the first snapshot. `clock` stamps created_at/updated_at/joined_at and must
/// outlive the store. Start-up only: errors name the file and the failing step.
Result<std::unique_ptr<Store>> open(const std::string& path, const Clock& clock);

/// The schema version the code expects (its highest migration).
int schema_version();

}  // namespace cohort::store::sqlite
