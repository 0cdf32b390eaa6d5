#pragma once
// PURE: running an IVR menu (docs/routing.md "IVR menus"). The shell plays sounds and hears
// keys; this says what to do next. A menu is entered when routing::route returns EnterIvr:
// the shell calls ivr_start, carries out the step's action, and feeds every event it sees
// (the prompt ended, a key was pressed, the deadline it was given passed) to ivr_next with
// the state the previous step returned, until a step leaves the menu (GoTo or HangUp).
// Nothing here reads a clock: every event carries `now_ms` (unix ms, like route()).
//
//   ivr_start ─▶ PlayPrompt ─(PromptEnded)─▶ WaitForKeys(timeout_s) ─(TimerFired)─┐
//        ▲                                         │ KeyPressed                     │
//        │ (plays < repeat: PlayPrompt again)      ▼                                │
//        └──────────── invalid / no input ◀─ option? extension? ◀───────────────────┘
//                      (last play: GoTo timeout|invalid, or HangUp)
//
// Keys are taken while the prompt plays (barge-in). With direct_dial, keys that could still
// become an extension are collected until kIvrInterDigitMs passes without a key, or `#`.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "model/destination.hpp"
#include "model/snapshot.hpp"

namespace cohort::routing {

/// How long a menu with direct_dial waits for the next key of an extension being typed.
inline constexpr std::int64_t kIvrInterDigitMs = 3000;

/// Where a menu is.
enum class IvrPhase : std::uint8_t {
  kPrompt,      ///< the prompt plays; a key is taken at once (barge-in)
  kWaiting,     ///< the prompt ended; waiting for a key until the deadline (timeout_s)
  kCollecting,  ///< direct dial: keys typed, waiting for more until the inter-digit deadline
  kDone,        ///< the menu was left (GoTo or HangUp); further events change nothing
};

/// Why the prompt plays (the media engine may say "invalid choice" first).
enum class PlayReason : std::uint8_t {
  kFirst,    ///< entering the menu
  kNoInput,  ///< no key within timeout_s after the previous play
  kInvalid,  ///< a key bound to nothing, or an extension that does not exist
};

/// How the call left the menu (the CDR's record of it).
enum class IvrExit : std::uint8_t {
  kOption,      ///< a key bound to an option
  kDirectDial,  ///< an extension typed (direct_dial)
  kTimeout,     ///< no key after the last play: the timeout destination, or hang up
  kInvalid,     ///< a wrong entry on the last play: the invalid destination, or hang up
  kMenuGone,    ///< the menu no longer exists in the snapshot given
};
/// "option", "direct_dial", "timeout", "invalid", "menu_gone".
std::string_view to_string(IvrExit e);
std::string_view to_string(PlayReason r);

/// The state of one caller in one menu. A value: each step returns the next one.
struct IvrState {
  model::IvrMenuId menu = 0;
  IvrPhase phase = IvrPhase::kDone;
  int plays = 0;                 ///< prompts started so far (1 after ivr_start)
  std::string entry;             ///< keys of the entry being typed (direct dial)
  std::string keys;              ///< every key pressed in this menu, in order (the CDR's)
  std::int64_t deadline_ms = 0;  ///< kWaiting, kCollecting: when TimerFired acts
  bool operator==(const IvrState&) const = default;
};

// ---- events the shell reports --------------------------------------------------------------

/// The prompt finished playing (not sent when the shell stopped it).
struct PromptEnded {
  std::int64_t now_ms = 0;
};
/// The caller pressed `key` (RFC 4733, SIP INFO or in-band; any of 0–9 * # A–D).
struct KeyPressed {
  char key = '0';
  std::int64_t now_ms = 0;
};
/// The last deadline the shell was given (WaitForKeys) passed. Early or stale timers are
/// ignored (KeepGoing), so the shell need not cancel the ones it armed before.
struct TimerFired {
  std::int64_t now_ms = 0;
};
using IvrEvent = std::variant<PromptEnded, KeyPressed, TimerFired>;

// ---- what the shell does next ---------------------------------------------------------------

/// Play menu `menu`'s prompt from its start (`play` is 1-based: 1 … repeat).
struct PlayPrompt {
  model::IvrMenuId menu = 0;
  int play = 1;
  PlayReason reason = PlayReason::kFirst;
  bool operator==(const PlayPrompt&) const = default;
};
/// Wait for keys; report TimerFired at `deadline_ms` (replacing any earlier deadline). Stop
/// the prompt first when `stop_prompt` (the caller started typing over it).
struct WaitForKeys {
  std::int64_t deadline_ms = 0;
  bool stop_prompt = false;
  bool operator==(const WaitForKeys&) const = default;
};
/// Nothing changes: go on doing what the last action said.
struct KeepGoing {
  bool operator==(const KeepGoing&) const = default;
};
/// Leave the menu for `destination`: route it with routing::route (from_group nullopt). When
/// IvrStep::by_caller(), with a fresh FlowState (max_hops and facts kept, everything else
/// empty); otherwise with the call's FlowState, which holds this menu (docs/routing.md "IVR
/// menus", "Hops").
struct GoTo {
  model::Destination destination;
  bool operator==(const GoTo&) const = default;
};
/// Leave the menu by hanging up (no timeout or invalid destination set, or the menu gone).
struct HangUp {
  bool operator==(const HangUp&) const = default;
};
using IvrAction = std::variant<PlayPrompt, WaitForKeys, KeepGoing, GoTo, HangUp>;

struct IvrStep {
  IvrAction action = KeepGoing{};
  IvrState state;  ///< pass it to the next ivr_next
  /// Set when the step leaves the menu (GoTo, HangUp).
  std::optional<IvrExit> exit;
  /// The option's key ("1", "#") or the extension ("201") the step goes to; empty otherwise.
  std::string taken;
  /// Whether the caller's keys chose where the call goes (kOption, kDirectDial).
  bool by_caller() const { return exit == IvrExit::kOption || exit == IvrExit::kDirectDial; }
};

/// Enters menu `menu` of `snapshot`: PlayPrompt (play 1), or HangUp (kMenuGone) when the menu
/// does not exist.
IvrStep ivr_start(const model::Snapshot& snapshot, model::IvrMenuId menu);

/// The step after `event` in `state`. The menu is read from `snapshot` at every event, so a
/// newer snapshot's options apply at once, and a deleted menu ends with HangUp (kMenuGone).
/// Direct-dial extensions are looked up in `snapshot` too (users and groups).
IvrStep ivr_next(const model::Snapshot& snapshot, const IvrState& state, const IvrEvent& event);

}  // namespace cohort::routing
