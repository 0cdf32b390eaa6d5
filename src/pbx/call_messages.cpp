// Messages on a call's legs: responses to the caller, requests built on a leg's dialog
// state, bodies relayed from one leg to the other.

#include "pbx/call_state.hpp"

#include <fmt/format.h>

#include "common/text.hpp"
#include "net/route.hpp"

namespace cohort::pbx {

ResponseHeaders response_headers(const sip::Message& req, std::string_view top_via) {
  ResponseHeaders h;
  bool first = true;
  for (std::string_view via : req.header_values(HeaderId::kVia)) {
    h.emplace_back(HeaderId::kVia, std::string(first && !top_via.empty() ? top_via : via));
    first = false;
  }
  h.emplace_back(HeaderId::kFrom, std::string(req.header(HeaderId::kFrom).value_or("")));
  h.emplace_back(HeaderId::kTo, std::string(req.header(HeaderId::kTo).value_or("")));
  h.emplace_back(HeaderId::kCallId, std::string(req.call_id()));
  h.emplace_back(HeaderId::kCSeq, std::string(req.header(HeaderId::kCSeq).value_or("")));
  return h;
}

std::string uri_of(std::string_view value) {
  auto na = sip::parse_name_addr(value);
  return na ? std::string(na->uri_text) : std::string();
}

std::string without_tag(std::string_view value) {
  auto na = sip::parse_name_addr(value);
  if (!na) {
    return std::string(value);
  }
  std::string out = "<" + std::string(na->uri_text) + ">";
  if (!na->display_name.empty()) {
    out = "\"" + std::string(na->display_name) + "\" " + out;
  }
  for (const sip::Param& p : na->params) {
    if (text::ascii_lower(p.name) == "tag") {
      continue;
    }
    out += ";" + std::string(p.name);
    if (p.has_value) {
      out += "=" + std::string(p.value);
    }
  }
  return out;
}

std::string display_quoted(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
    }
    if (static_cast<unsigned char>(c) >= 0x20) {
      out.push_back(c);
    }
  }
  out.push_back('"');
  return out;
}

std::string CallController::Impl::response_to(
    const ResponseHeaders& h, int status, std::string_view reason, std::string_view to_tag,
    const std::function<void(sip::MessageBuilder&)>& extra) {
  sip::MessageBuilder b =
      sip::MessageBuilder::response(status, reason.empty() ? sip::default_reason(status) : reason);
  for (const auto& [id, value] : h) {
    if (id == HeaderId::kTo && !to_tag.empty() && status > 100 &&
        value.find(";tag=") == std::string::npos) {
      b.header(id, value + ";tag=" + std::string(to_tag));
    } else {
      b.header(id, value);
    }
  }
  b.header(HeaderId::kServer, opts.user_agent);
  if (extra) {
    extra(b);
  }
  return b.str();
}

std::string CallController::Impl::contact_of(net::Protocol p) const {
  return p == net::Protocol::kTcp
             ? fmt::format("<sip:cohort@{};transport=tcp>", core.via_address(p))
             : fmt::format("<sip:cohort@{}>", core.via_address(p));
}

/// A request on `leg` (in-dialog, or the INVITE that creates a B leg).
sip::MessageBuilder CallController::Impl::request_on(
    const Leg& leg, std::string_view method, std::string_view request_uri, std::uint32_t cseq,
    std::string_view branch, int max_forwards,
    const std::function<void(sip::MessageBuilder&)>& extra) {
  const net::Protocol p = leg.route.protocol;
  sip::MessageBuilder b = sip::MessageBuilder::request(sip::parse_method(method), request_uri);
  b.header(HeaderId::kVia, net::via_value(p, core.via_address(p), branch));
  b.header(HeaderId::kMaxForwards, std::to_string(max_forwards));
  for (const std::string& r : leg.route_set) {
    b.header(HeaderId::kRoute, r);
  }
  b.header(HeaderId::kFrom, leg.local_hdr);
  b.header(HeaderId::kTo, leg.remote_hdr);
  b.header(HeaderId::kCallId, leg.call_id);
  b.header(HeaderId::kCSeq, fmt::format("{} {}", cseq, method));
  if (extra) {
    extra(b);
  }
  return b;
}

/// SDP (and any other body) crosses from one leg to the other unchanged. The seam where a
/// media anchor will substitute its own address.
std::pair<std::string, std::string> CallController::Impl::relay_body(const sip::Message& m) {
  if (m.body().empty()) {
    return {};
  }
  return {std::string(m.header(HeaderId::kContentType).value_or("application/sdp")),
          std::string(m.body())};
}

/// Sends `request` on the leg through a new client transaction: the value as built, never
/// serialized and parsed again.
TxnId CallController::Impl::send_on(std::size_t shard, Call& call, int leg_index,
                                    sip::MessageBuilder request, OwnerKind kind, TimePoint now) {
  Leg& leg = leg_index < 0 ? call.a : call.b[static_cast<std::size_t>(leg_index)];
  const TxnId id = core.start_client(shard, std::move(request).message(), leg.route, now);
  if (id != 0) {
    shards[shard].owners[id] = Owner{kind, call.key, leg_index};
  }
  return id;
}

void CallController::Impl::reply_a(std::size_t shard, Call& call, int status,
                                   std::string_view reason, TimePoint now,
                                   const std::function<void(sip::MessageBuilder&)>& extra) {
  if (call.transfer_in && !call.transfer_in->joined) {
    // The call to a transfer target has no caller yet: the referrer hears of it instead.
    transfer_progress(shard, call, status, reason, now);
    return;
  }
  if (call.media && (call.media->answered || status < 200)) {
    // Cohort answered the caller itself (its INVITE has had its final response), or sent
    // its own answer in a 183: a phone's ringing or early media is not passed on.
    return;
  }
  core.respond(shard, call.a_txn, status,
               response_to(call.a_answer, status, reason, call.a.local_tag, extra), now);
}

}  // namespace cohort::pbx
