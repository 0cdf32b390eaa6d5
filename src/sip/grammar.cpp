#include "sip/grammar.hpp"

#include <string>

namespace cohort::sip::detail {

namespace {

constexpr auto npos = std::string_view::npos;

// RFC 3261 §25.1 IPv6reference = "[" IPv6address "]"; checked for its alphabet and shape
// only — the transport resolves it, the parser just must not let other syntax through.
bool plausible_ipv6_reference(std::string_view s) {
  if (s.size() < 4 || s.front() != '[' || s.back() != ']') {
    return false;
  }
  bool colon = false;
  for (char c : s.substr(1, s.size() - 2)) {
    if (c == ':') {
      colon = true;
    } else if (!is(c, kHex) && c != '.') {
      return false;
    }
  }
  return colon;
}

// RFC 3261 §25.1 hostname = *( domainlabel "." ) toplabel [ "." ], labels of alphanum with
// inner "-", the toplabel starting with ALPHA; IPv4address = 1*3DIGIT 3( "." 1*3DIGIT ).
// `h` is a run of host characters; '_' counts as alphanum (seen in the wild: container and
// SRV-style names). The hot path reads four hosts a message: one short pass, the label rules
// checked at the dots only.
bool valid_host_text(std::string_view h) {
  const std::size_t n = h.size();
  if (n == 0 || h[0] == '.' || h[0] == '-') {
    return false;
  }
  std::size_t last_dot = npos;
  std::size_t dot_before = npos;
  std::size_t dots = 0;
  bool long_label = false;  // over three characters: not a part of an IPv4address
  for (std::size_t k = 0; k < n; ++k) {
    if (h[k] != '.') {
      continue;
    }
    if (h[k - 1] == '.' || h[k - 1] == '-' || (k + 1 < n && h[k + 1] == '-')) {
      return false;
    }
    long_label = long_label || k - (last_dot == npos ? 0 : last_dot + 1) > 3;
    ++dots;
    dot_before = last_dot;
    last_dot = k;
  }
  if (h[n - 1] == '-') {
    return false;
  }
  const bool trailing_dot = last_dot == n - 1;
  if (trailing_dot) {  // ends a hostname, never an IPv4address
    if (n == 1) {
      return false;
    }
    last_dot = dot_before;
  }
  const char t = h[last_dot == npos ? 0 : last_dot + 1];
  if ((t >= 'a' && t <= 'z') || (t >= 'A' && t <= 'Z')) {
    return true;
  }
  // Not a hostname: an IPv4address or nothing.
  if (trailing_dot || dots != 3 || long_label || n - last_dot - 1 > 3) {
    return false;
  }
  for (char c : h) {
    if (c != '.' && (c < '0' || c > '9')) {
      return false;
    }
  }
  return true;
}

// A host of a hostport: IPv6 reference or hostname / IPv4address. Returns the end index;
// `i` itself when there is no valid host at s[i].
std::size_t scan_host(std::string_view s, std::size_t i) {
  if (i < s.size() && s[i] == '[') {
    std::size_t close = s.find(']', i);
    if (close == npos || !plausible_ipv6_reference(s.substr(i, close - i + 1))) {
      return i;
    }
    return close + 1;
  }
  const std::size_t b = i;
  while (i < s.size() && is(s[i], kHost)) {
    ++i;
  }
  return valid_host_text(s.substr(b, i - b)) ? i : b;
}

std::optional<std::uint16_t> port_value(std::string_view digits) {
  auto v = parse_decimal(digits, 65535);
  if (!v || *v == 0) {
    return std::nullopt;
  }
  return static_cast<std::uint16_t>(*v);
}

// uri-parameters from s[i] == ';' up to '?' or the end (RFC 3261 §25.1 uri-parameter,
// RFC 3966 §3 par): pname [ "=" pvalue ], both 1*paramchar. Returns the end or npos.
std::size_t scan_uri_params(std::string_view s, std::size_t i) {
  while (i < s.size() && s[i] == ';') {
    std::size_t b = i + 1;
    std::size_t e = b;
    while (e < s.size() && s[e] != ';' && s[e] != '?') {
      ++e;
    }
    std::string_view param = s.substr(b, e - b);
    std::size_t eq = param.find('=');
    if (eq == npos) {
      if (!all_of(param, kParamChar, true)) {
        return npos;
      }
    } else if (!all_of(param.substr(0, eq), kParamChar, true) ||
               !all_of(param.substr(eq + 1), kParamChar, true)) {
      return npos;
    }
    i = e;
  }
  return i;
}

// headers = "?" header *( "&" header ); header = hname "=" hvalue (RFC 3261 §25.1).
bool valid_uri_headers(std::string_view s) {
  if (s.empty()) {
    return false;
  }
  std::size_t i = 0;
  while (i <= s.size()) {
    std::size_t amp = s.find('&', i);
    std::string_view h = s.substr(i, amp == npos ? npos : amp - i);
    std::size_t eq = h.find('=');
    if (eq == npos || !all_of(h.substr(0, eq), kHeaderChar, true)) {
      return false;
    }
    std::string_view v = h.substr(eq + 1);
    if (!v.empty() && !all_of(v, kHeaderChar, true)) {
      return false;
    }
    if (amp == npos) {
      break;
    }
    i = amp + 1;
  }
  return true;
}

Expected<UriParts, ParseError> scan_sip_uri(std::string_view rest, UriParts u) {
  std::size_t i = 0;
  // The user part may hold ';', '?' and '/' (user-unreserved) but never a raw '@', which
  // no later component may hold either: the first '@' ends the userinfo.
  if (std::size_t at = rest.find('@'); at != npos) {
    std::string_view userinfo = rest.substr(0, at);
    std::size_t colon = userinfo.find(':');
    u.user = userinfo.substr(0, colon);
    if (!all_of(u.user, kUser, true)) {
      return malformed("Bad URI: invalid user part");
    }
    if (colon != npos) {
      u.password = userinfo.substr(colon + 1);
      if (!u.password.empty() && !all_of(u.password, kPassword, true)) {
        return malformed("Bad URI: invalid password");
      }
    }
    i = at + 1;
  }
  std::size_t host_end = scan_host(rest, i);
  if (host_end == i) {
    return malformed("Bad URI: invalid host");
  }
  u.host = rest.substr(i, host_end - i);
  i = host_end;
  if (i < rest.size() && rest[i] == ':') {
    std::size_t b = ++i;
    while (i < rest.size() && rest[i] >= '0' && rest[i] <= '9') {
      ++i;
    }
    u.port = port_value(rest.substr(b, i - b));
    if (!u.port) {
      return malformed("Bad URI: invalid port");
    }
  }
  if (i < rest.size() && rest[i] == ';') {
    std::size_t b = i;
    i = scan_uri_params(rest, i);
    if (i == npos) {
      return malformed("Bad URI: invalid parameter");
    }
    u.params = rest.substr(b, i - b);
  }
  if (i < rest.size() && rest[i] == '?') {
    u.headers = rest.substr(i + 1);
    if (!valid_uri_headers(u.headers)) {
      return malformed("Bad URI: invalid headers");
    }
    i = rest.size();
  }
  if (i != rest.size()) {
    return malformed("Bad URI: unexpected character after host");
  }
  return u;
}

// RFC 3966 §3: telephone-subscriber = global-number / local-number, then *par.
Expected<UriParts, ParseError> scan_tel_uri(std::string_view rest, UriParts u) {
  std::size_t semi = rest.find(';');
  u.user = rest.substr(0, semi);
  bool digit = false;
  for (std::size_t k = 0; k < u.user.size(); ++k) {
    char c = u.user[k];
    if (!is(c, kTelChar) || (c == '+' && k != 0)) {
      return malformed("Bad URI: invalid telephone number");
    }
    digit = digit || is(c, kHex);
  }
  if (!digit) {
    return malformed("Bad URI: invalid telephone number");
  }
  if (semi != npos) {
    std::size_t end = scan_uri_params(rest, semi);
    if (end != rest.size()) {
      return malformed("Bad URI: invalid parameter");
    }
    u.params = rest.substr(semi);
  }
  return u;
}

}  // namespace

std::string_view first_element(std::string_view value) {
  bool quoted = false;
  bool angle = false;
  for (std::size_t i = 0; i < value.size(); ++i) {
    char c = value[i];
    if (!is(c, kListSyntax)) {
      continue;  // the hot path: one table lookup a character
    }
    if (quoted) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        quoted = false;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == '<') {
      angle = true;
    } else if (c == '>') {
      angle = false;
    } else if (c == ',' && !angle) {
      return trim_lws(value.substr(0, i));
    }
  }
  return trim_lws(value);
}

