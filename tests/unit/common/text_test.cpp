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

}  // namespace
}  // namespace cohort::text
