// routing::vm_start / vm_next: the *97 voicemail menu, driven event by event as the shell
// would, checking every action it is told to carry out.

#include "routing/voicemail_menu.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace cohort::routing {
namespace {

using Box = model::DestVoicemail::Box;
constexpr std::int64_t kT0 = 1'767'225'600'000;  // 2026-01-01T00:00:00Z

VmBox own(std::int64_t total, std::int64_t unheard) {
  return {{Box::kUser, 5}, "", total, unheard};
}
VmBox group(std::int64_t id, std::string name, std::int64_t total = 0, std::int64_t unheard = 0) {
  return {{Box::kGroup, id}, std::move(name), total, unheard};
}

/// The prompt ids and kinds of a Say, as one readable line: "vm_you_have #2 vm_new_messages".
std::string words(const Say& say) {
  std::string out;
  for (const Phrase& ph : say.phrases) {
    if (!out.empty()) {
      out += ' ';
    }
    switch (ph.kind) {
      case Phrase::Kind::kPrompt:
        out += ph.text;
        break;
      case Phrase::Kind::kNumber:
        out += "#" + std::to_string(ph.value);
        break;
      case Phrase::Kind::kDigits:
        out += "digits:" + ph.text;
        break;
      case Phrase::Kind::kBoxName:
        out += "box:" + std::to_string(ph.value);
        break;
      case Phrase::Kind::kMessage:
        out += "message:" + std::to_string(ph.value);
        break;
      case Phrase::Kind::kRecorded:
        out += "recorded";
        break;
      case Phrase::Kind::kBeep:
        out += "beep";
        break;
    }
  }
  return out;
}

/// The one Say of a step (fails the test when there is none or several).
std::string said(const VmStep& step) {
  std::vector<std::string> all;
  for (const VmAction& a : step.actions) {
    if (const auto* s = std::get_if<Say>(&a)) {
      all.push_back(words(*s));
    }
  }
  EXPECT_EQ(all.size(), 1u);
  return all.empty() ? "" : all.front();
}

template <typename A>
const A* find(const VmStep& step) {
  for (const VmAction& a : step.actions) {
    if (const auto* x = std::get_if<A>(&a)) {
      return x;
    }
  }
  return nullptr;
}

/// Runs the menu event by event.
struct Menu {
  VmStep step;
  std::int64_t now = kT0;

