#pragma once
// Where a response goes (RFC 3261 §18.2.2, RFC 3581 §4). Pure: no sockets, no DNS.

#include <string>
#include <string_view>

#include "net/endpoint.hpp"
#include "sip/headers.hpp"

namespace cohort::net {

/// The Outbound for a response (`bytes`) to the request received as `in`, whose parsed top
/// Via is `top_via` (as received, or as stamped by sip::stamp_via — both work). Any thread.
///  - TCP (reliable): the request's connection; should it have closed, a new connection to
///    `received` (or the sent-by host) at the sent-by port, default 5060 (§18.2.2).
///  - UDP with `maddr`: maddr at the sent-by port, default 5060 (§18.2.2).
///  - UDP otherwise: `received`, or the request's source address, at rport's value when rport
///    has one, the source port when rport is present without a value, else the sent-by
///    port, default 5060 (RFC 3581 §4; RFC 3261 §18.2.2).
/// The reply leaves from `in.local` (RFC 3581 §4: same address and port as the request).
/// A sent-by (or maddr) host that is not an IP literal is never resolved here (RFC 3263 is
/// the caller's business): the request's source address is used instead.
Outbound response_route(const Inbound& in, const sip::Via& top_via, std::string bytes);

/// The top Via of a request Cohort sends over `protocol` (RFC 3261 §8.1.1.7, §18.1.1), with
/// rport asked for (RFC 3581 §3): "SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK…;rport".
/// `sent_by` is host[:port] as SipCore::via_address gives it.
std::string via_value(Protocol protocol, std::string_view sent_by, std::string_view branch);

}  // namespace cohort::net
