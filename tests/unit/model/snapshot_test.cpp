#include "model/snapshot.hpp"

#include <gtest/gtest.h>

#include <random>
#include <set>
#include <vector>

#include "unit/model/builders.hpp"

namespace cohort::model {
namespace {

using testing::make_group;
using testing::make_trunk;
using testing::make_user;
using testing::with;

std::vector<std::int64_t> ids(std::span<const std::int64_t> s) {
  return {s.begin(), s.end()};
}

SnapshotPatch delete_user(UserId id) {
  SnapshotPatch p;
  p.users.emplace_back(id, std::nullopt);
  return p;
}

SnapshotPatch delete_group(GroupId id) {
  SnapshotPatch p;
  p.groups.emplace_back(id, std::nullopt);
  return p;
}

std::vector<Member> members_of(std::vector<UserId> users) {
  std::vector<Member> out;
  int position = 0;
  for (UserId u : users) {
    out.push_back(Member{u, ++position, 1000});
  }
  return out;
}

TEST(Snapshot, EmptySnapshot) {
  Snapshot s;
  EXPECT_EQ(s.version(), 0u);
  EXPECT_EQ(s.user(1), nullptr);
  EXPECT_EQ(s.user_by_extension("101"), nullptr);
  EXPECT_EQ(s.user_by_email("a@b.c"), nullptr);
  EXPECT_EQ(s.group(1), nullptr);
  EXPECT_EQ(s.group_by_name("Sales"), nullptr);
  EXPECT_EQ(s.extension_owner("101"), std::nullopt);
  EXPECT_EQ(s.trunk(1), nullptr);
  EXPECT_EQ(s.token(1), nullptr);
  EXPECT_EQ(s.token_by_secret_hash("ab"), nullptr);
  EXPECT_TRUE(s.members(1).empty());
  EXPECT_TRUE(s.groups_of(1).empty());
  EXPECT_TRUE(s.user_ids().empty());
  EXPECT_TRUE(s.group_ids().empty());
  EXPECT_TRUE(s.trunk_ids().empty());
  EXPECT_TRUE(s.token_ids().empty());
  EXPECT_EQ(s.user_search_key(1), "");
  EXPECT_EQ(s.membership_count(), 0u);
}

TEST(Snapshot, VersionCountsPatchesEvenEmptyOnes) {
  Snapshot s0;
  Snapshot s1 = s0.apply({});
  Snapshot s2 = with(s1, {make_user(1)});
  EXPECT_EQ(s0.version(), 0u);
  EXPECT_EQ(s1.version(), 1u);
  EXPECT_EQ(s2.version(), 2u);
}

TEST(Snapshot, AddUsersAndLookThemUp) {
  Snapshot s = with(Snapshot{}, {make_user(5, "Eve Adams", "105", "Eve@Example.com"),
                                 make_user(2, "Bob", "102", "bob@example.com"),
                                 make_user(9, "Zed", "109", "zed@example.com")});
  EXPECT_EQ(ids(s.user_ids()), (std::vector<std::int64_t>{2, 5, 9}));
  ASSERT_NE(s.user(5), nullptr);
  EXPECT_EQ(s.user(5)->name, "Eve Adams");
  EXPECT_EQ(s.user_by_extension("105"), s.user(5));
  EXPECT_EQ(s.user_by_email("eve@example.com"), s.user(5));
  EXPECT_EQ(s.user_by_email("EVE@EXAMPLE.COM"), s.user(5));
  EXPECT_EQ(s.extension_owner("102"), (ExtensionOwner{ExtensionOwner::Kind::kUser, 2}));
  EXPECT_EQ(s.group_by_extension("102"), nullptr);  // a user's extension is not a group's
  EXPECT_EQ(s.user_search_key(5), "eve adams\neve@example.com");
  EXPECT_EQ(s.user(3), nullptr);
}

TEST(Snapshot, UpdatingAUserMovesItsIndexEntries) {
  Snapshot s1 = with(Snapshot{}, {make_user(1, "Alice", "101", "alice@example.com")});
  Snapshot s2 = with(s1, {make_user(1, "Alice Cooper", "111", "ALICE@cooper.net")});

  EXPECT_EQ(s2.user_by_extension("101"), nullptr);
  EXPECT_EQ(s2.extension_owner("101"), std::nullopt);
  EXPECT_EQ(s2.user_by_email("alice@example.com"), nullptr);
  EXPECT_EQ(s2.user_by_extension("111"), s2.user(1));
  EXPECT_EQ(s2.user_by_email("alice@cooper.net"), s2.user(1));
  EXPECT_EQ(s2.user_search_key(1), "alice cooper\nalice@cooper.net");
  EXPECT_EQ(ids(s2.user_ids()), (std::vector<std::int64_t>{1}));

  // The old snapshot still answers as before.
  EXPECT_EQ(s1.user(1)->name, "Alice");
  EXPECT_EQ(s1.user_by_extension("101"), s1.user(1));
  EXPECT_EQ(s1.user_by_extension("111"), nullptr);
  EXPECT_EQ(s1.user_by_email("alice@example.com"), s1.user(1));
  EXPECT_EQ(s1.user_search_key(1), "alice\nalice@example.com");
}

TEST(Snapshot, UsersSwappingExtensionsInOnePatch) {
  Snapshot s1 = with(Snapshot{}, {make_user(1, "A", "101", "a@example.com"),
                                  make_user(2, "B", "102", "b@example.com")});
  for (bool reversed : {false, true}) {
    std::vector<User> swap = {make_user(1, "A", "102", "b@example.com"),
                              make_user(2, "B", "101", "a@example.com")};
    if (reversed) {
      std::swap(swap[0], swap[1]);
    }
    Snapshot s2 = with(s1, swap);
    EXPECT_EQ(s2.user_by_extension("102")->id, 1) << reversed;
    EXPECT_EQ(s2.user_by_extension("101")->id, 2) << reversed;
    EXPECT_EQ(s2.user_by_email("b@example.com")->id, 1) << reversed;
    EXPECT_EQ(s2.user_by_email("a@example.com")->id, 2) << reversed;
  }
}

TEST(Snapshot, ExtensionMovesFromUserToGroupInOnePatch) {
  Snapshot s1 = with(Snapshot{}, {make_user(1, "A", "101", "a@example.com")});
  Snapshot s2 = with(s1, {make_user(1, "A", "199", "a@example.com")}, {make_group(7, "G", "101")});
  EXPECT_EQ(s2.extension_owner("101"), (ExtensionOwner{ExtensionOwner::Kind::kGroup, 7}));
  EXPECT_EQ(s2.user_by_extension("101"), nullptr);
  EXPECT_EQ(s2.group_by_extension("101"), s2.group(7));
}

TEST(Snapshot, DeletingAUserRemovesItFromEveryIndex) {
  SnapshotPatch p;
  p.users.emplace_back(1, make_user(1, "Alice", "101", "alice@example.com"));
  p.users.emplace_back(2, make_user(2, "Bob", "102", "bob@example.com"));
  p.groups.emplace_back(10, make_group(10, "Sales"));
  p.members.emplace_back(10, members_of({1, 2}));
  p.groups_of.emplace_back(1, std::vector<UserMembership>{{10, 1, 1000}});
  p.groups_of.emplace_back(2, std::vector<UserMembership>{{10, 2, 1000}});
  Snapshot s1 = Snapshot{}.apply(p);

  // The store sends the group's renumbered list along with the deletion.
  SnapshotPatch del = delete_user(1);
  del.members.emplace_back(10, std::vector<Member>{{2, 1, 1000}});
  Snapshot s2 = s1.apply(del);

  EXPECT_EQ(s2.user(1), nullptr);
  EXPECT_EQ(s2.user_by_extension("101"), nullptr);
  EXPECT_EQ(s2.extension_owner("101"), std::nullopt);
  EXPECT_EQ(s2.user_by_email("alice@example.com"), nullptr);
  EXPECT_EQ(s2.user_search_key(1), "");
  EXPECT_TRUE(s2.groups_of(1).empty());  // dropped even though the patch did not list it
  EXPECT_EQ(ids(s2.user_ids()), (std::vector<std::int64_t>{2}));
  EXPECT_EQ(s2.membership_count(), 1u);
  EXPECT_EQ(s2.members(10).size(), 1u);

  EXPECT_NE(s1.user(1), nullptr);
  EXPECT_EQ(s1.groups_of(1).size(), 1u);
  EXPECT_EQ(s1.membership_count(), 2u);
}

TEST(Snapshot, DeletingAMissingObjectChangesNothingButTheVersion) {
  Snapshot s1 = with(Snapshot{}, {make_user(1)});
  SnapshotPatch p = delete_user(42);
  p.groups.emplace_back(43, std::nullopt);
  p.trunks.emplace_back(44, std::nullopt);
  p.tokens.emplace_back(45, std::nullopt);
  Snapshot s2 = s1.apply(p);
  EXPECT_EQ(ids(s2.user_ids()), (std::vector<std::int64_t>{1}));
  EXPECT_TRUE(s2.group_ids().empty());
  EXPECT_EQ(s2.version(), 2u);
  // No change to the id list: both versions share it.
  EXPECT_EQ(s1.user_ids().data(), s2.user_ids().data());
}

TEST(Snapshot, GroupsAndTheirIndexes) {
  Snapshot s1 = with(Snapshot{}, {}, {make_group(3, "Sales", "200"), make_group(1, "Support")});
  EXPECT_EQ(ids(s1.group_ids()), (std::vector<std::int64_t>{1, 3}));
  EXPECT_EQ(s1.group_by_name("sales"), s1.group(3));
  EXPECT_EQ(s1.group_by_name("SUPPORT"), s1.group(1));
  EXPECT_EQ(s1.group_by_extension("200"), s1.group(3));
  EXPECT_EQ(s1.user_by_extension("200"), nullptr);
  EXPECT_EQ(s1.extension_owner("200"), (ExtensionOwner{ExtensionOwner::Kind::kGroup, 3}));

  // Rename and drop the extension.
  Snapshot s2 = with(s1, {}, {make_group(3, "Inside Sales")});
  EXPECT_EQ(s2.group_by_name("sales"), nullptr);
  EXPECT_EQ(s2.group_by_name("inside sales"), s2.group(3));
  EXPECT_EQ(s2.extension_owner("200"), std::nullopt);
  EXPECT_EQ(s2.group_by_extension("200"), nullptr);
  EXPECT_EQ(s1.group_by_name("Sales"), s1.group(3));  // old version unchanged

  // Delete.
  Snapshot s3 = s2.apply(delete_group(3));
  EXPECT_EQ(s3.group(3), nullptr);
  EXPECT_EQ(s3.group_by_name("inside sales"), nullptr);
  EXPECT_EQ(ids(s3.group_ids()), (std::vector<std::int64_t>{1}));
  EXPECT_NE(s2.group(3), nullptr);
}

TEST(Snapshot, GroupsSwappingNamesInOnePatch) {
  Snapshot s1 = with(Snapshot{}, {}, {make_group(1, "Day"), make_group(2, "Night")});
  Snapshot s2 = with(s1, {}, {make_group(2, "Day"), make_group(1, "Night")});
  EXPECT_EQ(s2.group_by_name("day")->id, 2);
  EXPECT_EQ(s2.group_by_name("night")->id, 1);
}

TEST(Snapshot, MembersKeepTheirOrderAndAreCounted) {
  SnapshotPatch p;
  for (UserId u = 1; u <= 4; ++u) {
    p.users.emplace_back(u, make_user(u));
  }
  p.groups.emplace_back(10, make_group(10, "A"));
  p.groups.emplace_back(20, make_group(20, "B"));
  p.members.emplace_back(10, members_of({3, 1, 4}));
  p.members.emplace_back(20, members_of({2, 3}));
  p.groups_of.emplace_back(3, std::vector<UserMembership>{{10, 1, 1000}, {20, 2, 1000}});
  Snapshot s1 = Snapshot{}.apply(p);

  ASSERT_EQ(s1.members(10).size(), 3u);
  EXPECT_EQ(s1.members(10)[0].user, 3);
  EXPECT_EQ(s1.members(10)[1].user, 1);
  EXPECT_EQ(s1.members(10)[2].user, 4);
  EXPECT_EQ(s1.members(10)[2].position, 3);
  EXPECT_EQ(s1.membership_count(), 5u);  // counted from the group side only
  ASSERT_EQ(s1.groups_of(3).size(), 2u);
  EXPECT_EQ(s1.groups_of(3)[1].group, 20);
  EXPECT_TRUE(s1.members(99).empty());
  EXPECT_TRUE(s1.groups_of(99).empty());

  // Replacing a list adjusts the count by the difference; an empty list erases it.
  SnapshotPatch q;
  q.members.emplace_back(10, members_of({4}));
  q.members.emplace_back(20, std::vector<Member>{});
  q.groups_of.emplace_back(3, std::vector<UserMembership>{});
  Snapshot s2 = s1.apply(q);
  EXPECT_EQ(s2.membership_count(), 1u);
  ASSERT_EQ(s2.members(10).size(), 1u);
  EXPECT_EQ(s2.members(10)[0].user, 4);
  EXPECT_TRUE(s2.members(20).empty());
  EXPECT_TRUE(s2.groups_of(3).empty());

  // The old snapshot is untouched.
  EXPECT_EQ(s1.membership_count(), 5u);
  EXPECT_EQ(s1.members(10).size(), 3u);
  EXPECT_EQ(s1.groups_of(3).size(), 2u);

  // Growing a list.
  SnapshotPatch r;
  r.members.emplace_back(10, members_of({4, 1, 2, 3}));
  Snapshot s3 = s2.apply(r);
  EXPECT_EQ(s3.membership_count(), 4u);
}

TEST(Snapshot, DeletingAGroupDropsItsMembers) {
  SnapshotPatch p;
  p.users.emplace_back(1, make_user(1));
  p.groups.emplace_back(10, make_group(10, "A"));
  p.groups.emplace_back(20, make_group(20, "B"));
  p.members.emplace_back(10, members_of({1}));
  p.members.emplace_back(20, members_of({1}));
  Snapshot s1 = Snapshot{}.apply(p);
  ASSERT_EQ(s1.membership_count(), 2u);

  Snapshot s2 = s1.apply(delete_group(10));
  EXPECT_TRUE(s2.members(10).empty());
  EXPECT_EQ(s2.membership_count(), 1u);

  // Spelling out the empty list as well does not count the members twice.
  SnapshotPatch q = delete_group(10);
  q.members.emplace_back(10, std::vector<Member>{});
  EXPECT_EQ(s1.apply(q).membership_count(), 1u);
}

TEST(Snapshot, TrunksAndTokens) {
  SnapshotPatch p;
  p.users.emplace_back(1, make_user(1));
  p.trunks.emplace_back(4, make_trunk(4, "Carrier"));
  p.trunks.emplace_back(2, make_trunk(2, "Backup"));
  p.tokens.emplace_back(7, ApiToken{7, 1, "aaaa", 100});
  p.tokens.emplace_back(3, ApiToken{3, 1, "bbbb", 100});
  Snapshot s1 = Snapshot{}.apply(p);
  EXPECT_EQ(ids(s1.trunk_ids()), (std::vector<std::int64_t>{2, 4}));
  EXPECT_EQ(s1.trunk(4)->name, "Carrier");
  EXPECT_EQ(ids(s1.token_ids()), (std::vector<std::int64_t>{3, 7}));
  EXPECT_EQ(s1.token_by_secret_hash("aaaa"), s1.token(7));
  EXPECT_EQ(s1.token_by_secret_hash("bbbb")->id, 3);

  // Rotating a secret drops the old hash; deleting drops the token and its hash.
  SnapshotPatch q;
  q.tokens.emplace_back(7, ApiToken{7, 1, "cccc", 100});
  q.tokens.emplace_back(3, std::nullopt);
  q.trunks.emplace_back(2, std::nullopt);
  Snapshot s2 = s1.apply(q);
  EXPECT_EQ(s2.token_by_secret_hash("aaaa"), nullptr);
  EXPECT_EQ(s2.token_by_secret_hash("cccc"), s2.token(7));
  EXPECT_EQ(s2.token(3), nullptr);
  EXPECT_EQ(s2.token_by_secret_hash("bbbb"), nullptr);
  EXPECT_EQ(ids(s2.token_ids()), (std::vector<std::int64_t>{7}));
  EXPECT_EQ(ids(s2.trunk_ids()), (std::vector<std::int64_t>{4}));
  EXPECT_EQ(s1.token_by_secret_hash("aaaa"), s1.token(7));
}

InboundRoute route(InboundRouteId id, std::string name, int position) {
  InboundRoute r;
  r.id = id;
  r.name = std::move(name);
  r.position = position;
  r.did = "_X.";
  r.destination = DestGroup{id};
  return r;
}

Schedule schedule(ScheduleId id, std::string name) {
  Schedule s;
  s.id = id;
  s.name = std::move(name);
  s.weekly = {{kMon | kFri, 9 * 60, 17 * 60}};
  s.holidays = {{"Day", 20260101, 20260101, false}};
  return s;
}

TEST(Snapshot, InboundRoutesAreReplacedAsAWholeList) {
  Snapshot s0;
  EXPECT_TRUE(s0.inbound_routes().empty());
  EXPECT_EQ(s0.inbound_route(1), nullptr);

  SnapshotPatch add;
  add.inbound_routes = std::vector<InboundRoute>{route(2, "B", 1), route(1, "A", 2)};
  Snapshot s1 = s0.apply(add);
  ASSERT_EQ(s1.inbound_routes().size(), 2u);
  EXPECT_EQ(s1.inbound_routes()[0].id, 2);
  EXPECT_EQ(s1.inbound_routes()[1].id, 1);
  ASSERT_NE(s1.inbound_route(1), nullptr);
  EXPECT_EQ(s1.inbound_route(1)->name, "A");

  // A patch without the list keeps it, shared.
  SnapshotPatch other;
  other.trunks.emplace_back(1, make_trunk(1, "T"));
  Snapshot s2 = s1.apply(other);
  EXPECT_EQ(s2.inbound_routes().data(), s1.inbound_routes().data());

  SnapshotPatch replace;
  replace.inbound_routes = std::vector<InboundRoute>{route(1, "A2", 1)};
  Snapshot s3 = s2.apply(replace);
  ASSERT_EQ(s3.inbound_routes().size(), 1u);
  EXPECT_EQ(s3.inbound_route(1)->name, "A2");
  EXPECT_EQ(s3.inbound_route(2), nullptr);
  // The old version is untouched.
  ASSERT_EQ(s1.inbound_routes().size(), 2u);
  EXPECT_EQ(s1.inbound_route(1)->name, "A");

  SnapshotPatch clear;
  clear.inbound_routes = std::vector<InboundRoute>{};
  EXPECT_FALSE(clear.empty());
  Snapshot s4 = s3.apply(clear);
  EXPECT_TRUE(s4.inbound_routes().empty());
  EXPECT_EQ(s3.inbound_routes().size(), 1u);
}

TEST(Snapshot, SchedulesByIdAndByNameIgnoringCase) {
  Snapshot s0;
  SnapshotPatch add;
  add.schedules.emplace_back(5, schedule(5, "Office"));
  add.schedules.emplace_back(2, schedule(2, "Night"));
  add.schedules.emplace_back(9, schedule(9, "Weekend"));
  EXPECT_FALSE(add.empty());
  Snapshot s1 = s0.apply(add);
  EXPECT_EQ(ids(s1.schedule_ids()), (std::vector<std::int64_t>{2, 5, 9}));
  ASSERT_NE(s1.schedule(5), nullptr);
  EXPECT_EQ(*s1.schedule(5), schedule(5, "Office"));
  EXPECT_EQ(s1.schedule_by_name("OFFICE"), s1.schedule(5));
  EXPECT_EQ(s1.schedule_by_name("office hours"), nullptr);

  SnapshotPatch change;
  Schedule renamed = schedule(5, "Day shift");
  renamed.override_mode = ScheduleOverride::kOpen;
  change.schedules.emplace_back(5, renamed);
  change.schedules.emplace_back(2, std::nullopt);
  change.schedules.emplace_back(77, std::nullopt);  // never existed
  change.schedules.emplace_back(3, schedule(3, "Early"));
  Snapshot s2 = s1.apply(change);
  EXPECT_EQ(ids(s2.schedule_ids()), (std::vector<std::int64_t>{3, 5, 9}));
  EXPECT_EQ(s2.schedule(2), nullptr);
  EXPECT_EQ(s2.schedule(5)->override_mode, ScheduleOverride::kOpen);
  EXPECT_EQ(s2.schedule_by_name("office"), nullptr);
  EXPECT_EQ(s2.schedule_by_name("day SHIFT"), s2.schedule(5));

  // The old snapshot still sees the old state.
  EXPECT_EQ(ids(s1.schedule_ids()), (std::vector<std::int64_t>{2, 5, 9}));
  EXPECT_EQ(s1.schedule(5)->name, "Office");
  EXPECT_NE(s1.schedule(2), nullptr);
  EXPECT_EQ(s1.schedule(3), nullptr);
}

TEST(Snapshot, PausesTravelWithUsersAndMembers) {
  User u = make_user(1);
  u.paused = true;
  u.pause_reason = "lunch";
  SnapshotPatch p;
  p.users.emplace_back(1, u);
  p.groups.emplace_back(1, make_group(1, "G"));
  p.members.emplace_back(1, std::vector<Member>{{1, 1, 1000, true, "coaching"}});
  p.groups_of.emplace_back(1, std::vector<UserMembership>{{1, 1, 1000, true, "coaching"}});
  Snapshot s = Snapshot{}.apply(p);
  EXPECT_TRUE(s.user(1)->paused);
  EXPECT_EQ(s.user(1)->pause_reason, "lunch");
  EXPECT_EQ(s.members(1)[0].pause_reason, "coaching");
  EXPECT_TRUE(s.groups_of(1)[0].paused);
}

TEST(Snapshot, IdListsStaySortedUnderRandomAddsAndDeletes) {
  std::mt19937 rng(12345);
  std::set<UserId> model;
  Snapshot s;
  for (int round = 0; round < 50; ++round) {
    SnapshotPatch p;
    std::set<UserId> touched;
    for (int i = 0; i < 20; ++i) {
      UserId id = 1 + static_cast<UserId>(rng() % 200);
      if (!touched.insert(id).second) {
        continue;  // a patch touches an id once
      }
      if (rng() % 3 == 0) {
        p.users.emplace_back(id, std::nullopt);
        model.erase(id);
      } else {
        p.users.emplace_back(id, make_user(id));
        model.insert(id);
      }
    }
    s = s.apply(p);
    ASSERT_EQ(ids(s.user_ids()), (std::vector<std::int64_t>(model.begin(), model.end())))
        << "round " << round;
    for (UserId id : model) {
      ASSERT_NE(s.user_by_extension(std::to_string(1000 + id)), nullptr) << id;
    }
  }
}

}  // namespace
}  // namespace cohort::model

