#pragma once
// Small text helpers shared by the layers.

#include <string>
#include <string_view>

namespace cohort::text {

/// ASCII lower-case of one character.
constexpr char ascii_lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}
/// ASCII lower-case copy (names and e-mails compare case-insensitively in ASCII).
std::string ascii_lower(std::string_view s);
/// Whether `haystack` contains `needle`, both already lower-case.
inline bool contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}
/// Leading and trailing ASCII whitespace removed.
std::string_view trim(std::string_view s);
/// Whether `s` is 1+ ASCII digits.
bool all_digits(std::string_view s);
/// Whether `s` is well-formed UTF-8 (RFC 3629 §4: no overlong forms, no surrogates, nothing
/// above U+10FFFF). The empty string is.
bool is_utf8(std::string_view s);

}  // namespace cohort::text
