// Sessions and the sign-in throttle on a hand-driven clock, over an in-memory SessionStore
// (the SQLite one is exercised by the store suite and the integration tests).

#include "api/sessions.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>

namespace cohort::api {
namespace {

using namespace std::chrono_literals;

class MemorySessions final : public store::SessionStore {
 public:
  Result<std::vector<store::SessionRecord>> load_sessions() override {
    std::vector<store::SessionRecord> out;
    for (const auto& [id, r] : rows) {
      out.push_back(r);
    }
    return out;
  }
  Result<void> save_session(const store::SessionRecord& s) override {
    ++saves;
    rows[s.id_sha256] = s;
    return {};
  }
  Result<void> delete_sessions(const std::vector<std::string>& ids) override {
    for (const auto& id : ids) {
      rows.erase(id);
    }
    return {};
  }
  std::map<std::string, store::SessionRecord> rows;
  int saves = 0;
};

class SessionsTest : public ::testing::Test {
 protected:
  ManualClock clock{SystemTime{} + std::chrono::hours(24 * 365 * 50)};
  MemorySessions store;
  Sessions sessions{store, clock};
};

TEST_F(SessionsTest, OpenPersistsOnlyTheHashAndFindsBySecret) {
  auto o = sessions.open(7, store::SessionKind::kPassword, "stamp");
  ASSERT_TRUE(o);
  EXPECT_EQ(o->secret.size(), 64u);
  ASSERT_EQ(store.rows.size(), 1u);
  const auto& row = store.rows.begin()->second;
  EXPECT_NE(row.id_sha256, o->secret);
  EXPECT_EQ(row.user, 7);
  EXPECT_EQ(o->csrf_token, Sessions::csrf_of(o->secret));
  EXPECT_NE(o->csrf_token, o->secret);
  auto found = sessions.find(o->secret);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->credential, "stamp");
  EXPECT_FALSE(sessions.find(std::string(64, '0')));
  EXPECT_FALSE(sessions.find(""));
}

TEST_F(SessionsTest, IdleSessionsEndAfterTwelveHoursActiveOnesAfterSevenDays) {
  auto idle = sessions.open(1, store::SessionKind::kPassword, "s");
  auto busy = sessions.open(2, store::SessionKind::kPassword, "s");
  ASSERT_TRUE(idle && busy);
  for (int hour = 1; hour < 24 * 7; ++hour) {
    clock.advance(1h);
    ASSERT_TRUE(sessions.find(busy->secret)) << "hour " << hour;
  }
  EXPECT_FALSE(sessions.find(idle->secret)) << "idle for a week";
  clock.advance(1h);
  EXPECT_FALSE(sessions.find(busy->secret)) << "past the absolute limit";
  EXPECT_TRUE(store.rows.empty()) << "expired sessions stay in the store";

  auto s = sessions.open(3, store::SessionKind::kPassword, "s");
  clock.advance(12h - 1ms);
  EXPECT_TRUE(sessions.find(s->secret));
  clock.advance(12h - 1ms);
  EXPECT_TRUE(sessions.find(s->secret)) << "each use restarts the idle limit";
  clock.advance(12h);
  EXPECT_FALSE(sessions.find(s->secret));
}

TEST_F(SessionsTest, UseIsWrittenAtMostOncePerMinuteAndSurvivesAReload) {
  auto o = sessions.open(1, store::SessionKind::kToken, "h");
  int after_open = store.saves;
  for (int i = 0; i < 100; ++i) {
    clock.advance(100ms);
    ASSERT_TRUE(sessions.find(o->secret));
  }
  EXPECT_EQ(store.saves, after_open) << "every read wrote the disk";
  clock.advance(1min);
  ASSERT_TRUE(sessions.find(o->secret));
  EXPECT_EQ(store.saves, after_open + 1);

  // A new process: the stored sessions come back, the expired ones are dropped.
  auto old = sessions.open(2, store::SessionKind::kPassword, "s");
  clock.advance(11h);
  ASSERT_TRUE(sessions.find(o->secret));
  clock.advance(1h + 1min);
  Sessions reloaded(store, clock);
  ASSERT_TRUE(reloaded.load());
  EXPECT_TRUE(reloaded.find(o->secret));
  EXPECT_FALSE(reloaded.find(old->secret));
  EXPECT_EQ(store.rows.size(), 1u);
}

TEST_F(SessionsTest, CloseAndCloseUserEndSessionsInMemoryAndInTheStore) {
  auto a1 = sessions.open(1, store::SessionKind::kPassword, "s");
  auto a2 = sessions.open(1, store::SessionKind::kToken, "t");
  auto b = sessions.open(2, store::SessionKind::kPassword, "s");
  auto boot = sessions.open(std::nullopt, store::SessionKind::kBootstrap, "admin");
  sessions.close_user(1);
  EXPECT_FALSE(sessions.find(a1->secret));
  EXPECT_FALSE(sessions.find(a2->secret));
  EXPECT_TRUE(sessions.find(b->secret));
  EXPECT_TRUE(sessions.find(boot->secret));
  sessions.close(b->secret);
  EXPECT_FALSE(sessions.find(b->secret));
  EXPECT_EQ(store.rows.size(), 1u);
  EXPECT_EQ(sessions.size(), 1u);
}

TEST(LoginThrottle, FiveFailuresInFiveMinutesLockUntilTheOldestLeavesTheWindow) {
  ManualClock clock{SystemTime{} + std::chrono::hours(1000)};
  LoginThrottle t(clock);
  const std::string key = "ann@example.com|127.0.0.1";
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(t.retry_after_s(key), 0) << i;
    t.failed(key);
    clock.advance(10s);
  }
  // Failures at 0, 10, 20, 30, 40 s; now is 50 s: allowed again at 300 s.
  EXPECT_EQ(t.retry_after_s(key), 250);
  EXPECT_EQ(t.retry_after_s("ann@example.com|127.0.0.2"), 0) << "another source";
  EXPECT_EQ(t.retry_after_s("bob@example.com|127.0.0.1"), 0) << "another account";
  clock.advance(249s);
  EXPECT_EQ(t.retry_after_s(key), 1);
  clock.advance(1s);
  EXPECT_EQ(t.retry_after_s(key), 0);
  // Four failures remain in the window: one more locks again, until the second leaves.
  t.failed(key);
  EXPECT_EQ(t.retry_after_s(key), 10);
}

TEST(LoginThrottle, ASuccessClearsTheCountAndSparseFailuresNeverLock) {
  ManualClock clock{SystemTime{} + std::chrono::hours(1000)};
  LoginThrottle t(clock);
  for (int i = 0; i < 4; ++i) {
    t.failed("k");
  }
  t.succeeded("k");
  for (int i = 0; i < 4; ++i) {
    t.failed("k");
  }
  EXPECT_EQ(t.retry_after_s("k"), 0);
  clock.advance(301s);
  for (int i = 0; i < 20; ++i) {
    clock.advance(76s);  // five failures always span more than five minutes
    t.failed("k");
    EXPECT_EQ(t.retry_after_s("k"), 0) << i;
  }
}

}  // namespace
}  // namespace cohort::api
