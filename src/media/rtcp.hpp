#pragma once
// RTCP (RFC 3550 §6): sender and receiver reports, SDES, BYE; compound packets built and
// parsed with the validity checks of Appendix A.2; and the relay's rewrite of a compound
// packet under a new SSRC and CNAME so that nothing of the internal leg leaks. RTCP runs at
// a few packets a second, so parsing into owning values is fine here.

#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "common/clock.hpp"
#include "media/rtp.hpp"
#include "media/rtp_stats.hpp"

namespace cohort::media {

enum class RtcpType : std::uint8_t {
  kSr = 200,
  kRr = 201,
  kSdes = 202,
  kBye = 203,
  kApp = 204,
  kRtpfb = 205,  ///< RFC 4585 transport-layer feedback (NACK)
  kPsfb = 206,   ///< RFC 4585 payload-specific feedback (PLI, FIR)
  kXr = 207,     ///< RFC 3611
};

/// §6.4.1 report block. cumulative_lost is the signed 24-bit field.
struct ReportBlock {
  std::uint32_t ssrc = 0;
  std::uint8_t fraction_lost = 0;
  std::int32_t cumulative_lost = 0;
  std::uint32_t highest_seq = 0;  ///< extended highest sequence number received
  std::uint32_t jitter = 0;
  std::uint32_t lsr = 0;   ///< middle 32 bits of the last SR's NTP timestamp
  std::uint32_t dlsr = 0;  ///< delay since that SR, 1/65536 s
  bool operator==(const ReportBlock&) const = default;
};

struct SenderInfo {
  std::uint64_t ntp = 0;  ///< NTP timestamp, 32.32 fixed point seconds since 1900
  std::uint32_t rtp_timestamp = 0;
  std::uint32_t packet_count = 0;
  std::uint32_t octet_count = 0;
  bool operator==(const SenderInfo&) const = default;
};

struct RtcpSenderReport {
  std::uint32_t ssrc = 0;
  SenderInfo info;
  std::vector<ReportBlock> reports;
  bool operator==(const RtcpSenderReport&) const = default;
};

struct RtcpReceiverReport {
  std::uint32_t ssrc = 0;
  std::vector<ReportBlock> reports;
  bool operator==(const RtcpReceiverReport&) const = default;
};

/// §6.5 item types: 1 CNAME, 2 NAME, 3 EMAIL, 4 PHONE, 5 LOC, 6 TOOL, 7 NOTE, 8 PRIV.
inline constexpr std::uint8_t kSdesCname = 1;
struct SdesItem {
  std::uint8_t type = kSdesCname;
  std::string text;  ///< at most 255 bytes
  bool operator==(const SdesItem&) const = default;
};
struct SdesChunk {
  std::uint32_t ssrc = 0;
  std::vector<SdesItem> items;
  bool operator==(const SdesChunk&) const = default;
};
struct RtcpSdes {
  std::vector<SdesChunk> chunks;
  bool operator==(const RtcpSdes&) const = default;
};

struct RtcpBye {
  std::vector<std::uint32_t> ssrcs;
  std::string reason;
  bool operator==(const RtcpBye&) const = default;
};

/// Any other packet type (APP, feedback, XR, unknown), kept as its body after the 4-byte
/// header, without padding.
struct RtcpOther {
  std::uint8_t packet_type = 0;
  std::uint8_t count = 0;  ///< the 5-bit count / subtype field
  std::vector<std::uint8_t> body;
  bool operator==(const RtcpOther&) const = default;
};

using RtcpPacket = std::variant<RtcpSenderReport, RtcpReceiverReport, RtcpSdes, RtcpBye, RtcpOther>;

/// Parses a compound packet. RFC 3550 A.2: every packet version 2, the first an SR or RR
/// without padding, padding only on the last, and the lengths adding up to the datagram
/// exactly; each packet's body must fit its type (e.g. an RR's count of report blocks).
/// `require_compound = false` accepts reduced-size RTCP (RFC 5506: any first packet).
Expected<std::vector<RtcpPacket>, PacketError> parse_rtcp(std::span<const std::uint8_t> datagram,
                                                          bool require_compound = true);

/// Serialises the packets in order, without padding. At most 31 report blocks, SDES chunks
/// or BYE SSRCs per packet; SDES texts and the BYE reason are cut at 255 bytes.
std::vector<std::uint8_t> build_rtcp(std::span<const RtcpPacket> packets);

/// The relay's rewrite of one leg's compound RTCP before it goes to the other leg.
struct RtcpRewrite {
  std::uint32_t ssrc = 0;  ///< the SSRC this relay uses towards the receiving leg
  std::string cname;       ///< the CNAME it announces there
  /// Report blocks (and feedback media SSRCs) are about SSRCs the sender saw, i.e. the
  /// relay's rewritten ones: map each back to the SSRC of the receiving leg's own stream.
  std::vector<std::pair<std::uint32_t, std::uint32_t>> report_ssrc_map;
};
/// SR/RR: sender SSRC replaced, report-block SSRCs mapped (unmapped ones kept). SDES: one
/// chunk, the new SSRC with the CNAME only (NAME, EMAIL, TOOL, ... and other chunks dropped);
/// added after the first report when the sender sent none. BYE: the new SSRC, reason kept.
/// RTPFB/PSFB: sender SSRC replaced, media SSRC mapped. APP, XR and unknown types dropped.
Expected<std::vector<std::uint8_t>, PacketError> rewrite_rtcp(
    std::span<const std::uint8_t> datagram, const RtcpRewrite& rewrite);

/// The NTP timestamp of a wall-clock time (§4: seconds since 1900-01-01, 32.32 fixed point).
std::uint64_t to_ntp(SystemTime t);
/// The middle 32 bits of an NTP timestamp: the LSR field of a report block.
inline std::uint32_t ntp_middle32(std::uint64_t ntp) {
  return static_cast<std::uint32_t>(ntp >> 16);
}
/// A report block from a source's statistics (starts its next fraction-lost interval).
/// `last_sr_ntp` is the NTP timestamp of the source's last SR (0: none yet) and
/// `since_last_sr` the time since it arrived.
ReportBlock make_report_block(std::uint32_t ssrc, RtpSourceStats& stats, std::uint64_t last_sr_ntp,
                              std::chrono::nanoseconds since_last_sr);

}  // namespace cohort::media
