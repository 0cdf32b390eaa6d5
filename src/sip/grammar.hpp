#pragma once
// Internal to src/sip: the RFC 3261 §25 character classes and the allocation-free scanners
// shared by the message parser (message.cpp) and the typed header parsers (headers.cpp).
// The scanners return views of the input and a "params" span that a second pass splits;
// the eager path of parse() uses them without building any vector.

#include <array>
#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "sip/headers.hpp"

namespace cohort::sip::detail {

// --- character classes (RFC 3261 §25.1) ----------------------------------------------------

enum CharClass : std::uint16_t {
  kAlnum = 1 << 0,
  kToken = 1 << 1,        // token
  kUnreserved = 1 << 2,   // alphanum / mark
  kUser = 1 << 3,         // unreserved / user-unreserved (escapes checked apart)
  kPassword = 1 << 4,     // unreserved / "&" / "=" / "+" / "$" / ","
  kParamChar = 1 << 5,    // unreserved / param-unreserved
  kHeaderChar = 1 << 6,   // unreserved / hnv-unreserved
  kHex = 1 << 7,          // HEXDIG
  kWord = 1 << 8,         // word (Call-ID)
  kHost = 1 << 9,         // hostname / IPv4 characters (plus '_', seen in the wild)
  kScheme = 1 << 10,      // ALPHA / DIGIT / "+" / "-" / "."
  kTelChar = 1 << 11,     // phonedigit-hex / "+" (RFC 3966 §3)
  kUriChar = 1 << 12,     // any URI character of an absoluteURI we do not interpret
  kCallIdWord = 1 << 13,  // word, plus '=' (Call-ID, read with that one leniency)
  kListSyntax = 1 << 14,  // what first_element() must look at: '"', '\\', '<', '>', ','
};

constexpr std::array<std::uint16_t, 256> make_classes() {
  std::array<std::uint16_t, 256> t{};
  auto add = [&t](std::string_view chars, std::uint16_t cls) {
    for (char c : chars) {
      t[static_cast<unsigned char>(c)] |= cls;
    }
  };
  for (int c = 0; c < 256; ++c) {
    bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    bool digit = c >= '0' && c <= '9';
    if (alpha || digit) {
      t[c] |= kAlnum | kToken | kUnreserved | kUser | kPassword | kParamChar | kHeaderChar | kWord |
              kHost | kScheme | kUriChar | kCallIdWord;
    }
    if (digit || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')) {
      t[c] |= kHex | kTelChar;
    }
  }
  constexpr std::string_view kMark = "-_.!~*'()";
  add(kMark, kUnreserved | kUser | kPassword | kParamChar | kHeaderChar | kUriChar);
  add("-.!%*_+`'~", kToken);
  add("&=+$,;?/", kUser);
  add("&=+$,", kPassword);
  add("[]/:&+$", kParamChar);
  add("[]/?:+$", kHeaderChar);
  add("-.!%*_+`'~()<>:\\\"/[]?{}", kWord);
  add("-.!%*_+`'~()<>:\\\"/[]?{}=", kCallIdWord);
  add("-._", kHost);
  add("+-.", kScheme);
  add("\"\\<>,", kListSyntax);
  add("*#-.()+", kTelChar);
  add(";/?:@&=+$,-_.!~*'()%[]#", kUriChar);
  return t;
}
inline constexpr std::array<std::uint16_t, 256> kClasses = make_classes();

inline bool is(char c, std::uint16_t cls) {
  return (kClasses[static_cast<unsigned char>(c)] & cls) != 0;
}
inline bool is_wsp(char c) {
  return c == ' ' || c == '\t';
}
/// Inside a header value CR and LF only occur as part of folding, so they count as LWS.
inline bool is_lws(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}
inline char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}
inline bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) {
      return false;
    }
  }
  return true;
}
inline std::string_view trim_lws(std::string_view s) {
  std::size_t b = 0;
  std::size_t e = s.size();
  while (b < e && is_lws(s[b])) {
    ++b;
  }
  while (e > b && is_lws(s[e - 1])) {
    --e;
  }
  return s.substr(b, e - b);
}
inline std::size_t skip_lws(std::string_view s, std::size_t i) {
  while (i < s.size() && is_lws(s[i])) {
    ++i;
  }
  return i;
}
/// Whether `s` is 1*`cls` with %HH escapes allowed when `escapes` (RFC 3261 §25.1 escaped).
inline bool all_of(std::string_view s, std::uint16_t cls, bool escapes) {
  if (s.empty()) {
    return false;
  }
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '%' && escapes) {
      if (i + 2 >= s.size() || !is(s[i + 1], kHex) || !is(s[i + 2], kHex)) {
        return false;
      }
      i += 2;
      continue;
    }
    if (!is(c, cls)) {
      return false;
    }
  }
  return true;
}
inline bool is_token(std::string_view s) {
  return all_of(s, kToken, false);
}

/// Decimal without sign; nullopt when not 1*DIGIT or above `max`.
/// A digit loop rather than std::from_chars: it runs on every message (CSeq, Max-Forwards,
/// Content-Length, ports) and costs a third as much.
inline std::optional<std::uint64_t> parse_decimal(std::string_view s, std::uint64_t max) {
  if (s.empty() || s.size() > 20) {
    return std::nullopt;
  }
  std::uint64_t v = 0;
  for (char c : s) {
    const auto d = static_cast<unsigned>(static_cast<unsigned char>(c) - '0');
    if (d > 9 || __builtin_mul_overflow(v, 10u, &v) || __builtin_add_overflow(v, d, &v)) {
      return std::nullopt;
    }
  }
  if (v > max) {
    return std::nullopt;
  }
  return v;
}

