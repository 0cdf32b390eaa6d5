#include "api/http.hpp"

#include "common/text.hpp"

namespace cohort::api {

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

// RFC 3986 §2.1 percent-decoding. `plus_is_space` applies the HTML form convention
// (application/x-www-form-urlencoded), which clients use in query strings but which means a
// literal '+' in a path. A decoded NUL is refused: no handler, store or log expects one. So is
// a result that is not UTF-8: paths and queries are echoed into JSON answers, which must be
// UTF-8 (RFC 8259 §8.1), and no route, name or filter is anything else.
std::optional<std::string> percent_decode(std::string_view in, bool plus_is_space) {
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) {
        return std::nullopt;
      }
      int hi = hex_value(in[i + 1]);
      int lo = hex_value(in[i + 2]);
      if (hi < 0 || lo < 0) {
        return std::nullopt;
      }
      c = static_cast<char>(hi * 16 + lo);
      i += 2;
    } else if (c == '+' && plus_is_space) {
      c = ' ';
    }
    if (c == '\0') {
      return std::nullopt;
    }
    out.push_back(c);
  }
  if (!text::is_utf8(out)) {
    return std::nullopt;
  }
  return out;
}

}  // namespace

std::optional<std::string_view> Request::query_param(std::string_view name) const {
  for (const auto& [key, value] : query) {
    if (key == name) {
      return std::string_view(value);
    }
  }
  return std::nullopt;
}

std::optional<std::string_view> Request::cookie_value(std::string_view name) const {
  // RFC 6265 §4.2.1: cookie-string = cookie-pair *( ";" SP cookie-pair ), cookie-pair =
  // cookie-name "=" cookie-value, and a value may be wrapped in DQUOTEs. Read leniently
  // (§5.4 user agents and proxies vary): pairs split on ';', optional whitespace trimmed,
  // a pair without '=' skipped, the first pair of that name wins.
  auto trim = [](std::string_view v) {
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) {
      v.remove_prefix(1);
    }
    while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) {
      v.remove_suffix(1);
    }
    return v;
  };
  std::string_view rest = cookie;
  while (!rest.empty()) {
    auto semi = rest.find(';');
    std::string_view pair = trim(rest.substr(0, semi));
    rest = semi == std::string_view::npos ? std::string_view() : rest.substr(semi + 1);
    auto eq = pair.find('=');
    if (eq == std::string_view::npos || trim(pair.substr(0, eq)) != name) {
      continue;
    }
    std::string_view value = trim(pair.substr(eq + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    return value;
  }
  return std::nullopt;
}

std::optional<ParsedTarget> parse_target(std::string_view target) {
  // RFC 9112 §3.2.1: origin-form is absolute-path ["?" query]; absolute-form, authority-form
  // and asterisk-form are for proxies and CONNECT/OPTIONS *, which this server is not. A
  // fragment is never sent by a conforming client.
  if (target.empty() || target.front() != '/' || target.find('#') != std::string_view::npos) {
    return std::nullopt;
  }
  std::string_view raw_path = target;
  std::string_view raw_query;
  bool has_query = false;
  if (auto q = target.find('?'); q != std::string_view::npos) {
    raw_path = target.substr(0, q);
    raw_query = target.substr(q + 1);
    has_query = true;
  }

  ParsedTarget out;
  auto path = percent_decode(raw_path, false);
  if (!path) {
    return std::nullopt;
  }
  out.path = std::move(*path);

  while (has_query) {
    std::string_view piece = raw_query;
    if (auto amp = raw_query.find('&'); amp != std::string_view::npos) {
      piece = raw_query.substr(0, amp);
      raw_query.remove_prefix(amp + 1);
    } else {
      has_query = false;
    }
    // "a=1&&b=2" and a trailing '&' carry no parameter.
    if (piece.empty()) {
      continue;
    }
    std::string_view raw_key = piece;
    std::string_view raw_value;
    if (auto eq = piece.find('='); eq != std::string_view::npos) {
      raw_key = piece.substr(0, eq);
      raw_value = piece.substr(eq + 1);
    }
    auto key = percent_decode(raw_key, true);
    auto value = percent_decode(raw_value, true);
    if (!key || !value) {
      return std::nullopt;
    }
    out.query.emplace_back(std::move(*key), std::move(*value));
  }
  return out;
}

}  // namespace cohort::api
