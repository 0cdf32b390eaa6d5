// SDP (RFC 4566 §9 grammar, RFC 3264 §5 offer rules). One pass over the lines: each is
// checked against its type's grammar and the order the grammar gives the types.
#include "sip/sdp.hpp"

#include <string>

#include "sip/grammar.hpp"

namespace cohort::sip::sdp {

namespace {

using detail::is;
using detail::kAlnum;
using detail::kToken;

constexpr auto npos = std::string_view::npos;

Unexpected<ParseError> bad(std::string_view problem) {
  std::string r = "Bad SDP: ";
  r += problem;
  return detail::malformed(std::move(r), 400);
}

ParseError unsupported(std::string reason) {
  return ParseError{ParseError::Kind::kMalformed, 488, std::move(reason), false, {}, {}, {}};
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool all_digits(std::string_view s) {
  if (s.empty()) {
    return false;
  }
  for (char c : s) {
    if (!is_digit(c)) {
      return false;
    }
  }
  return true;
}
bool is_token(std::string_view s) {
  return detail::is_token(s);
}
// non-ws-string = 1*(VCHAR / %x80-FF)
bool is_non_ws(std::string_view s) {
  if (s.empty()) {
    return false;
  }
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f) {
      return false;
    }
  }
  return true;
}

// Splits `s` at single spaces; false when a field is empty (two spaces, a leading or trailing
// space) — RFC 4566 §5: "no whitespace … either side of the = sign", fields split by one SP.
bool split_fields(std::string_view s, std::vector<std::string_view>& out) {
  out.clear();
  std::size_t b = 0;
  while (true) {
    std::size_t e = s.find(' ', b);
    std::string_view f = s.substr(b, e == npos ? npos : e - b);
    if (f.empty()) {
      return false;
    }
    out.push_back(f);
    if (e == npos) {
      return true;
    }
    b = e + 1;
  }
}

// decimal-uchar = DIGIT / POS-DIGIT DIGIT / ("1" 2*(DIGIT)) / ("2" ("0"/"1"/"2"/"3"/"4")
// DIGIT) / ("2" "5" ("0"/"1"/"2"/"3"/"4"/"5")): 0–255 without leading zeros.
bool decimal_uchar(std::string_view s) {
  if (!all_digits(s) || s.size() > 3 || (s.size() > 1 && s[0] == '0')) {
    return false;
  }
  return std::stoi(std::string(s)) <= 255;
}
bool ip4_address(std::string_view s) {
  int parts = 0;
  std::size_t b = 0;
  while (true) {
    std::size_t e = s.find('.', b);
    if (!decimal_uchar(s.substr(b, e == npos ? npos : e - b))) {
      return false;
    }
    ++parts;
    if (e == npos) {
      break;
    }
    b = e + 1;
  }
  return parts == 4;
}
// FQDN = 4*(alpha-numeric / "-" / ".")
bool fqdn(std::string_view s) {
  if (s.size() < 4) {
    return false;
  }
  for (char c : s) {
    if (!is(c, kAlnum) && c != '-' && c != '.') {
      return false;
    }
  }
  return true;
}
// IP6-address as RFC 4566 §9 gives it (hexpart [":" IP4-address]), read for its alphabet and
// shape: hex groups of at most four digits, at most one "::", an IPv4 tail.
bool ip6_address(std::string_view s) {
  if (s.size() < 2 || s.find(':') == npos) {
    return false;
  }
  int double_colons = 0;
  for (std::size_t at = s.find("::"); at != npos; at = s.find("::", at + 1)) {
    ++double_colons;
  }
  if (double_colons > 1 || s.find(":::") != npos) {
    return false;
  }
  std::size_t last_colon = s.rfind(':');
  std::string_view tail = s.substr(last_colon + 1);
  std::string_view groups = s.substr(0, last_colon + 1);
  if (tail.find('.') != npos) {
    if (!ip4_address(tail)) {
      return false;
    }
  } else {
    groups = s;
  }
  int run = 0;
  for (char c : groups) {
    if (c == ':') {
      run = 0;
    } else if (is(c, detail::kHex) && ++run <= 4) {
      continue;
    } else {
      return false;
    }
  }
  return true;
}

// connection-address for c= (multicast "/ttl[/n]" allowed) or unicast-address for o=.
bool address_ok(std::string_view addrtype, std::string_view address, bool connection) {
  std::string_view host = address;
  if (connection) {
    std::size_t slash = address.find('/');
    if (slash != npos) {
      host = address.substr(0, slash);
      std::string_view rest = address.substr(slash + 1);
      std::size_t second = rest.find('/');
      if (!all_digits(rest.substr(0, second)) ||
          (second != npos && !all_digits(rest.substr(second + 1))) || rest.size() > 16) {
        return false;
      }
    }
  }
  if (addrtype == "IP4") {
    return ip4_address(host) || fqdn(host);
  }
  if (addrtype == "IP6") {
    return ip6_address(host) || fqdn(host);
  }
  return is_non_ws(address);  // extn-addr
}

// nettype SP addrtype SP address (c=, and the last three fields of o=).
bool connection_fields(std::string_view nettype, std::string_view addrtype,
                       std::string_view address, bool connection) {
  return is_token(nettype) && is_token(addrtype) && address_ok(addrtype, address, connection);
}

// RFC 3264 §5: the session id and version "MUST be representable with a 64 bit signed
// integer".
bool int63(std::string_view s) {
  return all_digits(s) && detail::parse_decimal(s, 0x7fffffffffffffffULL).has_value();
}

// time = POS-DIGIT 9*DIGIT; start-time / stop-time = time / "0" (NTP seconds, 64-bit).
bool sdp_time(std::string_view s) {
  if (s == "0") {
    return true;
  }
  return all_digits(s) && s.size() >= 10 && s[0] != '0' &&
         detail::parse_decimal(s, ~0ULL).has_value();
}
// typed-time = 1*DIGIT [fixed-len-time-unit]; fixed-len-time-unit = "d" / "h" / "m" / "s"
bool typed_time(std::string_view s) {
  if (!s.empty() && (s.back() == 'd' || s.back() == 'h' || s.back() == 'm' || s.back() == 's')) {
    s.remove_suffix(1);
  }
  return all_digits(s) && s.size() <= 20;
}

// RTP profiles whose formats are payload type numbers (RFC 4566 §5.14, RFC 3551, RFC 4585,
// RFC 5764).
bool rtp_proto(std::string_view proto) {
  return proto == "RTP/AVP" || proto == "RTP/SAVP" || proto == "RTP/AVPF" || proto == "RTP/SAVPF" ||
         proto == "UDP/TLS/RTP/SAVP" || proto == "UDP/TLS/RTP/SAVPF";
}
bool payload_type(std::string_view s) {
  return all_digits(s) && s.size() <= 3 && std::stoi(std::string(s)) <= 127;
}

// a=rtpmap:<payload type> <encoding name>/<clock rate>[/<encoding parameters>] (RFC 4566 §6)
bool rtpmap_ok(std::string_view v) {
  std::size_t sp = v.find(' ');
  if (sp == npos || !payload_type(v.substr(0, sp))) {
    return false;
  }
  std::string_view enc = v.substr(sp + 1);
  std::size_t s1 = enc.find('/');
  if (s1 == npos || !is_token(enc.substr(0, s1))) {
    return false;
  }
  std::string_view rest = enc.substr(s1 + 1);
  std::size_t s2 = rest.find('/');
  std::string_view clock = rest.substr(0, s2);
  if (!all_digits(clock) || clock.size() > 10 || clock.find_first_not_of('0') == npos) {
    return false;
  }
  return s2 == npos || is_token(rest.substr(s2 + 1));
}
// a=fmtp:<format> <format specific parameters> (RFC 4566 §6)
bool fmtp_ok(std::string_view v) {
  std::size_t sp = v.find(' ');
  return sp != npos && sp > 0 && is_token(v.substr(0, sp)) && sp + 1 < v.size();
}

// attribute = (att-field ":" att-value) / att-field; att-field = token; att-value =
// byte-string. Returns the problem or nullptr.
const char* attribute_problem(std::string_view v) {
  std::size_t colon = v.find(':');
  std::string_view name = v.substr(0, colon);
  if (!is_token(name)) {
    return "invalid a= line";
  }
  if (colon == npos) {
    return nullptr;
  }
  std::string_view value = v.substr(colon + 1);
  if (value.empty()) {
    return "invalid a= line";
  }
  if (name == "rtpmap" && !rtpmap_ok(value)) {
    return "invalid a=rtpmap";
  }
  if (name == "fmtp" && !fmtp_ok(value)) {
    return "invalid a=fmtp";
  }
  return nullptr;
}

// Where a line type may stand (RFC 4566 §9): its rank in the session part, and in a media
// part; -1 when the type does not belong there.
int session_rank(char type) {
  switch (type) {
    case 'v':
      return 0;
    case 'o':
      return 1;
    case 's':
      return 2;
    case 'i':
      return 3;
    case 'u':
      return 4;
    case 'e':
      return 5;
    case 'p':
      return 6;
    case 'c':
      return 7;
    case 'b':
      return 8;
    case 't':
    case 'r':
      return 9;
    case 'z':
      return 10;
    case 'k':
      return 11;
    case 'a':
      return 12;
    default:
      return -1;
  }
}
int media_rank(char type) {
  switch (type) {
    case 'i':
      return 1;
    case 'c':
      return 2;
    case 'b':
      return 3;
    case 'k':
      return 4;
    case 'a':
      return 5;
    default:
      return -1;
  }
}
// Types that occur at most once in their part.
bool single(char type, bool media) {
  switch (type) {
    case 'v':
    case 'o':
    case 's':
    case 'i':
    case 'u':
    case 'z':
    case 'k':
      return true;
    case 'c':
      return !media;
    default:
      return false;
  }
}

std::string line_problem(std::string_view what, char type) {
  std::string r = "invalid ";
  r += type;
  r += "= line";
  if (!what.empty()) {
    r += ": ";
    r += what;
  }
  return r;
}

}  // namespace