/// "Bad <what>: <problem>", the reason phrase of a malformed header.
inline std::string with_what(std::string_view what, std::string_view problem) {
  std::string r = "Bad ";
  r += what;
  r += ": ";
  r += problem;
  return r;
}

inline Unexpected<ParseError> malformed(std::string reason, int status = 400) {
  return Unexpected<ParseError>(
      ParseError{ParseError::Kind::kMalformed, status, std::move(reason), false});
}

/// The end of a quoted-string starting at s[i] == '"' (index one past the closing quote),
/// or npos when unterminated. RFC 3261 §25.1 quoted-pair: '\' escapes any byte but CR/LF.
inline std::size_t quoted_end(std::string_view s, std::size_t i) {
  for (++i; i < s.size(); ++i) {
    char c = s[i];
    if (c == '\\') {
      if (i + 1 >= s.size() || s[i + 1] == '\r' || s[i + 1] == '\n') {
        return std::string_view::npos;
      }
      ++i;
    } else if (c == '"') {
      return i + 1;
    } else if ((static_cast<unsigned char>(c) < 0x20 && !is_lws(c)) || c == 0x7f) {
      return std::string_view::npos;
    }
  }
  return std::string_view::npos;
}

/// The first element of a comma-separated header value (commas inside quotes or <> do not
/// split). RFC 3261 §7.3.1.
std::string_view first_element(std::string_view value);

// --- URIs --------------------------------------------------------------------------------

/// A URI cut into its parts; params are the raw ";a=b;c" text, validated, not yet split.
struct UriParts {
  Uri::Scheme scheme = Uri::Scheme::kSip;
  std::string_view user;
  std::string_view password;
  std::string_view host;
  std::optional<std::uint16_t> port;
  std::string_view params;   ///< starting at the first ';', empty when none
  std::string_view headers;  ///< after '?'
};
/// sip:, sips:, tel:. Another well-formed scheme → 416; anything malformed → 400.
Expected<UriParts, ParseError> scan_uri(std::string_view text);
/// Whether `text` is a syntactically plausible absoluteURI of any scheme (RFC 3261 §25.1):
/// used for From/To/Contact URIs of schemes we do not interpret (RFC 4475 §3.3.4).
bool plausible_absolute_uri(std::string_view text);

/// Calls f(name, value, has_value) for each ";name[=value]" in a validated params span
/// (uri-parameters or generic-params; values of quoted strings are returned unquoted).
template <class F>
void for_each_param(std::string_view params, F&& f) {
  std::size_t i = 0;
  while (i < params.size()) {
    i = skip_lws(params, i);
    if (i < params.size() && params[i] == ';') {
      ++i;
    }
    i = skip_lws(params, i);
    std::size_t name_begin = i;
    while (i < params.size() && params[i] != '=' && params[i] != ';' && !is_lws(params[i])) {
      ++i;
    }
    std::string_view name = params.substr(name_begin, i - name_begin);
    i = skip_lws(params, i);
    if (i < params.size() && params[i] == '=') {
      i = skip_lws(params, i + 1);
      std::string_view value;
      if (i < params.size() && params[i] == '"') {
        std::size_t end = quoted_end(params, i);
        if (end == std::string_view::npos) {
          end = params.size();
        }
        value = params.substr(i + 1, end - i - 2);
        i = end;
      } else {
        std::size_t vb = i;
        while (i < params.size() && params[i] != ';' && !is_lws(params[i])) {
          ++i;
        }
        value = params.substr(vb, i - vb);
      }
      if (!name.empty()) {
        f(name, value, true);
      }
    } else if (!name.empty()) {
      f(name, std::string_view{}, false);
    }
  }
}

/// Validates header generic-params "*( SEMI generic-param )" from s[i] to the end of `s`
/// (RFC 3261 §25.1: token [ EQUAL ( token / host / quoted-string ) ]). Returns the error
/// reason, or nullopt when valid.
std::optional<std::string_view> check_generic_params(std::string_view s);

// --- name-addr ---------------------------------------------------------------------------

struct NameAddrParts {
  std::string_view display_name;  ///< unquoted contents
  std::string_view uri_text;
  std::string_view params;  ///< the header params span, from the first ';'
};
/// RFC 3261 §20.10 / §25.1: name-addr or addr-spec followed by generic-params. The URI is
/// only cut out, not parsed; `what` names the header in error reasons ("From").
Expected<NameAddrParts, ParseError> scan_name_addr(std::string_view text, std::string_view what);
/// The tag parameter of a validated params span (empty when absent).
std::string_view find_tag(std::string_view params);

// --- Via ---------------------------------------------------------------------------------

struct ViaParts {
  std::string_view protocol;
  std::string_view transport;
  std::string_view host;
  std::optional<std::uint16_t> port;
  std::string_view params;  ///< from the first ';'
  std::string_view branch;
};
/// RFC 3261 §20.42 via-parm, with LWS around '/', ':' and ';'. One value (not a list).
Expected<ViaParts, ParseError> scan_via(std::string_view text);

// --- CSeq --------------------------------------------------------------------------------

struct CSeqParts {
  std::uint32_t number = 0;
  std::string_view method;
};
/// RFC 3261 §20.16: 1*DIGIT LWS Method; the number below 2**31 (§8.1.1.5).
Expected<CSeqParts, ParseError> scan_cseq(std::string_view text);

}  // namespace cohort::sip::detail
