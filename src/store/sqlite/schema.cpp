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

// Calls through the B2BUA: what a trunk needs to reach its provider, the ordered outbound
// rules, and call records.
//
// List-valued fields are JSON text: they are always read and written whole with their row,
// never queried by element, and a side table per list would buy nothing but joins. For the
// same reason the ids inside them carry no foreign key: a forced delete of a group, user or
// trunk leaves them in place as a routing gap (docs/api.md), exactly like a fallback.
//
// Rule positions are dense like membership positions, and like them carry no UNIQUE index
// (an UPDATE shifting a range would collide with itself halfway through).
//
// CDRs are history: they keep the ids of users, groups, trunks and rules that may since
// have been deleted, so they carry no foreign keys either. `seq` is the insertion order and
// the pagination cursor (AUTOINCREMENT: never handed out twice, so a cursor always means
// the same place); an upsert by `id` keeps it. The partial index finds the records a crash
// left open without scanning the history.
constexpr std::string_view kMigration3 = R"sql(
ALTER TABLE trunks ADD COLUMN host                 TEXT    NOT NULL DEFAULT '';
ALTER TABLE trunks ADD COLUMN port                 INTEGER NOT NULL DEFAULT 5060;
ALTER TABLE trunks ADD COLUMN transport            TEXT    NOT NULL DEFAULT 'udp';
ALTER TABLE trunks ADD COLUMN username             TEXT    NOT NULL DEFAULT '';
ALTER TABLE trunks ADD COLUMN password             TEXT    NOT NULL DEFAULT '';
ALTER TABLE trunks ADD COLUMN auth_realm           TEXT;
ALTER TABLE trunks ADD COLUMN register_enabled     INTEGER NOT NULL DEFAULT 0;
ALTER TABLE trunks ADD COLUMN register_expires_s   INTEGER NOT NULL DEFAULT 3600;
ALTER TABLE trunks ADD COLUMN from_domain          TEXT    NOT NULL DEFAULT '';
ALTER TABLE trunks ADD COLUMN max_concurrent_calls INTEGER NOT NULL DEFAULT 0;
ALTER TABLE trunks ADD COLUMN inbound_sources      TEXT    NOT NULL DEFAULT '[]';

CREATE TABLE outbound_rules (
  id                  INTEGER PRIMARY KEY AUTOINCREMENT,
  name                TEXT    NOT NULL UNIQUE COLLATE NOCASE,
  position            INTEGER NOT NULL CHECK (position >= 1),
  patterns            TEXT    NOT NULL,
  caller_groups       TEXT    NOT NULL,
  caller_users        TEXT    NOT NULL,
  strip               INTEGER NOT NULL,
  prepend             TEXT    NOT NULL,
  trunks              TEXT    NOT NULL,
  caller_id_policy    TEXT,
  caller_id_value     TEXT    NOT NULL,
  allow_trunk_callers INTEGER NOT NULL,
  created_at          INTEGER NOT NULL,
  updated_at          INTEGER NOT NULL
);
CREATE INDEX outbound_rules_position ON outbound_rules(position);

CREATE TABLE cdrs (
  seq             INTEGER PRIMARY KEY AUTOINCREMENT,
  id              TEXT    NOT NULL UNIQUE,
  a_leg_call_id   TEXT    NOT NULL,
  b_leg_call_id   TEXT    NOT NULL,
  direction       TEXT    NOT NULL,
  caller_user     INTEGER,
  callee_user     INTEGER,
  caller          TEXT    NOT NULL,
  dialled         TEXT    NOT NULL,
  number_sent     TEXT    NOT NULL,
  caller_id       TEXT    NOT NULL,
  caller_id_group INTEGER,
  trunk_id        INTEGER,
  rule_id         INTEGER,
  start_ms        INTEGER NOT NULL,
  ringing_ms      INTEGER NOT NULL,
  answer_ms       INTEGER NOT NULL,
  end_ms          INTEGER NOT NULL,
  disposition     TEXT    NOT NULL,
  hangup_cause    TEXT    NOT NULL,
  sip_status      INTEGER NOT NULL
);
CREATE INDEX cdrs_start_ms        ON cdrs(start_ms);
CREATE INDEX cdrs_caller_user     ON cdrs(caller_user);
CREATE INDEX cdrs_callee_user     ON cdrs(callee_user);
CREATE INDEX cdrs_caller_id_group ON cdrs(caller_id_group);
CREATE INDEX cdrs_direction       ON cdrs(direction);
CREATE INDEX cdrs_disposition     ON cdrs(disposition);
CREATE INDEX cdrs_open            ON cdrs(seq) WHERE end_ms = 0;
)sql";