Expected<Session, ParseError> parse(std::string_view body) {
  Session s;
  if (body.empty()) {
    return bad("empty body");
  }
  // Every line, the last included, ends in CRLF (LF tolerated, §5); a body cut short or
  // padded with empty lines is not a description.
  if (body.back() != '\n') {
    return bad("last line not terminated");
  }
  std::vector<std::string_view> f;
  f.reserve(8);
  int rank = -1;  // of the last line in the current part
  bool in_media = false;
  bool seen_t = false;
  char last = 0;
  std::uint32_t seen_single = 0;  // bit per letter, reset for each media part
  std::size_t pos = 0;
  while (pos < body.size()) {
    const std::size_t nl = body.find('\n', pos);  // found: the body ends in '\n'
    std::size_t end = nl;
    const std::size_t next = nl + 1;
    if (end > pos && body[end - 1] == '\r') {
      --end;
    }
    std::string_view line = body.substr(pos, end - pos);
    pos = next;
    // type = %x61-7A; "=" directly after it (RFC 4566 §5: no whitespace around "=").
    if (line.size() < 2 || line[0] < 'a' || line[0] > 'z' || line[1] != '=') {
      return bad("line is not <type>=<value>");
    }
    const char type = line[0];
    const std::string_view v = line.substr(2);
    // byte-string and text: any byte but NUL, CR and LF; every value is at least one byte.
    if (v.empty()) {
      return bad(line_problem("empty value", type));
    }
    for (char c : v) {
      if (c == '\0' || c == '\r' || c == '\n') {
        return bad(line_problem("control character", type));
      }
    }
    // --- where it stands ---
    if (type == 'm') {
      if (!seen_t) {
        return bad("m= line before t= line");
      }
      in_media = true;
      rank = 0;
      seen_single = 0;
    } else {
      int r = in_media ? media_rank(type) : session_rank(type);
      if (r < 0) {
        if (session_rank(type) < 0 && media_rank(type) < 0) {
          return bad(line_problem("unknown type", type));  // §5: ignore the whole description
        }
        return bad(line_problem("out of place", type));
      }
      if (r < rank || (type == 'r' && last != 't' && last != 'r')) {
        return bad(line_problem("out of order", type));
      }
      if (s.media.empty() && rank < 0 && type != 'v') {
        return bad("first line is not v=");
      }
      const std::uint32_t bit = 1u << (type - 'a');
      if (single(type, in_media) && (seen_single & bit) != 0) {
        return bad(line_problem("repeated", type));
      }
      seen_single |= bit;
      rank = r;
    }
    last = type;
    // --- its grammar ---
    switch (type) {
      case 'v':
        if (v != "0") {
          return bad("v= must be 0");
        }
        break;
      case 'o':
        if (!split_fields(v, f) || f.size() != 6 || !is_non_ws(f[0]) || !int63(f[1]) ||
            !int63(f[2]) || !connection_fields(f[3], f[4], f[5], false)) {
          return bad(line_problem({}, type));
        }
        s.username = f[0];
        s.sess_id = f[1];
        s.sess_version = f[2];
        s.origin = Connection{f[3], f[4], f[5]};
        break;
      case 's':
        s.name = v;
        break;
      case 'u':
        if (!is_non_ws(v)) {
          return bad(line_problem({}, type));
        }
        break;
      case 'c':
        if (!split_fields(v, f) || f.size() != 3 || !connection_fields(f[0], f[1], f[2], true)) {
          return bad(line_problem({}, type));
        }
        (in_media ? s.media.back().connections : s.connections)
            .push_back(Connection{f[0], f[1], f[2]});
        break;
      case 'b': {
        // bwtype ":" bandwidth
        std::size_t colon = v.find(':');
        if (colon == npos || !is_token(v.substr(0, colon)) || !all_digits(v.substr(colon + 1)) ||
            v.size() - colon - 1 > 20) {
          return bad(line_problem({}, type));
        }
        break;
      }
      case 't':
        if (!split_fields(v, f) || f.size() != 2 || !sdp_time(f[0]) || !sdp_time(f[1])) {
          return bad(line_problem({}, type));
        }
        seen_t = true;
        break;
      case 'r': {
        // repeat-interval SP typed-time 1*(SP typed-time)
        if (!split_fields(v, f) || f.size() < 3 || f[0][0] == '0') {
          return bad(line_problem({}, type));
        }
        for (std::string_view t : f) {
          if (!typed_time(t)) {
            return bad(line_problem({}, type));
          }
        }
        break;
      }
      case 'z': {
        // time SP ["-"] typed-time *(SP time SP ["-"] typed-time)
        if (!split_fields(v, f) || f.size() % 2 != 0) {
          return bad(line_problem({}, type));
        }
        for (std::size_t k = 0; k < f.size(); k += 2) {
          std::string_view offset = f[k + 1];
          if (offset[0] == '-') {
            offset.remove_prefix(1);
          }
          if (!sdp_time(f[k]) || !typed_time(offset)) {
            return bad(line_problem({}, type));
          }
        }
        break;
      }
      case 'k': {
        // key-type: "prompt" / key-method ":" value (clear, base64, uri, or an extension)
        std::size_t colon = v.find(':');
        if (v != "prompt" && (colon == npos || colon == 0 || !is_token(v.substr(0, colon)) ||
                              colon + 1 == v.size())) {
          return bad(line_problem({}, type));
        }
        break;
      }
      case 'a':
        if (const char* problem = attribute_problem(v)) {
          return bad(problem);
        }
        (in_media ? s.media.back().attributes : s.attributes).push_back(v);
        break;
      case 'm': {
        // media SP port ["/" integer] SP proto 1*(SP fmt)
        if (!split_fields(v, f) || f.size() < 4 || !is_token(f[0])) {
          return bad(line_problem({}, type));
        }
        Media m;
        m.media = f[0];
        std::string_view port = f[1];
        std::size_t slash = port.find('/');
        if (slash != npos) {
          auto count = detail::parse_decimal(port.substr(slash + 1), 65535);
          if (!count || *count == 0) {
            return bad(line_problem("invalid port", type));
          }
          m.port_count = static_cast<std::uint32_t>(*count);
          port = port.substr(0, slash);
        }
        auto number = detail::parse_decimal(port, 65535);
        if (!number) {
          return bad(line_problem("invalid port", type));
        }
        m.port = static_cast<std::uint16_t>(*number);
        // proto = token *("/" token)
        m.proto = f[2];
        std::size_t b = 0;
        while (true) {
          std::size_t e = m.proto.find('/', b);
          if (!is_token(m.proto.substr(b, e == npos ? npos : e - b))) {
            return bad(line_problem("invalid protocol", type));
          }
          if (e == npos) {
            break;
          }
          b = e + 1;
        }
        const bool rtp = rtp_proto(m.proto);
        for (std::size_t k = 3; k < f.size(); ++k) {
          if (!is_token(f[k]) || (rtp && !payload_type(f[k]))) {
            return bad(line_problem("invalid format", type));
          }
          m.formats.push_back(f[k]);
        }
        s.media.push_back(std::move(m));
        break;
      }
      default:  // i, e, p: text, already checked
        break;
    }
  }
  if (rank < 0 || s.sess_id.empty()) {
    return bad("missing o= line");
  }
  if (s.name.empty()) {
    return bad("missing s= line");
  }
  if (!seen_t) {
    return bad("missing t= line");
  }
  // RFC 4566 §5.7: a c= at session level, or in every media description.
  if (s.connections.empty()) {
    for (const Media& m : s.media) {
      if (m.connections.empty()) {
        return bad("missing c= line");
      }
    }
  }
  return s;
}

