#include "pbx/interrupted_calls.hpp"

#include <spdlog/spdlog.h>

#include <charconv>

#include "net/route.hpp"
#include "sip/dialog/dialog.hpp"
#include "sip/headers.hpp"

namespace cohort::pbx {
namespace {

std::string key_of(std::string_view call_id, std::string_view local_tag) {
  std::string k(call_id);
  k.push_back('\x1f');
  k.append(local_tag);
  return k;
}

/// "192.0.2.1:5060" / "[2001:db8::1]:5060" → Endpoint (brackets dropped); nullopt if bad.
std::optional<net::Endpoint> endpoint_of(std::string_view peer) {
  const std::size_t colon = peer.rfind(':');
  if (colon == std::string_view::npos || colon == 0) {
    return std::nullopt;
  }
  std::string_view host = peer.substr(0, colon);
  std::string_view port = peer.substr(colon + 1);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  std::uint16_t p = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
  if (ec != std::errc() || end != port.data() + port.size() || p == 0) {
    return std::nullopt;
  }
  return net::Endpoint{std::string(host), p};
}

}  // namespace

InterruptedCalls::InterruptedCalls(SipCore& core, std::size_t shards,
                                   std::function<std::size_t(std::string_view)> shard_of)
    : core_(core), shard_of_(std::move(shard_of)), shards_(shards) {}

void InterruptedCalls::load(std::vector<store::CdrRecord> records) {
  for (store::CdrRecord& r : records) {
    if (r.dialogs.size() != 2) {
      continue;  // only the caller's and the answering leg make a call to end
    }
    auto call = std::make_shared<Call>();
    call->record = std::move(r);
    for (std::size_t leg = 0; leg < 2; ++leg) {
      const store::LegDialog& d = call->record.dialogs[leg];
      shards_[shard_of_(d.call_id)][key_of(d.call_id, d.local_tag)] = Entry{call, leg};
    }
  }
}

bool InterruptedCalls::on_request(std::size_t shard, TxnId txn, const sip::Message& req,
                                  TimePoint now) {
  Map& map = shards_[shard];
  auto it = map.find(key_of(req.call_id(), req.to_tag()));
  if (it == map.end() ||
      it->second.call->record.dialogs[it->second.leg].remote_tag != req.from_tag()) {
    return false;
  }
  if (req.method() == sip::Method::kAck) {
    return true;  // nothing to answer; the next request of the leg ends the call
  }
  const Entry entry = it->second;
  map.erase(it);
  const bool is_bye = req.method() == sip::Method::kBye;
  if (txn != 0) {
    // 200 to a BYE (the call is over, as asked); 481 to anything else: this dialog no
    // longer exists here (RFC 5057 §5.1: the phone ends the call on a 481).
    const int status = is_bye ? 200 : 481;
    core_.respond(shard, txn, status,
                  sip::make_response(req, status, sip::default_reason(status)).str(), now);
  }
  Call& call = *entry.call;
  if (call.ended.exchange(true)) {
    return true;  // the other leg's request ended the call already
  }
  const std::size_t other = 1 - entry.leg;
  const store::LegDialog far = call.record.dialogs[other];
  spdlog::info("call event=interrupted_call_ended call={} by={} method={}", call.record.id,
               entry.leg == 0 ? "caller" : "callee", sip::to_string(req.method()));
  // The far leg's entry may live on another shard (see the header); its own request later
  // finds `ended` set. On this shard it goes now.
  if (shard_of_(far.call_id) == shard) {
    map.erase(key_of(far.call_id, far.local_tag));
  }
  bye(shard, far, now);
  store::CdrRecord record = call.record;
  record.dialogs.clear();
  core_.write_cdr(std::move(record));
  return true;
}

void InterruptedCalls::bye(std::size_t shard, const store::LegDialog& leg, TimePoint now) {
  std::optional<net::Endpoint> to = endpoint_of(leg.peer);
  if (!to) {
    spdlog::warn("call event=interrupted_bye_unroutable call_id={} peer={}", leg.call_id, leg.peer);
    return;
  }
  net::Outbound route;
  route.protocol = leg.transport == "tcp" ? net::Protocol::kTcp : net::Protocol::kUdp;
  route.destination = *to;
  sip::dialog::Dialog d;
  d.call_id = leg.call_id;
  d.local_tag = leg.local_tag;
  d.remote_tag = leg.remote_tag;
  d.local_header = leg.local_header;
  d.remote_header = leg.remote_header;
  d.remote_target = leg.remote_target;
  d.route_set = leg.route_set;
  d.local_cseq = leg.local_cseq + kCSeqJump - 1;  // build_request adds one
  d.state = sip::dialog::DialogState::kConfirmed;
  const std::string via =
      net::via_value(route.protocol, core_.via_address(route.protocol), core_.mint_branch(shard));
  sip::Message request = sip::dialog::build_request(d, sip::Method::kBye, via).message();
  core_.start_client(shard, std::move(request), route, now);
}

}  // namespace cohort::pbx
