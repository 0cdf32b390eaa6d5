#pragma once
// RTP data packets (RFC 3550 §5.1): parse with the validity checks of Appendix A.1, build,
// and rewrite the SSRC in place for the relay. Hot path: no allocation when parsing; a
// parsed packet is a view into the caller's buffer.

#include <array>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "common/expected.hpp"

namespace cohort::media {

/// Why a packet was rejected: an enum, not a string, because garbage arrives at line rate.
enum class PacketError : std::uint8_t {
  kTooShort,           ///< shorter than the fixed header
  kBadVersion,         ///< version field is not 2
  kCsrcOverrun,        ///< the CSRC list runs past the end
  kExtensionOverrun,   ///< the header extension runs past the end
  kBadPadding,         ///< padding count 0 or larger than what follows the header
  kBadLength,          ///< RTCP: lengths do not add up to the datagram
  kNotCompound,        ///< RTCP: the first packet is not SR or RR (A.2)
  kPaddingNotLast,     ///< RTCP: padding bit on a packet other than the last (A.2)
  kMalformed,          ///< RTCP: a packet's body does not match its type
  kNotTelephoneEvent,  ///< RFC 4733: payload shorter than 4 bytes
};
std::string_view to_string(PacketError e);

inline constexpr std::size_t kRtpHeaderSize = 12;
inline constexpr std::size_t kMaxCsrcs = 15;

struct RtpHeader {
  bool padding = false;
  bool extension = false;
  bool marker = false;
  std::uint8_t payload_type = 0;
  std::uint16_t sequence = 0;
  std::uint32_t timestamp = 0;
  std::uint32_t ssrc = 0;
  std::uint8_t csrc_count = 0;
  std::array<std::uint32_t, kMaxCsrcs> csrcs{};
  bool operator==(const RtpHeader&) const = default;
};

struct RtpPacket {
  RtpHeader header;
  std::uint16_t extension_profile = 0;      ///< "defined by profile" (§5.3.1)
  std::span<const std::uint8_t> extension;  ///< the extension's words, without its header
  std::span<const std::uint8_t> payload;    ///< without padding
  std::uint8_t padding_size = 0;            ///< bytes of padding, the count included
};

/// RFC 3550 A.1: version 2; the CSRC list, header extension and padding (a count of at
/// least 1, no larger than what follows the header) fit the datagram. The payload type is not
/// checked here (the caller knows which it negotiated) nor is RTCP told apart (see
/// is_rtcp_packet()).
Expected<RtpPacket, PacketError> parse_rtp(std::span<const std::uint8_t> datagram);

/// An RTP packet: header (with CSRCs and, when given, an extension of whole 32-bit words),
/// payload, then `padding` bytes of padding (0 for none; the last byte holds the count).
/// Preconditions: extension.size() % 4 == 0; csrc_count <= 15.
std::vector<std::uint8_t> build_rtp(const RtpHeader& header, std::span<const std::uint8_t> payload,
                                    std::uint8_t padding = 0, std::uint16_t extension_profile = 0,
                                    std::span<const std::uint8_t> extension = {});

/// Overwrites the SSRC of an RTP packet in place (the relay's rewrite). False, and nothing
/// written, when the buffer is too short or not version 2.
bool rewrite_rtp_ssrc(std::span<std::uint8_t> packet, std::uint32_t ssrc);
/// Overwrites sequence number and timestamp in place (relay with its own numbering).
bool rewrite_rtp_seq_ts(std::span<std::uint8_t> packet, std::uint16_t sequence,
                        std::uint32_t timestamp);

/// RTP and RTCP on one port (RFC 5761 §4): a second byte of 192..223 is RTCP (SR 200, RR
/// 201, SDES 202, BYE 203, APP 204, RTPFB 205, PSFB 206, XR 207 — payload types 64–95 with
/// the marker bit, which RTP must not use when multiplexing).
bool is_rtcp_packet(std::span<const std::uint8_t> datagram);

}  // namespace cohort::media
