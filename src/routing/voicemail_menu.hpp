#pragma once
// PURE: the voicemail menu a user reaches by dialling *97 (docs/media.md "Voicemail from the
// phone"). The shell answers the call, plays what a step says, hears keys, loads and deletes
// messages and stores greetings; this says what to do next. Like routing/ivr.hpp: the shell
// calls vm_start, carries out the step's actions in order, and feeds every event it sees to
// vm_next with the state the previous step returned, until a step says Leave. Nothing here
// reads a clock or a store: events carry `now_ms` and what the shell loaded.
//
//   vm_start ─▶ kChoose (one mailbox: straight to kBoxMenu)
//     kChoose ── 1…9 ─▶ kBoxMenu ── 1 ─▶ kLoading ─(MessagesLoaded)─▶ kMessage ⇄ kAfterMessage
//                          │  ▲                                         5 again, 7 delete,
//                          │  └──────────── * / no more messages ◀──── 9 next, * back
//                          └── 3 ─▶ kRecordIntro ─▶ kRecording ─▶ kReview ── 1 keep ─▶ kSaving
//                                                                    2 again, * cancel
// A menu that hears no key for kVmKeyTimeoutMs plays again, kVmRepeats times in all, then
// says goodbye (kBye) and the step after it Leave. Keys are taken while prompts play.

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "model/destination.hpp"

