#pragma once
// Dial patterns of outbound rules (and later inbound routes), in the syntax administrators
// know from Asterisk extensions.conf: a leading `_` makes the rest a pattern where
//   X = any digit 0-9, Z = 1-9, N = 2-9, [137] or [1-5] = a set of digits and ranges,
//   .  = one or more further characters (must be last), ! = zero or more (must be last);
// any other character (digits, '*', '#', '+') matches itself. Without `_` the pattern is a
// literal number that matches only itself. Letters X, Z, N are case-insensitive.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/expected.hpp"

namespace cohort::model {

class DialPattern {
 public:
  /// The compiled pattern, or a message naming the problem ("unclosed '['",
  /// "'.' must be the last character", "empty pattern").
  static Expected<DialPattern, std::string> compile(std::string_view text);

  bool matches(std::string_view number) const;
  const std::string& text() const { return text_; }
  /// The shortest number this pattern can match (its fixed elements).
  std::size_t min_length() const { return elements_.size() + (tail_ == Tail::kOneOrMore ? 1 : 0); }
  /// True when the pattern matches numbers of one length only (no `.` or `!`).
  bool fixed_length() const { return tail_ == Tail::kNone; }
  /// Whether a number this pattern matches may have `c` at `index`: the element there, or the
  /// tail beyond the fixed elements. Lets routing index rules by their leading characters
  /// without a second parser.
  bool accepts_at(std::size_t index, char c) const;

 private:
  /// One position: a set over the 13 dialable characters 0-9 * # +.
  using CharSet = std::uint16_t;
  static constexpr int kStar = 10;
  static constexpr int kHash = 11;
  static constexpr int kPlus = 12;
  static int index_of(char c);

  enum class Tail : std::uint8_t { kNone, kOneOrMore, kZeroOrMore };
  std::string text_;
  std::vector<CharSet> elements_;
  Tail tail_ = Tail::kNone;
};

}  // namespace cohort::model
