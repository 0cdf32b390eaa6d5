#pragma once
// PURE: call transfer values. The Refer-To header of a REFER (RFC 3515 §2.1), the Replaces
// header (RFC 3891 §6.1) — carried escaped in the Refer-To URI's headers for an attended
// transfer — and the message/sipfrag body of the NOTIFYs that report a transfer's progress
// (RFC 3515 §2.4.5, RFC 3420).

#include <optional>
#include <string>
#include <string_view>

#include "sip/message.hpp"

namespace cohort::sip {

/// Replaces = "Replaces" HCOLON callid *(SEMI replaces-param) (RFC 3891 §6.1).
struct Replaces {
  std::string call_id;
  std::string to_tag;
  std::string from_tag;
  bool early_only = false;
  bool operator==(const Replaces&) const = default;
};
/// Parses a Replaces value (already unescaped). to-tag and from-tag are required (§6.1:
/// a Replaces without both identifies no dialog).
Expected<Replaces, ParseError> parse_replaces(std::string_view value);

/// The target of a REFER.
struct ReferTo {
  std::string uri;   ///< the target URI without its headers part ("sip:103@pbx")
  std::string user;  ///< its user part, unescaped (a tel: URI's number); may be empty
  std::string host;
  std::optional<Replaces> replaces;  ///< an attended transfer: the dialog the target replaces
  bool operator==(const ReferTo&) const = default;
};
/// Refer-To = ("Refer-To" / "r") HCOLON (name-addr / addr-spec) *(SEMI generic-param).
/// A REFER carries exactly one (RFC 3515 §2.4.1: none or several → 400). URI headers other
/// than Replaces are ignored (we never copy them into the request we send).
Expected<ReferTo, ParseError> parse_refer_to(const Message& refer);

/// The body of a NOTIFY reporting a transfer's progress: "SIP/2.0 180 Ringing\r\n".
std::string sipfrag(int status, std::string_view reason);

}  // namespace cohort::sip
