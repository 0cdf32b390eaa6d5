// SipServer::Impl as the call controller's SipCore: transactions, timers, addresses,
// bindings, trunks and records, on the shard's thread.
#include "pbx/sip_server_impl.hpp"

namespace cohort::pbx {

TxnId SipServer::Impl::start_client(std::size_t index, sip::Message request,
                                    const net::Outbound& route, TimePoint now) {
  Shard& shard = *shards[index];
  sip::txn::Started started =
      shard.table.start_client(request, route.protocol == net::Protocol::kTcp, now);
  net::Outbound r = route;
  r.bytes.clear();
  shard.routes[started.id] = std::move(r);
  execute(shard, index, started.id, started.actions);
  return started.id;
}

void SipServer::Impl::respond(std::size_t index, TxnId txn, int status, std::string bytes,
                              TimePoint now) {
  Shard& shard = *shards[index];
  sip::txn::Actions out = shard.table.respond(txn, status, std::move(bytes), now);
  execute(shard, index, txn, out);
}

void SipServer::Impl::arm(std::size_t index, std::uint64_t call, TimePoint at) {
  schedule(index, Timer{at, 0, {}, call});
}

std::string SipServer::Impl::mint_call_id(std::size_t index) {
  // STYLE.md practice 8: a B leg's Call-ID hashes to its A leg's shard, so the whole call
  // lives on one thread. With n shards a random id lands right 1 time in n.
  for (;;) {
    std::string id = crypto::random_hex(16) + "@cohort";
    if (shard_index(id) == index) {
      return id;
    }
  }
}

std::string SipServer::Impl::mint_branch(std::size_t index) {
  std::uint64_t r = 0;
  const std::string hex = crypto::random_hex(8);
  for (char c : hex) {
    r = (r << 4) | static_cast<std::uint64_t>(c <= '9' ? c - '0' : c - 'a' + 10);
  }
  return sip::txn::make_branch(static_cast<std::uint32_t>(index), r);
}

std::string SipServer::Impl::via_address(net::Protocol protocol) const {
  if (!opts.advertised_address.empty()) {
    return opts.advertised_address;
  }
  const net::Endpoint e = local_endpoint(protocol);
  return net::to_string(e);
}

net::Endpoint SipServer::Impl::local_endpoint(net::Protocol protocol) const {
  for (const net::ListenAddress& l : bound_cache) {
    if (l.protocol == protocol) {
      return l.endpoint;
    }
  }
  return {};
}

std::vector<CallTarget> SipServer::Impl::targets_of(model::UserId user) const {
  std::vector<CallTarget> out;
  for (const Binding& b : registrar.bindings_of(user, now_s())) {
    CallTarget t;
    t.contact = b.contact;
    t.path = b.path;
    // Send where the REGISTER came from (NAT-friendly, RFC 5626 spirit): the binding's
    // source over its transport.
    t.route.protocol = b.transport == "tcp" ? net::Protocol::kTcp : net::Protocol::kUdp;
    const std::size_t colon = b.source.rfind(':');
    if (colon == std::string::npos) {
      continue;
    }
    std::string host = b.source.substr(0, colon);
    if (host.size() > 2 && host.front() == '[') {
      host = host.substr(1, host.size() - 2);
    }
    t.route.destination = net::Endpoint{
        host, static_cast<std::uint16_t>(std::strtoul(b.source.c_str() + colon + 1, nullptr, 10))};
    // Over UDP, a Contact on the address the REGISTER came from is reachable as it says
    // (a phone whose registering and listening ports differ); a Contact naming another
    // address is behind NAT, and only the source reaches it (Kamailio's nat_uac_test).
    t.behind_nat = contact_behind_nat(b.contact, host);
    t.relay_media = opts.phone_media.relays(b.contact, host);
    if (t.route.protocol == net::Protocol::kUdp && !t.behind_nat) {
      t.route.destination.port = sip::parse_uri(b.contact)->port.value_or(5060);
    }
    out.push_back(std::move(t));
  }
  return out;
}

std::optional<net::Endpoint> SipServer::Impl::trunk_address(const model::Trunk& trunk) {
  auto address = resolver.address(trunk.host);
  if (!address) {
    return std::nullopt;  // resolved off the SIP threads; this call fails over meanwhile
  }
  return net::Endpoint{std::move(*address), static_cast<std::uint16_t>(trunk.port)};
}

std::shared_ptr<const routing::OutboundTable> SipServer::Impl::outbound_table(
    const model::SnapshotPtr& snap) {
  std::lock_guard lock(outbound_mu);
  if (outbound && outbound->version() == snap->version()) {
    return outbound;
  }
  auto table = std::make_shared<const routing::OutboundTable>(snap);
  if (!outbound || outbound->version() < snap->version()) {
    outbound = table;  // the cache follows the newest snapshot; an older call's is its own
  }
  return table;
}

std::shared_ptr<const routing::InboundTable> SipServer::Impl::inbound_table(
    const model::SnapshotPtr& snap) {
  std::lock_guard lock(outbound_mu);
  if (inbound && inbound->version() == snap->version()) {
    return inbound;
  }
  auto table = std::make_shared<const routing::InboundTable>(snap);
  if (!inbound || inbound->version() < snap->version()) {
    inbound = table;
  }
  return table;
}

void SipServer::Impl::save_cursor(model::GroupId group, model::UserId user) {
  records.save_cursor(group, user);
}

void SipServer::Impl::member_offer_ended(const model::Group& group, model::UserId user,
                                         model::AttemptResult result, std::uint64_t call) {
  if (auto order = missed_calls.record(group, user, result, call)) {
    auto_pauses.queue(std::move(*order));  // the store is written on the writer's thread
  }
}

bool SipServer::Impl::has_binding(model::UserId user) const {
  return registrar.has_binding(user, now_s());
}

void SipServer::Impl::write_cdr_durable(std::size_t index, store::CdrRecord record,
                                        std::uint64_t call) {
  records.write(std::move(record), [this, index, call](bool durable) {
    on_shard(index, [this, index, call, durable](TimePoint now) {
      calls->on_record_durable(index, call, durable, now);
    });
  });
}

void SipServer::Impl::respond_durable(std::size_t index, TxnId txn, int status, std::string bytes) {
  records.after_queued([this, index, txn, status, bytes = std::move(bytes)](bool) mutable {
    // The BYE is answered either way: a failed write is logged, and the call is over.
    on_shard(index, [this, index, txn, status, bytes = std::move(bytes)](TimePoint now) mutable {
      respond(index, txn, status, std::move(bytes), now);
    });
  });
}

std::int64_t SipServer::Impl::now_ms() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(clock.now().time_since_epoch())
      .count();
}

}  // namespace cohort::pbx
