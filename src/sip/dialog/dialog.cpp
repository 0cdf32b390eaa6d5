#include "sip/dialog/dialog.hpp"

#include <string>

#include "sip/grammar.hpp"

namespace cohort::sip::dialog {
namespace {

using detail::malformed;

/// The URI of the first Contact of `m`, if any.
std::optional<std::string> contact_uri(const Message& m) {
  auto contacts = parse_contacts(m);
  if (!contacts || contacts->star || contacts->contacts.empty()) {
    return std::nullopt;
  }
  return std::string(contacts->contacts.front().uri_text);
}

std::vector<std::string> record_route(const Message& m, bool reversed) {
  std::vector<std::string_view> rr = m.header_values(HeaderId::kRecordRoute);
  std::vector<std::string> out;
  out.reserve(rr.size());
  if (reversed) {
    for (auto it = rr.rbegin(); it != rr.rend(); ++it) {
      out.emplace_back(detail::trim_lws(*it));
    }
  } else {
    for (std::string_view v : rr) {
      out.emplace_back(detail::trim_lws(v));
    }
  }
  return out;
}

/// The To value with `tag` appended when it has no tag yet.
std::string with_tag(std::string_view header, std::string_view tag) {
  std::string out(header);
  auto na = parse_name_addr(header);
  if (!tag.empty() && na && na->tag().empty()) {
    out += ";tag=";
    out += tag;
  }
  return out;
}

/// A Route entry's URI as a Request-URI (§12.2.1.1 strict routing): without the headers
/// component and the `method` parameter, which a Request-URI may not carry (§19.1.1).
std::string as_request_uri(std::string_view uri) {
  uri = uri.substr(0, uri.find('?'));
  std::string out;
  std::size_t semi = uri.find(';');
  out.append(uri.substr(0, semi));
  while (semi != std::string_view::npos) {
    std::size_t next = uri.find(';', semi + 1);
    std::string_view param = uri.substr(semi, next == std::string_view::npos ? next : next - semi);
    std::string_view name =
        param.substr(1, param.find('=') == std::string_view::npos ? std::string_view::npos
                                                                  : param.find('=') - 1);
    if (!detail::iequals(detail::trim_lws(name), "method")) {
      out.append(param);
    }
    semi = next;
  }
  return out;
}

MessageBuilder start_request(const Dialog& d, Method method, std::string_view via, int max_forwards,
                             std::uint32_t cseq) {
  RequestTarget target = request_target(d);
  MessageBuilder b = MessageBuilder::request(method, target.request_uri);
  b.header(HeaderId::kVia, via);
  b.header(HeaderId::kMaxForwards, std::to_string(max_forwards));
  for (const std::string& r : target.routes) {
    b.header(HeaderId::kRoute, r);
  }
  b.header(HeaderId::kFrom, d.local_header);
  b.header(HeaderId::kTo, d.remote_header);
  b.header(HeaderId::kCallId, d.call_id);
  std::string cseq_value = std::to_string(cseq);
  cseq_value.push_back(' ');
  cseq_value.append(to_string(method));
  b.header(HeaderId::kCSeq, cseq_value);
  return b;
}

}  // namespace

std::string_view to_string(DialogState s) {
  switch (s) {
    case DialogState::kEarly:
      return "early";
    case DialogState::kConfirmed:
      return "confirmed";
    case DialogState::kTerminated:
      return "terminated";
  }
  return "terminated";
}

bool is_target_refresh(Method method) {
  return method == Method::kInvite || method == Method::kUpdate || method == Method::kSubscribe ||
         method == Method::kNotify || method == Method::kRefer;
}

Expected<SentRequest, ParseError> sent_request(const Message& request, bool secure) {
  auto from = request.header(HeaderId::kFrom);
  auto to = request.header(HeaderId::kTo);
  if (!from || !to || request.call_id().empty()) {
    return malformed("Request without From, To or Call-ID");
  }
  SentRequest s;
  s.call_id = std::string(request.call_id());
  s.from_header = std::string(*from);
  s.from_tag = std::string(request.from_tag());
  s.to_header = std::string(*to);
  s.request_uri = std::string(request.request_uri());
  s.cseq = request.cseq();
  s.secure = secure;
  return s;
}

Expected<Dialog, ParseError> uas_dialog(const Message& request, std::string_view local_tag,
                                        bool secure, DialogState state) {
  auto from = request.header(HeaderId::kFrom);
  auto to = request.header(HeaderId::kTo);
  if (!from || !to || request.call_id().empty()) {
    return malformed("Request without From, To or Call-ID");
  }
  if (local_tag.empty()) {
    return malformed("A dialog needs a local tag");
  }
  auto target = contact_uri(request);
  if (!target) {
    return malformed("Missing Contact");
  }
  Dialog d;
  d.call_id = std::string(request.call_id());
  d.local_tag = std::string(local_tag);
  d.remote_tag = std::string(request.from_tag());
  d.local_header = with_tag(*to, local_tag);
  d.remote_header = std::string(*from);
  d.remote_cseq = request.cseq();
  d.remote_target = std::move(*target);
  d.route_set = record_route(request, false);
  d.secure = secure;
  d.state = state;
  return d;
}

Expected<Dialog, ParseError> uac_dialog(const SentRequest& request, const Message& response) {
  auto to = response.header(HeaderId::kTo);
  if (!to || response.status() < 101 || response.status() >= 300) {
    return malformed("Only a 1xx with a To tag or a 2xx creates a dialog");
  }
  if (response.status() < 200 && response.to_tag().empty()) {
    return malformed("A provisional response without a To tag creates no dialog");
  }
  Dialog d;
  d.call_id = request.call_id;
  d.local_tag = request.from_tag;
  d.remote_tag = std::string(response.to_tag());
  d.local_header = request.from_header;
  d.remote_header = std::string(*to);
  d.local_cseq = request.cseq;
  // A 2xx without Contact breaks §12.1.2's MUST; its ACK and BYE still have to go somewhere,
  // and the Request-URI is where the INVITE went.
  d.remote_target = contact_uri(response).value_or(request.request_uri);
  d.route_set = record_route(response, true);
  d.secure = request.secure;
  d.state = response.status() >= 200 ? DialogState::kConfirmed : DialogState::kEarly;
  return d;
}

Expected<void, ParseError> confirm(Dialog& dialog, const Message& response_2xx) {
  if (response_2xx.status() < 200 || response_2xx.status() >= 300) {
    return malformed("Only a 2xx confirms a dialog");
  }
  if (response_2xx.to_tag() != dialog.remote_tag) {
    return malformed("The 2xx belongs to another dialog");
  }
  dialog.route_set = record_route(response_2xx, true);
  if (auto target = contact_uri(response_2xx)) {
    dialog.remote_target = std::move(*target);
  }
  if (auto to = response_2xx.header(HeaderId::kTo)) {
    dialog.remote_header = std::string(*to);
  }
  dialog.state = DialogState::kConfirmed;
  return {};
}

RequestTarget request_target(const Dialog& dialog) {
  RequestTarget t;
  if (dialog.route_set.empty()) {
    t.request_uri = dialog.remote_target;
    return t;
  }
  auto first = parse_name_addr(dialog.route_set.front());
  if (!first || find_param(first->uri.params, "lr")) {
    // A first route we cannot read is passed on as it is, loose-routed: the next hop
    // parsed it into its Record-Route, so it reads it back.
    t.request_uri = dialog.remote_target;
    t.routes = dialog.route_set;
    return t;
  }
  t.request_uri = as_request_uri(first->uri_text);
  t.routes.assign(dialog.route_set.begin() + 1, dialog.route_set.end());
  t.routes.push_back("<" + dialog.remote_target + ">");
  return t;
}

MessageBuilder build_request(Dialog& dialog, Method method, std::string_view via,
                             int max_forwards) {
  const std::uint32_t cseq = dialog.local_cseq ? *dialog.local_cseq + 1 : 1;
  dialog.local_cseq = cseq;
  return start_request(dialog, method, via, max_forwards, cseq);
}

MessageBuilder build_ack(const Dialog& dialog, std::uint32_t invite_cseq, std::string_view via,
                         int max_forwards) {
  return start_request(dialog, Method::kAck, via, max_forwards, invite_cseq);
}

int status_of(Verdict v) {
  switch (v) {
    case Verdict::kAccept:
      return 0;
    case Verdict::kOutOfOrder:
      return 500;
    case Verdict::kUnknown:
      return 481;
  }
  return 500;
}

std::string_view reason_of(Verdict v) {
  switch (v) {
    case Verdict::kAccept:
      return {};
    case Verdict::kOutOfOrder:
      return "CSeq Out Of Order";
    case Verdict::kUnknown:
      return "Call/Transaction Does Not Exist";
  }
  return {};
}

Verdict check_request(Dialog* dialog, const Message& request) {
  if (dialog == nullptr || dialog->state == DialogState::kTerminated) {
    return Verdict::kUnknown;
  }
  if (request.method() == Method::kAck) {
    return Verdict::kAccept;
  }
  if (dialog->remote_cseq && request.cseq() <= *dialog->remote_cseq) {
    return Verdict::kOutOfOrder;
  }
  dialog->remote_cseq = request.cseq();
  if (is_target_refresh(request.method())) {
    if (auto target = contact_uri(request)) {
      dialog->remote_target = std::move(*target);
    }
  }
  return Verdict::kAccept;
}

void on_refresh_response(Dialog& dialog, const Message& response_2xx) {
  if (response_2xx.status() >= 200 && response_2xx.status() < 300) {
    if (auto target = contact_uri(response_2xx)) {
      dialog.remote_target = std::move(*target);
    }
  }
}

}  // namespace cohort::sip::dialog
