// An answer that puts every offered stream on hold (sdp.hpp: inactive_answer).

#include "sip/sdp.hpp"

namespace cohort::sip::sdp {
namespace {

/// The offer's attributes that describe its formats (rtpmap, fmtp): the answer keeps them
/// for the formats it lists (RFC 3264 §6.1: same payload type numbers).
bool describes_format(std::string_view attribute) {
  return attribute.rfind("rtpmap:", 0) == 0 || attribute.rfind("fmtp:", 0) == 0;
}

}  // namespace

std::string inactive_answer(const Session& offer) {
  const std::string_view addrtype = offer.origin.addrtype == "IP6" ? "IP6" : "IP4";
  const std::string_view unspecified = addrtype == "IP6" ? "::" : "0.0.0.0";
  std::string out = "v=0\r\no=cohort 1 1 IN ";
  out += addrtype;
  out += ' ';
  out += unspecified;
  out += "\r\ns=-\r\nc=IN ";
  out += addrtype;
  out += ' ';
  out += unspecified;
  out += "\r\nt=0 0\r\n";
  for (const Media& m : offer.media) {
    out += "m=";
    out += m.media;
    // A stream the offer rejected (port 0) stays rejected; the others are accepted on hold.
    out += m.port == 0 ? " 0 " : " 9 ";
    out += m.proto;
    for (std::string_view f : m.formats) {
      out += ' ';
      out += f;
    }
    out += "\r\n";
    for (std::string_view a : m.attributes) {
      if (describes_format(a)) {
        out += "a=";
        out += a;
        out += "\r\n";
      }
    }
    if (m.port != 0) {
      out += "a=inactive\r\n";
    }
  }
  return out;
}

}  // namespace cohort::sip::sdp
