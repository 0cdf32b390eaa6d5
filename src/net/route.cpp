// Endpoint helpers and response routing: no Asio, no sockets.

#include "net/route.hpp"

#include <arpa/inet.h>

#include <fmt/format.h>

namespace cohort::net {

namespace {

constexpr std::uint16_t kDefaultSipPort = 5060;  // RFC 3261 §18.2.2 (sip over UDP and TCP)

// "[::1]" → "::1": Via hosts and maddr keep the brackets of an IPv6 reference (RFC 3261 §25).
std::string_view unbracket(std::string_view host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    return host.substr(1, host.size() - 2);
  }
  return host;
}

bool is_ip_literal(std::string_view host) {
  std::string text(host);
  unsigned char scratch[sizeof(in6_addr)];
  return ::inet_pton(AF_INET, text.c_str(), scratch) == 1 ||
         ::inet_pton(AF_INET6, text.c_str(), scratch) == 1;
}

// The host to answer at when the Via names no usable IP: the request's source address.
std::string host_or_source(std::string_view host, const Inbound& in) {
  host = unbracket(host);
  return is_ip_literal(host) ? std::string(host) : in.source.address;
}

}  // namespace

std::string_view to_string(Protocol p) {
  return p == Protocol::kTcp ? "tcp" : "udp";
}

std::string to_string(const Endpoint& e) {
  return is_ipv6(e.address) ? fmt::format("[{}]:{}", e.address, e.port)
                            : fmt::format("{}:{}", e.address, e.port);
}

Outbound response_route(const Inbound& in, const sip::Via& top_via, std::string bytes) {
  Outbound out;
  out.protocol = in.protocol;
  out.local = in.local;
  out.bytes = std::move(bytes);
  std::uint16_t sent_by_port = top_via.port.value_or(kDefaultSipPort);
  std::optional<std::string_view> received = top_via.received();

  if (in.protocol == Protocol::kTcp) {
    // RFC 3261 §18.2.2: reliable transports answer on the request's connection; should it be
    // gone, open one to `received` (else the sent-by host) at the sent-by port.
    out.connection = in.connection;
    out.destination.address =
        received ? host_or_source(*received, in) : host_or_source(top_via.host, in);
    out.destination.port = sent_by_port;
    return out;
  }
  if (auto maddr = sip::find_param(top_via.params, "maddr")) {
    // RFC 3261 §18.2.2: maddr wins over received for unreliable transports.
    out.destination.address = host_or_source(*maddr, in);
    out.destination.port = sent_by_port;
    return out;
  }
  // RFC 3581 §4 (symmetric response routing); without rport, RFC 3261 §18.2.2's received +
  // sent-by port. A missing received means the sent-by host equals the source address (§18.2.1
  // adds received otherwise), so the source address is right either way and needs no DNS.
  out.destination.address = received ? host_or_source(*received, in) : in.source.address;
  if (auto rport = top_via.rport()) {
    out.destination.port = *rport != 0 ? *rport : in.source.port;
  } else {
    out.destination.port = sent_by_port;
  }
  return out;
}

std::string via_value(Protocol protocol, std::string_view sent_by, std::string_view branch) {
  std::string v = protocol == Protocol::kTcp ? "SIP/2.0/TCP " : "SIP/2.0/UDP ";
  v.append(sent_by).append(";branch=").append(branch).append(";rport");
  return v;
}

}  // namespace cohort::net