Expected<UriParts, ParseError> scan_uri(std::string_view text) {
  std::size_t colon = text.find(':');
  if (colon == npos || colon == 0) {
    return malformed("Bad URI: no scheme");
  }
  std::string_view scheme = text.substr(0, colon);
  if (!is(scheme[0], kAlnum) || (scheme[0] >= '0' && scheme[0] <= '9') ||
      !all_of(scheme, kScheme, false)) {
    return malformed("Bad URI: invalid scheme");
  }
  std::string_view rest = text.substr(colon + 1);
  UriParts u;
  if (iequals(scheme, "sip")) {
    u.scheme = Uri::Scheme::kSip;
    return scan_sip_uri(rest, u);
  }
  if (iequals(scheme, "sips")) {
    u.scheme = Uri::Scheme::kSips;
    return scan_sip_uri(rest, u);
  }
  if (iequals(scheme, "tel")) {
    u.scheme = Uri::Scheme::kTel;
    return scan_tel_uri(rest, u);
  }
  // RFC 3261 §8.2.2.1: a well-formed URI of a scheme we do not handle is answered 416.
  return malformed("Unsupported URI Scheme", 416);
}

bool plausible_absolute_uri(std::string_view text) {
  std::size_t colon = text.find(':');
  if (colon == npos || colon == 0 || colon + 1 == text.size()) {
    return false;
  }
  std::string_view scheme = text.substr(0, colon);
  if (!is(scheme[0], kAlnum) || (scheme[0] >= '0' && scheme[0] <= '9') ||
      !all_of(scheme, kScheme, false)) {
    return false;
  }
  for (char c : text.substr(colon + 1)) {
    if (!is(c, kUriChar) && static_cast<unsigned char>(c) < 0x80) {
      return false;
    }
  }
  return true;
}

