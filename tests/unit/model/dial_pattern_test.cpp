#include "model/dial_pattern.hpp"

#include <gtest/gtest.h>

namespace cohort::model {
namespace {

bool match(std::string_view pattern, std::string_view number) {
  auto p = DialPattern::compile(pattern);
  EXPECT_TRUE(p) << pattern << ": " << (p ? "" : p.error());
  return p && p->matches(number);
}

TEST(DialPattern, LiteralMatchesOnlyItself) {
  EXPECT_TRUE(match("911", "911"));
  EXPECT_FALSE(match("911", "9110"));
  EXPECT_FALSE(match("911", "91"));
  EXPECT_TRUE(match("+4930123", "+4930123"));
  // Without '_', X is not a wildcard but not dialable either.
  EXPECT_FALSE(DialPattern::compile("9XX"));
}

TEST(DialPattern, LettersAndSets) {
  EXPECT_TRUE(match("_NXXNXXXXXX", "2125551234"));
  EXPECT_FALSE(match("_NXXNXXXXXX", "1125551234"));  // N excludes 0 and 1
  EXPECT_FALSE(match("_NXXNXXXXXX", "212555123"));
  EXPECT_TRUE(match("_Z", "1"));
  EXPECT_FALSE(match("_Z", "0"));
  EXPECT_TRUE(match("_nxx", "200"));  // letters are case-insensitive
  EXPECT_TRUE(match("_0[1-5]X", "013"));
  EXPECT_FALSE(match("_0[1-5]X", "063"));
  EXPECT_TRUE(match("_[137]", "7"));
  EXPECT_FALSE(match("_[137]", "2"));
  EXPECT_TRUE(match("_*7X", "*71"));
  EXPECT_TRUE(match("_+X.", "+49301"));
}

TEST(DialPattern, Tails) {
  EXPECT_TRUE(match("_9.", "91"));
  EXPECT_TRUE(match("_9.", "9123456"));
  EXPECT_FALSE(match("_9.", "9"));  // '.' needs at least one more character
  EXPECT_TRUE(match("_9!", "9"));
  EXPECT_TRUE(match("_9!", "912"));
  EXPECT_FALSE(match("_9!", "812"));
  EXPECT_FALSE(match("_9.", "9abc"));  // the tail still accepts dialable characters only
}

TEST(DialPattern, BadPatternsNameTheProblem) {
  EXPECT_EQ(DialPattern::compile("").error(), "empty pattern");
  EXPECT_EQ(DialPattern::compile("_").error(), "empty pattern");
  EXPECT_EQ(DialPattern::compile("_9[12").error(), "unclosed '['");
  EXPECT_EQ(DialPattern::compile("_9.1").error(), "'.' must be the last character");
  EXPECT_EQ(DialPattern::compile("_9!1").error(), "'!' must be the last character");
  EXPECT_EQ(DialPattern::compile("_9[]").error(), "empty [ ]");
  EXPECT_EQ(DialPattern::compile("_9[5-1]").error(), "bad range inside [ ]");
  EXPECT_FALSE(DialPattern::compile("_9Q"));
  EXPECT_FALSE(DialPattern::compile("12 3"));
}

// The message goes into a JSON answer: one byte of a UTF-8 sequence in it made that answer
// unencodable, and the API answered 500 to {"did": "é"} (issue 12).
TEST(DialPattern, MessagesQuoteOnlyPrintableAscii) {
  EXPECT_EQ(DialPattern::compile("12a").error(),
            "'a' is not a digit, '*', '#', '+' or pattern letter");
  EXPECT_EQ(DialPattern::compile("\xC3\xA9").error(),
            "a non-ASCII character at position 1 is not a digit, '*', '#', '+' or pattern letter");
  EXPECT_EQ(DialPattern::compile("_9\xE6\x97\xA5").error(),
            "a non-ASCII character at position 3 is not a digit, '*', '#', '+' or pattern letter");
  EXPECT_EQ(DialPattern::compile("_9[1\xC3\xA9]").error(),
            "a non-ASCII character at position 5 is not allowed inside [ ]");
  EXPECT_EQ(DialPattern::compile("1\n").error(),
            "a control character at position 2 is not a digit, '*', '#', '+' or pattern letter");
  EXPECT_EQ(DialPattern::compile("\xFF").error(),
            "a non-ASCII character at position 1 is not a digit, '*', '#', '+' or pattern letter");
}

TEST(DialPattern, Lengths) {
  EXPECT_EQ(DialPattern::compile("_NXX")->min_length(), 3u);
  EXPECT_TRUE(DialPattern::compile("_NXX")->fixed_length());
  EXPECT_EQ(DialPattern::compile("_9.")->min_length(), 2u);
  EXPECT_FALSE(DialPattern::compile("_9!")->fixed_length());
}

TEST(DialPattern, AcceptsAtPosition) {
  const auto p = DialPattern::compile("_0[1-5]X.");
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->accepts_at(0, '0'));
  EXPECT_FALSE(p->accepts_at(0, '1'));
  EXPECT_TRUE(p->accepts_at(1, '5'));
  EXPECT_FALSE(p->accepts_at(1, '6'));
  EXPECT_TRUE(p->accepts_at(2, '9'));
  EXPECT_FALSE(p->accepts_at(2, '*'));  // X is digits only
  EXPECT_TRUE(p->accepts_at(7, '#'));   // the tail takes any dialable character
  EXPECT_FALSE(p->accepts_at(7, 'a'));
  const auto fixed = DialPattern::compile("911");
  ASSERT_TRUE(fixed);
  EXPECT_FALSE(fixed->accepts_at(3, '1'));  // no tail: nothing beyond the last element
}

}  // namespace
}  // namespace cohort::model
