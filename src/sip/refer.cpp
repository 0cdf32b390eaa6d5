// Refer-To (RFC 3515 §2.1), Replaces (RFC 3891 §6.1) and the sipfrag of a transfer NOTIFY,
// read from the RFC grammar.

#include "sip/refer.hpp"

#include "sip/grammar.hpp"
#include "sip/headers.hpp"

namespace cohort::sip {
namespace {

using detail::malformed;

/// word = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~" / "(" /
/// ")" / "<" / ">" / ":" / "\" / DQUOTE / "/" / "[" / "]" / "?" / "{" / "}"), with the one
/// leniency the Call-ID header is read with ('='): a Replaces names a Call-ID we accepted.
bool is_word(std::string_view s) {
  if (s.empty()) {
    return false;
  }
  for (char c : s) {
    if (!detail::is(c, detail::kCallIdWord)) {
      return false;
    }
  }
  return true;
}

/// callid = word [ "@" word ]
bool is_callid(std::string_view s) {
  const std::size_t at = s.find('@');
  if (at == std::string_view::npos) {
    return is_word(s);
  }
  return is_word(s.substr(0, at)) && is_word(s.substr(at + 1));
}

bool is_refer_to_name(std::string_view name) {
  return detail::iequals(name, "refer-to") || detail::iequals(name, "r");
}

}  // namespace

Expected<Replaces, ParseError> parse_replaces(std::string_view value) {
  value = detail::trim_lws(value);
  const std::size_t semi = value.find(';');
  const std::string_view call_id = detail::trim_lws(value.substr(0, semi));
  if (!is_callid(call_id)) {
    return malformed("Bad Replaces: call-id");
  }
  Replaces out;
  out.call_id = std::string(call_id);
  bool to = false;
  bool from = false;
  if (semi != std::string_view::npos) {
    const std::string_view params = value.substr(semi);
    if (auto problem = detail::check_generic_params(params)) {
      return malformed(detail::with_what("Replaces", *problem));
    }
    bool bad = false;
    detail::for_each_param(params, [&](std::string_view name, std::string_view v, bool has) {
      if (detail::iequals(name, "to-tag")) {
        bad = bad || to || !has || !detail::is_token(v);
        out.to_tag = std::string(v);
        to = true;
      } else if (detail::iequals(name, "from-tag")) {
        bad = bad || from || !has || !detail::is_token(v);
        out.from_tag = std::string(v);
        from = true;
      } else if (detail::iequals(name, "early-only")) {
        bad = bad || has;
        out.early_only = true;
      }
    });
    if (bad) {
      return malformed("Bad Replaces: to-tag, from-tag or early-only");
    }
  }
  if (!to || !from) {
    return malformed("Bad Replaces: to-tag and from-tag are required");
  }
  return out;
}

Expected<ReferTo, ParseError> parse_refer_to(const Message& refer) {
  std::optional<std::string_view> value;
  for (const Header& h : refer.headers()) {
    if (h.id != HeaderId::kOther || !is_refer_to_name(h.name)) {
      continue;
    }
    // One Refer-To, holding one address (a comma outside <> or quotes would be a second).
    if (value || detail::first_element(h.value).size() != h.value.size()) {
      return malformed("Bad Refer-To: more than one");
    }
    value = h.value;
  }
  if (!value) {
    return malformed("Missing Refer-To");
  }
  auto parts = detail::scan_name_addr(*value, "Refer-To");
  if (!parts) {
    return Unexpected<ParseError>(std::move(parts).error());
  }
  auto uri = parse_uri(parts->uri_text);
  if (!uri) {
    ParseError e = std::move(uri).error();
    e.reason = detail::with_what("Refer-To", e.reason);
    return Unexpected<ParseError>(std::move(e));
  }
  ReferTo out;
  std::string_view text = parts->uri_text;
  if (const std::size_t q = text.find('?'); q != std::string_view::npos) {
    text = text.substr(0, q);
  }
  out.uri = std::string(text);
  auto user = unescape(uri->user);
  if (!user) {
    return malformed("Bad Refer-To: user part escape");
  }
  out.user = std::move(*user);
  out.host = std::string(uri->host);
  // headers = "?" header *( "&" header ); header = hname "=" hvalue (RFC 3261 §25.1)
  std::string_view headers = uri->headers;
  while (!headers.empty()) {
    const std::size_t amp = headers.find('&');
    const std::string_view header = headers.substr(0, amp);
    headers = amp == std::string_view::npos ? std::string_view() : headers.substr(amp + 1);
    const std::size_t eq = header.find('=');
    if (eq == std::string_view::npos || eq == 0) {
      return malformed("Bad Refer-To: URI header without a value");
    }
    auto name = unescape(header.substr(0, eq));
    auto hvalue = unescape(header.substr(eq + 1));
    if (!name || !hvalue) {
      return malformed("Bad Refer-To: URI header escape");
    }
    if (!detail::iequals(*name, "replaces")) {
      continue;
    }
    if (out.replaces) {
      return malformed("Bad Refer-To: more than one Replaces");
    }
    auto replaces = parse_replaces(*hvalue);
    if (!replaces) {
      ParseError e = std::move(replaces).error();
      e.reason = "Bad Refer-To: " + e.reason;
      return Unexpected<ParseError>(std::move(e));
    }
    out.replaces = std::move(*replaces);
  }
  return out;
}

std::string sipfrag(int status, std::string_view reason) {
  std::string out = "SIP/2.0 ";
  out += std::to_string(status);
  out.push_back(' ');
  out += reason.empty() ? default_reason(status) : reason;
  out += "\r\n";
  return out;
}

}  // namespace cohort::sip