// Group call distribution (issue 5): pauses, the groups' hunting fields and business hours,
// inbound routes, round-robin cursors and what a CDR needs to say who answered.
//
// groups.schedule_id carries no foreign key: deleting a schedule sets it to NULL through
// the repository, in the same transaction, so that the groups' updated_at moves and the
// snapshot learns which groups changed (a cascade would do neither). inbound_routes.trunk_id
// carries none either: a deleted trunk leaves the route pointing at nothing, a routing gap
// the API reports, like the ids inside outbound rules.
//
// Schedules keep their lists as compact JSON, read and written whole with the row:
//   weekly   [[days_bits, from_min, to_min], ...]
//   holidays [{"name": "...", "from": yyyymmdd, "to": yyyymmdd, "yearly": false}, ...]
//
// hunt_cursors is runtime state like bindings; a group's cursor goes with the group.
constexpr std::string_view kMigration4 = R"sql(
ALTER TABLE users ADD COLUMN paused       INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN pause_reason TEXT    NOT NULL DEFAULT '';

ALTER TABLE groups ADD COLUMN ring_in_use        INTEGER NOT NULL DEFAULT 0;
ALTER TABLE groups ADD COLUMN skip_unregistered  INTEGER NOT NULL DEFAULT 1;
ALTER TABLE groups ADD COLUMN schedule_id        INTEGER;
ALTER TABLE groups ADD COLUMN closed_destination TEXT;
CREATE INDEX groups_schedule ON groups(schedule_id);

ALTER TABLE memberships ADD COLUMN paused       INTEGER NOT NULL DEFAULT 0;
ALTER TABLE memberships ADD COLUMN pause_reason TEXT    NOT NULL DEFAULT '';

CREATE TABLE inbound_routes (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  name        TEXT    NOT NULL UNIQUE COLLATE NOCASE,
  position    INTEGER NOT NULL CHECK (position >= 1),
  did         TEXT    NOT NULL,
  caller      TEXT,
  trunk_id    INTEGER,
  destination TEXT    NOT NULL,
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL
);
CREATE INDEX inbound_routes_position ON inbound_routes(position);

CREATE TABLE schedules (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  name       TEXT    NOT NULL UNIQUE COLLATE NOCASE,
  timezone   TEXT    NOT NULL,
  weekly     TEXT    NOT NULL,
  holidays   TEXT    NOT NULL,
  override   TEXT    NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);

CREATE TABLE hunt_cursors (
  group_id   INTEGER PRIMARY KEY REFERENCES groups(id) ON DELETE CASCADE,
  user_id    INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);

ALTER TABLE cdrs ADD COLUMN inbound_route_id INTEGER;
ALTER TABLE cdrs ADD COLUMN did              TEXT    NOT NULL DEFAULT '';
ALTER TABLE cdrs ADD COLUMN group_id         INTEGER;
ALTER TABLE cdrs ADD COLUMN answered_by      INTEGER;
ALTER TABLE cdrs ADD COLUMN wait_ms          INTEGER NOT NULL DEFAULT 0;
ALTER TABLE cdrs ADD COLUMN talk_ms          INTEGER NOT NULL DEFAULT 0;
ALTER TABLE cdrs ADD COLUMN fallback_reason  TEXT    NOT NULL DEFAULT '';
ALTER TABLE cdrs ADD COLUMN fallback_to      TEXT    NOT NULL DEFAULT '';
ALTER TABLE cdrs ADD COLUMN attempts         TEXT    NOT NULL DEFAULT '[]';
CREATE INDEX cdrs_group_id    ON cdrs(group_id);
CREATE INDEX cdrs_answered_by ON cdrs(answered_by);
)sql";

// Migration 5 (the console, issue 10): console passwords and sign-in sessions.
//
// users.password_hash is the argon2id string of the console password ('' = none). A session
// row is keyed by the SHA-256 of the cookie's secret (never the secret); `credential` is what
// the session stands on and must still hold at each request: a stamp of the password hash
// (kind 'password'), the SHA-256 of the API token signed in with ('token'), or of the
// bootstrap admin token ('bootstrap', user_id NULL). A user's sessions go with the user.
constexpr std::string_view kMigration5 = R"sql(
ALTER TABLE users ADD COLUMN password_hash TEXT NOT NULL DEFAULT '';

CREATE TABLE sessions (
  id_sha256    TEXT    PRIMARY KEY,
  user_id      INTEGER REFERENCES users(id) ON DELETE CASCADE,
  kind         TEXT    NOT NULL,
  credential   TEXT    NOT NULL,
  created_ms   INTEGER NOT NULL,
  last_seen_ms INTEGER NOT NULL
);
CREATE INDEX sessions_user_id ON sessions(user_id);
)sql";

