#pragma once
// Offer/answer (RFC 3264) for the legs Cohort terminates itself (greetings, voicemail, IVR,
// waiting music): Cohort is the RTP endpoint, so it answers with one audio stream, one codec
// and its own address. sip/ must not depend on media/, so the codecs Cohort speaks come in as
// plain values (the shell builds them from media::codec_info). Pure, never throws.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sip/sdp.hpp"

namespace cohort::sip::sdp {

/// One codec Cohort can send and receive, as SDP writes it.
struct LocalCodec {
  std::string name;  ///< rtpmap encoding name: "PCMU", "PCMA", "G722", "opus"
  std::uint32_t clock_rate = 8000;
  std::uint8_t channels = 1;  ///< rtpmap channels (Opus is always written opus/48000/2)
  /// The static payload type (RFC 3551), or for a dynamic codec the number Cohort uses in
  /// its own offers (an answer keeps the offer's number).
  std::uint8_t payload_type = 0;
  bool dynamic = false;
  std::string fmtp;  ///< our a=fmtp parameters for it ("" for none), e.g. "useinbandfec=1"
};

struct LocalMedia {
  std::string address;  ///< IP4 or IP6 literal, without brackets
  std::uint16_t rtp_port = 0;
  std::vector<LocalCodec> codecs;  ///< in Cohort's order of preference
  std::uint64_t session_id = 0;
  std::uint64_t session_version = 0;
  bool telephone_event = true;            ///< offer and accept RFC 4733 telephone-event
  std::uint8_t telephone_event_pt = 101;  ///< its number in our own offers
  std::uint32_t ptime_ms = 20;
};

/// The direction of the stream as Cohort sees it (the answer's, or our offer's, attribute).
enum class Direction : std::uint8_t { kSendRecv, kSendOnly, kRecvOnly, kInactive };
std::string_view to_string(Direction d);

/// What answer_terminated() agreed, for the media session.
struct NegotiatedMedia {
  std::string body;  ///< the answer (application/sdp)
  std::string codec_name;
  std::uint32_t clock_rate = 0;
  std::uint8_t channels = 1;
  std::uint8_t payload_type = 0;                   ///< the offer's number for the codec
  std::optional<std::uint8_t> telephone_event_pt;  ///< at the codec's clock rate
  std::string remote_address;                      ///< media-level c= over session-level
  std::uint16_t remote_rtp_port = 0;
  std::string remote_rtcp_address;                  ///< a=rtcp's address, else remote_address
  std::uint16_t remote_rtcp_port = 0;               ///< a=rtcp (RFC 3605), else port + 1
  Direction direction = Direction::kSendRecv;       ///< ours: kRecvOnly/kInactive = don't send
  std::optional<std::uint32_t> remote_ptime_ms;     ///< the offer's a=ptime
  std::optional<std::uint32_t> remote_maxptime_ms;  ///< the offer's a=maxptime
  std::size_t media_index = 0;                      ///< which m= line was accepted
};

/// RFC 3264 §6: answers `offer` (parsed by sdp::parse) for a leg Cohort terminates. Takes
/// the first audio m= line over RTP/AVP or RTP/AVPF (port not 0) that shares a codec with
/// `local`, and in it the first codec in the OFFER's order that Cohort supports (§6.1: the
/// offerer's preference), with the offer's payload type numbers; telephone-event when
/// offered at that codec's clock rate. Every other m= line is answered with port 0 (the
/// same number of m= lines as the offer). Direction mirrors the offer's (sendonly ↔
/// recvonly; a c= of 0.0.0.0, RFC 2543 hold, counts as the offerer not receiving).
/// Errors: Malformed 488 "No audio stream" (no usable RTP/AVP(F) audio m= line) or
/// "No common codec". Thread: any (pure).
Expected<NegotiatedMedia, ParseError> answer_terminated(const Session& offer,
                                                        const LocalMedia& local);

/// Cohort's own offer (re-INVITE for hold/resume, or an outgoing leg Cohort terminates): one
/// audio m= line with every local codec in order, then telephone-event at 8000 (and at
/// 48000 when Opus is offered), a=ptime and the direction attribute. Thread: any (pure).
std::string offer_terminated(const LocalMedia& local, Direction direction);

/// Where a description's sender takes one of its streams, and whether it sends on it.
struct StreamAddress {
  std::size_t media_index = 0;
  std::string address;          ///< media-level c= over session-level; "0.0.0.0" for RFC 2543 hold
  std::uint16_t rtp_port = 0;   ///< 0: the stream is rejected or disabled
  std::string rtcp_address;     ///< a=rtcp's address (RFC 3605), else `address`
  std::uint16_t rtcp_port = 0;  ///< a=rtcp's port, else rtp_port + 1
  /// The direction as the sender wrote it (its own view): kSendRecv or kSendOnly mean it
  /// sends on the stream.
  Direction direction = Direction::kSendRecv;
};

/// The stream a relay carries: the first audio m= line over RTP/AVP or RTP/AVPF with a port
/// (an offer), or the m= line at `index` (an answer to an offer whose stream was that line).
/// Malformed 488 "No audio stream" when there is none. Thread: any (pure).
Expected<StreamAddress, ParseError> relayed_stream(const Session& session,
                                                   std::optional<std::size_t> index);

/// What relay_description() writes for the receiving side.
struct RelayRewrite {
  std::string address;         ///< Cohort's media address (IP4 or IP6 literal)
  std::uint16_t rtp_port = 0;  ///< the relay's port facing the receiver
  std::uint64_t session_id = 0;
  std::uint64_t session_version = 0;
};

/// `session` as Cohort passes it on through a media relay (issue 13, media anchoring): the
/// same m= lines in the same order, formats and their attributes untouched (codecs are
/// negotiated end to end, nothing is transcoded), but Cohort's o= and c= and the relay's port
/// on the stream; every other m= line disabled (port 0); the lines that would expose or
/// bypass the sender — a=ssrc and its CNAME, a=msid, a=rtcp, a=rtcp-mux, ICE candidates and
/// credentials, BUNDLE — left out. A stream on RFC 2543 hold keeps c=0.0.0.0. Thread: any.
std::string relay_description(const Session& session, const StreamAddress& stream,
                              const RelayRewrite& rewrite);

}  // namespace cohort::sip::sdp
