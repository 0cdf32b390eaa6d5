#include "common/log.hpp"

namespace cohort::log {

namespace {

bool is_control(unsigned char c) {
  return c < 0x20 || c == 0x7f;
}

bool needs_quotes(std::string_view v) {
  if (v.empty()) {
    return true;  // `key=` would read as a key without a value
  }
  for (char c : v) {
    if (c == ' ' || c == '=' || c == '"' || is_control(static_cast<unsigned char>(c))) {
      return true;
    }
  }
  return false;
}

}  // namespace

std::string value(std::string_view v) {
  if (!needs_quotes(v)) {
    return std::string(v);
  }
  std::string out;
  out.reserve(v.size() + 2);
  out.push_back('"');
  for (char c : v) {
    const auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (is_control(u)) {
          out += fmt::format("\\x{:02x}", u);
        } else {
          out.push_back(c);
        }
    }
  }
  out.push_back('"');
  return out;
}

}  // namespace cohort::log