// Migration 6 (the call engine, issue 11): an answered call's leg dialogs (JSON array of
// LegDialog objects, '' when none), so that a request of a call interrupted by a crash
// still ends its other leg after the restart. Records written before directions were always
// set (internal calls had '') get the word the API showed for them, now that the store
// reads directions as an enum and refuses unknown words.
constexpr std::string_view kMigration6 = R"sql(
ALTER TABLE cdrs ADD COLUMN dialogs TEXT NOT NULL DEFAULT '';
UPDATE cdrs SET direction = 'internal' WHERE direction = '';
CREATE INDEX cdrs_interrupted_dialogs ON cdrs(end_ms) WHERE dialogs != '' AND end_ms > 0;
)sql";

// Migration 7 (the call engine, issue 11): no query reads bindings by expiry (they are
// loaded whole at start-up and deleted by key), and every refresh moved its row in that
// index: two more B-tree pages written per REGISTER for nothing.
constexpr std::string_view kMigration7 = R"sql(
DROP INDEX IF EXISTS bindings_expiry;
)sql";

// Migration 8 (call features, issue 12): a user's do-not-disturb.
constexpr std::string_view kMigration8 = R"sql(
ALTER TABLE users ADD COLUMN dnd INTEGER NOT NULL DEFAULT 0;
)sql";

// Migration 9 (call features, issue 12): transfers. The call a REFER started names the
// call it came from and the user who transferred; the transferred call names its successor.
constexpr std::string_view kMigration9 = R"sql(
ALTER TABLE cdrs ADD COLUMN transferred_by   INTEGER;
ALTER TABLE cdrs ADD COLUMN transferred_from TEXT NOT NULL DEFAULT '';
ALTER TABLE cdrs ADD COLUMN transferred_to   TEXT NOT NULL DEFAULT '';
)sql";

// Migration 10 (auto-pause, issue 12): a group pauses members who miss its calls
// (docs/routing.md "Auto-pause"). auto_pause_scope is 'group' or 'all'.
constexpr std::string_view kMigration10 = R"sql(
ALTER TABLE groups ADD COLUMN auto_pause_after       INTEGER NOT NULL DEFAULT 0;
ALTER TABLE groups ADD COLUMN auto_pause_unreachable INTEGER NOT NULL DEFAULT 0;
ALTER TABLE groups ADD COLUMN auto_pause_scope       TEXT    NOT NULL DEFAULT 'group';
)sql";

// Migration 11 (call features, issue 12): a user's call forwarding (destinations in the
// API's JSON form, NULL = none) and the forwarding a call record followed.
constexpr std::string_view kMigration11 = R"sql(
ALTER TABLE users ADD COLUMN forward_always      TEXT;
ALTER TABLE users ADD COLUMN forward_busy        TEXT;
ALTER TABLE users ADD COLUMN forward_no_answer   TEXT;
ALTER TABLE users ADD COLUMN forward_no_answer_s INTEGER NOT NULL DEFAULT 20;
ALTER TABLE cdrs ADD COLUMN forwarded_from INTEGER;
ALTER TABLE cdrs ADD COLUMN forward_reason TEXT NOT NULL DEFAULT '';
)sql";

// Migration 12 (IVR menus, issue 13): docs/routing.md "IVR menus". Destinations are kept in
// the API's JSON form, like a group's fallback: `options` is one JSON object from key to
// destination ({"1": {"type": "group", "id": 3}, "#": {"type": "hangup"}}), `timeout` and
// `invalid` a destination or NULL (hang up). No foreign keys: a deleted menu, user or group
// leaves the destinations pointing at nothing, a routing gap the API reports.
constexpr std::string_view kMigration12 = R"sql(
CREATE TABLE ivr_menus (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  name        TEXT    NOT NULL UNIQUE COLLATE NOCASE,
  options     TEXT    NOT NULL,
  timeout_s   INTEGER NOT NULL,
  timeout     TEXT,
  invalid     TEXT,
  repeat      INTEGER NOT NULL,
  direct_dial INTEGER NOT NULL,
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL
);
)sql";

