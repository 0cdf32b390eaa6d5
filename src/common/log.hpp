#pragma once
// The logging facade's one rule for values: log lines are `event key=value key=value`, and a
// value must not break that shape. Call sites pass free text (names, paths, error messages)
// through log::value so that a reader splitting on spaces and '=' gets the fields back.

#include <fmt/format.h>

#include <string>
#include <string_view>

namespace cohort::log {

/// `v` as one key=value value: as is when it holds no space, '=', '"' or control character
/// and is not empty; otherwise in double quotes, with '"' and '\' escaped by a backslash and
/// control characters as \n, \r, \t or \xHH. Other bytes (UTF-8 included) are kept. Pure.
std::string value(std::string_view v);

/// A string to format as a value: `spdlog::info("http target={}", log::Value{target})`.
struct Value {
  std::string_view text;
};

}  // namespace cohort::log

template <>
struct fmt::formatter<cohort::log::Value> : fmt::formatter<std::string_view> {
  template <class FormatContext>
  auto format(const cohort::log::Value& v, FormatContext& ctx) const {
    return fmt::formatter<std::string_view>::format(cohort::log::value(v.text), ctx);
  }
};
