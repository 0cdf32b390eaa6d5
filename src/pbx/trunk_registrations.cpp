#include "pbx/trunk_registrations.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/log.hpp"

#include <algorithm>
#include <cstdlib>

#include "common/crypto.hpp"
#include "sip/digest.hpp"
#include "sip/headers.hpp"

namespace cohort::pbx {
namespace {

using sip::HeaderId;
using sip::Method;

net::Protocol protocol_of(const model::Trunk& t) {
  return t.transport == model::TrunkTransport::kTcp ? net::Protocol::kTcp : net::Protocol::kUdp;
}

std::string host_port_of(const model::Trunk& t) {
  return t.port == 5060 ? t.host : fmt::format("{}:{}", t.host, t.port);
}

/// The registrar's URI: the Request-URI of REGISTER and the `uri` of its credentials.
std::string registrar_uri(const model::Trunk& t) {
  return fmt::format("sip:{}{}", host_port_of(t),
                     protocol_of(t) == net::Protocol::kTcp ? ";transport=tcp" : "");
}

std::chrono::seconds next_backoff(std::chrono::seconds b) {
  // 5 s, 10 s, 20 s … 5 min.
  return std::clamp(b * 2, std::chrono::seconds(5), std::chrono::seconds(300));
}

}  // namespace

std::string_view to_string(TrunkRegistrationState s) {
  switch (s) {
    case TrunkRegistrationState::kDisabled:
      return "disabled";
    case TrunkRegistrationState::kRegistering:
      return "registering";
    case TrunkRegistrationState::kRegistered:
      return "registered";
    case TrunkRegistrationState::kFailed:
      return "failed";
  }
  return "failed";
}

TrunkRegistrations::TrunkRegistrations(Resolver& resolver, Addressing addressing,
                                       std::string user_agent)
    : resolver_(resolver), addressing_(std::move(addressing)), user_agent_(std::move(user_agent)) {}

std::vector<RegisterSend> TrunkRegistrations::tick(const model::Snapshot& snap,
                                                   Steady::time_point now) {
  std::vector<RegisterSend> out;
  std::lock_guard lock(mu_);
  for (auto it = regs_.begin(); it != regs_.end();) {
    const model::Trunk* t = snap.trunk(it->first);
    if (t == nullptr || !t->register_enabled || t->host.empty()) {
      it = regs_.erase(it);  // the provider lets the registration expire
    } else {
      ++it;
    }
  }
  for (model::TrunkId id : snap.trunk_ids()) {
    const model::Trunk* t = snap.trunk(id);
    if (t == nullptr || !t->register_enabled || t->host.empty()) {
      continue;
    }
    Registration& r = regs_[id];
    if (r.call_id.empty() || !(r.config == *t)) {
      // New, or reconfigured: a fresh registration (new Call-ID, RFC 3261 §10.2.4).
      r = Registration{};
      r.config = *t;
      r.call_id = crypto::random_hex(16) + "@cohort";
      r.from_tag = crypto::random_hex(6);
      r.updated_at = addressing_.now_s();
      r.shard = addressing_.shard_of(r.call_id);
    }
    if (r.txn != 0 || now < r.next_attempt) {
      continue;
    }
    auto address = resolver_.address(t->host);
    if (!address) {
      r.state = TrunkRegistrationState::kFailed;
      r.last_status = 0;
      r.last_reason = "host does not resolve";
      r.next_attempt = now + std::chrono::seconds(5);
      continue;
    }
    r.challenged = false;
    out.push_back(RegisterSend{id, request(r, {}, HeaderId::kAuthorization), route_to(*t, *address),
                               r.shard});
    r.txn = ~0ull;  // in flight; the real id comes with sent()
  }
  return out;
}

void TrunkRegistrations::sent(model::TrunkId trunk, sip::txn::TxnId txn, Steady::time_point now) {
  std::lock_guard lock(mu_);
  if (auto it = regs_.find(trunk); it != regs_.end()) {
    it->second.txn = txn;
    if (txn == 0) {
      it->second.next_attempt = now + std::chrono::seconds(5);
    }
  }
}

net::Outbound TrunkRegistrations::route_to(const model::Trunk& t,
                                           const std::string& address) const {
  net::Outbound route;
  route.protocol = protocol_of(t);
  route.destination = net::Endpoint{address, static_cast<std::uint16_t>(t.port)};
  route.local = addressing_.local_endpoint(route.protocol);
  return route;
}

sip::Message TrunkRegistrations::request(Registration& r, const std::string& authorization,
                                         HeaderId auth) {
  // RFC 3261 §10.2: To = From = the AOR, one Call-ID per registration, a CSeq that grows.
  const model::Trunk& t = r.config;
  const net::Protocol p = protocol_of(t);
  const std::string domain = t.from_domain.empty() ? host_port_of(t) : t.from_domain;
  const std::string aor = fmt::format("sip:{}@{}", t.username, domain);
  r.cseq += 1;
  const std::string via = addressing_.via_address(p);
  sip::MessageBuilder b = sip::MessageBuilder::request(Method::kRegister, registrar_uri(t));
  b.header(HeaderId::kVia, net::via_value(p, via, addressing_.mint_branch(r.shard)));
  b.header(HeaderId::kMaxForwards, "70");
  b.header(HeaderId::kFrom, fmt::format("<{}>;tag={}", aor, r.from_tag));
  b.header(HeaderId::kTo, fmt::format("<{}>", aor));
  b.header(HeaderId::kCallId, r.call_id);
  b.header(HeaderId::kCSeq, fmt::format("{} REGISTER", r.cseq));
  b.header(HeaderId::kContact, fmt::format("<sip:{}@{}{}>", t.username, via,
                                           p == net::Protocol::kTcp ? ";transport=tcp" : ""));
  b.header(HeaderId::kExpires, std::to_string(t.register_expires_s));
  if (!authorization.empty()) {
    b.header(auth, authorization);
  }
  b.header(HeaderId::kUserAgent, user_agent_);
  return std::move(b).message();
}

void TrunkRegistrations::failed(Registration& r, int status, std::string_view reason,
                                Steady::time_point now) {
  r.txn = 0;
  r.state = TrunkRegistrationState::kFailed;
  r.last_status = status;
  r.last_reason = std::string(reason);
  r.expires_at = 0;
  r.updated_at = addressing_.now_s();
  r.backoff = next_backoff(r.backoff);
  r.next_attempt = now + r.backoff;
  spdlog::warn("trunk event=register_failed trunk={} status={} reason={} retry_s={}",
               log::Value{r.config.name}, status, log::Value{reason}, r.backoff.count());
}

void TrunkRegistrations::on_failure(model::TrunkId trunk, sip::txn::TxnId txn, int status,
                                    std::string_view reason, Steady::time_point now) {
  std::lock_guard lock(mu_);
  auto it = regs_.find(trunk);
  if (it == regs_.end() || it->second.txn != txn) {
    return;
  }
  failed(it->second, status, reason, now);
}

std::optional<RegisterSend> TrunkRegistrations::on_response(model::TrunkId trunk,
                                                            sip::txn::TxnId txn,
                                                            const sip::Message& msg,
                                                            Steady::time_point now) {
  const int status = msg.status();
  std::lock_guard lock(mu_);
  auto it = regs_.find(trunk);
  if (it == regs_.end() || it->second.txn != txn) {
    return std::nullopt;
  }
  Registration& r = it->second;
  if ((status == 401 || status == 407) && !r.challenged && !r.config.username.empty()) {
    const bool proxy = status == 407;
    auto value = msg.header(proxy ? HeaderId::kProxyAuthenticate : HeaderId::kWwwAuthenticate);
    std::optional<sip::digest::ReceivedChallenge> challenge;
    if (value) {
      if (auto parsed = sip::digest::parse_challenge(*value)) {
        challenge = std::move(*parsed);
      }
    }
    const model::Trunk& t = r.config;
    if (challenge && (!t.auth_realm || *t.auth_realm == challenge->realm)) {
      if (auto address = resolver_.address(t.host)) {
        r.challenged = true;
        sip::Message req =
            request(r,
                    sip::digest::authorization_value(*challenge, t.username, t.password, "REGISTER",
                                                     registrar_uri(t), crypto::random_hex(8), 1),
                    proxy ? HeaderId::kProxyAuthorization : HeaderId::kAuthorization);
        r.txn = ~0ull;
        return RegisterSend{trunk, std::move(req), route_to(t, *address), r.shard};
      }
    }
  }
  if (status < 200 || status >= 300) {
    failed(r, status, msg.reason(), now);
    return std::nullopt;
  }
  r.txn = 0;
  r.last_status = status;
  r.last_reason = std::string(msg.reason());
  r.updated_at = addressing_.now_s();
  std::int64_t expires = r.config.register_expires_s;
  if (auto e = msg.header(HeaderId::kExpires)) {
    expires = std::strtol(std::string(*e).c_str(), nullptr, 10);
  }
  if (auto contacts = sip::parse_contacts(msg); contacts) {
    for (const sip::NameAddr& c : contacts->contacts) {
      if (c.uri.user == r.config.username) {
        if (auto e = sip::find_param(c.params, "expires")) {
          expires = std::strtol(std::string(*e).c_str(), nullptr, 10);
        }
      }
    }
  }
  expires = std::max<std::int64_t>(expires, 1);
  r.state = TrunkRegistrationState::kRegistered;
  r.expires_at = r.updated_at + expires;
  r.backoff = std::chrono::seconds(0);
  // Refresh well before expiry: half-way for short grants, a minute early for long.
  const std::int64_t refresh = std::max<std::int64_t>(expires / 2, expires - 60);
  r.next_attempt = now + std::chrono::seconds(refresh);
  spdlog::info("trunk event=registered trunk={} expires_s={}", log::Value{r.config.name}, expires);
  return std::nullopt;
}

TrunkStatus TrunkRegistrations::status(const model::Trunk& trunk) const {
  TrunkStatus st;
  if (!trunk.register_enabled) {
    return st;  // disabled
  }
  st.state = TrunkRegistrationState::kRegistering;
  std::lock_guard lock(mu_);
  if (auto it = regs_.find(trunk.id); it != regs_.end()) {
    const Registration& r = it->second;
    st.state = r.state;
    st.last_status = r.last_status;
    st.last_reason = r.last_reason;
    st.expires_at = r.expires_at;
    st.updated_at = r.updated_at;
  }
  return st;
}

}  // namespace cohort::pbx