  explicit Menu(std::vector<VmBox> boxes) : step(vm_start(std::move(boxes))) {}
  const VmStep& on(const VmEvent& e) {
    step = vm_next(step.state, e);
    return step;
  }
  const VmStep& ended() { return on(VmPromptEnded{now}); }
  const VmStep& key(char k) { return on(VmKey{k, now}); }
  const VmStep& timer(std::int64_t at) {
    now = at;
    return on(VmTimer{at});
  }
  VmPhase phase() const { return step.state.phase; }
};

const std::string kBoxMenuOf3 =
    "vm_you_have #2 vm_new_messages vm_and #1 vm_saved_message vm_box_options";

TEST(VoicemailMenu, OneMailboxOpensAtOnceWithItsCounts) {
  Menu m({own(3, 2)});
  EXPECT_EQ(m.phase(), VmPhase::kBoxMenu);
  EXPECT_EQ(said(m.step), kBoxMenuOf3);
  // Singular and plural, zero included.
  Menu one({own(1, 1)});
  EXPECT_EQ(said(one.step),
            "vm_you_have #1 vm_new_message vm_and #0 vm_saved_messages vm_box_options");
}

TEST(VoicemailMenu, NoMailboxSaysGoodbyeAndLeaves) {
  Menu m({});
  EXPECT_EQ(said(m.step), "goodbye");
  EXPECT_NE(find<Leave>(m.ended()), nullptr);
  EXPECT_EQ(m.phase(), VmPhase::kDone);
  EXPECT_TRUE(m.key('1').actions.empty());  // nothing after the end
}

TEST(VoicemailMenu, SeveralMailboxesAreChosenByKeyAndStarGoesBack) {
  Menu m({own(0, 0), group(3, "Sales", 4, 4), group(4, "Support")});
  EXPECT_EQ(m.phase(), VmPhase::kChoose);
  EXPECT_EQ(said(m.step),
            "ivr_for box:0 ivr_press #1 ivr_for box:1 ivr_press #2 ivr_for box:2 ivr_press #3");
  m.key('2');
  EXPECT_NE(find<StopSaying>(m.step), nullptr);  // barge-in
  EXPECT_EQ(m.phase(), VmPhase::kBoxMenu);
  EXPECT_EQ(m.step.state.box, 1);
  EXPECT_EQ(said(m.step),
            "box:1 vm_you_have #4 vm_new_messages vm_and #0 vm_saved_messages "
            "vm_box_options vm_star_back");
  m.key('*');
  EXPECT_EQ(m.phase(), VmPhase::kChoose);
  // A key with no mailbox: "not a valid choice", then the menu again.
  m.key('4');
  EXPECT_EQ(m.phase(), VmPhase::kChoose);
  EXPECT_EQ(said(m.step).rfind("ivr_invalid ivr_for box:0", 0), 0u);
  m.key('0');
  EXPECT_EQ(said(m.step).rfind("ivr_invalid", 0), 0u);
}

TEST(VoicemailMenu, AtMostNineMailboxesAreOffered) {
  std::vector<VmBox> boxes{own(0, 0)};
  for (int i = 1; i <= 12; ++i) {
    boxes.push_back(group(i, "G" + std::to_string(i)));
  }
  Menu m(boxes);
  EXPECT_EQ(m.step.state.boxes.size(), kVmMaxBoxes);
}

TEST(VoicemailMenu, NoKeyPlaysTheMenuAgainThenSaysGoodbye) {
  Menu m({own(3, 2)});
  const WaitForKey* wait = find<WaitForKey>(m.ended());
  ASSERT_NE(wait, nullptr);
  EXPECT_EQ(wait->deadline_ms, kT0 + kVmKeyTimeoutMs);
  // An early timer (one armed before) changes nothing.
  EXPECT_TRUE(m.timer(kT0 + 10).actions.empty());
  for (int play = 2; play <= kVmRepeats; ++play) {
    m.timer(m.step.state.deadline_ms);
    EXPECT_EQ(said(m.step), "ivr_no_input " + kBoxMenuOf3) << play;
    m.ended();
  }
  m.timer(m.step.state.deadline_ms);
  EXPECT_EQ(said(m.step), "goodbye");
  EXPECT_NE(find<Leave>(m.ended()), nullptr);
}

TEST(VoicemailMenu, AKeyResetsTheCountOfPlaysWithoutInput) {
  Menu m({own(3, 2)});
  m.ended();
  m.timer(m.step.state.deadline_ms);  // play 2
  m.ended();
  m.key('8');  // invalid: the menu again, and the count starts over
  m.ended();
  m.timer(m.step.state.deadline_ms);
  m.ended();
  m.timer(m.step.state.deadline_ms);
  EXPECT_EQ(said(m.step), "ivr_no_input " + kBoxMenuOf3);  // not goodbye yet
}

TEST(VoicemailMenu, MessagesAreHeardNewOldestFirstThenSavedNewestFirst) {
  const std::vector<VmMessage> loaded{{10, "201", kT0 - 5000, true},
                                      {11, "+4930123", kT0 - 4000, false},
                                      {12, "", kT0 - 3000, true},
                                      {13, "202", kT0 - 6000, false}};
  std::vector<std::int64_t> ids;
  for (const VmMessage& msg : listening_order(loaded)) {
    ids.push_back(msg.id);
  }
  EXPECT_EQ(ids, (std::vector<std::int64_t>{13, 11, 12, 10}));
}

TEST(VoicemailMenu, ListeningMarksHeardAndNineGoesToTheNext) {
  Menu m({own(2, 2)});
  const LoadMessages* load = find<LoadMessages>(m.key('1'));
  ASSERT_NE(load, nullptr);
  EXPECT_EQ(load->box, (model::DestVoicemail{Box::kUser, 5}));
  EXPECT_EQ(m.phase(), VmPhase::kLoading);
  EXPECT_TRUE(m.key('1').actions.empty());  // keys while loading are ignored
  m.on(MessagesLoaded{{{21, "201", kT0 - 1000, false}, {22, "", kT0 - 2000, false}}, true, kT0});
  EXPECT_EQ(said(m.step), "vm_message #1 message:22");  // no caller: no "from"
  // The message played to its end: heard, then its options.
  m.ended();
  ASSERT_NE(find<MarkHeard>(m.step), nullptr);
  EXPECT_EQ(find<MarkHeard>(m.step)->id, 22);
  EXPECT_EQ(said(m.step), "vm_message_options");
  EXPECT_EQ(m.step.state.boxes[0].unheard, 1);
  m.ended();
  m.key('5');  // again: not marked a second time
  EXPECT_EQ(said(m.step), "vm_message #1 message:22");
  EXPECT_EQ(find<MarkHeard>(m.ended()), nullptr);
  // 9 over the next message's audio: heard without playing to its end, then no more.
  m.key('9');
  EXPECT_EQ(said(m.step), "vm_message #2 vm_from digits:201 message:21");
  m.key('9');
  EXPECT_EQ(find<MarkHeard>(m.step)->id, 21);
  EXPECT_EQ(said(m.step),
            "vm_no_more vm_you_have #0 vm_new_messages vm_and #2 vm_saved_messages "
            "vm_box_options");
  EXPECT_EQ(m.phase(), VmPhase::kBoxMenu);
}

TEST(VoicemailMenu, OtherKeysDoNotInterruptAMessageButAreInvalidAfterIt) {
  Menu m({own(1, 1)});
  m.key('1');
  m.on(MessagesLoaded{{{21, "201", kT0, false}}, true, kT0});
  EXPECT_TRUE(m.key('3').actions.empty());
  EXPECT_EQ(m.phase(), VmPhase::kMessage);
  m.ended();
  m.ended();
  m.key('3');
  EXPECT_EQ(said(m.step), "ivr_invalid vm_message_options");
  m.key('*');
  EXPECT_EQ(m.phase(), VmPhase::kBoxMenu);
}

TEST(VoicemailMenu, SevenDeletesAndTheNextMessageTakesItsPlace) {
  Menu m({own(3, 1)});
  m.key('1');
  m.on(MessagesLoaded{{{31, "201", kT0 - 3000, true},
                       {32, "202", kT0 - 2000, false},
                       {33, "203", kT0 - 1000, true}},
                      true,
                      kT0});
  EXPECT_EQ(said(m.step), "vm_message #1 vm_from digits:202 message:32");
  const DeleteMessage* del = find<DeleteMessage>(m.key('7'));  // over the audio
  ASSERT_NE(del, nullptr);
  EXPECT_EQ(del->id, 32);
  EXPECT_EQ(m.phase(), VmPhase::kDeleting);
  m.on(StoreDone{true, kT0});
  EXPECT_EQ(said(m.step), "vm_deleted vm_message #1 vm_from digits:203 message:33");
  EXPECT_EQ(m.step.state.boxes[0].total, 2);
  EXPECT_EQ(m.step.state.boxes[0].unheard, 0);
  m.ended();
  m.ended();
  m.key('7');
  m.on(StoreDone{true, kT0});
  m.ended();
  m.ended();
  m.key('7');
  m.on(StoreDone{true, kT0});
  EXPECT_EQ(said(m.step),
            "vm_deleted vm_no_more vm_you_have #0 vm_new_messages vm_and #0 vm_saved_messages "
            "vm_box_options");
}

TEST(VoicemailMenu, AFailedDeleteKeepsTheMessage) {
  Menu m({own(1, 0)});
  m.key('1');
  m.on(MessagesLoaded{{{41, "201", kT0, true}}, true, kT0});
  m.key('7');
  m.on(StoreDone{false, kT0});
  EXPECT_EQ(said(m.step), "vm_failed vm_message_options");
  EXPECT_EQ(m.step.state.messages.size(), 1u);
  EXPECT_EQ(m.phase(), VmPhase::kAfterMessage);
}

TEST(VoicemailMenu, AnEmptyOrUnreadableMailboxSaysSo) {
  Menu m({own(0, 0)});
  m.key('1');
  m.on(MessagesLoaded{{}, true, kT0});
  EXPECT_EQ(said(m.step).rfind("vm_no_messages vm_you_have #0", 0), 0u);
  m.key('1');
  m.on(MessagesLoaded{{}, false, kT0});
  EXPECT_EQ(said(m.step).rfind("vm_failed vm_you_have", 0), 0u);
  EXPECT_EQ(m.phase(), VmPhase::kBoxMenu);
}

TEST(VoicemailMenu, AGreetingIsRecordedReviewedAndSaved) {
  Menu m({own(0, 0), group(3, "Sales")});
  m.key('2');
  m.key('3');
  EXPECT_EQ(said(m.step), "vm_record_greeting beep");
  EXPECT_EQ(m.phase(), VmPhase::kRecordIntro);
  EXPECT_NE(find<RecordGreeting>(m.ended()), nullptr);
  EXPECT_EQ(m.phase(), VmPhase::kRecording);
  EXPECT_TRUE(m.key('5').actions.empty());  // the media ends a recording on '#'
  m.on(RecordingEnded{false, kT0});
  EXPECT_EQ(said(m.step), "vm_greeting_review recorded vm_greeting_options");
  m.ended();
  m.key('2');  // again
  EXPECT_EQ(said(m.step), "vm_record_greeting beep");
  m.ended();
  m.on(RecordingEnded{false, kT0});
  const SaveGreeting* save = find<SaveGreeting>(m.key('1'));
  ASSERT_NE(save, nullptr);
  EXPECT_EQ(save->box, (model::DestVoicemail{Box::kGroup, 3}));
  m.on(StoreDone{true, kT0});
  EXPECT_EQ(said(m.step).rfind("vm_greeting_saved box:1 vm_you_have", 0), 0u);
}

TEST(VoicemailMenu, AGreetingMayBeCancelledAndATooShortOneIsNotOffered) {
  Menu m({own(0, 0)});
  m.key('3');
  m.key('*');  // over the instructions
  EXPECT_EQ(m.phase(), VmPhase::kBoxMenu);
  m.key('3');
  m.ended();
  m.on(RecordingEnded{true, kT0});
  EXPECT_EQ(said(m.step).rfind("vm_greeting_too_short vm_you_have", 0), 0u);
  EXPECT_EQ(find<SaveGreeting>(m.step), nullptr);
  m.key('3');
  m.ended();
  m.on(RecordingEnded{false, kT0});
  m.key('9');
  EXPECT_EQ(said(m.step), "ivr_invalid vm_greeting_options");
  m.key('*');
  EXPECT_EQ(said(m.step).rfind("vm_greeting_cancelled vm_you_have", 0), 0u);
  // A failed save says so and keeps the menu.
  m.key('3');
  m.ended();
  m.on(RecordingEnded{false, kT0});
  m.key('1');
  m.on(StoreDone{false, kT0});
  EXPECT_EQ(said(m.step).rfind("vm_failed vm_you_have", 0), 0u);
}

TEST(VoicemailMenu, EventsOutOfPlaceChangeNothing) {
  Menu m({own(1, 1)});
  const VmState before = m.step.state;
  for (const VmEvent& e :
       std::vector<VmEvent>{MessagesLoaded{{}, true, kT0}, RecordingEnded{false, kT0},
                            StoreDone{true, kT0}, VmTimer{kT0 + kVmKeyTimeoutMs * 10}}) {
    const VmStep& step = m.on(e);
    EXPECT_TRUE(step.actions.empty());
    EXPECT_EQ(step.state, before);
  }
}

}  // namespace
}  // namespace cohort::routing
