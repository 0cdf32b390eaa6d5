// IVR menus in the store: the shared repository suite's cases for menus (every backend), and
// what only SQLite has (the table's migration, a corrupt row).

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <gtest/gtest.h>

#include "store/sqlite/schema.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "unit/store/repository_suite.hpp"
#include "unit/store/temp_dir.hpp"

namespace cohort::store::testing {
namespace {

model::IvrMenu make_menu(const std::string& name) {
  model::IvrMenu m;
  m.name = name;
  return m;
}

/// A menu with every field away from its default; options given out of keypad order.
model::IvrMenu make_full_menu(const std::string& name) {
  model::IvrMenu m = make_menu(name);
  m.options = {{'#', model::DestHangup{}},
               {'2', model::DestUser{42}},
               {'1', model::DestGroup{7}},
               {'*', model::DestIvr{9}},
               {'0', model::DestNumber{"+4930123"}},
               {'9', model::DestVoicemail{model::DestVoicemail::Box::kGroup, 7}}};
  m.timeout_s = 12;
  m.timeout = model::DestGroup{8};
  m.invalid = model::DestIvr{9};
  m.repeat = 5;
  m.direct_dial = true;
  return m;
}

std::string keys_of(const model::IvrMenu& m) {
  std::string out;
  for (const model::IvrOption& o : m.options) {
    out.push_back(o.key);
  }
  return out;
}

}  // namespace

TEST_P(RepositorySuite, IvrMenuCreateUpdateRemove) {
  const std::uint64_t before = version();
  auto created =
      in_tx([&](Transaction& tx) { return tx.ivr_menus().create(make_full_menu("Main")); });
  ASSERT_TRUE(created) << created.error().message;
  EXPECT_GT(created->id, 0);
  EXPECT_EQ(created->created_at, kT0);
  EXPECT_EQ(created->updated_at, kT0);
  EXPECT_EQ(keys_of(*created), "0129*#") << "stored in keypad order";
  model::IvrMenu expected = make_full_menu("Main");
  model::sort_ivr_options(expected.options);
  expected.id = created->id;
  expected.created_at = kT0;
  expected.updated_at = kT0;
  EXPECT_EQ(*created, expected);
  EXPECT_EQ(version(), before + 1);
  ASSERT_NE(snap()->ivr_menu(created->id), nullptr);
  EXPECT_EQ(*snap()->ivr_menu(created->id), expected);

  // Defaults round-trip too: no options, no exits.
  auto plain = in_tx([&](Transaction& tx) { return tx.ivr_menus().create(make_menu("Plain")); });
  ASSERT_TRUE(plain);
  EXPECT_TRUE(plain->options.empty());
  EXPECT_FALSE(plain->timeout);
  EXPECT_FALSE(plain->invalid);
  EXPECT_EQ(plain->timeout_s, model::kDefaultIvrTimeoutS);
  EXPECT_EQ(plain->repeat, model::kDefaultIvrRepeat);
  EXPECT_FALSE(plain->direct_dial);

  set_time(kT0 + 30);
  model::IvrMenu changed = *created;
  changed.name = "Reception";
  changed.options = {{'5', model::DestGroup{3}}};
  changed.timeout.reset();
  changed.invalid = model::DestHangup{};
  changed.timeout_s = 1;
  changed.repeat = 1;
  changed.direct_dial = false;
  auto updated = in_tx([&](Transaction& tx) { return tx.ivr_menus().update(changed); });
  ASSERT_TRUE(updated) << updated.error().message;
  EXPECT_EQ(updated->updated_at, kT0 + 30);
  EXPECT_EQ(updated->created_at, kT0);
  changed.updated_at = kT0 + 30;
  EXPECT_EQ(*updated, changed);
  EXPECT_EQ(*snap()->ivr_menu(changed.id), changed);
  EXPECT_EQ(snap()->ivr_menu_by_name("RECEPTION")->id, changed.id);
  EXPECT_EQ(snap()->ivr_menu_by_name("Main"), nullptr);

  ASSERT_TRUE(in_tx([&](Transaction& tx) { return tx.ivr_menus().remove(changed.id); }));
  EXPECT_EQ(snap()->ivr_menu(changed.id), nullptr);
  EXPECT_EQ(snap()->ivr_menu_ids().size(), 1u);

  auto missing = in_tx([&](Transaction& tx) { return tx.ivr_menus().remove(changed.id); });
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, Errc::kNotFound);
  auto ghost = in_tx([&](Transaction& tx) { return tx.ivr_menus().update(changed); });
  ASSERT_FALSE(ghost);
  EXPECT_EQ(ghost.error().code, Errc::kNotFound);

  // Ids are never reused: a destination left pointing at the deleted menu stays a gap.
  auto next = in_tx([&](Transaction& tx) { return tx.ivr_menus().create(make_menu("Next")); });
  ASSERT_TRUE(next);
  EXPECT_GT(next->id, changed.id);
}