std::optional<std::string_view> check_generic_params(std::string_view s) {
  std::size_t i = skip_lws(s, 0);
  while (i < s.size()) {
    if (s[i] != ';') {
      return "unexpected character";
    }
    i = skip_lws(s, i + 1);
    std::size_t b = i;
    while (i < s.size() && is(s[i], kToken)) {
      ++i;
    }
    if (i == b) {
      return "empty parameter";
    }
    std::size_t j = skip_lws(s, i);
    if (j < s.size() && s[j] == '=') {
      i = skip_lws(s, j + 1);
      if (i < s.size() && s[i] == '"') {
        i = quoted_end(s, i);
        if (i == npos) {
          return "unterminated quoted string";
        }
      } else {
        // gen-value = token / host / quoted-string
        b = i;
        while (i < s.size() && (is(s[i], kToken) || s[i] == '[' || s[i] == ']' || s[i] == ':')) {
          ++i;
        }
        if (i == b) {
          return "empty parameter value";
        }
      }
      i = skip_lws(s, i);
    } else {
      i = j;
    }
  }
  return std::nullopt;
}

Expected<NameAddrParts, ParseError> scan_name_addr(std::string_view text, std::string_view what) {
  text = trim_lws(text);
  if (text.empty()) {
    return malformed(with_what(what, "empty value"));
  }
  NameAddrParts out;
  std::size_t i = 0;
  bool angle = false;
  if (text[0] == '"') {
    std::size_t end = quoted_end(text, 0);
    if (end == npos) {
      return malformed(with_what(what, "unterminated quoted string in display name"));
    }
    out.display_name = text.substr(1, end - 2);
    i = skip_lws(text, end);
    if (i >= text.size() || text[i] != '<') {
      return malformed(with_what(what, "missing angle-bracketed URI after display name"));
    }
    angle = true;
  } else {
    // display-name = *(token LWS); RFC 4475 §3.1.1.6: no LWS is needed before '<'. UTF-8
    // is let through unquoted: phones send it, and it cannot be mistaken for syntax.
    std::size_t j = 0;
    while (j < text.size() && (is(text[j], kToken) || is_lws(text[j]) ||
                               static_cast<unsigned char>(text[j]) >= 0x80)) {
      ++j;
    }
    if (j < text.size() && text[j] == '<') {
      out.display_name = trim_lws(text.substr(0, j));
      i = j;
      angle = true;
    }
  }
  std::string_view rest;
  if (angle) {
    std::size_t close = text.find('>', i);
    if (close == npos) {
      return malformed(with_what(what, "missing closing angle bracket"));
    }
    out.uri_text = text.substr(i + 1, close - i - 1);
    // RFC 4475 §3.1.2.14: addr-spec admits no LWS, not even next to the brackets.
    for (char c : out.uri_text) {
      if (is_lws(c) || c == '<' || c == '"') {
        return malformed(with_what(what, "whitespace or quote inside angle brackets"));
      }
    }
    if (out.uri_text.empty()) {
      return malformed(with_what(what, "empty URI"));
    }
    rest = text.substr(close + 1);
  } else {
    if (text.find('<') != npos) {
      // RFC 4475 §3.1.2.15: a display name with non-token characters must be quoted.
      return malformed(with_what(what, "display name must be a quoted string"));
    }
    // RFC 3261 §20.10: without <>, everything after the first ';' is a header parameter.
    std::size_t e = 0;
    while (e < text.size() && text[e] != ';' && !is_lws(text[e])) {
      ++e;
    }
    out.uri_text = text.substr(0, e);
    // RFC 3261 §20: a URI holding ',', '?' or ';' must be enclosed in <> (RFC 4475 §3.1.2.13).
    if (out.uri_text.find_first_of(",?") != npos) {
      return malformed(with_what(what, "URI with '?' or ',' must be enclosed in angle brackets"));
    }
    rest = text.substr(e);
  }
  if (auto problem = check_generic_params(rest)) {
    return malformed(with_what(what, *problem));
  }
  std::size_t p = skip_lws(rest, 0);
  out.params = rest.substr(p);
  return out;
}

