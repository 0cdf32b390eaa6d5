#pragma once
// Transport-level addresses and the messages that cross the transport boundary. No Asio here:
// the shell above (pbx/) sees only these values.

#include <cstdint>
#include <string>
#include <string_view>

namespace cohort::net {

enum class Protocol : std::uint8_t { kUdp, kTcp };
/// "udp" / "tcp".
std::string_view to_string(Protocol p);

/// An IP endpoint. `address` is an IPv4 or IPv6 literal without brackets ("::1").
struct Endpoint {
  std::string address;
  std::uint16_t port = 0;
  bool operator==(const Endpoint&) const = default;
};
/// "1.2.3.4:5060" / "[::1]:5060".
std::string to_string(const Endpoint& e);
/// Whether `address` is an IPv6 literal (contains ':'); brackets are not expected.
inline bool is_ipv6(std::string_view address) {
  return address.find(':') != std::string_view::npos;
}

/// One framed SIP message as received: a whole UDP datagram or one TCP frame
/// (RFC 3261 §18.3), keep-alive CRLFs removed.
struct Inbound {
  Protocol protocol = Protocol::kUdp;
  Endpoint source;
  /// The local endpoint it arrived on: for UDP the bound listen address (which may be the
  /// wildcard, e.g. "0.0.0.0:5060"); for TCP the connection's actual local address.
  Endpoint local;
  std::uint64_t connection = 0;  ///< TCP: the connection's id; UDP: 0
  std::string bytes;
};

/// One message to send. UDP: a datagram from the listen socket whose bound endpoint equals
/// `local` (then one with the same address, then any of the destination's family). TCP:
/// `connection` if it is still open, else an open connection to `destination`, else a new one.
struct Outbound {
  Protocol protocol = Protocol::kUdp;
  Endpoint destination;
  std::uint64_t connection = 0;  ///< TCP: preferred while it is open; 0 = none
  std::string bytes;
  /// Preferred local endpoint (e.g. Inbound::local of the request being answered, so that a
  /// response leaves from the address and port the request came in on, RFC 3581 §4).
  /// Empty address = no preference. Last, so that {protocol, destination, connection, bytes}
  /// still reads as before.
  Endpoint local;
};

}  // namespace cohort::net