TEST_P(RepositorySuite, IvrMenuNameIsUniqueIgnoringCase) {
  ASSERT_TRUE(in_tx([&](Transaction& tx) { return tx.ivr_menus().create(make_menu("Main")); }));
  auto other =
      in_tx([&](Transaction& tx) { return tx.ivr_menus().create(make_menu("Night menu")); });
  ASSERT_TRUE(other);
  const std::string before = dump(*snap());
  auto dup = in_tx([&](Transaction& tx) { return tx.ivr_menus().create(make_menu("MAIN")); });
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().code, Errc::kConflict);
  EXPECT_EQ(dup.error().field, "name");
  model::IvrMenu renamed = *other;
  renamed.name = "main";
  auto clash = in_tx([&](Transaction& tx) { return tx.ivr_menus().update(renamed); });
  ASSERT_FALSE(clash);
  EXPECT_EQ(clash.error().field, "name");
  EXPECT_EQ(dump(*snap()), before);
}

TEST_P(RepositorySuite, IvrMenusRollBackWithTheirTransaction) {
  const std::string before = dump(*snap());
  auto failed = store_->transact([&](Transaction& tx) -> Result<void> {
    COHORT_TRY(tx.ivr_menus().create(make_full_menu("Main")));
    return fail(Error::invalid("x", "the request failed after the write"));
  });
  ASSERT_FALSE(failed);
  EXPECT_EQ(dump(*snap()), before);
  EXPECT_TRUE(snap()->ivr_menu_ids().empty());
}

TEST_P(RepositorySuite, IvrMenusSurviveARestart) {
  auto main = in_tx([&](Transaction& tx) { return tx.ivr_menus().create(make_full_menu("Main")); });
  ASSERT_TRUE(main);
  set_time(kT0 + 5);
  auto sub = in_tx([&](Transaction& tx) { return tx.ivr_menus().create(make_menu("Sub")); });
  ASSERT_TRUE(sub);
  auto gone = in_tx([&](Transaction& tx) { return tx.ivr_menus().create(make_menu("Gone")); });
  ASSERT_TRUE(gone);
  ASSERT_TRUE(in_tx([&](Transaction& tx) { return tx.ivr_menus().remove(gone->id); }));
  const std::string before = dump(*snap());
  const model::IvrMenu stored = *snap()->ivr_menu(main->id);

  reopen();
  EXPECT_EQ(dump(*snap()), before);
  ASSERT_NE(snap()->ivr_menu(main->id), nullptr);
  EXPECT_EQ(*snap()->ivr_menu(main->id), stored);
  EXPECT_EQ(snap()->ivr_menu(gone->id), nullptr);
  EXPECT_EQ(snap()->ivr_menu_by_name("sub")->id, sub->id);
}

namespace {

class SqliteIvrTest : public ::testing::Test {
 protected:
  std::string db_path() const { return dir_.file("cohort.db"); }
  TempDir dir_;
  ManualClock clock_{SystemTime{std::chrono::seconds(1'700'000'000)}};
};

TEST_F(SqliteIvrTest, Migration12AddsTheMenusTable) {
  const auto known = sqlite::detail::migrations();
  ASSERT_GE(known.size(), 12u);
  EXPECT_EQ(known[11].version, 12);
  {
    auto store = sqlite::open(db_path(), clock_);
    ASSERT_TRUE(store) << store.error().message;
  }
  SQLite::Database db(db_path(), SQLite::OPEN_READONLY);
  SQLite::Statement s(db, "SELECT name FROM pragma_table_info('ivr_menus') ORDER BY cid");
  std::vector<std::string> columns;
  while (s.executeStep()) {
    columns.push_back(s.getColumn(0).getString());
  }
  EXPECT_EQ(columns,
            (std::vector<std::string>{"id", "name", "options", "timeout_s", "timeout", "invalid",
                                      "repeat", "direct_dial", "created_at", "updated_at"}));
  EXPECT_TRUE(sqlite::detail::is_applied(db, 12));
}

TEST_F(SqliteIvrTest, CorruptMenuFailsTheLoad) {
  {
    auto store = sqlite::open(db_path(), clock_);
    ASSERT_TRUE(store);
    ASSERT_TRUE((*store)->transact([](Transaction& tx) -> Result<void> {
      COHORT_TRY(tx.ivr_menus().create(make_full_menu("Main")));
      return {};
    }));
  }
  for (const char* bad :
       {"UPDATE ivr_menus SET options = '[1]'", "UPDATE ivr_menus SET options = '{\"A\": {}}'",
        "UPDATE ivr_menus SET options = '{\"1\": {\"type\": \"queue\"}}'",
        "UPDATE ivr_menus SET options = '{}', timeout = 'not json'"}) {
    {
      SQLite::Database db(db_path(), SQLite::OPEN_READWRITE);
      db.exec(bad);
    }
    auto store = sqlite::open(db_path(), clock_);
    ASSERT_FALSE(store) << bad;
    EXPECT_EQ(store.error().code, Errc::kInternal);
    EXPECT_NE(store.error().message.find("ivr_menus."), std::string::npos) << store.error().message;
  }
}

}  // namespace
}  // namespace cohort::store::testing
