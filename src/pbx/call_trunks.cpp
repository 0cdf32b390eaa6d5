// Outside numbers: the outbound rule's trunks tried in order (a full, unresolvable or
// failing trunk gives way to the next), digest credentials for a trunk that challenges,
// and the trunk's call slots.

#include "pbx/call_state.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/crypto.hpp"
#include "common/log.hpp"
#include "sip/digest.hpp"

namespace cohort::pbx {

/// An outside number as a destination: through the outbound rules, as the group's own
/// call (its caller ID presented), as a forwarding user's own call (its rules and caller
/// ID: it reaches no more than the user could dial) or, for an inbound route, as the trunk
/// caller's.
void CallController::Impl::dial_number(std::size_t shard, Call& c, const std::string& number,
                                       std::optional<model::GroupId> as_group, TimePoint now,
                                       std::optional<model::UserId> as_user) {
  std::shared_ptr<const routing::OutboundTable> table = core.outbound_table(c.snap);
  routing::OutboundRequest req;
  req.number = number;
  req.as_group = as_group;
  const model::User* forwarder = as_user ? c.snap->user(*as_user) : nullptr;
  if (forwarder != nullptr) {
    req.caller = forwarder;
  } else if (!as_group && c.direction == CallDirection::kInbound) {
    req.from_trunk = c.cdr.trunk;
  }
  routing::OutboundPlan plan = table->plan(req);
  if (!plan.matched) {
    spdlog::warn("call event=refused call={} dialled={} group={} reason={}", c.id, number,
                 log::Value{as_group ? std::to_string(*as_group) : "-"}, log::Value{plan.reason});
    fail_call(shard, c, 404, "Not Found: no outbound rule for the destination number",
              c.via_fallback ? Disposition::kFallback : Disposition::kFailed, now);
    return;
  }
  c.cdr.rule = plan.rule;
  c.number = plan.number;
  c.cdr.number_sent = plan.number;
  c.caller_id = routing::present_caller_id(
      *c.snap, plan, as_group,
      forwarder != nullptr ? std::string_view(forwarder->extension) : c.caller_user_part,
      &c.cdr.caller_id_group);
  c.cdr.caller_id = c.caller_id;
  c.trunks.clear();
  c.next_trunk = 0;
  for (model::TrunkId id : plan.trunks) {
    if (const model::Trunk* t = c.snap->trunk(id)) {
      c.trunks.push_back(*t);
    }
  }
  spdlog::info("call event=dial_number call={} number={} rule={} caller_id={} trunks={}", c.id,
               plan.number, plan.rule_name, c.caller_id, c.trunks.size());
  try_next_trunk(shard, c, now);
}

void CallController::Impl::try_next_trunk(std::size_t shard, Call& c, TimePoint now) {
  if (refuse_offer(shard, c, now)) {
    return;
  }
  while (c.next_trunk < c.trunks.size()) {
    const model::Trunk& t = c.trunks[c.next_trunk++];
    if (t.host.empty()) {
      continue;
    }
    if (!core.acquire_trunk(t)) {
      spdlog::info("call event=trunk_full call={} trunk={} limit={}", c.id, t.name,
                   t.max_concurrent_calls);
      continue;
    }
    auto address = core.trunk_address(t);
    if (!address) {
      core.release_trunk(t.id);
      spdlog::warn("call event=trunk_unresolved call={} trunk={} host={}", c.id, t.name, t.host);
      continue;
    }
    const std::string from_domain = t.from_domain.empty() ? t.host : t.from_domain;
    const std::string host_port = t.port == 5060 ? t.host : fmt::format("{}:{}", t.host, t.port);
    Leg leg;
    leg.call_id = core.mint_call_id(shard);
    leg.local_tag = crypto::random_hex(6);
    leg.local_hdr = fmt::format("<sip:{}@{}>;tag={}", c.caller_id, from_domain, leg.local_tag);
    leg.remote_hdr = fmt::format("<sip:{}@{}>", c.number, host_port);
    leg.request_uri =
        fmt::format("sip:{}@{}{}", c.number, host_port,
                    t.transport == model::TrunkTransport::kTcp ? ";transport=tcp" : "");
    leg.remote_target = leg.request_uri;
    leg.route.protocol =
        t.transport == model::TrunkTransport::kTcp ? net::Protocol::kTcp : net::Protocol::kUdp;
    leg.route.destination = *address;
    leg.route.local = core.local_endpoint(leg.route.protocol);
    leg.trunk = t.id;
    leg.trunk_slot = true;
    leg.peer = leg.request_uri;
    if (c.direction != CallDirection::kInbound) {
      c.cdr.trunk = t.id;  // an inbound call's record keeps the trunk it came from
    }
    c.b.push_back(std::move(leg));
    send_invite(shard, c, static_cast<int>(c.b.size()) - 1, {}, now);
    return;
  }
  fail_call(shard, c, 503, "Service Unavailable: no trunk could take the call",
            Disposition::kFailed, now);
}

const model::Trunk* CallController::Impl::trunk_of(const Call& c, const Leg& leg) const {
  if (!leg.trunk) {
    return nullptr;
  }
  for (const model::Trunk& t : c.trunks) {
    if (t.id == *leg.trunk) {
      return &t;
    }
  }
  return nullptr;
}

bool CallController::Impl::retry_with_credentials(std::size_t shard, Call& c, int i,
                                                  const sip::Message& r, TimePoint now) {
  Leg& leg = c.b[static_cast<std::size_t>(i)];
  const model::Trunk* trunk = trunk_of(c, leg);
  if (trunk == nullptr || trunk->username.empty()) {
    return false;
  }
  const bool proxy = r.status() == 407;
  auto value = r.header(proxy ? HeaderId::kProxyAuthenticate : HeaderId::kWwwAuthenticate);
  if (!value) {
    return false;
  }
  auto challenge = sip::digest::parse_challenge(*value);
  if (!challenge || (trunk->auth_realm && *trunk->auth_realm != challenge->realm)) {
    return false;
  }
  leg.auth_attempts++;
  leg.final_status = 0;
  leg.provisional = false;
  leg.state = LegState::kTrying;
  const std::string auth =
      sip::digest::authorization_value(*challenge, trunk->username, trunk->password, "INVITE",
                                       leg.request_uri, crypto::random_hex(8), 1);
  send_invite(shard, c, i, auth, now,
              proxy ? HeaderId::kProxyAuthorization : HeaderId::kAuthorization);
  return true;
}

void CallController::Impl::release_slot(Leg& leg) {
  if (leg.trunk_slot && leg.trunk) {
    leg.trunk_slot = false;
    core.release_trunk(*leg.trunk);
  }
}

/// Failover: a trunk leg that ended with 408, 5xx or no response moves on to the next
/// trunk of the rule.
bool CallController::Impl::fails_over(int status) {
  return status == 408 || (status >= 500 && status < 600);
}

}  // namespace cohort::pbx
