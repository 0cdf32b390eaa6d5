// Typed header values parsed on demand (RFC 3261 §19, §20, §25), the message builder and
// the response helpers. The scanners live in grammar.cpp and are shared with parse().
#include "sip/headers.hpp"

#include <algorithm>
#include <cassert>
#include <string>
#include <utility>

#include "sip/grammar.hpp"

namespace cohort::sip {

using detail::iequals;
using detail::trim_lws;

namespace {

std::vector<Param> split_params(std::string_view span) {
  std::vector<Param> out;
  detail::for_each_param(span, [&out](std::string_view n, std::string_view v, bool has) {
    out.push_back(Param{n, v, has});
  });
  return out;
}

Uri to_uri(const detail::UriParts& p) {
  Uri u;
  u.scheme = p.scheme;
  u.user = p.user;
  u.password = p.password;
  u.host = p.host;
  u.port = p.port;
  if (!p.params.empty()) {
    u.params = split_params(p.params);
  }
  u.headers = p.headers;
  return u;
}

std::string unescaped_or_raw(std::string_view s) {
  auto u = unescape(s);
  return u ? std::move(*u) : std::string(s);
}

bool iequals_unescaped(std::string_view a, std::string_view b) {
  return iequals(unescaped_or_raw(a), unescaped_or_raw(b));
}

const Param* find(const std::vector<Param>& params, std::string_view name) {
  for (const Param& p : params) {
    if (iequals(p.name, name)) {
      return &p;
    }
  }
  return nullptr;
}

// The parameters named in both lists have equal values (case-insensitive, unescaped). A
// name given twice counts by its first occurrence, on both sides, so that the relation
// stays symmetric.
bool shared_params_match(const std::vector<Param>& a, const std::vector<Param>& b) {
  for (const Param& p : a) {
    if (find(a, p.name) != &p) {
      continue;
    }
    const Param* q = find(b, p.name);
    if (q != nullptr && !iequals_unescaped(p.value, q->value)) {
      return false;
    }
  }
  return true;
}

// RFC 3261 §19.1.4: headers compare as an unordered set; names case-insensitively, values
// after unescaping.
std::vector<std::pair<std::string, std::string>> uri_header_set(std::string_view headers) {
  std::vector<std::pair<std::string, std::string>> out;
  std::size_t i = 0;
  while (i < headers.size()) {
    std::size_t amp = headers.find('&', i);
    std::string_view h = headers.substr(i, amp == std::string_view::npos ? amp : amp - i);
    std::size_t eq = h.find('=');
    std::string name = unescaped_or_raw(h.substr(0, eq));
    for (char& c : name) {
      c = detail::lower(c);
    }
    out.emplace_back(std::move(name), eq == std::string_view::npos
                                          ? std::string()
                                          : unescaped_or_raw(h.substr(eq + 1)));
    if (amp == std::string_view::npos) {
      break;
    }
    i = amp + 1;
  }
  std::sort(out.begin(), out.end());
  return out;
}

// RFC 3966 §4: telephone numbers compare without their visual separators.
std::string tel_digits(std::string_view number) {
  std::string out;
  for (char c : number) {
    if (c != '-' && c != '.' && c != '(' && c != ')') {
      out += detail::lower(c);
    }
  }
  return out;
}

std::string strip_brackets(std::string_view host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  return std::string(host);
}

}  // namespace

std::optional<std::string_view> find_param(const std::vector<Param>& params,
                                           std::string_view name) {
  if (const Param* p = find(params, name)) {
    return p->value;
  }
  return std::nullopt;
}

Expected<Uri, ParseError> parse_uri(std::string_view text) {
  auto parts = detail::scan_uri(text);
  if (!parts) {
    return Unexpected<ParseError>(std::move(parts).error());
  }
  return to_uri(*parts);
}

std::optional<std::string> unescape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    if (i + 2 >= text.size() || !detail::is(text[i + 1], detail::kHex) ||
        !detail::is(text[i + 2], detail::kHex)) {
      return std::nullopt;
    }
    auto hex = [](char c) { return c <= '9' ? c - '0' : detail::lower(c) - 'a' + 10; };
    out += static_cast<char>(hex(text[i + 1]) * 16 + hex(text[i + 2]));
    i += 2;
  }
  return out;
}