namespace cohort::model {
namespace {

std::vector<UserId> search(const Snapshot& s, std::string_view needle, UserId after = 0,
                           std::size_t stop_after = 1000) {
  std::vector<UserId> out;
  s.search_users(needle, after, [&](UserId id) {
    out.push_back(id);
    return out.size() < stop_after;
  });
  return out;
}

TEST(SnapshotSearch, FindsNameAndEmailSubstringsInIdOrder) {
  Snapshot s = testing::with(Snapshot{}, {testing::make_user(7, "Grace Kim", "107", "gk@acme.test"),
                                          testing::make_user(3, "Ana Acme", "103", "ana@x.test"),
                                          testing::make_user(9, "Hugo", "109", "hugo@acme.test")});
  EXPECT_EQ(search(s, "acme"), (std::vector<UserId>{3, 7, 9})) << "one visit per user";
  EXPECT_EQ(search(s, "kim"), (std::vector<UserId>{7}));
  EXPECT_EQ(search(s, "nobody"), (std::vector<UserId>{}));
  EXPECT_EQ(search(s, ""), (std::vector<UserId>{3, 7, 9}));
  EXPECT_EQ(search(s, "acme", 3), (std::vector<UserId>{7, 9})) << "resumes after the cursor";
  EXPECT_EQ(search(s, "acme", 0, 2), (std::vector<UserId>{3, 7})) << "stops when told";
  // A needle never spans the name and the e-mail, nor two users.
  EXPECT_EQ(search(s, "kim\ngk"), (std::vector<UserId>{}));
  EXPECT_EQ(search(s, "test\nhugo"), (std::vector<UserId>{}));
  EXPECT_EQ(search(s, "testhugo"), (std::vector<UserId>{}));
}

TEST(SnapshotSearch, SeesEveryUserChangeAndLeavesOldVersionsAlone) {
  Snapshot s1 = testing::with(Snapshot{}, {testing::make_user(1, "Ann", "101", "a@x.test")});
  EXPECT_EQ(search(s1, "ann"), (std::vector<UserId>{1}));  // builds s1's search text
  Snapshot s2 = testing::with(s1, {testing::make_user(1, "Zoe", "101", "z@x.test"),
                                   testing::make_user(2, "Annika", "102", "n@x.test")});
  EXPECT_EQ(search(s2, "ann"), (std::vector<UserId>{2}));
  EXPECT_EQ(search(s2, "zoe"), (std::vector<UserId>{1}));
  EXPECT_EQ(search(s1, "ann"), (std::vector<UserId>{1}));
  SnapshotPatch del;
  del.users.emplace_back(2, std::nullopt);
  EXPECT_EQ(search(s2.apply(del), "ann"), (std::vector<UserId>{}));
}

}  // namespace
}  // namespace cohort::model
