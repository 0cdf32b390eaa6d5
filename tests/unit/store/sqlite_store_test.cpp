// The SQLite backend: the shared repository suite on a real file, plus what only SQLite
// has (the file, its pragmas, its migrations).

#include "store/sqlite/sqlite_store.hpp"
#include "store/sqlite/schema.hpp"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Exception.h>
#include <SQLiteCpp/Statement.h>
#include <gtest/gtest.h>

#include <fstream>
#include <set>

#include "unit/store/repository_suite.hpp"
#include "unit/store/temp_dir.hpp"

namespace cohort::store::testing {
namespace {

class SqliteInstance final : public BackendInstance {
 public:
  Result<std::unique_ptr<Store>> open(const Clock& clock) override {
    return sqlite::open(dir_.file("cohort.db"), clock);
  }

 private:
  TempDir dir_;
};

INSTANTIATE_TEST_SUITE_P(Sqlite, RepositorySuite,
                         ::testing::Values(Backend{
                             "sqlite", [] { return std::make_unique<SqliteInstance>(); }}),
                         BackendName());

class SqliteStoreTest : public ::testing::Test {
 protected:
  std::string db_path() const { return dir_.file("cohort.db"); }

  TempDir dir_;
  ManualClock clock_{SystemTime{std::chrono::seconds(1'700'000'000)}};
};

TEST_F(SqliteStoreTest, MigrationsAreRecordedOnce) {
  ASSERT_GE(sqlite::schema_version(), 1);
  for (int round = 0; round < 2; ++round) {
    clock_.advance(std::chrono::seconds(10));
    auto store = sqlite::open(db_path(), clock_);
    ASSERT_TRUE(store) << store.error().message;
  }
  SQLite::Database db(db_path(), SQLite::OPEN_READONLY);
  SQLite::Statement s(db, "SELECT version, applied_at FROM schema_migrations ORDER BY version");
  std::size_t next = 0;
  const auto known = sqlite::detail::migrations();
  while (s.executeStep()) {
    ASSERT_LT(next, known.size());
    EXPECT_EQ(s.getColumn(0).getInt(), known[next].version);
    // Applied by the first open, not re-applied by the second.
    EXPECT_EQ(s.getColumn(1).getInt64(), 1'700'000'010);
    ++next;
  }
  EXPECT_EQ(next, known.size());
  EXPECT_EQ(known.back().version, sqlite::schema_version());
}

// Branches number their migrations ahead of merging (forwarding was written as 10 beside 9
// and 10 of other branches, and became 11): a database
// that recorded a higher version without a lower one gets the lower one at the next open.
TEST_F(SqliteStoreTest, MigrationMissingBelowTheLatestIsApplied) {
  const auto known = sqlite::detail::migrations();
  {
    SQLite::Database db(db_path(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    db.exec("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER)");
    for (const auto& m : known) {
      if (m.version == 8) {
        continue;  // users.dnd: independent of the later ones
      }
      db.exec(std::string(m.sql));
      SQLite::Statement s(db, "INSERT INTO schema_migrations VALUES (?, 0)");
      s.bind(1, m.version);
      s.exec();
    }
  }
  {
    auto store = sqlite::open(db_path(), clock_);
    ASSERT_TRUE(store) << store.error().message;
  }
  SQLite::Database db(db_path(), SQLite::OPEN_READONLY);
  EXPECT_TRUE(sqlite::detail::is_applied(db, 8));
  EXPECT_EQ(
      db.execAndGet("SELECT COUNT(*) FROM pragma_table_info('users') WHERE name = 'dnd'").getInt(),
      1);
}

// Migration 11: users have no forwarding, records no forward, until told otherwise.
TEST_F(SqliteStoreTest, Migration11AddsForwardingColumns) {
  {
    auto store = sqlite::open(db_path(), clock_);
    ASSERT_TRUE(store) << store.error().message;
  }
  SQLite::Database db(db_path(), SQLite::OPEN_READONLY);
  EXPECT_TRUE(sqlite::detail::is_applied(db, 11));
  for (const char* column :
       {"forward_always", "forward_busy", "forward_no_answer", "forward_no_answer_s"}) {
    SQLite::Statement s(db, "SELECT dflt_value FROM pragma_table_info('users') WHERE name = ?");
    s.bind(1, column);
    ASSERT_TRUE(s.executeStep()) << column;
  }
  for (const char* column : {"forwarded_from", "forward_reason"}) {
    SQLite::Statement s(db, "SELECT 1 FROM pragma_table_info('cdrs') WHERE name = ?");
    s.bind(1, column);
    EXPECT_TRUE(s.executeStep()) << column;
  }
}

// Every REGISTER rewrites its binding row; an index beside the primary key would be written
// on each refresh too (migration 7 dropped the unused expiry index).
TEST_F(SqliteStoreTest, BindingsHaveNoSecondaryIndex) {
  {
    auto store = sqlite::open(db_path(), clock_);
    ASSERT_TRUE(store) << store.error().message;
  }
  SQLite::Database db(db_path(), SQLite::OPEN_READONLY);
  SQLite::Statement s(db, "SELECT name, origin FROM pragma_index_list('bindings')");
  while (s.executeStep()) {
    EXPECT_EQ(s.getColumn(1).getString(), "pk") << "index " << s.getColumn(0).getString();
  }
}

TEST_F(SqliteStoreTest, UsesWriteAheadLogging) {
  {
    auto store = sqlite::open(db_path(), clock_);
    ASSERT_TRUE(store) << store.error().message;
  }
  // journal_mode=WAL is persistent in the file; the other pragmas are per connection.
  SQLite::Database db(db_path(), SQLite::OPEN_READONLY);
  EXPECT_EQ(db.execAndGet("PRAGMA journal_mode").getString(), "wal");
}

TEST_F(SqliteStoreTest, DatabaseFromTheFutureIsRefused) {
  {
    auto store = sqlite::open(db_path(), clock_);
    ASSERT_TRUE(store) << store.error().message;
  }
  {
    SQLite::Database db(db_path(), SQLite::OPEN_READWRITE);
    SQLite::Statement s(db, "INSERT INTO schema_migrations(version, applied_at) VALUES (?, 0)");
    s.bind(1, sqlite::schema_version() + 1);
    s.exec();
  }
  auto store = sqlite::open(db_path(), clock_);
  ASSERT_FALSE(store);
  EXPECT_NE(store.error().message.find(db_path()), std::string::npos) << store.error().message;
  EXPECT_NE(store.error().message.find("newer"), std::string::npos) << store.error().message;
}

TEST_F(SqliteStoreTest, MissingDirectoryFailsNamingThePath) {
  const std::string path = dir_.file("no/such/dir/cohort.db");
  auto store = sqlite::open(path, clock_);
  ASSERT_FALSE(store);
  EXPECT_NE(store.error().message.find(path), std::string::npos) << store.error().message;
}

TEST_F(SqliteStoreTest, NotADatabaseFailsNamingThePath) {
  {
    std::ofstream garbage(db_path());
    garbage << std::string(8192, 'x');
  }
  auto store = sqlite::open(db_path(), clock_);
  ASSERT_FALSE(store);
  EXPECT_NE(store.error().message.find(db_path()), std::string::npos) << store.error().message;
}

TEST_F(SqliteStoreTest, CorruptRowFailsTheLoad) {
  {
    auto store = sqlite::open(db_path(), clock_);
    ASSERT_TRUE(store);
    ASSERT_TRUE((*store)->transact([](Transaction& tx) -> Result<void> {
      model::User u;
      u.name = "A";
      u.email = "a@example.com";
      u.extension = "1001";
      auto created = tx.users().create(u);
      if (!created) {
        return fail(created.error());
      }
      return {};
    }));
  }
  {
    SQLite::Database db(db_path(), SQLite::OPEN_READWRITE);
    db.exec("UPDATE users SET role = 'pilot'");
  }
  auto store = sqlite::open(db_path(), clock_);
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().code, Errc::kInternal);
  EXPECT_NE(store.error().message.find("pilot"), std::string::npos) << store.error().message;
}

// A call record's words are read back into enums: a word the code does not know (a hand
// edit, a newer version's) fails the query with the store's corrupt-row error, naming the
// column and the word, rather than passing for another value.
TEST_F(SqliteStoreTest, CorruptCallRecordWordFailsTheQuery) {
  CdrRecord r;
  r.id = "call-1";
  r.direction = model::CallDirection::kInbound;
  r.start_ms = 1'700'000'000'000;
  r.end_ms = r.start_ms + 1'000;
  r.disposition = model::Disposition::kFallback;
  r.fallback_reason = model::FallbackReason::kNoAnswer;
  r.attempts = {{4, 7, r.start_ms, r.start_ms + 500, model::AttemptResult::kBusy}};
  {
    auto store = sqlite::open(db_path(), clock_);
    ASSERT_TRUE(store) << store.error().message;
    ASSERT_TRUE((*store)->cdrs().save_cdrs({r}));
  }
  const std::string good =
      "UPDATE cdrs SET direction = 'inbound', disposition = 'fallback', "
      "fallback_reason = 'no_answer', "
      "attempts = '[{\"user\":4,\"group\":7,\"start_ms\":1,"
      "\"end_ms\":2,\"result\":\"busy\"}]'";
  const std::pair<std::string, std::string> bad[] = {
      {"UPDATE cdrs SET direction = 'sideways'", "cdrs.direction of row 1 is 'sideways'"},
      {"UPDATE cdrs SET direction = ''", "cdrs.direction of row 1 is ''"},
      {"UPDATE cdrs SET disposition = 'ANSWERED'", "cdrs.disposition of row 1 is 'ANSWERED'"},
      {"UPDATE cdrs SET fallback_reason = 'boredom'", "cdrs.fallback_reason of row 1 is 'boredom'"},
      {"UPDATE cdrs SET attempts = '[{\"user\":4,\"group\":7,\"start_ms\":1,\"end_ms\":2,"
       "\"result\":\"hung\"}]'",
       "cdrs.attempts[].result of row 1 is 'hung'"},
  };
  for (const auto& [update, message] : bad) {
    SCOPED_TRACE(update);
    {
      SQLite::Database db(db_path(), SQLite::OPEN_READWRITE);
      db.exec(good);
      db.exec(update);
    }
    auto store = sqlite::open(db_path(), clock_);
    ASSERT_TRUE(store) << store.error().message;
    auto cdrs = (*store)->cdrs().query_cdrs({});
    ASSERT_FALSE(cdrs);
    EXPECT_EQ(cdrs.error().code, Errc::kInternal);
    EXPECT_NE(cdrs.error().message.find(message), std::string::npos) << cdrs.error().message;
  }
  {
    SQLite::Database db(db_path(), SQLite::OPEN_READWRITE);
    db.exec(good);
  }
  auto store = sqlite::open(db_path(), clock_);
  ASSERT_TRUE(store) << store.error().message;
  auto cdrs = (*store)->cdrs().query_cdrs({});
  ASSERT_TRUE(cdrs) << cdrs.error().message;
  ASSERT_EQ(cdrs->size(), 1u);
  EXPECT_EQ((*cdrs)[0].direction, model::CallDirection::kInbound);
  EXPECT_EQ((*cdrs)[0].disposition, model::Disposition::kFallback);
  EXPECT_EQ((*cdrs)[0].fallback_reason, model::FallbackReason::kNoAnswer);
  ASSERT_EQ((*cdrs)[0].attempts.size(), 1u);
  EXPECT_EQ((*cdrs)[0].attempts[0].result, model::AttemptResult::kBusy);
}

TEST_F(SqliteStoreTest, Migration3GivesExistingTrunksDefaultsAndAddsTables) {
  // A database written by the previous release: migrations 1 and 2, one trunk.
  {
    SQLite::Database db(db_path(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    db.exec("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER)");
    for (int v = 1; v <= 2; ++v) {
      db.exec(std::string(sqlite::detail::migrations()[static_cast<std::size_t>(v - 1)].sql));
      SQLite::Statement s(db, "INSERT INTO schema_migrations VALUES (?, 0)");
      s.bind(1, v);
      s.exec();
    }
    db.exec("INSERT INTO trunks(name, created_at, updated_at) VALUES ('Old', 5, 6)");
  }
  auto opened = sqlite::open(db_path(), clock_);
  ASSERT_TRUE(opened) << opened.error().message;
  auto s = (*opened)->snapshot();
  ASSERT_EQ(s->trunk_ids().size(), 1u);
  model::Trunk expected;
  expected.id = s->trunk_ids()[0];
  expected.name = "Old";
  expected.created_at = 5;
  expected.updated_at = 6;
  EXPECT_EQ(*s->trunk(expected.id), expected) << "every new column has the model's default";
  EXPECT_TRUE(s->outbound_rules().empty());
  auto cdrs = (*opened)->cdrs().query_cdrs({});
  ASSERT_TRUE(cdrs) << cdrs.error().message;
  EXPECT_TRUE(cdrs->empty());
  opened->reset();

  SQLite::Database db(db_path(), SQLite::OPEN_READONLY);
  EXPECT_EQ(sqlite::detail::applied_version(db), sqlite::schema_version());
  // The CDR filters are served by indexes.
  std::set<std::string> indexes;
  SQLite::Statement q(db,
                      "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'cdrs'");
  while (q.executeStep()) {
    indexes.insert(q.getColumn(0).getString());
  }
  for (const char* name : {"cdrs_start_ms", "cdrs_caller_user", "cdrs_callee_user",
                           "cdrs_caller_id_group", "cdrs_direction", "cdrs_disposition"}) {
    EXPECT_TRUE(indexes.contains(name)) << name;
  }
}

TEST_F(SqliteStoreTest, Migration4KeepsDataGivesDefaultsAndAddsTables) {
  // A database written by the previous release: migrations 1 to 3 with a user in a group,
  // a trunk and a call record.
  {
    SQLite::Database db(db_path(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    db.exec("PRAGMA foreign_keys = ON");
    db.exec("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER)");
    for (int v = 1; v <= 3; ++v) {
      db.exec(std::string(sqlite::detail::migrations()[static_cast<std::size_t>(v - 1)].sql));
      SQLite::Statement s(db, "INSERT INTO schema_migrations VALUES (?, 0)");
      s.bind(1, v);
      s.exec();
    }
    db.exec(
        "INSERT INTO users(id, name, email, extension, caller_id, role, active, digest_realm, "
        "ha1_md5, ha1_sha256, created_at, updated_at) "
        "VALUES (1, 'Ann', 'ann@example.com', '1001', NULL, 'agent', 1, 'cohort', 'm', 's', 1, 2)");
    db.exec(
        "INSERT INTO groups(id, name, description, extension, outbound_caller_id, trunk_id, "
        "ring_strategy, ring_timeout_s, max_wait_s, wrap_up_s, fallback, cti_scope, created_at, "
        "updated_at) VALUES (1, 'Sales', 'd', '600', NULL, NULL, 'round_robin', 15, 60, 5, "
        "'{\"type\":\"hangup\"}', 0, 3, 4)");
    db.exec("INSERT INTO memberships VALUES (1, 1, 1, 7)");
    db.exec(
        "INSERT INTO cdrs(id, a_leg_call_id, b_leg_call_id, direction, caller_user, callee_user, "
        "caller, dialled, number_sent, caller_id, caller_id_group, trunk_id, rule_id, start_ms, "
        "ringing_ms, answer_ms, end_ms, disposition, hangup_cause, sip_status) VALUES "
        "('old', 'a', 'b', 'internal', 1, NULL, '1001', '1002', '1002', '1001', 1, NULL, NULL, "
        "10, 20, 30, 40, 'answered', 'caller_bye', 200)");
  }
  auto opened = sqlite::open(db_path(), clock_);
  ASSERT_TRUE(opened) << opened.error().message;
  auto s = (*opened)->snapshot();
  ASSERT_NE(s->user(1), nullptr);
  EXPECT_EQ(s->user(1)->name, "Ann");
  EXPECT_FALSE(s->user(1)->paused);
  EXPECT_EQ(s->user(1)->pause_reason, "");
  ASSERT_NE(s->group(1), nullptr);
  const model::Group& g = *s->group(1);
  EXPECT_EQ(g.ring_strategy, model::RingStrategy::kRoundRobin);
  EXPECT_EQ(g.ring_timeout_s, 15);
  EXPECT_EQ(g.fallback, std::optional<model::Destination>(model::DestHangup{}));
  EXPECT_FALSE(g.ring_in_use);
  EXPECT_TRUE(g.skip_unregistered);
  EXPECT_FALSE(g.schedule);
  EXPECT_FALSE(g.closed_destination);
  ASSERT_EQ(s->members(1).size(), 1u);
  EXPECT_EQ(s->members(1)[0], (model::Member{1, 1, 7, false, ""}));
  EXPECT_EQ(s->groups_of(1)[0], (model::UserMembership{1, 1, 7, false, ""}));
  EXPECT_TRUE(s->inbound_routes().empty());
  EXPECT_TRUE(s->schedule_ids().empty());
  auto cdrs = (*opened)->cdrs().query_cdrs({.group = 1});
  ASSERT_TRUE(cdrs) << cdrs.error().message;
  ASSERT_EQ(cdrs->size(), 1u);
  const CdrRecord& r = (*cdrs)[0];
  EXPECT_EQ(r.id, "old");
  EXPECT_EQ(r.answer_ms, 30);
  EXPECT_FALSE(r.inbound_route);
  EXPECT_EQ(r.did, "");
  EXPECT_FALSE(r.group);
  EXPECT_FALSE(r.answered_by);
  EXPECT_EQ(r.wait_ms, 0);
  EXPECT_EQ(r.talk_ms, 0);
  EXPECT_FALSE(r.fallback_reason.has_value());
  EXPECT_EQ(r.fallback_to, "");
  EXPECT_TRUE(r.attempts.empty());
  auto cursors = (*opened)->hunt().load_cursors();
  ASSERT_TRUE(cursors) << cursors.error().message;
  EXPECT_TRUE(cursors->empty());
  auto last = (*opened)->hunt().last_calls();
  ASSERT_TRUE(last) << last.error().message;
  EXPECT_TRUE(last->empty()) << "old records name no answering member";
  opened->reset();

  SQLite::Database db(db_path(), SQLite::OPEN_READONLY);
  EXPECT_EQ(sqlite::detail::applied_version(db), sqlite::schema_version());
  std::set<std::string> indexes;
  SQLite::Statement q(db,
                      "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'cdrs'");
  while (q.executeStep()) {
    indexes.insert(q.getColumn(0).getString());
  }
  EXPECT_TRUE(indexes.contains("cdrs_group_id"));
  EXPECT_TRUE(indexes.contains("cdrs_answered_by"));
}

TEST_F(SqliteStoreTest, CorruptScheduleFailsTheLoad) {
  {
    auto store = sqlite::open(db_path(), clock_);
    ASSERT_TRUE(store);
    ASSERT_TRUE((*store)->transact([](Transaction& tx) -> Result<void> {
      model::Schedule sc;
      sc.name = "Hours";
      sc.weekly = {{model::kMon, 0, 60}};
      COHORT_TRY(tx.schedules().create(sc));
      return {};
    }));
  }
  for (const char* bad : {"UPDATE schedules SET weekly = '[[1, 0]]'",
                          "UPDATE schedules SET weekly = '[[1,0,60]]', holidays = '[{\"name\":1}]'",
                          "UPDATE schedules SET holidays = '[]', override = 'sometimes'"}) {
    {
      SQLite::Database db(db_path(), SQLite::OPEN_READWRITE);
      db.exec(bad);
    }
    auto store = sqlite::open(db_path(), clock_);
    ASSERT_FALSE(store) << bad;
    EXPECT_EQ(store.error().code, Errc::kInternal);
    EXPECT_NE(store.error().message.find("schedules."), std::string::npos) << store.error().message;
  }
}

TEST_F(SqliteStoreTest, CorruptRuleListFailsTheLoad) {
  {
    auto store = sqlite::open(db_path(), clock_);
    ASSERT_TRUE(store);
    ASSERT_TRUE((*store)->transact([](Transaction& tx) -> Result<void> {
      model::OutboundRule r;
      r.name = "R";
      r.patterns = {"_X."};
      r.trunks = {1};
      COHORT_TRY(tx.outbound_rules().create(r));
      return {};
    }));
  }
  {
    SQLite::Database db(db_path(), SQLite::OPEN_READWRITE);
    db.exec("UPDATE outbound_rules SET trunks = '[\"one\"]'");
  }
  auto store = sqlite::open(db_path(), clock_);
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().code, Errc::kInternal);
  EXPECT_NE(store.error().message.find("outbound_rules.trunks"), std::string::npos)
      << store.error().message;
}

TEST_F(SqliteStoreTest, ExtensionsTableFollowsUsersAndGroups) {
  auto opened = sqlite::open(db_path(), clock_);
  ASSERT_TRUE(opened);
  auto& store = **opened;
  model::UserId uid = 0;
  ASSERT_TRUE(store.transact([&](Transaction& tx) -> Result<void> {
    model::User u;
    u.name = "A";
    u.email = "a@example.com";
    u.extension = "1001";
    auto user = tx.users().create(u);
    model::Group g;
    g.name = "G";
    g.extension = "2001";
    auto group = tx.groups().create(g);
    if (!user || !group) {
      return fail(Error::internal("setup"));
    }
    uid = user->id;
    model::User changed = *user;
    changed.extension = "1002";
    auto updated = tx.users().update(changed);
    if (!updated) {
      return fail(updated.error());
    }
    return tx.groups().remove(group->id);
  }));
  SQLite::Database db(db_path(), SQLite::OPEN_READONLY);
  SQLite::Statement s(db, "SELECT extension, owner_kind, owner_id FROM extensions");
  ASSERT_TRUE(s.executeStep());
  EXPECT_EQ(s.getColumn(0).getString(), "1002");
  EXPECT_EQ(s.getColumn(1).getString(), "user");
  EXPECT_EQ(s.getColumn(2).getInt64(), uid);
  EXPECT_FALSE(s.executeStep());
}

}  // namespace
}  // namespace cohort::store::testing

namespace cohort::store::testing {
namespace {

TEST_F(SqliteStoreTest, Migration5GivesUsersNoConsolePasswordAndAddsSessions) {
  {
    SQLite::Database db(db_path(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    db.exec("PRAGMA foreign_keys = ON");
    db.exec("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER)");
    for (int v = 1; v <= 4; ++v) {
      db.exec(std::string(sqlite::detail::migrations()[static_cast<std::size_t>(v - 1)].sql));
      SQLite::Statement s(db, "INSERT INTO schema_migrations VALUES (?, 0)");
      s.bind(1, v);
      s.exec();
    }
    db.exec(
        "INSERT INTO users(id, name, email, extension, caller_id, role, active, digest_realm, "
        "ha1_md5, ha1_sha256, created_at, updated_at) "
        "VALUES (1, 'Ann', 'ann@example.com', '1001', NULL, 'admin', 1, 'cohort', 'm', 's', 1, 2)");
  }
  auto opened = sqlite::open(db_path(), clock_);
  ASSERT_TRUE(opened) << opened.error().message;
  ASSERT_NE((*opened)->snapshot()->user(1), nullptr);
  EXPECT_EQ((*opened)->snapshot()->user(1)->password_hash, "");
  auto sessions = (*opened)->sessions().load_sessions();
  ASSERT_TRUE(sessions) << sessions.error().message;
  EXPECT_TRUE(sessions->empty());
  ASSERT_TRUE((*opened)->sessions().save_session({"id", 1, SessionKind::kPassword, "stamp", 5, 5}));
  EXPECT_EQ((*opened)->sessions().load_sessions()->size(), 1u);
}

// Migration 15 (issue 13): the trunks that exist keep relaying their calls' RTP, and the
// column takes only the two words the store can read back.
TEST_F(SqliteStoreTest, Migration15GivesExistingTrunksRelayMedia) {
  {
    SQLite::Database db(db_path(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    db.exec("PRAGMA foreign_keys = ON");
    db.exec("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER)");
    for (const auto& m : sqlite::detail::migrations()) {
      if (m.version >= 15) {
        break;
      }
      db.exec(std::string(m.sql));
      SQLite::Statement s(db, "INSERT INTO schema_migrations VALUES (?, 0)");
      s.bind(1, m.version);
      s.exec();
    }
    db.exec(
        "INSERT INTO trunks(id, name, host, port, transport, created_at, updated_at) "
        "VALUES (1, 'Old', 'sip.example.net', 5080, 'tcp', 5, 6)");
  }
  {
    auto opened = sqlite::open(db_path(), clock_);
    ASSERT_TRUE(opened) << opened.error().message;
    const model::Trunk* t = (*opened)->snapshot()->trunk(1);
    ASSERT_NE(t, nullptr);
    EXPECT_EQ(t->media, model::TrunkMedia::kRelay);
    EXPECT_EQ(t->name, "Old");
    EXPECT_EQ(t->host, "sip.example.net");
    EXPECT_EQ(t->port, 5080);
    EXPECT_EQ(t->transport, model::TrunkTransport::kTcp);
    EXPECT_EQ(t->updated_at, 6) << "the migration is not an edit of the trunk";
  }
  SQLite::Database db(db_path(), SQLite::OPEN_READWRITE);
  EXPECT_TRUE(sqlite::detail::is_applied(db, 15));
  EXPECT_EQ(db.execAndGet("SELECT media FROM trunks WHERE id = 1").getString(), "relay");
  db.exec("UPDATE trunks SET media = 'direct' WHERE id = 1");
  EXPECT_THROW(db.exec("UPDATE trunks SET media = 'sideways' WHERE id = 1"), SQLite::Exception);
  EXPECT_THROW(db.exec("UPDATE trunks SET media = 'Relay' WHERE id = 1"), SQLite::Exception);
  EXPECT_EQ(db.execAndGet("SELECT media FROM trunks WHERE id = 1").getString(), "direct");
}

// A media word the code does not know (written past the CHECK) fails the load, naming the
// column and the word, rather than passing for relay.
TEST_F(SqliteStoreTest, CorruptTrunkMediaFailsTheLoad) {
  {
    auto store = sqlite::open(db_path(), clock_);
    ASSERT_TRUE(store) << store.error().message;
    ASSERT_TRUE((*store)->transact([](Transaction& tx) -> Result<void> {
      model::Trunk t;
      t.name = "Provider";
      COHORT_TRY(tx.trunks().create(t));
      return {};
    }));
  }
  {
    SQLite::Database db(db_path(), SQLite::OPEN_READWRITE);
    db.exec("PRAGMA ignore_check_constraints = ON");
    db.exec("UPDATE trunks SET media = 'sideways'");
  }
  auto store = sqlite::open(db_path(), clock_);
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().code, Errc::kInternal);
  EXPECT_NE(store.error().message.find("trunks.media of trunk 1 is 'sideways'"), std::string::npos)
      << store.error().message;
}

}  // namespace
}  // namespace cohort::store::testing
