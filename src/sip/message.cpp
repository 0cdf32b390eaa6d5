// The SIP message parser (RFC 3261 §7, §25; RFC 4475). One pass over the head: the start
// line, then each header line (with folding) as (id, raw value); the transaction key is
// validated and extracted on the way, every other header stays raw for the lazy accessors.
#include "sip/message.hpp"

#include <cstring>
#include <string>

#include "sip/grammar.hpp"
#include "sip/headers.hpp"

namespace cohort::sip {

using detail::iequals;
using detail::is;
using detail::is_lws;
using detail::is_wsp;
using detail::trim_lws;

namespace {

constexpr auto npos = std::string_view::npos;

// `name` equals `lower_literal` ignoring ASCII case; the literal is already lower-case.
bool ieq(std::string_view name, std::string_view lower_literal) {
  if (name.size() != lower_literal.size()) {
    return false;
  }
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (detail::lower(name[i]) != lower_literal[i]) {
      return false;
    }
  }
  return true;
}

// Headers whose grammar is not a comma-separated list (RFC 3261 §7.3.1): a comma inside
// their value is data (auth params, dates, product comments).
bool is_list_header(HeaderId id) {
  switch (id) {
    case HeaderId::kVia:
    case HeaderId::kContact:
    case HeaderId::kRoute:
    case HeaderId::kRecordRoute:
    case HeaderId::kAllow:
    case HeaderId::kSupported:
    case HeaderId::kRequire:
    case HeaderId::kProxyRequire:
    case HeaderId::kUnsupported:
    case HeaderId::kAccept:
    case HeaderId::kPath:
    case HeaderId::kContentEncoding:
      return true;
    default:
      return false;
  }
}

// RFC 3261 §20.17 Date: rfc1123-date = wkday "," SP date1 SP time SP "GMT" (RFC 4475
// §3.1.2.12: any other zone is a 400).
bool valid_sip_date(std::string_view v) {
  static constexpr std::string_view kDays[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
  static constexpr std::string_view kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  // "Thu, 21 Feb 2002 13:02:03 GMT"
  if (v.size() != 29 || v.substr(3, 2) != ", " || v[7] != ' ' || v[11] != ' ' || v[16] != ' ' ||
      v[19] != ':' || v[22] != ':' || v.substr(25) != " GMT") {
    return false;
  }
  bool day = false;
  for (auto d : kDays) {
    day = day || v.substr(0, 3) == d;
  }
  bool month = false;
  for (auto m : kMonths) {
    month = month || v.substr(8, 3) == m;
  }
  auto digits = [&v](std::size_t at, std::size_t n) {
    for (std::size_t i = at; i < at + n; ++i) {
      if (v[i] < '0' || v[i] > '9') {
        return false;
      }
    }
    return true;
  };
  return day && month && digits(5, 2) && digits(12, 4) && digits(17, 2) && digits(20, 2) &&
         digits(23, 2);
}

// RFC 3261 §25.1: callid = word [ "@" word ]. One leniency: '=' (base64-style ids are
// common in the wild, and the Call-ID is only compared, never interpreted). One pass.
bool valid_call_id(std::string_view v) {
  std::size_t at = npos;
  for (std::size_t i = 0; i < v.size(); ++i) {
    const char c = v[i];
    if (!is(c, detail::kCallIdWord)) {
      if (c != '@' || at != npos) {
        return false;
      }
      at = i;
    }
  }
  return !v.empty() && at != 0 && (at == npos || at + 1 < v.size());
}

// A stable To tag for a stateless error response, so that retransmissions of the bad
// request get the same answer (RFC 3261 §8.2.6.2 wants a tag; no dialog comes of it).
std::string error_to_tag(std::string_view call_id, std::string_view cseq,
                         std::string_view top_via) {
  std::uint64_t h = 0xcbf29ce484222325ULL;  // FNV-1a 64
  for (auto part : {call_id, cseq, top_via}) {
    for (char c : part) {
      h = (h ^ static_cast<unsigned char>(c)) * 0x100000001b3ULL;
    }
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string tag = "err";
  for (int i = 0; i < 12; ++i) {
    tag += kHex[(h >> (i * 4)) & 0xf];
  }
  return tag;
}

// "Bad URI: invalid host" said of the Request-URI reads "Bad Request-URI: invalid host".
std::string retitle(std::string_view reason, std::string_view what) {
  constexpr std::string_view kPrefix = "Bad URI: ";
  std::string out = "Bad ";
  out += what;
  out += ": ";
  if (reason.substr(0, kPrefix.size()) == kPrefix) {
    out += reason.substr(kPrefix.size());
  } else {
    out += "invalid URI";
  }
  return out;
}

enum class Found : std::uint8_t { kNone, kOne, kConflict };

}  // namespace

Method parse_method(std::string_view t) {
  switch (t.size()) {
    case 3:
      if (t == "BYE") {
        return Method::kBye;
      }
      if (t == "ACK") {
        return Method::kAck;
      }
      break;
    case 4:
      if (t == "INFO") {
        return Method::kInfo;
      }
      break;
    case 5:
      if (t == "PRACK") {
        return Method::kPrack;
      }
      if (t == "REFER") {
        return Method::kRefer;
      }
      break;
    case 6:
      if (t == "INVITE") {
        return Method::kInvite;
      }
      if (t == "CANCEL") {
        return Method::kCancel;
      }
      if (t == "UPDATE") {
        return Method::kUpdate;
      }
      if (t == "NOTIFY") {
        return Method::kNotify;
      }
      break;
    case 7:
      if (t == "OPTIONS") {
        return Method::kOptions;
      }
      if (t == "MESSAGE") {
        return Method::kMessage;
      }
      if (t == "PUBLISH") {
        return Method::kPublish;
      }
      break;
    case 8:
      if (t == "REGISTER") {
        return Method::kRegister;
      }
      break;
    case 9:
      if (t == "SUBSCRIBE") {
        return Method::kSubscribe;
      }
      break;
    default:
      break;
  }
  return Method::kUnknown;
}

std::string_view to_string(Method m) {
  switch (m) {
    case Method::kInvite:
      return "INVITE";
    case Method::kAck:
      return "ACK";
    case Method::kBye:
      return "BYE";
    case Method::kCancel:
      return "CANCEL";
    case Method::kRegister:
      return "REGISTER";
    case Method::kOptions:
      return "OPTIONS";
    case Method::kInfo:
      return "INFO";
    case Method::kUpdate:
      return "UPDATE";
    case Method::kPrack:
      return "PRACK";
    case Method::kSubscribe:
      return "SUBSCRIBE";
    case Method::kNotify:
      return "NOTIFY";
    case Method::kRefer:
      return "REFER";
    case Method::kMessage:
      return "MESSAGE";
    case Method::kPublish:
      return "PUBLISH";
    case Method::kUnknown:
      break;
  }
  return {};
}

HeaderId header_id(std::string_view n) {
  switch (n.size()) {
    case 1:
      // RFC 3261 §7.3.3 compact forms. o (Event), r (Refer-To), s (Subject), u (Allow-Events)
      // name headers without an id here and stay kOther.
      switch (detail::lower(n[0])) {
        case 'v':
          return HeaderId::kVia;
        case 'f':
          return HeaderId::kFrom;
        case 't':
          return HeaderId::kTo;
        case 'i':
          return HeaderId::kCallId;
        case 'm':
          return HeaderId::kContact;
        case 'l':
          return HeaderId::kContentLength;
        case 'c':
          return HeaderId::kContentType;
        case 'e':
          return HeaderId::kContentEncoding;
        case 'k':
          return HeaderId::kSupported;
        default:
          return HeaderId::kOther;
      }
    case 2:
      return ieq(n, "to") ? HeaderId::kTo : HeaderId::kOther;
    case 3:
      return ieq(n, "via") ? HeaderId::kVia : HeaderId::kOther;
    case 4:
      if (ieq(n, "from")) {
        return HeaderId::kFrom;
      }
      if (ieq(n, "cseq")) {
        return HeaderId::kCSeq;
      }
      if (ieq(n, "path")) {
        return HeaderId::kPath;
      }
      return HeaderId::kOther;
    case 5:
      if (ieq(n, "route")) {
        return HeaderId::kRoute;
      }
      if (ieq(n, "allow")) {
        return HeaderId::kAllow;
      }
      return HeaderId::kOther;
    case 6:
      if (ieq(n, "accept")) {
        return HeaderId::kAccept;
      }
      if (ieq(n, "server")) {
        return HeaderId::kServer;
      }
      return HeaderId::kOther;
    case 7:
      if (ieq(n, "call-id")) {
        return HeaderId::kCallId;
      }
      if (ieq(n, "contact")) {
        return HeaderId::kContact;
      }
      if (ieq(n, "expires")) {
        return HeaderId::kExpires;
      }
      if (ieq(n, "require")) {
        return HeaderId::kRequire;
      }
      return HeaderId::kOther;
    case 9:
      if (ieq(n, "supported")) {
        return HeaderId::kSupported;
      }
      if (ieq(n, "timestamp")) {
        return HeaderId::kTimestamp;
      }
      return HeaderId::kOther;
    case 10:
      return ieq(n, "user-agent") ? HeaderId::kUserAgent : HeaderId::kOther;
    case 11:
      if (ieq(n, "min-expires")) {
        return HeaderId::kMinExpires;
      }
      if (ieq(n, "unsupported")) {
        return HeaderId::kUnsupported;
      }
      return HeaderId::kOther;
    case 12:
      if (ieq(n, "max-forwards")) {
        return HeaderId::kMaxForwards;
      }
      if (ieq(n, "content-type")) {
        return HeaderId::kContentType;
      }
      if (ieq(n, "record-route")) {
        return HeaderId::kRecordRoute;
      }
      return HeaderId::kOther;
    case 13:
      if (ieq(n, "authorization")) {
        return HeaderId::kAuthorization;
      }
      if (ieq(n, "proxy-require")) {
        return HeaderId::kProxyRequire;
      }
      return HeaderId::kOther;
    case 14:
      return ieq(n, "content-length") ? HeaderId::kContentLength : HeaderId::kOther;
    case 16:
      if (ieq(n, "content-encoding")) {
        return HeaderId::kContentEncoding;
      }
      if (ieq(n, "www-authenticate")) {
        return HeaderId::kWwwAuthenticate;
      }
      return HeaderId::kOther;
    case 18:
      return ieq(n, "proxy-authenticate") ? HeaderId::kProxyAuthenticate : HeaderId::kOther;
    case 19:
      return ieq(n, "proxy-authorization") ? HeaderId::kProxyAuthorization : HeaderId::kOther;
    default:
      return HeaderId::kOther;
  }
}

std::string_view header_name(HeaderId id) {
  switch (id) {
    case HeaderId::kVia:
      return "Via";
    case HeaderId::kFrom:
      return "From";
    case HeaderId::kTo:
      return "To";
    case HeaderId::kCallId:
      return "Call-ID";
    case HeaderId::kCSeq:
      return "CSeq";
    case HeaderId::kMaxForwards:
      return "Max-Forwards";
    case HeaderId::kContentLength:
      return "Content-Length";
    case HeaderId::kContentType:
      return "Content-Type";
    case HeaderId::kContentEncoding:
      return "Content-Encoding";
    case HeaderId::kContact:
      return "Contact";
    case HeaderId::kExpires:
      return "Expires";
    case HeaderId::kMinExpires:
      return "Min-Expires";
    case HeaderId::kRoute:
      return "Route";
    case HeaderId::kRecordRoute:
      return "Record-Route";
    case HeaderId::kAuthorization:
      return "Authorization";
    case HeaderId::kProxyAuthorization:
      return "Proxy-Authorization";
    case HeaderId::kWwwAuthenticate:
      return "WWW-Authenticate";
    case HeaderId::kProxyAuthenticate:
      return "Proxy-Authenticate";
    case HeaderId::kUserAgent:
      return "User-Agent";
    case HeaderId::kServer:
      return "Server";
    case HeaderId::kAllow:
      return "Allow";
    case HeaderId::kSupported:
      return "Supported";
    case HeaderId::kRequire:
      return "Require";
    case HeaderId::kProxyRequire:
      return "Proxy-Require";
    case HeaderId::kUnsupported:
      return "Unsupported";
    case HeaderId::kAccept:
      return "Accept";
    case HeaderId::kPath:
      return "Path";
    case HeaderId::kTimestamp:
      return "Timestamp";
    case HeaderId::kOther:
      break;
  }
  return {};
}

std::optional<std::string_view> Message::header(HeaderId id) const {
  for (const Header& h : headers_) {
    if (h.id == id) {
      return h.value;
    }
  }
  return std::nullopt;
}

std::vector<std::string_view> Message::header_values(HeaderId id) const {
  std::vector<std::string_view> out;
  bool split = is_list_header(id);
  for (const Header& h : headers_) {
    if (h.id != id) {
      continue;
    }
    if (!split) {
      out.push_back(h.value);
      continue;
    }
    // RFC 3261 §7.3.1: split at commas outside quoted strings and <>; empty elements
    // (",,") carry nothing and are skipped.
    std::string_view rest = h.value;
    while (!rest.empty()) {
      std::string_view element = detail::first_element(rest);
      // first_element trims: find where the element ends in `rest` to continue after it.
      std::size_t consumed =
          static_cast<std::size_t>(element.data() - rest.data()) + element.size();
      if (element.empty()) {
        consumed = rest.find(',');
        consumed = consumed == npos ? rest.size() : consumed;
      }
      if (!element.empty()) {
        out.push_back(element);
      }
      rest = rest.substr(consumed);
      std::size_t comma = rest.find(',');
      // Only LWS can sit between the element and its comma.
      rest = comma == npos ? std::string_view{} : rest.substr(comma + 1);
    }
  }
  return out;
}

namespace {

// The state of one parse() run: the message being filled, the first error found, and what
// a response would need. Kept out of Message so the public type stays plain.
struct ParseState {
  int err_status_ = 0;
  std::string err_reason_;
  bool response_line_ = false;

  Found via_ = Found::kNone;
  Found from_ = Found::kNone;
  Found to_ = Found::kNone;
  Found call_id_ = Found::kNone;
  Found cseq_ = Found::kNone;
  Found max_forwards_ = Found::kNone;
  Found content_length_ = Found::kNone;
  std::string_view from_value_, to_value_, call_id_value_, cseq_value_, mf_value_, cl_value_;
  std::uint64_t content_length_value_ = 0;

  void fail(int status, std::string reason) {
    if (err_status_ == 0) {
      err_status_ = status;
      err_reason_ = std::move(reason);
    }
  }
  void fail(const ParseError& e) { fail(e.status, e.reason); }
  bool failed() const { return err_status_ != 0; }

  // One occurrence of a single-valued header; a repeat with another value is a 400
  // (RFC 3261 §7.3.1, RFC 4475 §3.3.8 / §3.3.9).
  bool first_of(Found& found, std::string_view& stored, std::string_view value,
                std::string_view name) {
    if (found == Found::kNone) {
      found = Found::kOne;
      stored = value;
      return true;
    }
    if (found == Found::kOne && stored != value) {
      found = Found::kConflict;
      std::string reason = "Multiple ";
      reason += name;
      reason += " headers";
      fail(400, std::move(reason));
    }
    return false;
  }
};

}  // namespace

// Friend of Message: fills its private fields in one pass.
Expected<Message, ParseError> parse(std::string buffer, const ParseLimits& limits) {
  Message m;
  m.buffer_ = std::move(buffer);
  const std::string_view buf = m.buffer_;
  const char* data = buf.data();
  const std::size_t n = buf.size();
  ParseState p;

  // RFC 3261 §21.5.14 / §18.1.1: over the limit is 513, decided first; the head is still
  // read so that the answer can be addressed.
  if (n > limits.max_message_bytes) {
    p.fail(513, "Message Too Large");
  }

  // RFC 3261 §7.5: CRLFs before the start line are ignored (stream keep-alives).
  std::size_t pos = skip_keepalives(buf);
  bool structural = false;  // the head cannot be read on: stop scanning

  // --- start line ---
  const void* nl_ptr = pos < n ? std::memchr(data + pos, '\n', n - pos) : nullptr;
  if (nl_ptr == nullptr) {
    p.fail(400, "Missing end of start line");
    structural = true;
  }
  std::size_t line_end = 0;
  if (!structural) {
    std::size_t nl = static_cast<std::size_t>(static_cast<const char*>(nl_ptr) - data);
    line_end = (nl > pos && data[nl - 1] == '\r') ? nl - 1 : nl;
    std::string_view line = buf.substr(pos, line_end - pos);
    pos = nl + 1;
    if (line.size() > limits.max_header_bytes) {
      p.fail(400, "Start line too long");
    } else if (line.size() > 4 && iequals(line.substr(0, 4), "SIP/")) {
      // Status-Line = SIP-Version SP Status-Code SP Reason-Phrase (RFC 3261 §7.2)
      p.response_line_ = true;
      std::size_t sp1 = line.find(' ');
      std::string_view version = line.substr(0, sp1);
      std::string_view code = sp1 == npos ? std::string_view{}
                                          : line.substr(sp1 + 1, line.find(' ', sp1 + 1) - sp1 - 1);
      auto status = detail::parse_decimal(code, 699);
      if (!iequals(version, "SIP/2.0")) {
        p.fail(505, "Version Not Supported");
      } else if (code.size() != 3 || !status || *status < 100) {
        p.fail(400, "Bad Status-Line: invalid status code");
      } else {
        m.status_ = static_cast<int>(*status);
        std::size_t reason_at = sp1 + 1 + code.size() + 1;
        m.reason_ = reason_at < line.size() ? line.substr(reason_at) : std::string_view{};
      }
    } else {
      // Request-Line = Method SP Request-URI SP SIP-Version (RFC 3261 §7.1): exactly one SP
      // between elements (RFC 4475 §3.1.2.8–§3.1.2.10).
      std::size_t sp1 = line.find(' ');
      std::size_t sp2 = line.rfind(' ');
      m.method_token_ = line.substr(0, sp1);
      m.method_ = parse_method(m.method_token_);
      if (sp1 == npos || sp2 == sp1 || !detail::is_token(m.method_token_)) {
        p.fail(400, "Bad Request-Line");
      } else if (is_lws(line.back())) {
        p.fail(400, "Bad Request-Line: trailing whitespace");
      } else if (line[sp1 + 1] == ' ' || line[sp2 - 1] == ' ') {
        p.fail(400, "Bad Request-Line: extra whitespace between elements");
      } else {
        m.request_uri_ = line.substr(sp1 + 1, sp2 - sp1 - 1);
        std::string_view version = line.substr(sp2 + 1);
        if (!iequals(version, "SIP/2.0")) {
          // A well-formed other version is 505 (RFC 4475 §3.1.2.16); anything else is 400.
          bool shaped = version.size() > 6 && iequals(version.substr(0, 4), "SIP/") &&
                        version.find('.') != npos;
          for (char c : version.substr(std::min<std::size_t>(4, version.size()))) {
            shaped = shaped && ((c >= '0' && c <= '9') || c == '.');
          }
          if (shaped) {
            p.fail(505, "Version Not Supported");
          } else {
            p.fail(400, "Bad Request-Line: invalid SIP-Version");
          }
        }
        if (!p.failed()) {
          bool lws = false;
          for (char c : m.request_uri_) {
            lws = lws || is_lws(c);
          }
          auto uri =
              lws ? Expected<detail::UriParts, ParseError>(detail::malformed("Bad URI: whitespace"))
                  : detail::scan_uri(m.request_uri_);
          if (!uri) {
            if (uri.error().status == 416) {
              p.fail(416, "Unsupported URI Scheme");
            } else {
              p.fail(400, retitle(uri.error().reason, "Request-URI"));
            }
          } else if (!uri->headers.empty()) {
            // RFC 3261 §19.1.1 table: headers are not allowed in a Request-URI (RFC 4475
            // §3.1.2.11).
            p.fail(400, "Bad Request-URI: headers not allowed");
          }
        }
      }
    }
  }

  // --- headers ---
  m.headers_.reserve(24);
  std::size_t body_start = npos;
  while (!structural) {
    if (pos >= n) {
      p.fail(400, "Missing empty line after headers");
      break;
    }
    if (data[pos] == '\n') {
      body_start = pos + 1;
      break;
    }
    if (data[pos] == '\r') {
      if (pos + 1 < n && data[pos + 1] == '\n') {
        body_start = pos + 2;
        break;
      }
      p.fail(400, "Bad line ending");
      break;
    }
    if (is_wsp(data[pos])) {
      p.fail(400, "Bad header line: continuation without a header");
      break;
    }
    // The header line and its continuation lines (RFC 3261 §7.3.1 folding).
    std::size_t e = pos;
    std::size_t next = npos;
    std::size_t nl = npos;
    while (true) {
      const void* hit = std::memchr(data + e, '\n', n - e);
      if (hit == nullptr) {
        break;
      }
      nl = static_cast<std::size_t>(static_cast<const char*>(hit) - data);
      next = nl + 1;
      if (next < n && is_wsp(data[next])) {
        e = next;
        continue;
      }
      break;
    }
    if (next == npos) {
      p.fail(400, "Missing empty line after headers");
      break;
    }
    std::size_t end = (data[nl - 1] == '\r') ? nl - 1 : nl;
    if (end - pos > limits.max_header_bytes) {
      // Skipped, not fatal: the headers after it may still address the 400.
      p.fail(400, "Header line too long");
      pos = next;
      continue;
    }
    // Past the limit the headers are still read for the transaction key (to address the
    // 400), but not kept.
    const bool keep = m.headers_.size() < limits.max_headers;
    if (!keep) {
      p.fail(400, "Too many headers");
    }
    std::string_view line = buf.substr(pos, end - pos);
    pos = next;
    std::size_t name_end = 0;
    while (name_end < line.size() && is(line[name_end], detail::kToken)) {
      ++name_end;
    }
    std::size_t colon = detail::skip_lws(line, name_end);
    if (name_end == 0 || colon >= line.size() || line[colon] != ':') {
      p.fail(400, "Bad header line: missing colon");
      continue;
    }
    Header h;
    h.name = line.substr(0, name_end);
    h.value = trim_lws(line.substr(colon + 1));
    h.id = header_id(h.name);
    if (keep) {
      m.headers_.push_back(h);
    }

    // The eager part: the transaction key and dialog identifiers (STYLE practice 3).
    switch (h.id) {
      case HeaderId::kVia:
        if (p.via_ == Found::kNone) {
          p.via_ = Found::kOne;
          m.top_via_ = detail::first_element(h.value);
          if (auto via = detail::scan_via(m.top_via_)) {
            m.branch_ = via->branch;
          } else {
            p.fail(via.error());
          }
        }
        break;
      case HeaderId::kFrom:
      case HeaderId::kTo: {
        bool from = h.id == HeaderId::kFrom;
        if (!p.first_of(from ? p.from_ : p.to_, from ? p.from_value_ : p.to_value_, h.value,
                        from ? "From" : "To")) {
          break;
        }
        std::string_view what = from ? "From" : "To";
        auto na = detail::scan_name_addr(h.value, what);
        if (!na) {
          p.fail(na.error());
          break;
        }
        auto uri = detail::scan_uri(na->uri_text);
        // RFC 4475 §3.3.4: a URI of an unknown scheme in From/To is not a parse error.
        if (!uri && (uri.error().status != 416 || !detail::plausible_absolute_uri(na->uri_text))) {
          p.fail(400, retitle(uri.error().reason, what));
          break;
        }
        (from ? m.from_tag_ : m.to_tag_) = detail::find_tag(na->params);
        break;
      }
      case HeaderId::kCallId:
        if (p.first_of(p.call_id_, p.call_id_value_, h.value, "Call-ID")) {
          if (!valid_call_id(h.value)) {
            p.fail(400, "Bad Call-ID");
          }
          m.call_id_ = h.value;
        }
        break;
      case HeaderId::kCSeq:
        if (p.first_of(p.cseq_, p.cseq_value_, h.value, "CSeq")) {
          if (auto cseq = detail::scan_cseq(h.value)) {
            m.cseq_ = cseq->number;
            m.cseq_method_token_ = cseq->method;
            m.cseq_method_ = parse_method(cseq->method);
          } else {
            p.fail(cseq.error());
          }
        }
        break;
      case HeaderId::kMaxForwards:
        if (p.first_of(p.max_forwards_, p.mf_value_, h.value, "Max-Forwards")) {
          // RFC 3261 §20.22: 1*DIGIT; §16.6 keeps it within 0..255 (RFC 4475 §3.1.2.4).
          if (auto mf = detail::parse_decimal(h.value, 255)) {
            m.max_forwards_ = static_cast<int>(*mf);
          } else {
            p.fail(400, "Bad Max-Forwards");
          }
        }
        break;
      case HeaderId::kContentLength:
        if (p.first_of(p.content_length_, p.cl_value_, h.value, "Content-Length")) {
          if (auto cl = detail::parse_decimal(h.value, 0xffffffffULL)) {
            p.content_length_value_ = *cl;
            if (*cl > limits.max_message_bytes) {
              p.fail(513, "Message Too Large");  // RFC 3261 §21.5.14: a body we never take
            }
          } else {
            p.fail(400, "Bad Content-Length");
          }
        }
        break;
      case HeaderId::kOther:
        if (h.name.size() == 4 && ieq(h.name, "date") && !valid_sip_date(h.value)) {
          p.fail(400, "Bad Date: must be an RFC 1123 date in GMT");
        }
        break;
      default:
        break;
    }
  }

  // --- mandatory headers (RFC 3261 §8.1.1) and cross-checks ---
  if (!structural) {
    if (p.to_ == Found::kNone) {
      p.fail(400, "Missing To");
    }
    if (p.from_ == Found::kNone) {
      p.fail(400, "Missing From");
    }
    if (p.call_id_ == Found::kNone) {
      p.fail(400, "Missing Call-ID");
    }
    if (p.cseq_ == Found::kNone) {
      p.fail(400, "Missing CSeq");
    }
    if (p.via_ == Found::kNone) {
      p.fail(400, "Missing Via");
    }
    // RFC 3261 §8.1.1.5: the CSeq method matches the request method (RFC 4475 §3.1.2.17).
    if (!p.response_line_ && !p.failed() && m.cseq_method_token_ != m.method_token_) {
      p.fail(400, "Bad CSeq: method mismatch");
    }
  }

  // --- body (RFC 3261 §18.3, §20.14) ---
  if (body_start != npos && !p.failed()) {
    std::size_t available = n - body_start;
    if (p.content_length_ == Found::kNone) {
      m.body_ = buf.substr(body_start);
    } else if (p.content_length_value_ > available) {
      p.fail(400, "Content-Length larger than message");
    } else {
      // A datagram's bytes past Content-Length are discarded (RFC 4475 §3.1.1.8).
      m.body_ = buf.substr(body_start, static_cast<std::size_t>(p.content_length_value_));
    }
  }

  if (!p.failed()) {
    return m;
  }

  ParseError err;
  err.kind = ParseError::Kind::kMalformed;
  err.status = p.err_status_;
  err.reason = std::move(p.err_reason_);
  // A response needs a request (never a response, never an ACK: RFC 3261 §17.1.1.3) and a
  // Via to send it to. RFC 3261 §8.2.6.2 copies From, To, Call-ID and CSeq: those the
  // request has are copied as read, a missing one stays missing (RFC 4475 §3.3.1 "insuf"
  // still wants its 400). A UAC matches the response by the Via branch and the CSeq method.
  if (structural) {
    err.drop_reason = kDropNoStartLine;
  } else if (p.response_line_) {
    err.drop_reason = kDropResponse;
  } else if (m.method_token_ == "ACK") {
    err.drop_reason = kDropAck;
  } else if (p.via_ == Found::kNone) {
    err.drop_reason = kDropNoVia;
  }
  err.can_respond = err.drop_reason.empty();
  if (err.can_respond) {
    MessageBuilder b = MessageBuilder::response(err.status, err.reason);
    for (const Header& h : m.headers_) {
      if (h.id == HeaderId::kVia) {
        b.header(HeaderId::kVia, h.value);
      }
    }
    if (p.from_ != Found::kNone) {
      b.header(HeaderId::kFrom, p.from_value_);
    }
    if (p.to_ != Found::kNone) {
      if (m.to_tag_.empty()) {
        b.header(HeaderId::kTo, std::string(p.to_value_) + ";tag=" +
                                    error_to_tag(p.call_id_value_, p.cseq_value_, m.top_via_));
      } else {
        b.header(HeaderId::kTo, p.to_value_);
      }
    }
    if (p.call_id_ != Found::kNone) {
      b.header(HeaderId::kCallId, p.call_id_value_);
    }
    if (p.cseq_ != Found::kNone) {
      b.header(HeaderId::kCSeq, p.cseq_value_);
    }
    err.response = b.str();
    err.top_via = std::string(m.top_via_);
  }
  return Unexpected<ParseError>(std::move(err));
}

std::size_t skip_keepalives(std::string_view stream) {
  std::size_t i = 0;
  while (i < stream.size() && (stream[i] == '\r' || stream[i] == '\n')) {
    ++i;
  }
  return i;
}

NextMessage next_message(std::string_view s) {
  s = s.substr(skip_keepalives(s));
  if (s.empty()) {
    return NextMessage::kNeedMore;
  }
  const std::size_t nl = s.find('\n');
  std::string_view line = s.substr(0, nl);
  if (!line.empty() && line.back() == '\r') {
    line.remove_suffix(1);
  }
  const bool whole = nl != npos;
  // A prefix of `want` or starting with it.
  auto prefix_of = [](std::string_view have, std::string_view want) {
    std::size_t n = std::min(have.size(), want.size());
    return iequals(have.substr(0, n), want.substr(0, n));
  };
  if (prefix_of(line, "SIP/")) {
    return line.size() >= 4 ? NextMessage::kYes
                            : (whole ? NextMessage::kNo : NextMessage::kNeedMore);
  }
  // Method SP Request-URI SP SIP-Version: a token, a URI with a scheme, "SIP/".
  std::size_t i = 0;
  while (i < line.size() && is(line[i], detail::kToken)) {
    ++i;
  }
  if (i == line.size()) {
    return (i > 0 && !whole) ? NextMessage::kNeedMore : NextMessage::kNo;
  }
  if (i == 0 || line[i] != ' ') {
    return NextMessage::kNo;
  }
  const std::size_t uri = i + 1;
  const std::size_t sp2 = line.find(' ', uri);
  std::string_view ruri = line.substr(uri, sp2 == npos ? npos : sp2 - uri);
  std::size_t colon = ruri.find(':');
  if (colon == 0 || (colon == npos && (sp2 != npos || whole))) {
    return NextMessage::kNo;
  }
  if (sp2 == npos) {
    return whole ? NextMessage::kNo : NextMessage::kNeedMore;
  }
  return prefix_of(line.substr(sp2 + 1), "SIP/") ? NextMessage::kYes : NextMessage::kNo;
}

Expected<std::size_t, ParseError> frame_length(std::string_view stream, const ParseLimits& limits) {
  auto incomplete = [] {
    return Unexpected<ParseError>(ParseError{ParseError::Kind::kIncomplete, 0, {}, false});
  };
  const std::size_t skip = skip_keepalives(stream);
  std::string_view s = stream.substr(skip);
  // Walk the head line by line up to the empty line; look for Content-Length on the way.
  std::size_t pos = 0;
  std::size_t head_end = npos;
  bool have_cl = false;
  std::uint64_t cl = 0;
  bool bad_cl = false;
  bool first_line = true;
  while (true) {
    std::size_t nl = s.find('\n', pos);
    if (nl == npos) {
      break;
    }
    std::size_t end = (nl > pos && s[nl - 1] == '\r') ? nl - 1 : nl;
    if (end == pos) {
      head_end = nl + 1;
      break;
    }
    std::string_view line = s.substr(pos, end - pos);
    pos = nl + 1;
    if (first_line || is_wsp(line[0])) {
      first_line = false;
      continue;  // the start line, or a continuation of a header nobody frames on
    }
    std::size_t colon = line.find(':');
    if (colon == npos) {
      continue;  // parse() reports it; framing only needs the length
    }
    std::string_view name = trim_lws(line.substr(0, colon));
    if (header_id(name) != HeaderId::kContentLength) {
      continue;
    }
    // A folded Content-Length value is not worth supporting: framing uses this line.
    auto v = detail::parse_decimal(trim_lws(line.substr(colon + 1)), 0xffffffffULL);
    if (!v || (have_cl && *v != cl)) {
      bad_cl = true;
    }
    if (v) {
      cl = *v;
    }
    have_cl = true;
  }
  if (head_end == npos) {
    if (s.size() > limits.max_message_bytes) {
      return detail::malformed("Message Too Large", 513);
    }
    return incomplete();
  }
  if (bad_cl) {
    return detail::malformed("Bad Content-Length");
  }
  // RFC 3261 §18.3: on a stream Content-Length is mandatory; without it the frame has no end.
  if (!have_cl) {
    return detail::malformed("Missing Content-Length");
  }
  std::uint64_t total = static_cast<std::uint64_t>(head_end) + cl;
  if (total > limits.max_message_bytes) {
    return detail::malformed("Message Too Large", 513);
  }
  if (s.size() < total) {
    return incomplete();
  }
  return skip + static_cast<std::size_t>(total);
}

}  // namespace cohort::sip