bool equivalent(const Uri& a, const Uri& b) {
  if (a.scheme != b.scheme) {
    return false;
  }
  if (a.scheme == Uri::Scheme::kTel) {
    // RFC 3966 §4: same number, and the same set of parameters, all case-insensitively.
    if (tel_digits(unescaped_or_raw(a.user)) != tel_digits(unescaped_or_raw(b.user))) {
      return false;
    }
    for (const Param& p : a.params) {
      if (find(b.params, p.name) == nullptr) {
        return false;
      }
    }
    for (const Param& p : b.params) {
      if (find(a.params, p.name) == nullptr) {
        return false;
      }
    }
    return shared_params_match(a.params, b.params);
  }
  // RFC 3261 §19.1.4: userinfo case-sensitive after unescaping; host case-insensitive; a
  // default port does not match an absent one.
  if (unescaped_or_raw(a.user) != unescaped_or_raw(b.user) ||
      unescaped_or_raw(a.password) != unescaped_or_raw(b.password) || !iequals(a.host, b.host) ||
      a.port != b.port) {
    return false;
  }
  // user, ttl, method, maddr and transport must match when present in either URI; any
  // other parameter only when present in both.
  static constexpr std::string_view kStrict[] = {"user", "ttl", "method", "maddr", "transport"};
  for (std::string_view name : kStrict) {
    const Param* pa = find(a.params, name);
    const Param* pb = find(b.params, name);
    if ((pa == nullptr) != (pb == nullptr)) {
      return false;
    }
    if (pa != nullptr && !iequals_unescaped(pa->value, pb->value)) {
      return false;
    }
  }
  if (!shared_params_match(a.params, b.params)) {
    return false;
  }
  // Header components are never ignored.
  return uri_header_set(a.headers) == uri_header_set(b.headers);
}

std::string_view NameAddr::tag() const {
  return find_param(params, "tag").value_or(std::string_view{});
}

Expected<NameAddr, ParseError> parse_name_addr(std::string_view text) {
  auto parts = detail::scan_name_addr(text, "address");
  if (!parts) {
    return Unexpected<ParseError>(std::move(parts).error());
  }
  auto uri = parse_uri(parts->uri_text);
  if (!uri) {
    return Unexpected<ParseError>(std::move(uri).error());
  }
  NameAddr out;
  out.display_name = parts->display_name;
  out.uri_text = parts->uri_text;
  out.uri = std::move(*uri);
  out.params = split_params(parts->params);
  return out;
}

std::string_view Via::branch() const {
  return find_param(params, "branch").value_or(std::string_view{});
}

std::optional<std::string_view> Via::received() const {
  return find_param(params, "received");
}

std::optional<std::uint16_t> Via::rport() const {
  const Param* p = find(params, "rport");
  if (p == nullptr) {
    return std::nullopt;
  }
  if (!p->has_value) {
    return std::uint16_t{0};
  }
  auto v = detail::parse_decimal(p->value, 65535);
  return static_cast<std::uint16_t>(v.value_or(0));
}

Expected<Via, ParseError> parse_via(std::string_view text) {
  auto parts = detail::scan_via(text);
  if (!parts) {
    return Unexpected<ParseError>(std::move(parts).error());
  }
  Via v;
  v.protocol = parts->protocol;
  v.transport = parts->transport;
  v.host = parts->host;
  v.port = parts->port;
  v.params = split_params(parts->params);
  return v;
}

Expected<CSeq, ParseError> parse_cseq(std::string_view text) {
  auto parts = detail::scan_cseq(text);
  if (!parts) {
    return Unexpected<ParseError>(std::move(parts).error());
  }
  return CSeq{parts->number, parse_method(parts->method), parts->method};
}

Expected<ContactList, ParseError> parse_contacts(const Message& m) {
  ContactList out;
  for (std::string_view value : m.header_values(HeaderId::kContact)) {
    // RFC 3261 §10.2.2: "*" stands alone, for removing every binding.
    if (value == "*") {
      out.star = true;
      continue;
    }
    auto na = parse_name_addr(value);
    if (!na) {
      ParseError e = std::move(na).error();
      if (e.reason.rfind("Bad address: ", 0) == 0) {
        e.reason = "Bad Contact: " + e.reason.substr(13);
      } else if (e.reason.rfind("Bad URI: ", 0) == 0) {
        e.reason = "Bad Contact: " + e.reason.substr(9);
      }
      return Unexpected<ParseError>(std::move(e));
    }
    out.contacts.push_back(std::move(*na));
  }
  if (out.star && !out.contacts.empty()) {
    return detail::malformed("Bad Contact: '*' mixed with addresses");
  }
  return out;
}

