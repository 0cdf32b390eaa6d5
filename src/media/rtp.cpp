#include "media/rtp.hpp"

#include "media/bytes.hpp"

namespace cohort::media {

using detail::be16;
using detail::be32;

std::string_view to_string(PacketError e) {
  switch (e) {
    case PacketError::kTooShort:
      return "too short";
    case PacketError::kBadVersion:
      return "version is not 2";
    case PacketError::kCsrcOverrun:
      return "CSRC list runs past the end";
    case PacketError::kExtensionOverrun:
      return "header extension runs past the end";
    case PacketError::kBadPadding:
      return "bad padding count";
    case PacketError::kBadLength:
      return "RTCP lengths do not add up";
    case PacketError::kNotCompound:
      return "RTCP compound does not start with SR or RR";
    case PacketError::kPaddingNotLast:
      return "RTCP padding before the last packet";
    case PacketError::kMalformed:
      return "RTCP packet body does not match its type";
    case PacketError::kNotTelephoneEvent:
      return "telephone-event payload shorter than 4 bytes";
  }
  return "?";
}

Expected<RtpPacket, PacketError> parse_rtp(std::span<const std::uint8_t> d) {
  if (d.size() < kRtpHeaderSize) {
    return unexpected(PacketError::kTooShort);
  }
  if ((d[0] >> 6) != 2) {
    return unexpected(PacketError::kBadVersion);
  }
  RtpPacket p;
  RtpHeader& h = p.header;
  h.padding = (d[0] & 0x20) != 0;
  h.extension = (d[0] & 0x10) != 0;
  h.csrc_count = d[0] & 0x0F;
  h.marker = (d[1] & 0x80) != 0;
  h.payload_type = d[1] & 0x7F;
  h.sequence = be16(&d[2]);
  h.timestamp = be32(&d[4]);
  h.ssrc = be32(&d[8]);
  std::size_t pos = kRtpHeaderSize;
  if (d.size() < pos + 4u * h.csrc_count) {
    return unexpected(PacketError::kCsrcOverrun);
  }
  for (std::size_t i = 0; i < h.csrc_count; ++i, pos += 4) {
    h.csrcs[i] = be32(&d[pos]);
  }
  if (h.extension) {
    // §5.3.1: 16 bits defined by profile, 16 bits length in 32-bit words, then the words.
    if (d.size() < pos + 4) {
      return unexpected(PacketError::kExtensionOverrun);
    }
    p.extension_profile = be16(&d[pos]);
    const std::size_t words = be16(&d[pos + 2]);
    pos += 4;
    if (d.size() < pos + 4 * words) {
      return unexpected(PacketError::kExtensionOverrun);
    }
    p.extension = d.subspan(pos, 4 * words);
    pos += 4 * words;
  }
  std::size_t end = d.size();
  if (h.padding) {
    const std::uint8_t count = d.back();
    if (count == 0 || count > end - pos) {
      return unexpected(PacketError::kBadPadding);
    }
    p.padding_size = count;
    end -= count;
  }
  p.payload = d.subspan(pos, end - pos);
  return p;
}

std::vector<std::uint8_t> build_rtp(const RtpHeader& h, std::span<const std::uint8_t> payload,
                                    std::uint8_t padding, std::uint16_t extension_profile,
                                    std::span<const std::uint8_t> extension) {
  const std::size_t csrcs = h.csrc_count > kMaxCsrcs ? kMaxCsrcs : h.csrc_count;
  const bool has_extension = h.extension || !extension.empty();
  std::vector<std::uint8_t> out;
  out.reserve(kRtpHeaderSize + 4 * csrcs + (has_extension ? 4 + extension.size() : 0) +
              payload.size() + padding);
  out.push_back(static_cast<std::uint8_t>(0x80 | (padding != 0 ? 0x20 : 0) |
                                          (has_extension ? 0x10 : 0) | csrcs));
  out.push_back(static_cast<std::uint8_t>((h.marker ? 0x80 : 0) | (h.payload_type & 0x7F)));
  detail::push16(out, h.sequence);
  detail::push32(out, h.timestamp);
  detail::push32(out, h.ssrc);
  for (std::size_t i = 0; i < csrcs; ++i) {
    detail::push32(out, h.csrcs[i]);
  }
  if (has_extension) {
    detail::push16(out, extension_profile);
    detail::push16(out, static_cast<std::uint16_t>(extension.size() / 4));
    out.insert(out.end(), extension.begin(), extension.begin() + (extension.size() / 4) * 4);
  }
  out.insert(out.end(), payload.begin(), payload.end());
  if (padding != 0) {
    out.insert(out.end(), padding - 1u, 0);
    out.push_back(padding);
  }
  return out;
}

bool rewrite_rtp_ssrc(std::span<std::uint8_t> packet, std::uint32_t ssrc) {
  if (packet.size() < kRtpHeaderSize || (packet[0] >> 6) != 2) {
    return false;
  }
  detail::store32(&packet[8], ssrc);
  return true;
}

bool rewrite_rtp_seq_ts(std::span<std::uint8_t> packet, std::uint16_t sequence,
                        std::uint32_t timestamp) {
  if (packet.size() < kRtpHeaderSize || (packet[0] >> 6) != 2) {
    return false;
  }
  detail::store16(&packet[2], sequence);
  detail::store32(&packet[4], timestamp);
  return true;
}

bool is_rtcp_packet(std::span<const std::uint8_t> d) {
  return d.size() >= 2 && d[1] >= 192 && d[1] <= 223;
}

}  // namespace cohort::media
