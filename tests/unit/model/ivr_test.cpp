// IVR menus in the model: the snapshot's menus, what refers to a menu and what a menu refers
// to, routing gaps, cycles of automatic exits through menus, and menu validation.

#include <gtest/gtest.h>

#include "model/references.hpp"
#include "model/validate.hpp"
#include "unit/model/builders.hpp"

namespace cohort::model {
namespace {

using testing::make_group;
using testing::make_menu;
using testing::make_route;
using testing::make_user;
using testing::with;
using testing::with_menus;
using testing::with_routes;

using N = FlowNode::Kind;

FlowNode group_node(GroupId id) {
  return {N::kGroup, id};
}
FlowNode menu_node(IvrMenuId id) {
  return {N::kIvrMenu, id};
}

Snapshot without_menu(const Snapshot& s, IvrMenuId id) {
  SnapshotPatch p;
  p.ivr_menus.emplace_back(id, std::nullopt);
  return s.apply(p);
}

// ---- the snapshot ----------------------------------------------------------------------

TEST(IvrSnapshot, MenusAreAddedReplacedAndDeleted) {
  Snapshot s = with_menus(Snapshot{}, {make_menu(3, "Main"), make_menu(1, "Sales menu")});
  ASSERT_NE(s.ivr_menu(3), nullptr);
  EXPECT_EQ(s.ivr_menu(3)->name, "Main");
  EXPECT_EQ(std::vector<IvrMenuId>(s.ivr_menu_ids().begin(), s.ivr_menu_ids().end()),
            (std::vector<IvrMenuId>{1, 3}));
  EXPECT_EQ(s.ivr_menu_by_name("MAIN"), s.ivr_menu(3));
  EXPECT_EQ(s.ivr_menu_by_name("Mai"), nullptr);

  IvrMenu renamed = *s.ivr_menu(3);
  renamed.name = "Reception";
  Snapshot t = with_menus(s, {renamed});
  EXPECT_EQ(t.ivr_menu_by_name("main"), nullptr);
  EXPECT_EQ(t.ivr_menu_by_name("reception")->id, 3);
  EXPECT_EQ(s.ivr_menu(3)->name, "Main") << "the old snapshot is unchanged";

  Snapshot u = without_menu(t, 3);
  EXPECT_EQ(u.ivr_menu(3), nullptr);
  EXPECT_EQ(u.ivr_menu_ids().size(), 1u);
  EXPECT_EQ(u.version(), t.version() + 1);
}

TEST(IvrMenuValue, OptionsAreFoundAndSortedInKeypadOrder) {
  std::vector<IvrOption> options{
      {'#', DestHangup{}}, {'1', DestGroup{1}}, {'*', DestUser{2}}, {'0', DestIvr{3}}};
  sort_ivr_options(options);
  std::string keys;
  for (const IvrOption& o : options) {
    keys.push_back(o.key);
  }
  EXPECT_EQ(keys, "01*#");
  IvrMenu m = make_menu(1, "M", options);
  ASSERT_NE(m.option('*'), nullptr);
  EXPECT_EQ(m.option('*')->destination, Destination{DestUser{2}});
  EXPECT_EQ(m.option('5'), nullptr);
  EXPECT_TRUE(is_ivr_key('#'));
  EXPECT_FALSE(is_ivr_key('A'));
  EXPECT_FALSE(is_ivr_key('\0'));
}

// ---- references and routing gaps -------------------------------------------------------

class IvrReferences : public ::testing::Test {
 protected:
  // Main(1): 1 → Sales(1), 2 → Support(2), 0 → Main itself, 9 → Sub(2); timeout → Sales,
  // invalid → Sub. Sub(2): 1 → user 5, * → Main. Sales falls back to Main; an inbound route
  // goes to Main.
  IvrReferences() {
    IvrMenu main =
        make_menu(1, "Main",
                  {{'0', DestIvr{1}}, {'1', DestGroup{1}}, {'2', DestGroup{2}}, {'9', DestIvr{2}}});
    main.timeout = DestGroup{1};
    main.invalid = DestIvr{2};
    IvrMenu sub = make_menu(2, "Sub", {{'1', DestUser{5}}, {'*', DestIvr{1}}});
    Group sales = make_group(1, "Sales");
    sales.fallback = DestIvr{1};
    s = with(Snapshot{}, {make_user(5)}, {sales, make_group(2, "Support")});
    s = with_menus(s, {main, sub});
    s = with_routes(s, {make_route(7, "Main number", "+4930123", DestIvr{1})});
  }
  Snapshot s;
};

TEST_F(IvrReferences, ReferrersOfAMenu) {
  auto r = referrers_of(s, Target{Target::Kind::kIvr, 1});
  ASSERT_EQ(r.size(), 4u);
  EXPECT_EQ(r[0], (Referrer{Referrer::Kind::kGroup, 1, "Sales", "fallback"}));
  EXPECT_EQ(r[1], (Referrer{Referrer::Kind::kInboundRoute, 7, "Main number", "destination"}));
  EXPECT_EQ(r[2], (Referrer{Referrer::Kind::kIvrMenu, 1, "Main", "options.0"}));
  EXPECT_EQ(r[3], (Referrer{Referrer::Kind::kIvrMenu, 2, "Sub", "options.*"}));
  EXPECT_EQ(to_string(Referrer::Kind::kIvrMenu), "ivr_menu");

  auto to_sub = referrers_of(s, Target{Target::Kind::kIvr, 2});
  ASSERT_EQ(to_sub.size(), 2u);
  EXPECT_EQ(to_sub[0], (Referrer{Referrer::Kind::kIvrMenu, 1, "Main", "options.9"}));
  EXPECT_EQ(to_sub[1], (Referrer{Referrer::Kind::kIvrMenu, 1, "Main", "invalid"}));
}

TEST_F(IvrReferences, MenusReferToGroupsAndUsers) {
  auto sales = referrers_of(s, Target{Target::Kind::kGroup, 1});
  ASSERT_EQ(sales.size(), 2u);
  EXPECT_EQ(sales[0], (Referrer{Referrer::Kind::kIvrMenu, 1, "Main", "options.1"}));
  EXPECT_EQ(sales[1], (Referrer{Referrer::Kind::kIvrMenu, 1, "Main", "timeout"}));
  auto user = referrers_of(s, Target{Target::Kind::kUser, 5});
  ASSERT_EQ(user.size(), 1u);
  EXPECT_EQ(user[0], (Referrer{Referrer::Kind::kIvrMenu, 2, "Sub", "options.1"}));
}

TEST_F(IvrReferences, NoGapsUntilSomethingIsDeleted) {
  EXPECT_TRUE(routing_gaps(s).empty());
}

TEST_F(IvrReferences, ADeletedMenuIsAGapWhereverItIsNamed) {
  auto gaps = routing_gaps(without_menu(s, 1));
  // Sales' fallback, the inbound route, then Sub's option * (Main's own options went with it).
  ASSERT_EQ(gaps.size(), 3u);
  EXPECT_EQ(gaps[0].holder, (Referrer{Referrer::Kind::kGroup, 1, "Sales", "fallback"}));
  EXPECT_EQ(gaps[0].missing, (MissingObject{MissingObject::Kind::kIvrMenu, 1}));
  EXPECT_EQ(gaps[0].destination, Destination{DestIvr{1}});
  EXPECT_EQ(gaps[1].holder.kind, Referrer::Kind::kInboundRoute);
  EXPECT_EQ(gaps[2].holder, (Referrer{Referrer::Kind::kIvrMenu, 2, "Sub", "options.*"}));
  EXPECT_EQ(to_string(MissingObject::Kind::kIvrMenu), "ivr_menu");
}

TEST_F(IvrReferences, AMenuOptionWhoseTargetIsGoneIsAGap) {
  SnapshotPatch p;
  p.groups.emplace_back(2, std::nullopt);
  p.users.emplace_back(5, std::nullopt);
  auto gaps = routing_gaps(s.apply(p));
  ASSERT_EQ(gaps.size(), 2u);
  EXPECT_EQ(gaps[0].holder, (Referrer{Referrer::Kind::kIvrMenu, 1, "Main", "options.2"}));
  EXPECT_EQ(gaps[0].missing, (MissingObject{MissingObject::Kind::kGroup, 2}));
  EXPECT_EQ(gaps[1].holder, (Referrer{Referrer::Kind::kIvrMenu, 2, "Sub", "options.1"}));
  EXPECT_EQ(gaps[1].missing, (MissingObject{MissingObject::Kind::kUser, 5}));
}

// ---- cycles of automatic exits ---------------------------------------------------------

TEST(IvrCycles, AGroupFallingBackToAMenuThatTimesOutBackToItIsACycle) {
  IvrMenu main = make_menu(1, "Main");
  main.timeout = DestGroup{1};
  Snapshot s = with_menus(with(Snapshot{}, {}, {make_group(1, "Sales")}), {main});
  auto cycle = exit_cycle(s, group_node(1), DestIvr{1});
  ASSERT_TRUE(cycle.has_value());
  EXPECT_EQ(*cycle, (std::vector<FlowNode>{group_node(1), menu_node(1), group_node(1)}));
  EXPECT_EQ(describe_cycle("fallback cycle", *cycle, s, group_node(1), "Sales desk"),
            "fallback cycle: Sales desk(1) → IVR Main(1) → Sales desk(1)");
  // The same from the menu's side, through its invalid exit.
  Group sales = make_group(1, "Sales");
  sales.closed_destination = DestIvr{1};
  Snapshot t = with(s, {}, {sales});
  EXPECT_TRUE(exit_cycle(t, menu_node(1), DestGroup{1}).has_value());
}

TEST(IvrCycles, OptionsAreNotAutomaticExits) {
  // Main: 0 → Sub; Sub: 0 → Main ("back to the main menu"). Only keys lead round: no cycle.
  IvrMenu main = make_menu(1, "Main", {{'0', DestIvr{2}}});
  IvrMenu sub = make_menu(2, "Sub", {{'0', DestIvr{1}}});
  Snapshot s = with_menus(Snapshot{}, {main, sub});
  EXPECT_EQ(exit_cycle(s, menu_node(2), DestIvr{1}), std::nullopt);
  EXPECT_TRUE(exit_cycles(s).empty());
}

TEST(IvrCycles, MenuToMenuThroughTimeoutAndInvalid) {
  IvrMenu a = make_menu(1, "A");
  a.timeout = DestIvr{2};
  IvrMenu b = make_menu(2, "B");
  b.invalid = DestIvr{3};
  IvrMenu c = make_menu(3, "C");
  Snapshot s = with_menus(Snapshot{}, {a, b, c});
  EXPECT_EQ(exit_cycle(s, menu_node(3), DestIvr{1}),
            (std::vector<FlowNode>{menu_node(3), menu_node(1), menu_node(2), menu_node(3)}));
  EXPECT_EQ(exit_cycle(s, menu_node(3), DestGroup{1}), std::nullopt);
  EXPECT_EQ(exit_cycle(s, menu_node(0), DestIvr{1}), std::nullopt) << "a new menu";
}

TEST(IvrCycles, StoredCyclesAreListedOnceFromTheirLowestNode) {
  // Group 2 → menu 1 (fallback); menu 1 → group 2 (invalid); group 5 closed → group 2.
  IvrMenu m = make_menu(1, "M");
  m.invalid = DestGroup{2};
  Group g2 = make_group(2, "Two");
  g2.fallback = DestIvr{1};
  Group g5 = make_group(5, "Five");
  g5.closed_destination = DestGroup{2};
  Snapshot s = with_menus(with(Snapshot{}, {}, {g2, g5}), {m});
  auto cycles = exit_cycles(s);
  ASSERT_EQ(cycles.size(), 1u);
  EXPECT_EQ(cycles[0], (std::vector<FlowNode>{group_node(2), menu_node(1)}));
  EXPECT_EQ(to_string(N::kIvrMenu), "ivr_menu");
  EXPECT_EQ(to_string(N::kGroup), "group");
}

// ---- validation ------------------------------------------------------------------------

class ValidateIvr : public ::testing::Test {
 protected:
  // Users 5, 6; groups Sales(1, ext 200), Support(2); menus Main(1), Sub(2).
  ValidateIvr() {
    s = with(Snapshot{}, {make_user(5), make_user(6)},
             {make_group(1, "Sales", "200"), make_group(2, "Support")});
    s = with_menus(s, {make_menu(1, "Main"), make_menu(2, "Sub")});
  }
  IvrMenu draft() const {
    IvrMenu m =
        make_menu(0, "New menu", {{'1', DestGroup{1}}, {'2', DestUser{5}}, {'0', DestIvr{1}}});
    m.timeout = DestGroup{2};
    m.invalid = DestHangup{};
    return m;
  }
  static void expect_invalid(const Result<void>& r, const std::string& field) {
    ASSERT_FALSE(r.has_value()) << field;
    EXPECT_EQ(r.error().field, field) << r.error().message;
    EXPECT_EQ(r.error().code, Errc::kInvalid) << r.error().message;
  }
  Snapshot s;
};

TEST_F(ValidateIvr, AValidMenuPasses) {
  EXPECT_TRUE(validate_ivr_menu(draft(), s).has_value());
  IvrMenu bounds = draft();
  bounds.timeout_s = kMinIvrTimeoutS;
  bounds.repeat = kMaxIvrRepeat;
  EXPECT_TRUE(validate_ivr_menu(bounds, s).has_value());
  bounds.timeout_s = kMaxIvrTimeoutS;
  bounds.repeat = kMinIvrRepeat;
  EXPECT_TRUE(validate_ivr_menu(bounds, s).has_value());
  // Every key, every destination type, the menu's own id in an option.
  IvrMenu all = make_menu(1, "Main");
  for (char key : kIvrKeys) {
    all.options.push_back({key, DestIvr{1}});
  }
  all.options[1].destination = DestNumber{"+4930123"};
  all.options[2].destination = DestVoicemail{DestVoicemail::Box::kGroup, 1};
  EXPECT_TRUE(validate_ivr_menu(all, s).has_value());
}

TEST_F(ValidateIvr, ErrorsNameTheField) {
  struct Case {
    void (*edit)(IvrMenu&);
    const char* field;
  };
  const Case cases[] = {
      {[](IvrMenu& m) { m.name = "  "; }, "name"},
      {[](IvrMenu& m) { m.name = std::string(kMaxNameLength + 1, 'x'); }, "name"},
      {[](IvrMenu& m) {
         m.options.push_back({'A', DestHangup{}});
       },
       "options"},
      {[](IvrMenu& m) {
         m.options.push_back({'1', DestHangup{}});
       },
       "options.1"},
      {[](IvrMenu& m) { m.timeout_s = 0; }, "timeout_s"},
      {[](IvrMenu& m) { m.timeout_s = 61; }, "timeout_s"},
      {[](IvrMenu& m) { m.repeat = 0; }, "repeat"},
      {[](IvrMenu& m) { m.repeat = 11; }, "repeat"},
      {[](IvrMenu& m) {
         m.options.push_back({'7', DestGroup{99}});
       },
       "options.7.id"},
      {[](IvrMenu& m) {
         m.options.push_back({'#', DestUser{99}});
       },
       "options.#.id"},
      {[](IvrMenu& m) {
         m.options.push_back({'8', DestIvr{99}});
       },
       "options.8.id"},
      {[](IvrMenu& m) {
         m.options.push_back({'9', DestNumber{"12a"}});
       },
       "options.9.number"},
      {[](IvrMenu& m) { m.timeout = DestIvr{99}; }, "timeout.id"},
      {[](IvrMenu& m) { m.invalid = DestNumber{"+"}; }, "invalid.number"},
      {[](IvrMenu& m) {
         m.invalid = DestVoicemail{DestVoicemail::Box::kUser, 99};
       },
       "invalid.id"},
  };
  for (const Case& c : cases) {
    IvrMenu m = draft();
    c.edit(m);
    expect_invalid(validate_ivr_menu(m, s), c.field);
  }
}

TEST_F(ValidateIvr, NameIsUniqueCaseInsensitively) {
  IvrMenu m = draft();
  m.name = "MAIN";
  auto r = validate_ivr_menu(m, s);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, Errc::kConflict);
  EXPECT_EQ(r.error().field, "name");
  m.id = 1;  // renaming Main itself
  EXPECT_TRUE(validate_ivr_menu(m, s).has_value());
}

TEST_F(ValidateIvr, ExitsToItselfOrClosingACycleAreRefused) {
  IvrMenu main = *s.ivr_menu(1);
  main.timeout = DestIvr{1};
  expect_invalid(validate_ivr_menu(main, s), "timeout.id");
  main.timeout.reset();
  main.invalid = DestIvr{1};
  expect_invalid(validate_ivr_menu(main, s), "invalid.id");

  // Sub times out to Main; Main's invalid → Sub would close Main → Sub → Main.
  IvrMenu sub = *s.ivr_menu(2);
  sub.timeout = DestIvr{1};
  Snapshot t = with_menus(s, {sub});
  main.invalid = DestIvr{2};
  auto r = validate_ivr_menu(main, t);
  expect_invalid(r, "invalid");
  EXPECT_EQ(r.error().message, "invalid cycle: IVR Main(1) → IVR Sub(2) → IVR Main(1)");
  // An option may go there: the caller chose.
  main.invalid.reset();
  main.options.push_back({'5', DestIvr{2}});
  EXPECT_TRUE(validate_ivr_menu(main, t).has_value());
}

TEST_F(ValidateIvr, AGroupExitThroughAMenuIsACycleToo) {
  // Main times out to Sales; Sales falling back to Main closes Sales → Main → Sales.
  IvrMenu main = *s.ivr_menu(1);
  main.timeout = DestGroup{1};
  Snapshot t = with_menus(s, {main});
  Group sales = *t.group(1);
  sales.fallback = DestIvr{1};
  auto r = validate_group(sales, t);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().field, "fallback");
  EXPECT_EQ(r.error().message, "fallback cycle: Sales(1) → IVR Main(1) → Sales(1)");
  sales.fallback = DestIvr{2};  // Sub leads nowhere automatically
  EXPECT_TRUE(validate_group(sales, t).has_value());
}

TEST_F(ValidateIvr, WhatTheMenuAlreadyHoldsIsNotCheckedAgain) {
  // A forced delete left Main with gaps; renaming it must still work.
  IvrMenu stored = *s.ivr_menu(1);
  stored.options.push_back({'3', DestGroup{99}});
  stored.timeout = DestIvr{98};
  IvrMenu renamed = stored;
  renamed.name = "Main (old)";
  EXPECT_TRUE(validate_ivr_menu(renamed, s, &stored).has_value());
  renamed.options.push_back({'4', DestGroup{97}});
  expect_invalid(validate_ivr_menu(renamed, s, &stored), "options.4.id");
}

}  // namespace
}  // namespace cohort::model