// --- MessageBuilder ------------------------------------------------------------------------

MessageBuilder MessageBuilder::request(Method method, std::string_view request_uri) {
  assert(method != Method::kUnknown);
  MessageBuilder b;
  b.method_ = method;
  const std::string_view token = to_string(method);
  b.head_.reserve(512);
  b.head_ += token;
  b.head_ += ' ';
  b.first_len_ = static_cast<std::uint32_t>(token.size());
  b.second_at_ = static_cast<std::uint32_t>(b.head_.size());
  b.second_len_ = static_cast<std::uint32_t>(request_uri.size());
  b.head_ += request_uri;
  b.head_ += " SIP/2.0\r\n";
  b.entries_.reserve(12);
  return b;
}

MessageBuilder MessageBuilder::response(int status, std::string_view reason) {
  assert(status >= 100 && status <= 699);
  MessageBuilder b;
  b.status_ = status;
  b.head_.reserve(512);
  b.head_ += "SIP/2.0 ";
  b.first_at_ = static_cast<std::uint32_t>(b.head_.size());
  b.head_ += std::to_string(status);
  b.first_len_ = 3;
  b.head_ += ' ';
  b.second_at_ = static_cast<std::uint32_t>(b.head_.size());
  b.second_len_ = static_cast<std::uint32_t>(reason.size());
  b.head_ += reason;
  b.head_ += "\r\n";
  b.entries_.reserve(12);
  return b;
}

void MessageBuilder::append(HeaderId id, std::string_view name, std::string_view value) {
  if (id == HeaderId::kContentLength) {
    return;  // written by str()/message() from the body: a caller's copy would contradict it
  }
  if (id == HeaderId::kContentType) {
    content_type_ = value;
    has_content_type_ = true;
    return;
  }
  Entry e;
  e.id = id;
  e.name_at = static_cast<std::uint32_t>(head_.size());
  e.name_len = static_cast<std::uint32_t>(name.size());
  head_ += name;
  head_ += ": ";
  e.value_at = static_cast<std::uint32_t>(head_.size());
  e.value_len = static_cast<std::uint32_t>(value.size());
  head_ += value;
  head_ += "\r\n";
  entries_.push_back(e);
}

MessageBuilder& MessageBuilder::header(HeaderId id, std::string_view value) {
  assert(id != HeaderId::kOther);
  append(id, header_name(id), value);
  return *this;
}

MessageBuilder& MessageBuilder::header(std::string_view name, std::string_view value) {
  append(header_id(name), name, value);
  return *this;
}

MessageBuilder& MessageBuilder::body(std::string_view content_type, std::string_view body) {
  body_ = body;
  content_type_ = content_type;
  has_content_type_ = true;
  return *this;
}

std::string MessageBuilder::str() const {
  std::string out;
  out.reserve(head_.size() + content_type_.size() + body_.size() + 48);
  out += head_;
  if (has_content_type_) {
    out += "Content-Type: ";
    out += content_type_;
    out += "\r\n";
  }
  out += "Content-Length: ";
  out += std::to_string(body_.size());
  out += "\r\n\r\n";
  out += body_;
  return out;
}