// Migration 13 (voicemail and waiting, issue 13): docs/media.md "The message index". One
// row per message file (`file` relative to <data_dir>/voicemail, unique), kept in step with
// the files at start-up; the call record names its message (`voicemail_id`, NULL = none),
// and groups say what their waiting callers hear ('ringback' | 'early_media' | 'answer')
// and how often their position is announced (0 = never). A message outlives the user or
// group of its mailbox (no foreign key): deleting a mailbox's owner is not deleting its
// messages.
constexpr std::string_view kMigration13 = R"sql(
CREATE TABLE voicemails (
  id            INTEGER PRIMARY KEY AUTOINCREMENT,
  box           TEXT    NOT NULL CHECK (box IN ('user', 'group')),
  box_id        INTEGER NOT NULL,
  file          TEXT    NOT NULL UNIQUE,
  call_id       TEXT    NOT NULL,
  caller        TEXT    NOT NULL,
  caller_name   TEXT    NOT NULL,
  called        TEXT    NOT NULL,
  group_id      INTEGER,
  started_at_ms INTEGER NOT NULL,
  duration_ms   INTEGER NOT NULL,
  sample_rate   INTEGER NOT NULL,
  heard         INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX voicemails_box ON voicemails(box, box_id, id);

ALTER TABLE cdrs ADD COLUMN voicemail_id INTEGER;

ALTER TABLE groups ADD COLUMN waiting_mode              TEXT    NOT NULL DEFAULT 'ringback';
ALTER TABLE groups ADD COLUMN announce_position_every_s INTEGER NOT NULL DEFAULT 0;
)sql";

// Version 14 (issue 13): what a call did in IVR menus and queues — the keys pressed, the
// option taken, the time in menus and the time waiting for groups.
constexpr std::string_view kMigration14 = R"sql(
ALTER TABLE cdrs ADD COLUMN ivr_keys   TEXT    NOT NULL DEFAULT '';
ALTER TABLE cdrs ADD COLUMN ivr_option TEXT    NOT NULL DEFAULT '';
ALTER TABLE cdrs ADD COLUMN ivr_ms     INTEGER NOT NULL DEFAULT 0;
ALTER TABLE cdrs ADD COLUMN queue_ms   INTEGER NOT NULL DEFAULT 0;
)sql";

// Version 15 (issue 13): where a trunk call's RTP goes — 'relay' (anchored at Cohort, the
// default, also for the trunks that exist) or 'direct' (the phone's SDP to the provider).
constexpr std::string_view kMigration15 = R"sql(
ALTER TABLE trunks ADD COLUMN media TEXT NOT NULL DEFAULT 'relay'
  CHECK (media IN ('relay', 'direct'));
)sql";

// In ascending version order; a version never changes once released.
constexpr std::array<Migration, 15> kMigrations = {{
    {1, kMigration1},
    {2, kMigration2},
    {3, kMigration3},
    {4, kMigration4},
    {5, kMigration5},
    {6, kMigration6},
    {7, kMigration7},
    {8, kMigration8},
    {9, kMigration9},
    {10, kMigration10},
    {11, kMigration11},
    {12, kMigration12},
    {13, kMigration13},
    {14, kMigration14},
    {15, kMigration15},
}};

constexpr const char* kCreateMigrationsTable =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    "version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)";
constexpr const char* kSelectVersion = "SELECT COALESCE(MAX(version), 0) FROM schema_migrations";
constexpr const char* kIsApplied = "SELECT 1 FROM schema_migrations WHERE version = ?";
constexpr const char* kRecordMigration =
    "INSERT INTO schema_migrations(version, applied_at) VALUES (?, ?)";

void rollback_quietly(SQLite::Database& db) {
  // Best effort: the error that made us roll back is the one worth reporting.
  (void)db.tryExec("ROLLBACK");
}

}  // namespace

std::span<const Migration> migrations() {
  return kMigrations;
}

bool is_applied(SQLite::Database& db, int version) {
  SQLite::Statement s(db, kIsApplied);
  s.bind(1, version);
  return s.executeStep();
}

int applied_version(SQLite::Database& db) {
  SQLite::Statement s(db, kSelectVersion);
  s.executeStep();
  return s.getColumn(0).getInt();
}

Result<void> migrate(SQLite::Database& db, const std::string& path, std::int64_t now) {
  const int known = kMigrations.back().version;
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
  // Every version not recorded yet, in order: versions may have gaps, and a branch's
  // migration applied before a lower one was merged still leaves the lower one to run.
  for (const Migration& m : kMigrations) {
    const int next = m.version;
    try {
      // IMMEDIATE takes the write lock up front, so a second process opening the same file
      // waits here and then sees the migration as applied instead of running it twice.
      db.exec("BEGIN IMMEDIATE");
      if (is_applied(db, next)) {
        db.exec("COMMIT");
        continue;
      }
      db.exec(std::string(m.sql));
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
