#include "store/sqlite/schema.hpp"

#include <SQLiteCpp/Exception.h>
#include <SQLiteCpp/Statement.h>
#include <fmt/format.h>

#include <array>

namespace cohort::store::sqlite::detail {
namespace {

// Ids use AUTOINCREMENT so that a deleted id is never handed out again: Destinations keep
// pointing at deleted users and groups (routing gaps), and a reused id would silently turn
// such a gap into a route to an unrelated object.
//
// `extensions` makes an extension unique across users and groups together. Triggers keep
// it in step with users.extension and groups.extension, so every write path (including
// cascades and hand edits) maintains it. An empty extension claims nothing.
//
// Membership positions are dense per group but deliberately carry no UNIQUE index: SQLite
// checks uniqueness row by row during an UPDATE, so shifting a range of positions by one
// would collide with itself halfway through.
constexpr std::string_view kMigration1 = R"sql(
CREATE TABLE trunks (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  name       TEXT    NOT NULL UNIQUE COLLATE NOCASE,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);

CREATE TABLE users (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  name         TEXT    NOT NULL,
  email        TEXT    NOT NULL UNIQUE COLLATE NOCASE,
  extension    TEXT    NOT NULL,
  caller_id    TEXT,
  role         TEXT    NOT NULL,
  active       INTEGER NOT NULL,
  digest_realm TEXT    NOT NULL,
  ha1_md5      TEXT    NOT NULL,
  ha1_sha256   TEXT    NOT NULL,
  created_at   INTEGER NOT NULL,
  updated_at   INTEGER NOT NULL
);

CREATE TABLE groups (
  id                 INTEGER PRIMARY KEY AUTOINCREMENT,
  name               TEXT    NOT NULL UNIQUE COLLATE NOCASE,
  description        TEXT    NOT NULL,
  extension          TEXT,
  outbound_caller_id TEXT,
  trunk_id           INTEGER REFERENCES trunks(id) ON DELETE SET NULL,
  ring_strategy      TEXT    NOT NULL,
  ring_timeout_s     INTEGER NOT NULL,
  max_wait_s         INTEGER NOT NULL,
  wrap_up_s          INTEGER NOT NULL,
  fallback           TEXT,
  cti_scope          INTEGER NOT NULL,
  created_at         INTEGER NOT NULL,
  updated_at         INTEGER NOT NULL
);
CREATE INDEX groups_trunk ON groups(trunk_id);

CREATE TABLE extensions (
  extension  TEXT    PRIMARY KEY,
  owner_kind TEXT    NOT NULL CHECK (owner_kind IN ('user', 'group')),
  owner_id   INTEGER NOT NULL
);
CREATE INDEX extensions_owner ON extensions(owner_kind, owner_id);

CREATE TRIGGER users_extension_insert AFTER INSERT ON users
WHEN NEW.extension <> ''
BEGIN
  INSERT INTO extensions(extension, owner_kind, owner_id) VALUES (NEW.extension, 'user', NEW.id);
END;
CREATE TRIGGER users_extension_update AFTER UPDATE OF extension ON users
BEGIN
  DELETE FROM extensions WHERE owner_kind = 'user' AND owner_id = OLD.id;
  INSERT INTO extensions(extension, owner_kind, owner_id)
    SELECT NEW.extension, 'user', NEW.id WHERE NEW.extension <> '';
END;
CREATE TRIGGER users_extension_delete AFTER DELETE ON users
BEGIN
  DELETE FROM extensions WHERE owner_kind = 'user' AND owner_id = OLD.id;
END;

CREATE TRIGGER groups_extension_insert AFTER INSERT ON groups
WHEN NEW.extension IS NOT NULL AND NEW.extension <> ''
BEGIN
  INSERT INTO extensions(extension, owner_kind, owner_id) VALUES (NEW.extension, 'group', NEW.id);
END;
CREATE TRIGGER groups_extension_update AFTER UPDATE OF extension ON groups
BEGIN
  DELETE FROM extensions WHERE owner_kind = 'group' AND owner_id = OLD.id;
  INSERT INTO extensions(extension, owner_kind, owner_id)
    SELECT NEW.extension, 'group', NEW.id
    WHERE NEW.extension IS NOT NULL AND NEW.extension <> '';
END;
CREATE TRIGGER groups_extension_delete AFTER DELETE ON groups
BEGIN
  DELETE FROM extensions WHERE owner_kind = 'group' AND owner_id = OLD.id;
END;

CREATE TABLE memberships (
  group_id  INTEGER NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
  user_id   INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  position  INTEGER NOT NULL CHECK (position >= 1),
  joined_at INTEGER NOT NULL,
  PRIMARY KEY (group_id, user_id)
) WITHOUT ROWID;
CREATE INDEX memberships_user ON memberships(user_id, group_id);

CREATE TABLE api_tokens (
  id            INTEGER PRIMARY KEY AUTOINCREMENT,
  user_id       INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  secret_sha256 TEXT    NOT NULL UNIQUE,
  created_at    INTEGER NOT NULL
);
CREATE INDEX api_tokens_user ON api_tokens(user_id);
)sql";

// Registrations (RFC 3261 §10): runtime state kept so that phones stay registered across a
// restart. A user's bindings go with the user.
constexpr std::string_view kMigration2 = R"sql(
CREATE TABLE bindings (
  user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  contact     TEXT    NOT NULL,
  instance_id TEXT    NOT NULL,
  reg_id      INTEGER NOT NULL,
  q_milli     INTEGER NOT NULL,
  call_id     TEXT    NOT NULL,
  cseq        INTEGER NOT NULL,
  expires_at  INTEGER NOT NULL,
  source      TEXT    NOT NULL,
  transport   TEXT    NOT NULL,
  local       TEXT    NOT NULL,
  user_agent  TEXT    NOT NULL,
  path        TEXT    NOT NULL,
  updated_at  INTEGER NOT NULL,
  PRIMARY KEY (user_id, contact, instance_id, reg_id)
) WITHOUT ROWID;
CREATE INDEX bindings_expiry ON bindings(expires_at);
)sql";