Message MessageBuilder::message() && {
  Message m;
  std::vector<Entry> entries = std::move(entries_);
  const std::size_t content_type_at = head_.size();
  m.buffer_ = str();
  const std::string_view buf = m.buffer_;
  auto view = [&](std::uint32_t at, std::uint32_t len) { return buf.substr(at, len); };
  if (status_ == 0) {
    m.method_ = method_;
    m.method_token_ = view(first_at_, first_len_);
    m.request_uri_ = view(second_at_, second_len_);
  } else {
    m.status_ = status_;
    m.reason_ = view(second_at_, second_len_);
  }
  // The two headers written last, where str() put them.
  std::size_t at = content_type_at;
  if (has_content_type_) {
    entries.push_back(Entry{HeaderId::kContentType, static_cast<std::uint32_t>(at), 12,
                            static_cast<std::uint32_t>(at + 14),
                            static_cast<std::uint32_t>(content_type_.size())});
    at += 14 + content_type_.size() + 2;
  }
  const std::string length = std::to_string(body_.size());
  entries.push_back(Entry{HeaderId::kContentLength, static_cast<std::uint32_t>(at), 14,
                          static_cast<std::uint32_t>(at + 16),
                          static_cast<std::uint32_t>(length.size())});
  m.body_ = buf.substr(buf.size() - body_.size());
  m.headers_.reserve(entries.size());
  bool have_via = false, have_from = false, have_to = false, have_call_id = false,
       have_cseq = false, have_max_forwards = false;
  for (const Entry& e : entries) {
    Header h{e.id, view(e.name_at, e.name_len), view(e.value_at, e.value_len)};
    m.headers_.push_back(h);
    // The eager part, from the values as given (the first of each, as parse() does).
    switch (h.id) {
      case HeaderId::kVia:
        if (!have_via) {
          have_via = true;
          m.top_via_ = detail::first_element(h.value);
          if (auto via = detail::scan_via(m.top_via_)) {
            m.branch_ = via->branch;
          }
        }
        break;
      case HeaderId::kFrom:
      case HeaderId::kTo: {
        bool& have = h.id == HeaderId::kFrom ? have_from : have_to;
        if (!have) {
          have = true;
          if (auto na = detail::scan_name_addr(h.value, header_name(h.id))) {
            (h.id == HeaderId::kFrom ? m.from_tag_ : m.to_tag_) = detail::find_tag(na->params);
          }
        }
        break;
      }
      case HeaderId::kCallId:
        if (!have_call_id) {
          have_call_id = true;
          m.call_id_ = h.value;
        }
        break;
      case HeaderId::kCSeq:
        if (!have_cseq) {
          have_cseq = true;
          if (auto cseq = detail::scan_cseq(h.value)) {
            m.cseq_ = cseq->number;
            m.cseq_method_token_ = cseq->method;
            m.cseq_method_ = parse_method(cseq->method);
          }
        }
        break;
      case HeaderId::kMaxForwards:
        if (!have_max_forwards) {
          have_max_forwards = true;
          if (auto mf = detail::parse_decimal(h.value, 255)) {
            m.max_forwards_ = static_cast<int>(*mf);
          }
        }
        break;
      default:
        break;
    }
  }
  return m;
}

// --- responses -----------------------------------------------------------------------------

std::string stamp_via(std::string_view top_via, std::string_view source_ip,
                      std::uint16_t source_port) {
  auto via = detail::scan_via(top_via);
  if (!via) {
    return std::string(top_via);
  }
  std::string ip = strip_brackets(source_ip);
  bool has_rport = false;
  detail::for_each_param(via->params, [&has_rport](std::string_view n, std::string_view, bool) {
    has_rport = has_rport || iequals(n, "rport");
  });
  // RFC 3261 §18.2.1: received when sent-by differs from the source; RFC 3581 §4: always
  // when the client asked for rport.
  bool add_received = has_rport || !iequals(strip_brackets(via->host), ip);

  std::string_view head = top_via;
  if (!via->params.empty()) {
    head = top_via.substr(0, static_cast<std::size_t>(via->params.data() - top_via.data()));
  }
  std::string out(trim_lws(head));
  // Copy each raw parameter (quoted values intact), dropping a stale received and filling
  // an empty rport.
  std::string_view params = via->params;
  std::size_t i = 0;
  while (i < params.size()) {
    std::size_t b = i + (params[i] == ';' ? 1 : 0);
    std::size_t e = b;
    bool quoted = false;
    while (e < params.size() && (quoted || params[e] != ';')) {
      if (params[e] == '\\' && quoted) {
        ++e;
      } else if (params[e] == '"') {
        quoted = !quoted;
      }
      ++e;
    }
    e = std::min(e, params.size());
    std::string_view raw = trim_lws(params.substr(b, e - b));
    std::string_view name = trim_lws(raw.substr(0, raw.find('=')));
    i = e;
    if (iequals(name, "received")) {
      continue;
    }
    out += ';';
    if (iequals(name, "rport") && raw.find('=') == std::string_view::npos) {
      out += "rport=";
      out += std::to_string(source_port);
    } else {
      out += raw;
    }
  }
  if (add_received) {
    out += ";received=";
    out += ip;
  }
  return out;
}

