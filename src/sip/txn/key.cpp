#include "sip/txn/key.hpp"

#include <iterator>

#include <fmt/format.h>

#include "common/text.hpp"
#include "sip/headers.hpp"
#include "sip/txn/branch.hpp"

namespace cohort::sip::txn {
namespace {

// Fields are joined with '\n', which no single-line header value contains; the top Via, the
// only raw value that may hold a folded line break, is always the last field.
constexpr char kSep = '\n';

// §17.2.3: "the sent-by value in the top Via of the request is equal to the one in the
// request that created the transaction". Hosts compare case-insensitively; a Via that does
// not parse is compared whole, which still matches its own byte-identical retransmission.
void append_sent_by(std::string& out, const sip::Message& request) {
  auto via = sip::parse_via(request.top_via());
  if (!via) {
    out += request.top_via();
    return;
  }
  for (char c : via->host) {
    out.push_back(text::ascii_lower(c));
  }
  if (via->port) {
    fmt::format_to(std::back_inserter(out), ":{}", *via->port);
  }
}

}  // namespace

bool is_rfc3261_branch(std::string_view branch) {
  return branch.starts_with(kMagicCookie);
}

std::string_view method_text(const sip::Message& message) {
  if (message.is_request()) {
    return message.method() == sip::Method::kUnknown ? message.method_token()
                                                     : sip::to_string(message.method());
  }
  return message.cseq_method() == sip::Method::kUnknown ? message.cseq_method_token()
                                                        : sip::to_string(message.cseq_method());
}

std::string server_key(const sip::Message& request, std::string_view as_method) {
  std::string_view method = as_method;
  if (method.empty()) {
    method = request.method() == sip::Method::kAck ? sip::to_string(sip::Method::kInvite)
                                                   : method_text(request);
  }
  if (is_rfc3261_branch(request.branch())) {
    std::string key;
    key.reserve(request.branch().size() + method.size() + request.top_via().size() + 4);
    key += '3';
    key += kSep;
    key += request.branch();
    key += kSep;
    key += method;
    key += kSep;
    append_sent_by(key, request);
    return key;
  }
  return rfc2543_key(request, request.to_tag(), method);
}

std::string rfc2543_key(const sip::Message& request, std::string_view to_tag,
                        std::string_view method) {
  // §17.2.3: Request-URI, To tag, From tag, Call-ID, CSeq (number and method) and top Via.
  return fmt::format("2{}{}{}{}{}{}{}{}{}{}{}{}{}{}", kSep, request.request_uri(), kSep, to_tag,
                     kSep, request.from_tag(), kSep, request.call_id(), kSep, request.cseq(), kSep,
                     method, kSep, text::trim(request.top_via()));
}

std::string client_key(const sip::Message& message) {
  return fmt::format("{}{}{}", message.branch(), kSep, method_text(message));
}

std::string merge_key(const sip::Message& request) {
  if (!request.to_tag().empty() || request.method() == sip::Method::kAck) {
    return {};
  }
  return fmt::format("{}{}{}{}{}{}{}", request.from_tag(), kSep, request.call_id(), kSep,
                     request.cseq(), kSep, method_text(request));
}

}  // namespace cohort::sip::txn