constexpr std::array<std::string_view, 2> kMigrations = {kMigration1, kMigration2};

constexpr const char* kCreateMigrationsTable =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    "version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)";
constexpr const char* kSelectVersion = "SELECT COALESCE(MAX(version), 0) FROM schema_migrations";
constexpr const char* kRecordMigration =
    "INSERT INTO schema_migrations(version, applied_at) VALUES (?, ?)";

void rollback_quietly(SQLite::Database& db) {
  // Best effort: the error that made us roll back is the one worth reporting.
  (void)db.tryExec("ROLLBACK");
}

}  // namespace

std::span<const std::string_view> migrations() {
  return kMigrations;
}

int applied_version(SQLite::Database& db) {
  SQLite::Statement s(db, kSelectVersion);
  s.executeStep();
  return s.getColumn(0).getInt();
}

Result<void> migrate(SQLite::Database& db, const std::string& path, std::int64_t now) {
  const int known = static_cast<int>(kMigrations.size());
  int version = 0;
  try {
    db.exec(kCreateMigrationsTable);
    version = applied_version(db);
  } catch (const SQLite::Exception& e) {
    return fail(Error::internal(
        fmt::format("sqlite {}: cannot read schema_migrations: {}", path, e.what())));
  }
  if (version > known) {
    return fail(Error::internal(fmt::format(
        "sqlite {}: schema version {} is newer than this build knows ({}); refusing to open a "
        "database written by a newer cohort",
        path, version, known)));
  }
  for (int next = version + 1; next <= known; ++next) {
    try {
      // IMMEDIATE takes the write lock up front, so a second process opening the same file
      // waits here and then sees the migration as applied instead of running it twice.
      db.exec("BEGIN IMMEDIATE");
      if (applied_version(db) >= next) {
        db.exec("COMMIT");
        continue;
      }
      db.exec(std::string(kMigrations[static_cast<std::size_t>(next - 1)]));
      SQLite::Statement record(db, kRecordMigration);
      record.bind(1, next);
      record.bind(2, now);
      record.exec();
      db.exec("COMMIT");
    } catch (const SQLite::Exception& e) {
      rollback_quietly(db);
      return fail(
          Error::internal(fmt::format("sqlite {}: migration {} failed: {}", path, next, e.what())));
    }
  }
  return {};
}

}  // namespace cohort::store::sqlite::detail
