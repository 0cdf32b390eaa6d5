// RFC 3842 / RFC 6665 pieces of MWI (pbx/mwi.hpp): the Event header read from the RFC 6665
// §8.4 grammar, and the message-summary body of RFC 3842 §5.2.

#include <gtest/gtest.h>

#include "pbx/mwi.hpp"

namespace cohort::pbx {
namespace {

TEST(MwiEvent, ReadsThePackageTemplatesAndId) {
  auto e = parse_event("message-summary");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->package, "message-summary");
  EXPECT_EQ(e->id, "");
  e = parse_event(" message-summary ;id=7a ; foo=\"a;b\" ;bar");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->package, "message-summary");
  EXPECT_EQ(e->id, "7a");
  e = parse_event("presence.winfo");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->package, "presence.winfo");
}

TEST(MwiEvent, RefusesWhatTheGrammarDoesNot) {
  for (const char* bad :
       {"", " ", "message summary", "message-summary;", "message-summary;id",
        "message-summary;id=1;id=2", "message-summary;id=\"x\"", ".message-summary",
        "message-summary.", "a..b", "message-summary;foo=\"open", "message-summary;=x"}) {
    EXPECT_FALSE(parse_event(bad).has_value()) << bad;
  }
}

TEST(MwiBody, CountsNewAndOldMessages) {
  EXPECT_EQ(message_summary_body({0, 0, 0}, "sip:1001@cohort"),
            "Messages-Waiting: no\r\nMessage-Account: sip:1001@cohort\r\n"
            "Voice-Message: 0/0 (0/0)\r\n");
  EXPECT_EQ(message_summary_body({3, 2, 9000}, "sip:1001@pbx.example"),
            "Messages-Waiting: yes\r\nMessage-Account: sip:1001@pbx.example\r\n"
            "Voice-Message: 2/1 (0/0)\r\n");
  // Heard messages only: nothing waits.
  EXPECT_EQ(message_summary_body({2, 0, 9000}, "sip:7@x").substr(0, 21), "Messages-Waiting: no\r");
}

}  // namespace
}  // namespace cohort::pbx