std::string_view find_tag(std::string_view params) {
  std::string_view tag;
  for_each_param(params, [&tag](std::string_view name, std::string_view value, bool) {
    if (tag.empty() && iequals(name, "tag")) {
      tag = value;
    }
  });
  return tag;
}

Expected<ViaParts, ParseError> scan_via(std::string_view text) {
  text = trim_lws(text);
  ViaParts v;
  std::size_t i = 0;
  auto token_at = [&text](std::size_t& k) {
    std::size_t b = k;
    while (k < text.size() && is(text[k], kToken)) {
      ++k;
    }
    return text.substr(b, k - b);
  };
  // sent-protocol = protocol-name SLASH protocol-version SLASH transport; SLASH = SWS "/" SWS
  std::string_view name = token_at(i);
  i = skip_lws(text, i);
  if (name.empty() || i >= text.size() || text[i] != '/') {
    return malformed("Bad Via: invalid sent-protocol");
  }
  i = skip_lws(text, i + 1);
  std::string_view version = token_at(i);
  i = skip_lws(text, i);
  if (version.empty() || i >= text.size() || text[i] != '/') {
    return malformed("Bad Via: invalid sent-protocol");
  }
  i = skip_lws(text, i + 1);
  v.transport = token_at(i);
  if (v.transport.empty()) {
    return malformed("Bad Via: missing transport");
  }
  // protocol-name = "SIP" / token, protocol-version = token: the grammar admits others, but a
  // SIP/2.0 element speaks no other (RFC 3261 §8.1.1.7, §18.2.1 — PROTOS c07 sends
  // "aaaa/2.0/UDP" and "SIP/2.99999/UDP"). ABNF strings are case-insensitive.
  if (!iequals(name, "SIP") || version != "2.0") {
    return malformed("Bad Via: sent-protocol is not SIP/2.0");
  }
  v.protocol = "SIP/2.0";
  std::size_t host_begin = skip_lws(text, i);
  if (host_begin == i) {
    return malformed("Bad Via: missing sent-by");
  }
  i = scan_host(text, host_begin);
  if (i == host_begin) {
    return malformed("Bad Via: invalid sent-by host");
  }
  v.host = text.substr(host_begin, i - host_begin);
  std::size_t k = skip_lws(text, i);
  if (k < text.size() && text[k] == ':') {
    k = skip_lws(text, k + 1);
    std::size_t b = k;
    while (k < text.size() && text[k] >= '0' && text[k] <= '9') {
      ++k;
    }
    v.port = port_value(text.substr(b, k - b));
    if (!v.port) {
      return malformed("Bad Via: invalid port");
    }
    i = k;
  }
  std::string_view rest = text.substr(i);
  if (auto problem = check_generic_params(rest)) {
    return malformed(with_what("Via", *problem));
  }
  v.params = rest.substr(skip_lws(rest, 0));
  bool bad_rport = false;
  int branches = 0;
  bool empty_branch = false;
  for_each_param(v.params, [&](std::string_view pname, std::string_view value, bool has_value) {
    if (iequals(pname, "branch")) {
      // via-branch = "branch" EQUAL token: a value, and one branch (the transaction's id).
      ++branches;
      empty_branch = empty_branch || !has_value || value.empty();
      if (branches == 1) {
        v.branch = value;
      }
    } else if (has_value && iequals(pname, "rport")) {
      bad_rport = !parse_decimal(value, 65535);
    }
  });
  if (bad_rport) {
    return malformed("Bad Via: invalid rport");
  }
  if (empty_branch) {
    return malformed("Bad Via: branch without a value");
  }
  if (branches > 1) {
    return malformed("Bad Via: more than one branch");
  }
  return v;
}

Expected<CSeqParts, ParseError> scan_cseq(std::string_view text) {
  text = trim_lws(text);
  std::size_t i = 0;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
    ++i;
  }
  if (i == 0) {
    return malformed("Bad CSeq: missing sequence number");
  }
  // RFC 3261 §8.1.1.5: the sequence number MUST be less than 2**31.
  auto number = parse_decimal(text.substr(0, i), 0x7fffffffULL);
  if (!number) {
    return malformed("Bad CSeq: sequence number too large");
  }
  std::size_t m = skip_lws(text, i);
  if (m == i) {
    return malformed("Bad CSeq: missing method");
  }
  CSeqParts out;
  out.number = static_cast<std::uint32_t>(*number);
  out.method = text.substr(m);
  if (!is_token(out.method)) {
    return malformed("Bad CSeq: invalid method");
  }
  return out;
}

}  // namespace cohort::sip::detail
