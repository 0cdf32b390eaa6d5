// RFC 3261 §13.2.2.4: the UAC of a forked INVITE — early dialogs per To tag, the first 2xx
// wins, the winner's 2xx again is re-ACKed, a later fork's 2xx is ACKed and BYEd on its own
// dialog.

#include "sip/dialog/fork_set.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace cohort::sip::dialog {
namespace {

Message msg(const std::string& text) {
  std::string wire;
  for (char c : text) {
    if (c == '\n') {
      wire += "\r\n";
    } else {
      wire += c;
    }
  }
  auto m = parse(std::move(wire));
  EXPECT_TRUE(m.has_value()) << (m ? "" : m.error().reason);
  return std::move(*m);
}

Message response(int status, const std::string& tag) {
  std::string to = "<sip:group@pbx>";
  if (!tag.empty()) {
    to += ";tag=" + tag;
  }
  std::string contact = tag.empty() ? "" : "Contact: <sip:" + tag + "@10.0.0.1>\n";
  return msg("SIP/2.0 " + std::to_string(status) + " X\n" +
             "Via: SIP/2.0/UDP 10.0.0.9;branch=z9hG4bKf\n" + "From: <sip:100@pbx>;tag=us\n" +
             "To: " + to + "\n" + "Call-ID: fork@pbx\n" + "CSeq: 1 INVITE\n" + contact +
             "Content-Length: 0\n\n");
}

SentRequest invite() {
  SentRequest s;
  s.call_id = "fork@pbx";
  s.from_header = "<sip:100@pbx>;tag=us";
  s.from_tag = "us";
  s.to_header = "<sip:group@pbx>";
  s.request_uri = "sip:group@pbx";
  s.cseq = 1;
  return s;
}

using O = ForkSet::Outcome;

TEST(ForkSet, EveryResponseOfAForkedInviteIsClassified) {
  struct Step {
    int status;
    std::string tag;
    O outcome;
  };
  const std::vector<Step> steps = {
      {100, "", O::kIgnored},        {180, "", O::kIgnored},     {180, "x", O::kEarly},
      {180, "y", O::kEarly},         {183, "x", O::kEarlyAgain}, {200, "y", O::kAnswered},
      {200, "y", O::kAnsweredAgain}, {200, "x", O::kLateAnswer}, {200, "x", O::kLateAgain},
      {200, "z", O::kLateAnswer},    {180, "w", O::kIgnored},
  };
  ForkSet set(invite());
  for (const Step& s : steps) {
    ForkSet::Result r = set.on_response(response(s.status, s.tag));
    EXPECT_EQ(r.outcome, s.outcome) << s.status << " " << s.tag;
    if (r.dialog != nullptr) {
      EXPECT_EQ(r.dialog->remote_tag, s.tag);
    }
  }
  ASSERT_NE(set.winner(), nullptr);
  EXPECT_EQ(set.winner()->remote_tag, "y");
  EXPECT_EQ(set.dialogs().size(), 3u);
}

TEST(ForkSet, ALateForkIsAckedAndByedWithItsOwnTags) {
  ForkSet set(invite());
  set.on_response(response(200, "win"));
  ForkSet::Result late = set.on_response(response(200, "late"));
  ASSERT_EQ(late.outcome, O::kLateAnswer);
  ASSERT_NE(late.dialog, nullptr);
  Message ack =
      build_ack(*late.dialog, set.invite().cseq, "SIP/2.0/UDP 10.0.0.9;branch=z9hG4bKa").message();
  EXPECT_EQ(ack.to_tag(), "late");
  EXPECT_EQ(ack.request_uri(), "sip:late@10.0.0.1");
  EXPECT_EQ(ack.cseq(), 1u);
  Message bye =
      build_request(*late.dialog, Method::kBye, "SIP/2.0/UDP 10.0.0.9;branch=z9hG4bKb").message();
  EXPECT_EQ(bye.to_tag(), "late");
  EXPECT_EQ(bye.cseq(), 2u);
  EXPECT_EQ(set.winner()->remote_tag, "win") << "the winner is unchanged";
}

TEST(ForkSet, AFinalFailureEndsEveryEarlyDialog) {
  ForkSet set(invite());
  set.on_response(response(180, "x"));
  set.on_response(response(183, "y"));
  EXPECT_EQ(set.on_response(response(486, "x")).outcome, O::kFailed);
  for (const Dialog& d : set.dialogs()) {
    EXPECT_EQ(d.state, DialogState::kTerminated);
  }
  EXPECT_EQ(set.winner(), nullptr);
}

TEST(ForkSet, An200ThatConfirmsAnEarlyDialogTakesItsNewTarget) {
  ForkSet set(invite());
  set.on_response(response(180, "x"));
  ForkSet::Result r = set.on_response(response(200, "x"));
  ASSERT_EQ(r.outcome, O::kAnswered);
  EXPECT_EQ(r.dialog->state, DialogState::kConfirmed);
  EXPECT_EQ(set.dialogs().size(), 1u);
}

}  // namespace
}  // namespace cohort::sip::dialog