std::optional<ParseError> check_offer(const Session& s) {
  auto net_ok = [](const Connection& c) -> std::optional<ParseError> {
    if (c.nettype != "IN") {
      return unsupported("Unsupported SDP network type");
    }
    if (c.addrtype != "IP4" && c.addrtype != "IP6") {
      return unsupported("Unsupported SDP address type");
    }
    return std::nullopt;
  };
  if (auto e = net_ok(s.origin)) {
    return e;
  }
  for (const Connection& c : s.connections) {
    if (auto e = net_ok(c)) {
      return e;
    }
  }
  bool usable = false;
  for (const Media& m : s.media) {
    for (const Connection& c : m.connections) {
      if (auto e = net_ok(c)) {
        return e;
      }
    }
    usable = usable || (m.port != 0 && (m.media == "audio" || m.media == "video") &&
                        m.proto.find("RTP/") != npos && !m.formats.empty());
  }
  if (!usable) {
    return unsupported("No usable media in SDP");
  }
  return std::nullopt;
}

std::optional<ParseError> validate_offer(std::string_view body) {
  auto session = parse(body);
  if (!session) {
    return std::move(session.error());
  }
  return check_offer(*session);
}

std::optional<ParseError> check_offer_body(const Message& request) {
  if (request.body().empty()) {
    return std::nullopt;
  }
  auto content_type = request.header(HeaderId::kContentType);
  if (!content_type) {
    return ParseError{ParseError::Kind::kMalformed, 400, "Missing Content-Type", false, {}, {}, {}};
  }
  // media-type = m-type SLASH m-subtype *( SEMI m-parameter ); SLASH = SWS "/" SWS
  std::string_view v = *content_type;
  std::size_t i = 0;
  auto token = [&v, &i] {
    std::size_t b = i;
    while (i < v.size() && is(v[i], kToken)) {
      ++i;
    }
    return v.substr(b, i - b);
  };
  std::string_view type = token();
  i = detail::skip_lws(v, i);
  bool ok = !type.empty() && i < v.size() && v[i] == '/';
  std::string_view subtype;
  if (ok) {
    i = detail::skip_lws(v, i + 1);
    subtype = token();
    ok = !subtype.empty() && !detail::check_generic_params(v.substr(i)).has_value();
  }
  if (!ok) {
    return ParseError{ParseError::Kind::kMalformed, 400, "Bad Content-Type", false, {}, {}, {}};
  }
  if (!detail::iequals(type, "application") || !detail::iequals(subtype, "sdp")) {
    return ParseError{
        ParseError::Kind::kMalformed, 415, "Unsupported Media Type", false, {}, {}, {}};
  }
  auto session = parse(request.body());
  if (!session) {
    return std::move(session.error());
  }
  return std::nullopt;
}

}  // namespace cohort::sip::sdp
