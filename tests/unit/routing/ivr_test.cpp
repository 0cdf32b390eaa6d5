// routing::ivr_start / ivr_next: the IVR menu state machine, table driven (each case a menu,
// the events the shell reports and the steps expected), and routing::route into menus (hops,
// loops, gaps).

#include "routing/ivr.hpp"

#include <gtest/gtest.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "routing/flow.hpp"
#include "unit/model/builders.hpp"

namespace cohort::routing {
namespace {

using model::DestGroup;
using model::DestHangup;
using model::DestIvr;
using model::DestNumber;
using model::DestUser;
using model::testing::make_group;
using model::testing::make_menu;
using model::testing::make_user;

constexpr std::int64_t kT0 = 1'767'225'600'000;  // 2026-01-01T00:00:00Z

// Users 5 (ext 101), 6 (ext 1010), 7 (ext 102); group 1 Sales (ext 300), group 2 (no ext).
// Menu 1 "Main": 1 → group 1, 2 → group 2, * → user 7, # → hangup, 0 → menu 1 (itself);
// timeout → number 112, invalid → user 5; 5 s, repeat 3. Menu 2 "Bare": no options, no exits,
// repeat 2.
model::Snapshot base_snapshot() {
  model::SnapshotPatch p;
  p.users = {{5, make_user(5, "Ana", "101", "ana@example.com")},
             {6, make_user(6, "Ben", "1010", "ben@example.com")},
             {7, make_user(7, "Cy", "102", "cy@example.com")}};
  p.groups = {{1, make_group(1, "Sales", "300")}, {2, make_group(2, "Support")}};
  model::IvrMenu main = make_menu(1, "Main",
                                  {{'0', DestIvr{1}},
                                   {'1', DestGroup{1}},
                                   {'2', DestGroup{2}},
                                   {'*', DestUser{7}},
                                   {'#', DestHangup{}}});
  main.timeout = DestNumber{"112"};
  main.invalid = DestUser{5};
  model::IvrMenu bare = make_menu(2, "Bare");
  bare.repeat = 2;
  p.ivr_menus = {{1, main}, {2, bare}};
  return model::Snapshot{}.apply(p);
}

model::Snapshot with_direct_dial(const model::Snapshot& s, model::IvrMenuId id, bool on) {
  model::IvrMenu m = *s.ivr_menu(id);
  m.direct_dial = on;
  return model::testing::with_menus(s, {m});
}

/// One line per action, so that a case reads as a transcript.
std::string describe(const IvrStep& step) {
  std::string out = std::visit(
      [](const auto& a) -> std::string {
        using A = std::decay_t<decltype(a)>;
        if constexpr (std::is_same_v<A, PlayPrompt>) {
          return fmt::format("play {} #{} {}", a.menu, a.play, to_string(a.reason));
        } else if constexpr (std::is_same_v<A, WaitForKeys>) {
          return fmt::format("wait +{}{}", a.deadline_ms - kT0, a.stop_prompt ? " stop" : "");
        } else if constexpr (std::is_same_v<A, KeepGoing>) {
          return "keep";
        } else if constexpr (std::is_same_v<A, GoTo>) {
          return "goto " + model::destination_to_json(a.destination).dump();
        } else {
          return "hangup";
        }
      },
      step.action);
  if (step.exit) {
    out += fmt::format(" [{} taken={}]", to_string(*step.exit), step.taken);
  }
  return out;
}

/// "P+5000": the prompt ended at kT0 + 5000 ms; "K1+700": key 1; "T+6000": the timer.
IvrEvent event(const std::string& text) {
  const auto plus = text.find('+');
  const std::int64_t at = kT0 + std::stoll(text.substr(plus + 1));
  switch (text[0]) {
    case 'P':
      return PromptEnded{at};
    case 'K':
      return KeyPressed{text[1], at};
    default:
      return TimerFired{at};
  }
}

struct Case {
  const char* name;
  model::IvrMenuId menu;
  bool direct_dial;
  std::vector<std::pair<std::string, std::string>> events;  ///< event → expected step
  const char* keys;                                         ///< IvrState::keys at the end
};

const std::string kToSales = R"(goto {"id":1,"type":"group"})";
const std::string kToSupport = R"(goto {"id":2,"type":"group"})";
const std::string kToAna = R"(goto {"id":5,"type":"user"})";
const std::string kToBen = R"(goto {"id":6,"type":"user"})";
const std::string kToCy = R"(goto {"id":7,"type":"user"})";
const std::string kToMain = R"(goto {"id":1,"type":"ivr"})";
const std::string kToHangup = R"(goto {"type":"hangup"})";
const std::string kTo112 = R"(goto {"number":"112","type":"number"})";

const std::vector<Case>& cases() {
  static const std::vector<Case> kCases = {
      // ---- options --------------------------------------------------------------------------
      {"option after the prompt",
       1,
       false,
       {{"P+4000", "wait +9000"}, {"K1+6000", kToSales + " [option taken=1]"}},
       "1"},
      {"barge-in: a key while the prompt plays",
       1,
       false,
       {{"K2+1000", kToSupport + " [option taken=2]"}},
       "2"},
      {"star is an option key", 1, false, {{"K*+100", kToCy + " [option taken=*]"}}, "*"},
      {"hash is an option key",
       1,
       false,
       {{"P+10", "wait +5010"}, {"K#+20", kToHangup + " [option taken=#]"}},
       "#"},
      {"an option back to the menu itself",
       1,
       false,
       {{"K0+100", kToMain + " [option taken=0]"}},
       "0"},
      {"without direct dial an option is taken at once, extensions or not",
       1,
       false,
       {{"P+0", "wait +5000"}, {"K1+10", kToSales + " [option taken=1]"}},
       "1"},
      {"keys A–D are ignored",
       1,
       false,
       {{"P+0", "wait +5000"},
        {"KA+10", "keep"},
        {"KD+20", "keep"},
        {"K2+30", kToSupport + " [option taken=2]"}},
       "2"},
      // ---- timeouts and repeats ---------------------------------------------------------------
      {"no key: replayed until repeat, then the timeout destination",
       1,
       false,
       {{"P+4000", "wait +9000"},
        {"T+9000", "play 1 #2 no_input"},
        {"P+13000", "wait +18000"},
        {"T+18000", "play 1 #3 no_input"},
        {"P+22000", "wait +27000"},
        {"T+27000", kTo112 + " [timeout taken=]"}},
       ""},
      {"no key and no timeout destination: hang up after repeat plays",
       2,
       false,
       {{"P+1000", "wait +6000"},
        {"T+6000", "play 2 #2 no_input"},
        {"P+7000", "wait +12000"},
        {"T+12500", "hangup [timeout taken=]"}},
       ""},
      {"an early timer changes nothing",
       1,
       false,
       {{"P+1000", "wait +6000"}, {"T+5999", "keep"}, {"T+6000", "play 1 #2 no_input"}},
       ""},
      {"a timer while the prompt plays changes nothing",
       1,
       false,
       {{"T+100000", "keep"}, {"P+1000", "wait +6000"}},
       ""},
      {"a key after a replay is taken",
       1,
       false,
       {{"P+1000", "wait +6000"},
        {"T+6000", "play 1 #2 no_input"},
        {"K1+6500", kToSales + " [option taken=1]"}},
       "1"},
      // ---- invalid entries --------------------------------------------------------------------
      {"a key bound to nothing replays, then the invalid destination",
       1,
       false,
       {{"K7+100", "play 1 #2 invalid"},
        {"K8+200", "play 1 #3 invalid"},
        {"P+3000", "wait +8000"},
        {"K9+4000", kToAna + " [invalid taken=]"}},
       "789"},
      {"no invalid destination: hang up",
       2,
       false,
       {{"K1+100", "play 2 #2 invalid"}, {"K1+200", "hangup [invalid taken=]"}},
       "11"},
      {"timeouts and invalid keys share the plays; the last failure picks the exit",
       1,
       false,
       {{"P+1000", "wait +6000"},
        {"T+6000", "play 1 #2 no_input"},
        {"K5+6100", "play 1 #3 invalid"},
        {"P+9000", "wait +14000"},
        {"T+14000", kTo112 + " [timeout taken=]"}},
       "5"},
      {"keys during replays are new entries",
       1,
       false,
       {{"K7+100", "play 1 #2 invalid"}, {"K3+200", "play 1 #3 invalid"}, {"P+300", "wait +5300"}},
       "73"},
      // ---- direct dial ------------------------------------------------------------------------
      {"direct dial: an extension typed in full",
       1,
       true,
       {{"P+0", "wait +5000"},
        {"K3+1000", "wait +4000 stop"},
        {"K0+1500", "wait +4500 stop"},
        {"K0+2000", R"(goto {"id":1,"type":"group"} [direct_dial taken=300])"}},
       "300"},
      {"direct dial: an option that begins extensions waits the inter-digit time",
       1,
       true,
       {{"K1+1000", "wait +4000 stop"}, {"T+4000", kToSales + " [option taken=1]"}},
       "1"},
      {"direct dial: an option no extension begins with is taken at once",
       1,
       true,
       {{"K2+1000", kToSupport + " [option taken=2]"}},
       "2"},
      {"direct dial: an extension that begins a longer one waits, then is taken",
       1,
       true,
       {{"K1+0", "wait +3000 stop"},
        {"K0+500", "wait +3500 stop"},
        {"K1+900", "wait +3900 stop"},
        {"T+3900", kToAna + " [direct_dial taken=101]"}},
       "101"},
      {"direct dial: the longer extension",
       1,
       true,
       {{"K1+0", "wait +3000 stop"},
        {"K0+500", "wait +3500 stop"},
        {"K1+900", "wait +3900 stop"},
        {"K0+1000", kToBen + " [direct_dial taken=1010]"}},
       "1010"},
      {"direct dial: # ends the entry at once",
       1,
       true,
       {{"K1+0", "wait +3000 stop"},
        {"K0+500", "wait +3500 stop"},
        {"K1+900", "wait +3900 stop"},
        {"K#+1000", kToAna + " [direct_dial taken=101]"}},
       "101#"},
      {"direct dial: an extension with no longer one is taken at once",
       1,
       true,
       {{"K1+0", "wait +3000 stop"},
        {"K0+500", "wait +3500 stop"},
        {"K2+900", kToCy + " [direct_dial taken=102]"}},
       "102"},
      {"direct dial: # after an option key takes the option",
       1,
       true,
       {{"K1+0", "wait +3000 stop"}, {"K#+100", kToSales + " [option taken=1]"}},
       "1#"},
      {"direct dial: # first is the # option",
       1,
       true,
       {{"K#+0", kToHangup + " [option taken=#]"}},
       "#"},
      {"direct dial: a prefix of nothing is invalid at once",
       1,
       true,
       {{"K1+0", "wait +3000 stop"},
        {"K0+500", "wait +3500 stop"},
        {"K9+900", "play 1 #2 invalid"}},
       "109"},
      {"direct dial: a partial extension left to time out is invalid",
       1,
       true,
       {{"K1+0", "wait +3000 stop"},
        {"K0+500", "wait +3500 stop"},
        {"T+3500", "play 1 #2 invalid"}},
       "10"},
      {"direct dial: a star inside an entry matches no extension",
       1,
       true,
       {{"K3+0", "wait +3000 stop"}, {"K*+100", "play 1 #2 invalid"}},
       "3*"},
      {"direct dial: an early inter-digit timer changes nothing",
       1,
       true,
       {{"K3+0", "wait +3000 stop"}, {"T+2999", "keep"}, {"T+3000", "play 1 #2 invalid"}},
       "3"},
      {"direct dial: the entry starts again after an invalid one",
       1,
       true,
       {{"K3+0", "wait +3000 stop"},
        {"T+3000", "play 1 #2 invalid"},
        {"K3+4000", "wait +7000 stop"},
        {"K0+4100", "wait +7100 stop"},
        {"K0+4200", R"(goto {"id":1,"type":"group"} [direct_dial taken=300])"}},
       "3300"},
      {"direct dial on a menu without options",
       2,
       true,
       {{"K1+0", "wait +3000 stop"},
        {"T+3000", "play 2 #2 invalid"},
        {"K1+3100", "wait +6100 stop"},
        {"K0+3200", "wait +6200 stop"},
        {"K2+3300", kToCy + " [direct_dial taken=102]"}},
       "1102"},
      // ---- after the menu was left ------------------------------------------------------------
      {"events after the menu was left change nothing",
       1,
       false,
       {{"K1+0", kToSales + " [option taken=1]"},
        {"K2+10", "keep"},
        {"T+99999", "keep"},
        {"P+5", "keep"}},
       "1"},
  };
  return kCases;
}

TEST(IvrMachine, Transcripts) {
  for (const Case& c : cases()) {
    SCOPED_TRACE(c.name);
    model::Snapshot s = with_direct_dial(base_snapshot(), c.menu, c.direct_dial);
    IvrStep step = ivr_start(s, c.menu);
    EXPECT_EQ(describe(step), fmt::format("play {} #1 first", c.menu));
    EXPECT_EQ(step.state.phase, IvrPhase::kPrompt);
    for (const auto& [text, expected] : c.events) {
      SCOPED_TRACE(text);
      step = ivr_next(s, step.state, event(text));
      EXPECT_EQ(describe(step), expected);
    }
    EXPECT_EQ(step.state.keys, c.keys);
  }
}

TEST(IvrMachine, ByCallerOnlyForKeys) {
  model::Snapshot s = base_snapshot();
  IvrStep option = ivr_next(s, ivr_start(s, 1).state, KeyPressed{'1', kT0});
  EXPECT_TRUE(option.by_caller());
  EXPECT_EQ(option.state.phase, IvrPhase::kDone);
  IvrStep timeout = ivr_start(s, 2);
  for (const IvrEvent& e :
       std::vector<IvrEvent>{PromptEnded{kT0}, TimerFired{kT0 + 5000}, PromptEnded{kT0 + 6000},
                             TimerFired{kT0 + 11000}}) {
    timeout = ivr_next(s, timeout.state, e);
  }
  EXPECT_EQ(timeout.exit, IvrExit::kTimeout);
  EXPECT_FALSE(timeout.by_caller());
}

TEST(IvrMachine, AMenuMissingAtStartHangsUp) {
  IvrStep step = ivr_start(base_snapshot(), 99);
  EXPECT_EQ(describe(step), "hangup [menu_gone taken=]");
  EXPECT_EQ(step.state.phase, IvrPhase::kDone);
}

TEST(IvrMachine, AMenuDeletedBetweenSnapshotsHangsUp) {
  model::Snapshot before = base_snapshot();
  IvrStep step = ivr_next(before, ivr_start(before, 1).state, PromptEnded{kT0});
  ASSERT_EQ(describe(step), "wait +5000");
  model::SnapshotPatch gone;
  gone.ivr_menus.emplace_back(1, std::nullopt);
  model::Snapshot after = before.apply(gone);
  step = ivr_next(after, step.state, KeyPressed{'1', kT0 + 1000});
  EXPECT_EQ(describe(step), "hangup [menu_gone taken=]");
  EXPECT_EQ(describe(ivr_next(after, step.state, KeyPressed{'1', kT0 + 2000})), "keep");
}

TEST(IvrMachine, AMenuEditedBetweenSnapshotsUsesTheNewOptions) {
  model::Snapshot before = base_snapshot();
  IvrStep step = ivr_start(before, 1);
  model::IvrMenu edited = *before.ivr_menu(1);
  edited.options = {{'1', DestUser{6}}};
  edited.repeat = 1;
  model::Snapshot after = model::testing::with_menus(before, {edited});
  EXPECT_EQ(describe(ivr_next(after, step.state, KeyPressed{'1', kT0})),
            kToBen + " [option taken=1]");
  // Repeat lowered below the plays already made: the next failure leaves at once.
  EXPECT_EQ(describe(ivr_next(after, step.state, KeyPressed{'2', kT0})),
            kToAna + " [invalid taken=]");
}

TEST(IvrMachine, RepeatOnceLeavesOnTheFirstFailure) {
  model::Snapshot s = base_snapshot();
  model::IvrMenu once = *s.ivr_menu(1);
  once.repeat = 1;
  once.timeout_s = 60;
  s = model::testing::with_menus(s, {once});
  IvrStep step = ivr_next(s, ivr_start(s, 1).state, PromptEnded{kT0});
  EXPECT_EQ(describe(step), "wait +60000");
  EXPECT_EQ(describe(ivr_next(s, step.state, TimerFired{kT0 + 60000})),
            kTo112 + " [timeout taken=]");
}

TEST(IvrMachine, Words) {
  EXPECT_EQ(to_string(IvrExit::kOption), "option");
  EXPECT_EQ(to_string(IvrExit::kDirectDial), "direct_dial");
  EXPECT_EQ(to_string(IvrExit::kTimeout), "timeout");
  EXPECT_EQ(to_string(IvrExit::kInvalid), "invalid");
  EXPECT_EQ(to_string(IvrExit::kMenuGone), "menu_gone");
  EXPECT_EQ(to_string(PlayReason::kFirst), "first");
  EXPECT_EQ(to_string(EndCause::kIvrUnavailable), "ivr_unavailable");
}

// ---- route() into menus ---------------------------------------------------------------------

class RouteToMenu : public ::testing::Test {
 protected:
  RouteToMenu() {
    model::Snapshot s = base_snapshot();
    model::SnapshotPatch p;
    // Group 3 is closed for good and sends its calls to menu 1; group 4 falls back to menu 2.
    model::Schedule closed;
    closed.id = 50;
    closed.name = "closed";
    closed.override_mode = model::ScheduleOverride::kClosed;
    p.schedules = {{50, closed}};
    model::Group night = make_group(3, "Night");
    night.schedule = 50;
    night.closed_destination = DestIvr{1};
    model::Group overflow = make_group(4, "Overflow");
    overflow.fallback = DestIvr{2};
    p.groups = {{3, night}, {4, overflow}};
    model::User fwd = make_user(8, "Dee", "108", "dee@example.com");
    fwd.forward_always = DestIvr{2};
    p.users = {{8, fwd}};
    snap_ = s.apply(p);
  }
  model::Snapshot snap_;
};

TEST_F(RouteToMenu, ADestinationEntersTheMenu) {
  Step step = route(snap_, DestIvr{1}, std::nullopt, FlowState{}, kT0);
  EXPECT_EQ(step.action, Action{EnterIvr{1}});
  EXPECT_EQ(step.menus, (std::vector<model::IvrMenuId>{1}));
  EXPECT_TRUE(step.entered.empty());
}

TEST_F(RouteToMenu, AClosedGroupsDestinationAndAFallback) {
  Step closed = route(snap_, DestGroup{3}, std::nullopt, FlowState{}, kT0);
  EXPECT_EQ(closed.action, Action{EnterIvr{1}});
  EXPECT_EQ(closed.entered, (std::vector<model::GroupId>{3}));
  EXPECT_EQ(closed.left_group, 3);
  EXPECT_EQ(closed.left_because, LeaveReason::kClosed);
  Step fallback = leave(snap_, 4, LeaveReason::kNoAnswer, FlowState{}, kT0);
  EXPECT_EQ(fallback.action, Action{EnterIvr{2}});
  EXPECT_EQ(fallback.left_to, model::Destination{DestIvr{2}});
}

TEST_F(RouteToMenu, AForwardLeadsIntoAMenu) {
  Step step = route(snap_, DestUser{8}, std::nullopt, FlowState{}, kT0);
  EXPECT_EQ(step.action, Action{EnterIvr{2}});
  EXPECT_EQ(step.forwards, 1);
  EXPECT_EQ(step.forwarded_from, 8);
}

TEST_F(RouteToMenu, ADeletedMenuIsARoutingGap) {
  Step step = route(snap_, DestIvr{42}, std::nullopt, FlowState{}, kT0);
  const auto* end = std::get_if<EndCall>(&step.action);
  ASSERT_NE(end, nullptr);
  EXPECT_EQ(end->cause, EndCause::kRoutingGap);
  EXPECT_EQ(end->status, 480);
}

TEST_F(RouteToMenu, AMenuEnteredAgainAutomaticallyIsALoop) {
  const std::vector<model::IvrMenuId> menus{1};
  FlowState state;
  state.menus = menus;
  Step step = route(snap_, DestIvr{1}, std::nullopt, state, kT0);
  ASSERT_TRUE(std::holds_alternative<EndCall>(step.action));
  EXPECT_EQ(std::get<EndCall>(step.action).cause, EndCause::kFallbackLoop);
  // A key press starts a new count (the shell passes a fresh FlowState): "0 — main menu".
  EXPECT_EQ(route(snap_, DestIvr{1}, std::nullopt, FlowState{}, kT0).action, Action{EnterIvr{1}});
}

TEST_F(RouteToMenu, MenusCountTowardTheHopLimit) {
  // Two groups and five menus already: an eighth hop is refused, a seventh is not.
  const std::vector<model::GroupId> groups{10, 11};
  const std::vector<model::IvrMenuId> menus{91, 92, 93, 94, 95};
  FlowState state;
  state.visited = groups;
  state.menus = menus;
  state.max_hops = 8;
  EXPECT_EQ(route(snap_, DestIvr{1}, std::nullopt, state, kT0).action, Action{EnterIvr{1}});
  state.max_hops = 7;
  Step step = route(snap_, DestIvr{1}, std::nullopt, state, kT0);
  ASSERT_TRUE(std::holds_alternative<EndCall>(step.action));
  EXPECT_EQ(std::get<EndCall>(step.action).cause, EndCause::kHopLimit);
  // A group after the menus counts them too.
  Step group = route(snap_, DestGroup{1}, std::nullopt, state, kT0);
  ASSERT_TRUE(std::holds_alternative<EndCall>(group.action));
  EXPECT_EQ(std::get<EndCall>(group.action).cause, EndCause::kHopLimit);
}

}  // namespace
}  // namespace cohort::routing
