// The demo data: what `make run` shows must pass the same validation as the API's input.

#include "app/bootstrap.hpp"
#include "routing/schedule.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include "common/clock.hpp"
#include "model/references.hpp"
#include "model/validate.hpp"
#include "store/sqlite/sqlite_store.hpp"

namespace cohort::app {
namespace {

class DemoData : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = (std::filesystem::temp_directory_path() / "cohort-demo-XXXXXX").string();
    ASSERT_NE(::mkdtemp(dir_.data()), nullptr);
    auto opened = store::sqlite::open(dir_ + "/cohort.db", clock_);
    ASSERT_TRUE(opened) << opened.error().message;
    store_ = std::move(*opened);
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::string dir_;
  ManualClock clock_{SystemTime{std::chrono::seconds(1'700'000'000)}};
  std::unique_ptr<store::Store> store_;
};

TEST_F(DemoData, IsValidAndHasNoRoutingGaps) {
  auto seeded = seed_demo_data(*store_, "cohort");
  ASSERT_TRUE(seeded) << seeded.error().message;
  EXPECT_TRUE(*seeded);
  model::SnapshotPtr s = store_->snapshot();
  for (model::UserId id : s->user_ids()) {
    auto ok = model::validate_user(*s->user(id), *s);
    EXPECT_TRUE(ok) << "user " << id << ": " << ok.error().message;
  }
  for (model::GroupId id : s->group_ids()) {
    auto ok = model::validate_group(*s->group(id), *s);
    EXPECT_TRUE(ok) << "group " << id << ": " << ok.error().message;
  }
  for (model::TrunkId id : s->trunk_ids()) {
    auto ok = model::validate_trunk(*s->trunk(id), *s);
    EXPECT_TRUE(ok) << "trunk " << id << ": " << ok.error().message;
  }
  ASSERT_EQ(s->outbound_rules().size(), 2u);
  for (const model::OutboundRule& r : s->outbound_rules()) {
    auto ok = model::validate_outbound_rule(r, *s);
    EXPECT_TRUE(ok) << "rule " << r.name << ": " << ok.error().message;
  }
  ASSERT_EQ(s->inbound_routes().size(), 2u);
  for (const model::InboundRoute& r : s->inbound_routes()) {
    auto ok = model::validate_inbound_route(r, *s);
    EXPECT_TRUE(ok) << "inbound route " << r.name << ": " << ok.error().message;
  }
  ASSERT_EQ(s->schedule_ids().size(), 1u);
  const model::Schedule* office = s->schedule(s->schedule_ids()[0]);
  auto schedule_ok = model::validate_schedule(*office, *s, routing::known_timezone);
  EXPECT_TRUE(schedule_ok) << schedule_ok.error().message;
  EXPECT_EQ(office->timezone, "America/New_York");
  const model::Group* sales = s->group_by_name("Sales Dept");
  ASSERT_NE(sales, nullptr);
  EXPECT_EQ(sales->schedule, office->id);
  EXPECT_EQ(s->inbound_routes()[0].destination, model::Destination{model::DestGroup{sales->id}});
  EXPECT_TRUE(model::routing_gaps(*s).empty());

  // The product example: CallCentric for real, but no registration (no internet in make run).
  const model::Trunk* callcentric = s->trunk(s->trunk_ids()[0]);
  EXPECT_EQ(callcentric->host, "sip.callcentric.net");
  EXPECT_FALSE(callcentric->register_enabled);
  EXPECT_EQ(callcentric->media, model::TrunkMedia::kRelay);
  const model::OutboundRule& first = s->outbound_rules()[0];
  EXPECT_EQ(first.name, "Sales via CallCentric");
  ASSERT_EQ(first.caller_groups.size(), 1u);
  EXPECT_EQ(s->group(first.caller_groups[0])->name, "Sales Dept");
  EXPECT_EQ(s->outbound_rules()[1].name, "Everyone else");
  EXPECT_TRUE(s->outbound_rules()[1].caller_groups.empty());

  // Only an empty database is seeded.
  auto again = seed_demo_data(*store_, "cohort");
  ASSERT_TRUE(again);
  EXPECT_FALSE(*again);
}

}  // namespace
}  // namespace cohort::app
