// PURE: the *97 voicemail menu (routing/voicemail_menu.hpp).

#include "routing/voicemail_menu.hpp"

#include <algorithm>
#include <utility>

namespace cohort::routing {

namespace {

Phrase prompt(std::string id) {
  return {Phrase::Kind::kPrompt, std::move(id), 0};
}
Phrase number(std::int64_t n) {
  return {Phrase::Kind::kNumber, {}, n};
}

void append(std::vector<Phrase>& to, std::vector<Phrase> more) {
  for (Phrase& p : more) {
    to.push_back(std::move(p));
  }
}

/// A step being built from a state.
struct Builder {
  VmStep step;

  explicit Builder(VmState s) { step.state = std::move(s); }
  VmState& s() { return step.state; }
  void act(VmAction a) { step.actions.push_back(std::move(a)); }
  /// Says `phrases` as the prompt of a menu that waits for a key once they end.
  void say(std::vector<Phrase> phrases) {
    s().waiting = false;
    act(Say{std::move(phrases)});
  }
  VmStep done() { return std::move(step); }
};

/// "For your mailbox, press 1. For Sales, press 2. …"
std::vector<Phrase> choose_words(const VmState& s) {
  std::vector<Phrase> out;
  for (std::size_t i = 0; i < s.boxes.size(); ++i) {
    out.push_back(prompt("ivr_for"));
    out.push_back({Phrase::Kind::kBoxName, {}, static_cast<std::int64_t>(i)});
    out.push_back(prompt("ivr_press"));
    out.push_back(number(static_cast<std::int64_t>(i) + 1));
  }
  return out;
}

/// "Sales. You have 2 new messages and 1 saved message. Press 1 …"
std::vector<Phrase> box_words(const VmState& s) {
  const VmBox& b = s.boxes[static_cast<std::size_t>(s.box)];
  std::vector<Phrase> out;
  if (s.boxes.size() > 1) {
    out.push_back({Phrase::Kind::kBoxName, {}, s.box});
  }
  const std::int64_t saved = std::max<std::int64_t>(0, b.total - b.unheard);
  out.push_back(prompt("vm_you_have"));
  out.push_back(number(b.unheard));
  out.push_back(prompt(b.unheard == 1 ? "vm_new_message" : "vm_new_messages"));
  out.push_back(prompt("vm_and"));
  out.push_back(number(saved));
  out.push_back(prompt(saved == 1 ? "vm_saved_message" : "vm_saved_messages"));
  out.push_back(prompt("vm_box_options"));
  if (s.boxes.size() > 1) {
    out.push_back(prompt("vm_star_back"));
  }
  return out;
}

std::vector<Phrase> message_words(const VmState& s) {
  const VmMessage& m = s.messages[static_cast<std::size_t>(s.at)];
  std::vector<Phrase> out{prompt("vm_message"), number(s.at + 1)};
  if (!m.caller.empty()) {
    out.push_back(prompt("vm_from"));
    out.push_back({Phrase::Kind::kDigits, m.caller, 0});
  }
  out.push_back({Phrase::Kind::kMessage, {}, m.id});
  return out;
}

void to_choose(Builder& b, std::vector<Phrase> before = {}) {
  b.s().phase = VmPhase::kChoose;
  b.s().box = -1;
  b.s().messages.clear();
  append(before, choose_words(b.s()));
  b.say(std::move(before));
}

void to_box(Builder& b, std::vector<Phrase> before = {}) {
  b.s().phase = VmPhase::kBoxMenu;
  b.s().messages.clear();
  b.s().at = 0;
  append(before, box_words(b.s()));
  b.say(std::move(before));
}

void to_message(Builder& b, std::vector<Phrase> before = {}) {
  if (b.s().at >= static_cast<int>(b.s().messages.size())) {
    before.push_back(prompt(b.s().messages.empty() ? "vm_no_messages" : "vm_no_more"));
    to_box(b, std::move(before));
    return;
  }
  b.s().phase = VmPhase::kMessage;
  append(before, message_words(b.s()));
  b.say(std::move(before));
}

void to_after_message(Builder& b, std::vector<Phrase> before = {}) {
  b.s().phase = VmPhase::kAfterMessage;
  before.push_back(prompt("vm_message_options"));
  b.say(std::move(before));
}

void to_record_intro(Builder& b) {
  b.s().phase = VmPhase::kRecordIntro;
  b.say({prompt("vm_record_greeting"), {Phrase::Kind::kBeep, {}, 0}});
}

void to_review(Builder& b, std::vector<Phrase> before = {}) {
  b.s().phase = VmPhase::kReview;
  if (before.empty()) {
    before = {prompt("vm_greeting_review"), {Phrase::Kind::kRecorded, {}, 0}};
  }
  before.push_back(prompt("vm_greeting_options"));
  b.say(std::move(before));
}

void bye(Builder& b) {
  b.s().phase = VmPhase::kBye;
  b.say({prompt("goodbye")});
}

/// The current menu again after a wrong key (`invalid`) or no key (not counted as a play).
void again(Builder& b, bool invalid) {
  std::vector<Phrase> before{prompt(invalid ? "ivr_invalid" : "ivr_no_input")};
  switch (b.s().phase) {
    case VmPhase::kChoose:
      to_choose(b, std::move(before));
      return;
    case VmPhase::kBoxMenu:
      to_box(b, std::move(before));
      return;
    case VmPhase::kAfterMessage:
      to_after_message(b, std::move(before));
      return;
    case VmPhase::kReview:
      before.push_back(prompt("vm_greeting_options"));
      b.s().waiting = false;
      b.act(Say{std::move(before)});
      return;
    default:
      return;
  }
}

VmMessage& current(VmState& s) {
  return s.messages[static_cast<std::size_t>(s.at)];
}

void mark_heard(Builder& b) {
  VmMessage& m = current(b.s());
  if (!m.heard) {
    m.heard = true;
    VmBox& box = b.s().boxes[static_cast<std::size_t>(b.s().box)];
    box.unheard = std::max<std::int64_t>(0, box.unheard - 1);
    b.act(MarkHeard{m.id});
  }
}

/// Keys of a message: while it plays (barge-in) or after it.
void message_key(Builder& b, char key) {
  switch (key) {
    case '5':
      b.act(StopSaying{});
      to_message(b);
      return;
    case '7':
      b.act(StopSaying{});
      b.s().phase = VmPhase::kDeleting;
      b.s().waiting = false;
      b.act(DeleteMessage{current(b.s()).id});
      return;
    case '9':
      b.act(StopSaying{});
      mark_heard(b);
      ++b.s().at;
      to_message(b);
      return;
    case '*':
      b.act(StopSaying{});
      to_box(b);
      return;
    default:
      if (b.s().phase == VmPhase::kAfterMessage) {
        b.act(StopSaying{});
        again(b, /*invalid=*/true);
      }
      return;  // while a message plays, other keys do not interrupt it
  }
}

void on_key(Builder& b, char key) {
  VmState& s = b.s();
  s.plays = 0;
  switch (s.phase) {
    case VmPhase::kChoose: {
      b.act(StopSaying{});
      const int i = key - '1';
      if (i >= 0 && i < static_cast<int>(s.boxes.size())) {
        s.box = i;
        to_box(b);
      } else {
        again(b, true);
      }
      return;
    }
    case VmPhase::kBoxMenu:
      b.act(StopSaying{});
      if (key == '1') {
        s.phase = VmPhase::kLoading;
        s.waiting = false;
        b.act(LoadMessages{s.boxes[static_cast<std::size_t>(s.box)].box});
      } else if (key == '3') {
        to_record_intro(b);
      } else if (key == '*' && s.boxes.size() > 1) {
        to_choose(b);
      } else {
        again(b, true);
      }
      return;
    case VmPhase::kMessage:
    case VmPhase::kAfterMessage:
      message_key(b, key);
      return;
    case VmPhase::kRecordIntro:
      if (key == '*') {
        b.act(StopSaying{});
        to_box(b);
      }
      return;
    case VmPhase::kReview:
      b.act(StopSaying{});
      if (key == '1') {
        s.phase = VmPhase::kSaving;
        s.waiting = false;
        b.act(SaveGreeting{s.boxes[static_cast<std::size_t>(s.box)].box});
      } else if (key == '2') {
        to_record_intro(b);
      } else if (key == '*') {
        to_box(b, {prompt("vm_greeting_cancelled")});
      } else {
        again(b, true);
      }
      return;
    default:
      return;  // loading, deleting, recording (its '#' ends it in the media), saving, bye
  }
}

void on_prompt_ended(Builder& b, std::int64_t now_ms) {
  VmState& s = b.s();
  switch (s.phase) {
    case VmPhase::kMessage:
      mark_heard(b);
      to_after_message(b);
      return;
    case VmPhase::kRecordIntro:
      s.phase = VmPhase::kRecording;
      b.act(RecordGreeting{});
      return;
    case VmPhase::kBye:
      s.phase = VmPhase::kDone;
      b.act(Leave{});
      return;
    case VmPhase::kChoose:
    case VmPhase::kBoxMenu:
    case VmPhase::kAfterMessage:
    case VmPhase::kReview:
      ++s.plays;
      s.waiting = true;
      s.deadline_ms = now_ms + kVmKeyTimeoutMs;
      b.act(WaitForKey{s.deadline_ms});
      return;
    default:
      return;
  }
}

void on_timer(Builder& b, std::int64_t now_ms) {
  VmState& s = b.s();
  if (!s.waiting || now_ms < s.deadline_ms) {
    return;  // early or stale
  }
  s.waiting = false;
  if (s.plays >= kVmRepeats) {
    bye(b);
    return;
  }
  again(b, /*invalid=*/false);
}

}  // namespace

std::vector<VmMessage> listening_order(std::vector<VmMessage> messages) {
  std::stable_sort(messages.begin(), messages.end(), [](const VmMessage& a, const VmMessage& b) {
    if (a.heard != b.heard) {
      return !a.heard;
    }
    if (a.started_at_ms != b.started_at_ms) {
      return a.heard ? a.started_at_ms > b.started_at_ms : a.started_at_ms < b.started_at_ms;
    }
    return a.heard ? a.id > b.id : a.id < b.id;
  });
  return messages;
}

VmStep vm_start(std::vector<VmBox> boxes) {
  if (boxes.size() > kVmMaxBoxes) {
    boxes.resize(kVmMaxBoxes);
  }
  VmState s;
  s.boxes = std::move(boxes);
  Builder b(std::move(s));
  if (b.s().boxes.empty()) {
    bye(b);
  } else if (b.s().boxes.size() == 1) {
    b.s().box = 0;
    to_box(b);
  } else {
    to_choose(b);
  }
  return b.done();
}

VmStep vm_next(const VmState& state, const VmEvent& event) {
  Builder b(state);
  if (state.phase == VmPhase::kDone) {
    return b.done();
  }
  VmState& s = b.s();
  if (const auto* k = std::get_if<VmKey>(&event)) {
    on_key(b, k->key);
  } else if (const auto* p = std::get_if<VmPromptEnded>(&event)) {
    on_prompt_ended(b, p->now_ms);
  } else if (const auto* t = std::get_if<VmTimer>(&event)) {
    on_timer(b, t->now_ms);
  } else if (const auto* loaded = std::get_if<MessagesLoaded>(&event)) {
    if (s.phase == VmPhase::kLoading) {
      if (!loaded->ok) {
        to_box(b, {prompt("vm_failed")});
      } else {
        s.messages = listening_order(loaded->messages);
        s.at = 0;
        // The counts are the store's now, not those from when the menu started.
        VmBox& box = s.boxes[static_cast<std::size_t>(s.box)];
        box.total = static_cast<std::int64_t>(s.messages.size());
        box.unheard = std::count_if(s.messages.begin(), s.messages.end(),
                                    [](const VmMessage& m) { return !m.heard; });
        to_message(b);
      }
    }
  } else if (const auto* rec = std::get_if<RecordingEnded>(&event)) {
    if (s.phase == VmPhase::kRecording) {
      if (rec->too_short) {
        to_box(b, {prompt("vm_greeting_too_short")});
      } else {
        to_review(b);
      }
    }
  } else if (const auto* done = std::get_if<StoreDone>(&event)) {
    if (s.phase == VmPhase::kDeleting) {
      if (!done->ok) {
        to_after_message(b, {prompt("vm_failed")});
      } else {
        VmBox& box = s.boxes[static_cast<std::size_t>(s.box)];
        box.total = std::max<std::int64_t>(0, box.total - 1);
        if (!current(s).heard) {
          box.unheard = std::max<std::int64_t>(0, box.unheard - 1);
        }
        s.messages.erase(s.messages.begin() + s.at);
        // The next message moves into this place.
        if (s.at >= static_cast<int>(s.messages.size())) {
          to_box(b, {prompt("vm_deleted"), prompt("vm_no_more")});
        } else {
          to_message(b, {prompt("vm_deleted")});
        }
      }
    } else if (s.phase == VmPhase::kSaving) {
      to_box(b, {prompt(done->ok ? "vm_greeting_saved" : "vm_failed")});
    }
  }
  return b.done();
}

}  // namespace cohort::routing