namespace cohort::routing {

inline constexpr std::int64_t kVmKeyTimeoutMs = 6000;
inline constexpr int kVmRepeats = 3;
/// Mailboxes a menu offers (keys 1–9): the user's own and its groups', in the shell's order.
inline constexpr std::size_t kVmMaxBoxes = 9;

/// One mailbox the user may open, with its counts when the menu started.
struct VmBox {
  model::DestVoicemail box;
  std::string name;  ///< the group's name; "" for the user's own mailbox
  std::int64_t total = 0;
  std::int64_t unheard = 0;
  bool operator==(const VmBox&) const = default;
};

/// One message of the open mailbox, as the shell loaded it.
struct VmMessage {
  std::int64_t id = 0;
  std::string caller;  ///< the caller's number ("" when unknown)
  std::int64_t started_at_ms = 0;
  bool heard = false;
  bool operator==(const VmMessage&) const = default;
};

enum class VmPhase : std::uint8_t {
  kChoose,        ///< "for your mailbox press 1, for Sales press 2 …"
  kBoxMenu,       ///< "you have N new and M saved messages; 1 listen, 3 record the greeting"
  kLoading,       ///< LoadMessages was asked: waiting for MessagesLoaded
  kMessage,       ///< a message plays (its number, its caller, its audio)
  kAfterMessage,  ///< "5 again, 7 delete, 9 next, * back"
  kDeleting,      ///< DeleteMessage was asked: waiting for StoreDone
  kRecordIntro,   ///< "record the greeting after the tone …", then the beep
  kRecording,     ///< the greeting is being recorded: waiting for RecordingEnded
  kReview,        ///< the new greeting plays back: "1 keep, 2 record again, * cancel"
  kSaving,        ///< SaveGreeting was asked: waiting for StoreDone
  kBye,           ///< "goodbye" plays; Leave when it ends
  kDone,          ///< left; further events change nothing
};

/// The state of one caller in the menu. A value: each step returns the next one.
struct VmState {
  VmPhase phase = VmPhase::kDone;
  std::vector<VmBox> boxes;
  int box = -1;                     ///< the open mailbox (index into boxes), -1 = none yet
  std::vector<VmMessage> messages;  ///< the open mailbox's, in listening order
  int at = 0;                       ///< the message playing or just played
  int plays = 0;                    ///< plays of the current menu without a key in between
  bool waiting = false;             ///< the menu's prompt ended: keys until deadline_ms
  std::int64_t deadline_ms = 0;
  bool operator==(const VmState&) const = default;
};

// ---- events the shell reports --------------------------------------------------------------

struct VmPromptEnded {
  std::int64_t now_ms = 0;
};
struct VmKey {
  char key = '0';
  std::int64_t now_ms = 0;
};
/// The deadline of the last WaitForKeys passed; early or stale ones are ignored.
struct VmTimer {
  std::int64_t now_ms = 0;
};
/// What LoadMessages found (in any order; `ok` false when the store failed).
struct MessagesLoaded {
  std::vector<VmMessage> messages;
  bool ok = true;
  std::int64_t now_ms = 0;
};
/// A greeting recording ended (`#`, silence, its maximum); `too_short` when nothing usable.
struct RecordingEnded {
  bool too_short = false;
  std::int64_t now_ms = 0;
};
/// A DeleteMessage or SaveGreeting finished.
struct StoreDone {
  bool ok = true;
  std::int64_t now_ms = 0;
};
using VmEvent =
    std::variant<VmPromptEnded, VmKey, VmTimer, MessagesLoaded, RecordingEnded, StoreDone>;

// ---- what the shell does --------------------------------------------------------------------

/// One part of what is said.
struct Phrase {
  enum class Kind : std::uint8_t {
    kPrompt,    ///< a built-in prompt: `text` is its id ("vm_you_have")
    kNumber,    ///< `value` said as a number (0–100)
    kDigits,    ///< `text` said digit by digit (a caller's number; other characters skipped)
    kBoxName,   ///< the name of mailbox `value` (index into VmState::boxes)
    kMessage,   ///< the audio of message `value` (its id)
    kRecorded,  ///< the greeting just recorded
    kBeep,      ///< the tone before a recording
  };
  Kind kind = Kind::kPrompt;
  std::string text;
  std::int64_t value = 0;
  bool operator==(const Phrase&) const = default;
};

/// Play these phrases one after the other, replacing what plays; VmPromptEnded at the end.
struct Say {
  std::vector<Phrase> phrases;
  bool operator==(const Say&) const = default;
};
/// Stop what plays (the caller pressed a key over it); no VmPromptEnded follows.
struct StopSaying {
  bool operator==(const StopSaying&) const = default;
};
/// Report VmTimer at `deadline_ms` (replacing any earlier deadline).
struct WaitForKey {
  std::int64_t deadline_ms = 0;
  bool operator==(const WaitForKey&) const = default;
};
/// Load the messages of mailbox `box`; report MessagesLoaded.
struct LoadMessages {
  model::DestVoicemail box;
  bool operator==(const LoadMessages&) const = default;
};
/// Mark message `id` heard (nothing is reported back).
struct MarkHeard {
  std::int64_t id = 0;
  bool operator==(const MarkHeard&) const = default;
};
/// Delete message `id`; report StoreDone.
struct DeleteMessage {
  std::int64_t id = 0;
  bool operator==(const DeleteMessage&) const = default;
};
/// Record from the caller now (after the beep); report RecordingEnded.
struct RecordGreeting {
  bool operator==(const RecordGreeting&) const = default;
};
/// Store the greeting just recorded as `box`'s greeting; report StoreDone.
struct SaveGreeting {
  model::DestVoicemail box;
  bool operator==(const SaveGreeting&) const = default;
};
/// Hang up: the menu is over.
struct Leave {
  bool operator==(const Leave&) const = default;
};
using VmAction = std::variant<Say, StopSaying, WaitForKey, LoadMessages, MarkHeard, DeleteMessage,
                              RecordGreeting, SaveGreeting, Leave>;

struct VmStep {
  std::vector<VmAction> actions;  ///< carry them out in order
  VmState state;                  ///< pass it to the next vm_next
};

/// Enters the menu with the mailboxes the user may open (its own first; at most
/// kVmMaxBoxes are offered). No mailbox at all: goodbye.
VmStep vm_start(std::vector<VmBox> boxes);

/// The step after `event` in `state`.
VmStep vm_next(const VmState& state, const VmEvent& event);

/// The order messages are heard in: new ones oldest first, then heard ones newest first.
std::vector<VmMessage> listening_order(std::vector<VmMessage> messages);

}  // namespace cohort::routing
