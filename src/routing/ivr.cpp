#include "routing/ivr.hpp"

#include <utility>

#include "model/ivr_menu.hpp"

namespace cohort::routing {
namespace {

/// Whether some user's or group's extension is longer than `entry` and starts with it: then
/// more keys may still follow. A scan of every extension holder; it runs once per key a
/// caller presses in a direct-dial menu (~0.3 ms at 100,000 users), never per packet.
bool could_grow(const model::Snapshot& s, std::string_view entry) {
  for (char c : entry) {
    if (c < '0' || c > '9') {
      return false;  // extensions are digits only
    }
  }
  auto longer = [&](std::string_view extension) {
    return extension.size() > entry.size() && extension.starts_with(entry);
  };
  for (model::UserId id : s.user_ids()) {
    const model::User* u = s.user(id);
    if (u != nullptr && longer(u->extension)) {
      return true;
    }
  }
  for (model::GroupId id : s.group_ids()) {
    const model::Group* g = s.group(id);
    if (g != nullptr && g->extension && longer(*g->extension)) {
      return true;
    }
  }
  return false;
}

/// One event's work on one menu.
struct Run {
  const model::Snapshot& snap;
  const model::IvrMenu& menu;
  IvrStep step;

  IvrStep leave(IvrExit exit, std::optional<model::Destination> to, std::string taken = {}) {
    step.state.phase = IvrPhase::kDone;
    step.state.entry.clear();
    step.state.deadline_ms = 0;
    step.exit = exit;
    step.taken = std::move(taken);
    if (to) {
      step.action = GoTo{std::move(*to)};
    } else {
      step.action = HangUp{};
    }
    return std::move(step);
  }

  /// No key, or a wrong entry: the prompt again while plays remain, else the menu's exit.
  IvrStep failed(PlayReason why) {
    step.state.entry.clear();
    if (step.state.plays < menu.repeat) {
      ++step.state.plays;
      step.state.phase = IvrPhase::kPrompt;
      step.state.deadline_ms = 0;
      step.action = PlayPrompt{menu.id, step.state.plays, why};
      return std::move(step);
    }
    if (why == PlayReason::kNoInput) {
      return leave(IvrExit::kTimeout, menu.timeout);
    }
    return leave(IvrExit::kInvalid, menu.invalid);
  }

  /// The entry is complete: an extension (direct dial) before an option, else invalid. An
  /// option key is one character and an extension at least two, so they never tie.
  IvrStep decide() {
    const std::string entry = step.state.entry;
    if (menu.direct_dial && entry.size() >= 2) {
      if (auto owner = snap.extension_owner(entry)) {
        model::Destination to = owner->kind == model::ExtensionOwner::Kind::kUser
                                    ? model::Destination{model::DestUser{owner->id}}
                                    : model::Destination{model::DestGroup{owner->id}};
        return leave(IvrExit::kDirectDial, std::move(to), entry);
      }
    }
    if (entry.size() == 1) {
      if (const model::IvrOption* o = menu.option(entry[0])) {
        return leave(IvrExit::kOption, o->destination, entry);
      }
    }
    return failed(PlayReason::kInvalid);
  }

  IvrStep on(const PromptEnded& e) {
    if (step.state.phase != IvrPhase::kPrompt) {
      return keep();  // a prompt the caller already typed over
    }
    step.state.phase = IvrPhase::kWaiting;
    step.state.deadline_ms = e.now_ms + static_cast<std::int64_t>(menu.timeout_s) * 1000;
    step.action = WaitForKeys{step.state.deadline_ms, false};
    return std::move(step);
  }

  IvrStep on(const KeyPressed& e) {
    if (!model::is_ivr_key(e.key)) {
      return keep();  // A–D: no keypad sends them, and no option can use them
    }
    step.state.keys.push_back(e.key);
    // `#` after some keys ends an extension being typed ("dial 201 then #"); as the first key
    // it is an option key like any other.
    if (menu.direct_dial && e.key == '#' && !step.state.entry.empty()) {
      return decide();
    }
    step.state.entry.push_back(e.key);
    if (menu.direct_dial && could_grow(snap, step.state.entry)) {
      step.state.phase = IvrPhase::kCollecting;
      step.state.deadline_ms = e.now_ms + kIvrInterDigitMs;
      step.action = WaitForKeys{step.state.deadline_ms, true};
      return std::move(step);
    }
    return decide();
  }

  IvrStep on(const TimerFired& e) {
    const bool due = e.now_ms >= step.state.deadline_ms;
    if (step.state.phase == IvrPhase::kWaiting && due) {
      return failed(PlayReason::kNoInput);
    }
    if (step.state.phase == IvrPhase::kCollecting && due) {
      return decide();
    }
    return keep();  // early, or armed for a phase that is over
  }

  IvrStep keep() {
    step.action = KeepGoing{};
    return std::move(step);
  }
};

}  // namespace

std::string_view to_string(IvrExit e) {
  switch (e) {
    case IvrExit::kOption:
      return "option";
    case IvrExit::kDirectDial:
      return "direct_dial";
    case IvrExit::kTimeout:
      return "timeout";
    case IvrExit::kInvalid:
      return "invalid";
    case IvrExit::kMenuGone:
      return "menu_gone";
  }
  return "option";
}

std::string_view to_string(PlayReason r) {
  switch (r) {
    case PlayReason::kFirst:
      return "first";
    case PlayReason::kNoInput:
      return "no_input";
    case PlayReason::kInvalid:
      return "invalid";
  }
  return "first";
}

IvrStep ivr_start(const model::Snapshot& snapshot, model::IvrMenuId menu) {
  IvrStep step;
  step.state.menu = menu;
  if (snapshot.ivr_menu(menu) == nullptr) {
    step.exit = IvrExit::kMenuGone;
    step.action = HangUp{};
    return step;
  }
  step.state.phase = IvrPhase::kPrompt;
  step.state.plays = 1;
  step.action = PlayPrompt{menu, 1, PlayReason::kFirst};
  return step;
}

IvrStep ivr_next(const model::Snapshot& snapshot, const IvrState& state, const IvrEvent& event) {
  IvrStep step;
  step.state = state;
  if (state.phase == IvrPhase::kDone) {
    return step;  // KeepGoing: the menu was left already
  }
  const model::IvrMenu* menu = snapshot.ivr_menu(state.menu);
  if (menu == nullptr) {
    step.state.phase = IvrPhase::kDone;
    step.state.deadline_ms = 0;
    step.exit = IvrExit::kMenuGone;
    step.action = HangUp{};
    return step;
  }
  Run run{snapshot, *menu, std::move(step)};
  return std::visit([&](const auto& e) { return run.on(e); }, event);
}

}  // namespace cohort::routing
