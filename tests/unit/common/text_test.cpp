#include "common/text.hpp"

#include <gtest/gtest.h>

namespace cohort::text {
namespace {

TEST(Text, AsciiLower) {
  EXPECT_EQ(ascii_lower("Alice.Smith@Example.COM"), "alice.smith@example.com");
  EXPECT_EQ(ascii_lower(""), "");
  EXPECT_EQ(ascii_lower("AZ[@`az"), "az[@`az");
  // Bytes of UTF-8 sequences are left alone: only ASCII letters fold.
  EXPECT_EQ(ascii_lower("\xC3\x89T\xC3\x89"), "\xC3\x89t\xC3\x89");
}

TEST(Text, Trim) {
  EXPECT_EQ(trim("  Sales \t\r\n"), "Sales");
  EXPECT_EQ(trim("a b"), "a b");
  EXPECT_EQ(trim(" \t\n\v\f\r"), "");
  EXPECT_EQ(trim(""), "");
}

TEST(Text, AllDigits) {
  EXPECT_TRUE(all_digits("0"));
  EXPECT_TRUE(all_digits("0123456789"));
  EXPECT_FALSE(all_digits(""));
  EXPECT_FALSE(all_digits("12a"));
  EXPECT_FALSE(all_digits("+1"));
  EXPECT_FALSE(all_digits(" 1"));
  EXPECT_FALSE(all_digits("\xD9\xA1"));  // ARABIC-INDIC DIGIT ONE is not an ASCII digit
}

TEST(Text, Contains) {
  EXPECT_TRUE(contains("alice\nalice@example.com", "example"));
  EXPECT_TRUE(contains("abc", ""));
  EXPECT_FALSE(contains("abc", "abcd"));
  EXPECT_FALSE(contains("", "a"));
}

TEST(Text, IsUtf8) {
  EXPECT_TRUE(is_utf8(""));
  EXPECT_TRUE(is_utf8("plain ASCII"));
  EXPECT_TRUE(is_utf8("Jos\xC3\xA9"));               // U+00E9
  EXPECT_TRUE(is_utf8("\xE6\x97\xA5\xE6\x9C\xAC"));  // 日本
  EXPECT_TRUE(is_utf8("\xED\x9F\xBF"));              // U+D7FF, below the surrogates
  EXPECT_TRUE(is_utf8("\xEE\x80\x80"));              // U+E000, above them
  EXPECT_TRUE(is_utf8("\xF0\x9F\x93\x9E"));          // U+1F4DE
  EXPECT_TRUE(is_utf8("\xF4\x8F\xBF\xBF"));          // U+10FFFF
  EXPECT_FALSE(is_utf8("\xFF"));
  EXPECT_FALSE(is_utf8("\xC3\x28"));          // a lead byte, then ASCII
  EXPECT_FALSE(is_utf8("\xC3"));              // truncated
  EXPECT_FALSE(is_utf8("\xE6\x97"));          // truncated
  EXPECT_FALSE(is_utf8("\xA9"));              // a lone continuation byte
  EXPECT_FALSE(is_utf8("\xC0\xAF"));          // overlong '/'
  EXPECT_FALSE(is_utf8("\xE0\x80\xAF"));      // overlong '/'
  EXPECT_FALSE(is_utf8("\xF0\x80\x80\xAF"));  // overlong '/'
  EXPECT_FALSE(is_utf8("\xED\xA0\x80"));      // U+D800, a surrogate
  EXPECT_FALSE(is_utf8("\xF4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(is_utf8("\xF5\x80\x80\x80"));
}

}  // namespace
}  // namespace cohort::text