MessageBuilder make_response(const Message& req, int status, std::string_view reason,
                             std::string_view to_tag, std::string_view top_via) {
  MessageBuilder b =
      MessageBuilder::response(status, reason.empty() ? default_reason(status) : reason);
  // RFC 3261 §8.2.6.2: Via values in order, From, To (+ tag), Call-ID, CSeq copied.
  bool first = true;
  for (std::string_view via : req.header_values(HeaderId::kVia)) {
    b.header(HeaderId::kVia, first && !top_via.empty() ? top_via : via);
    first = false;
  }
  if (auto from = req.header(HeaderId::kFrom)) {
    b.header(HeaderId::kFrom, *from);
  }
  if (auto to = req.header(HeaderId::kTo)) {
    if (req.to_tag().empty() && status > 100 && !to_tag.empty()) {
      std::string value(*to);
      value += ";tag=";
      value += to_tag;
      b.header(HeaderId::kTo, value);
    } else {
      b.header(HeaderId::kTo, *to);
    }
  }
  b.header(HeaderId::kCallId, req.call_id());
  if (auto cseq = req.header(HeaderId::kCSeq)) {
    b.header(HeaderId::kCSeq, *cseq);
  }
  // RFC 3261 §8.2.6.1: a 100 echoes the request's Timestamp.
  if (status == 100) {
    if (auto ts = req.header(HeaderId::kTimestamp)) {
      b.header(HeaderId::kTimestamp, *ts);
    }
  }
  return b;
}

std::string_view default_reason(int status) {
  // RFC 3261 §21 and the extensions a PBX meets (RFC 3262, 3265, 3329, 4028, 4412, 5079,
  // 5360, 5393, 6086, 6228, 8197, 8688).
  switch (status) {
    case 100:
      return "Trying";
    case 180:
      return "Ringing";
    case 181:
      return "Call Is Being Forwarded";
    case 182:
      return "Queued";
    case 183:
      return "Session Progress";
    case 199:
      return "Early Dialog Terminated";
    case 200:
      return "OK";
    case 202:
      return "Accepted";
    case 204:
      return "No Notification";
    case 300:
      return "Multiple Choices";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Moved Temporarily";
    case 305:
      return "Use Proxy";
    case 380:
      return "Alternative Service";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 402:
      return "Payment Required";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 406:
      return "Not Acceptable";
    case 407:
      return "Proxy Authentication Required";
    case 408:
      return "Request Timeout";
    case 410:
      return "Gone";
    case 412:
      return "Conditional Request Failed";
    case 413:
      return "Request Entity Too Large";
    case 414:
      return "Request-URI Too Long";
    case 415:
      return "Unsupported Media Type";
    case 416:
      return "Unsupported URI Scheme";
    case 417:
      return "Unknown Resource-Priority";
    case 420:
      return "Bad Extension";
    case 421:
      return "Extension Required";
    case 422:
      return "Session Interval Too Small";
    case 423:
      return "Interval Too Brief";
    case 428:
      return "Use Identity Header";
    case 429:
      return "Provide Referrer Identity";
    case 433:
      return "Anonymity Disallowed";
    case 436:
      return "Bad Identity-Info";
    case 437:
      return "Unsupported Certificate";
    case 438:
      return "Invalid Identity Header";
    case 470:
      return "Consent Needed";
    case 480:
      return "Temporarily Unavailable";
    case 481:
      return "Call/Transaction Does Not Exist";
    case 482:
      return "Loop Detected";
    case 483:
      return "Too Many Hops";
    case 484:
      return "Address Incomplete";
    case 485:
      return "Ambiguous";
    case 486:
      return "Busy Here";
    case 487:
      return "Request Terminated";
    case 488:
      return "Not Acceptable Here";
    case 489:
      return "Bad Event";
    case 491:
      return "Request Pending";
    case 493:
      return "Undecipherable";
    case 494:
      return "Security Agreement Required";
    case 500:
      return "Server Internal Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Server Time-out";
    case 505:
      return "Version Not Supported";
    case 513:
      return "Message Too Large";
    case 555:
      return "Push Notification Service Not Supported";
    case 580:
      return "Precondition Failure";
    case 600:
      return "Busy Everywhere";
    case 603:
      return "Decline";
    case 604:
      return "Does Not Exist Anywhere";
    case 606:
      return "Not Acceptable";
    case 607:
      return "Unwanted";
    case 608:
      return "Rejected";
    default:
      return "Unknown";
  }
}

}  // namespace cohort::sip
