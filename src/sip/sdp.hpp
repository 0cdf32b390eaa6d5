#pragma once
// SDP session descriptions (RFC 4566 §5, §9 grammar) and the offer rules Cohort needs before it
// relays an offer to a phone or a trunk (RFC 3264 §5). A pure parser over a view: the result
// holds string_views into the body, valid while the body lives. Never throws.
//
// The body itself is relayed byte for byte when it passes: this reads it only to decide.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sip/message.hpp"

namespace cohort::sip::sdp {

struct Connection {
  std::string_view nettype;   ///< "IN"
  std::string_view addrtype;  ///< "IP4", "IP6"
  std::string_view address;   ///< as written, with any "/ttl[/count]"
};

struct Media {
  std::string_view media;  ///< "audio", "video", …
  std::uint16_t port = 0;
  std::uint32_t port_count = 1;  ///< the "/<number of ports>" of RFC 4566 §5.14
  std::string_view proto;        ///< "RTP/AVP", …
  std::vector<std::string_view> formats;
  std::vector<Connection> connections;       ///< its own c= lines (may be none: session-level)
  std::vector<std::string_view> attributes;  ///< raw "name[:value]" of each a= line
};

struct Session {
  std::string_view username, sess_id, sess_version;
  Connection origin;                    ///< nettype, addrtype and unicast-address of o=
  std::string_view name;                ///< s=
  std::vector<Connection> connections;  ///< session-level c= (zero or one)
  std::vector<std::string_view> attributes;
  std::vector<Media> media;
};

/// RFC 4566 §9: the whole description, line types in the grammar's order, each line's
/// syntax, and §5 rules the grammar leaves to the prose (v=0; a c= for every media, §5.7; RTP
/// payload types 0–127, §5.14; o= numbers that fit 63 bits, RFC 3264 §5; rtpmap and fmtp
/// shapes, §6). Lines end in CRLF or, tolerated, LF (§5). A failure is Malformed 400 with a
/// reason naming the line ("Bad SDP: invalid m= line").
Expected<Session, ParseError> parse(std::string_view body);

/// RFC 3264 §5–6 as Cohort can honour them: network type IN, address type IP4 or IP6, and at
/// least one usable stream (audio or video over RTP, port not 0). nullopt when acceptable;
/// otherwise Malformed 488 with the reason ("Unsupported SDP network type").
std::optional<ParseError> check_offer(const Session& session);

/// parse() then check_offer(): what an INVITE's (or re-INVITE's) offer must pass before a leg
/// is offered it.
std::optional<ParseError> validate_offer(std::string_view body);

/// The body of a request that may carry an offer (INVITE), checked before anything is done
/// with it: none is fine (a late offer); otherwise a Content-Type is required (RFC 3261
/// §7.4.1) and must be a well-formed media-type (§20.15, else 400 "Bad Content-Type"), be
/// application/sdp (else 415: the caller adds Accept, §21.4.13), and parse (400). What the
/// offer asks for (check_offer, 488) is the caller's to judge once it knows where the call
/// goes: an unknown number is a 404 whatever the offer.
std::optional<ParseError> check_offer_body(const Message& request);

/// An answer that accepts every stream of `offer` on hold (RFC 3264 §6, §8.4: each m= with
/// the offer's formats and `a=inactive`, port 9 on the offer's address family), so that no
/// media flows until a later offer in the dialog (sdp_answer.cpp). Cohort answers a call
/// pickup's INVITE with it and then re-INVITEs the phone with the waiting caller's offer.
std::string inactive_answer(const Session& offer);

}  // namespace cohort::sip::sdp
