#include "media/rtcp.hpp"

#include <algorithm>

#include "media/bytes.hpp"

namespace cohort::media {
namespace {

using detail::be16;
using detail::be32;
using Bytes = std::span<const std::uint8_t>;

constexpr std::size_t kReportBlockSize = 24;
constexpr std::size_t kSenderInfoSize = 20;
constexpr std::uint32_t kMaxCount = 31;

ReportBlock parse_block(const std::uint8_t* p) {
  ReportBlock b;
  b.ssrc = be32(p);
  b.fraction_lost = p[4];
  // Sign-extend the 24-bit cumulative loss.
  const std::uint32_t raw = be32(p + 4) & 0xFFFFFF;
  b.cumulative_lost = static_cast<std::int32_t>(raw << 8) >> 8;
  b.highest_seq = be32(p + 8);
  b.jitter = be32(p + 12);
  b.lsr = be32(p + 16);
  b.dlsr = be32(p + 20);
  return b;
}

Expected<std::vector<ReportBlock>, PacketError> parse_blocks(Bytes body, std::size_t count) {
  // Profile-specific extensions may follow the blocks (§6.4.1): ignored.
  if (body.size() < count * kReportBlockSize) {
    return unexpected(PacketError::kMalformed);
  }
  std::vector<ReportBlock> out;
  out.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    out.push_back(parse_block(body.data() + i * kReportBlockSize));
  }
  return out;
}

Expected<RtcpSdes, PacketError> parse_sdes(Bytes body, std::size_t count) {
  RtcpSdes sdes;
  std::size_t pos = 0;
  for (std::size_t c = 0; c < count; ++c) {
    if (body.size() < pos + 4) {
      return unexpected(PacketError::kMalformed);
    }
    SdesChunk chunk{be32(&body[pos]), {}};
    pos += 4;
    // Items until a null item; then pad to the next 32-bit boundary (§6.5).
    while (true) {
      if (pos >= body.size()) {
        return unexpected(PacketError::kMalformed);
      }
      const std::uint8_t type = body[pos];
      if (type == 0) {
        pos = (pos + 4) & ~std::size_t{3};
        break;
      }
      if (body.size() < pos + 2 || body.size() < pos + 2 + body[pos + 1]) {
        return unexpected(PacketError::kMalformed);
      }
      const std::size_t len = body[pos + 1];
      chunk.items.push_back(
          {type, std::string(reinterpret_cast<const char*>(&body[pos + 2]), len)});
      pos += 2 + len;
    }
    if (pos > body.size()) {
      return unexpected(PacketError::kMalformed);
    }
    sdes.chunks.push_back(std::move(chunk));
  }
  return sdes;
}

Expected<RtcpBye, PacketError> parse_bye(Bytes body, std::size_t count) {
  if (body.size() < 4 * count) {
    return unexpected(PacketError::kMalformed);
  }
  RtcpBye bye;
  for (std::size_t i = 0; i < count; ++i) {
    bye.ssrcs.push_back(be32(&body[4 * i]));
  }
  const std::size_t pos = 4 * count;
  if (body.size() > pos) {
    const std::size_t len = body[pos];
    if (body.size() < pos + 1 + len) {
      return unexpected(PacketError::kMalformed);
    }
    bye.reason.assign(reinterpret_cast<const char*>(&body[pos + 1]), len);
  }
  return bye;
}

Expected<RtcpPacket, PacketError> parse_one(std::uint8_t type, std::uint8_t count, Bytes body) {
  switch (static_cast<RtcpType>(type)) {
    case RtcpType::kSr: {
      if (body.size() < 4 + kSenderInfoSize) {
        return unexpected(PacketError::kMalformed);
      }
      RtcpSenderReport sr;
      sr.ssrc = be32(&body[0]);
      sr.info.ntp = static_cast<std::uint64_t>(be32(&body[4])) << 32 | be32(&body[8]);
      sr.info.rtp_timestamp = be32(&body[12]);
      sr.info.packet_count = be32(&body[16]);
      sr.info.octet_count = be32(&body[20]);
      auto blocks = parse_blocks(body.subspan(4 + kSenderInfoSize), count);
      if (!blocks) {
        return unexpected(blocks.error());
      }
      sr.reports = std::move(*blocks);
      return RtcpPacket(std::move(sr));
    }
    case RtcpType::kRr: {
      if (body.size() < 4) {
        return unexpected(PacketError::kMalformed);
      }
      RtcpReceiverReport rr;
      rr.ssrc = be32(&body[0]);
      auto blocks = parse_blocks(body.subspan(4), count);
      if (!blocks) {
        return unexpected(blocks.error());
      }
      rr.reports = std::move(*blocks);
      return RtcpPacket(std::move(rr));
    }
    case RtcpType::kSdes: {
      auto sdes = parse_sdes(body, count);
      if (!sdes) {
        return unexpected(sdes.error());
      }
      return RtcpPacket(std::move(*sdes));
    }
    case RtcpType::kBye: {
      auto bye = parse_bye(body, count);
      if (!bye) {
        return unexpected(bye.error());
      }
      return RtcpPacket(std::move(*bye));
    }
    default:
      return RtcpPacket(
          RtcpOther{type, count, std::vector<std::uint8_t>(body.begin(), body.end())});
  }
}

// Appends a packet header with a placeholder length; returns its offset.
std::size_t begin_packet(std::vector<std::uint8_t>& out, std::size_t count, std::uint8_t type) {
  const std::size_t at = out.size();
  out.push_back(static_cast<std::uint8_t>(0x80 | std::min<std::size_t>(count, kMaxCount)));
  out.push_back(type);
  out.push_back(0);
  out.push_back(0);
  return at;
}
void end_packet(std::vector<std::uint8_t>& out, std::size_t at) {
  while (out.size() % 4 != 0) {
    out.push_back(0);
  }
  detail::store16(&out[at + 2], static_cast<std::uint16_t>((out.size() - at) / 4 - 1));
}

void put_blocks(std::vector<std::uint8_t>& out, const std::vector<ReportBlock>& blocks) {
  const std::size_t n = std::min<std::size_t>(blocks.size(), kMaxCount);
  for (std::size_t i = 0; i < n; ++i) {
    const ReportBlock& b = blocks[i];
    detail::push32(out, b.ssrc);
    detail::push32(out, static_cast<std::uint32_t>(b.fraction_lost) << 24 |
                            (static_cast<std::uint32_t>(b.cumulative_lost) & 0xFFFFFF));
    detail::push32(out, b.highest_seq);
    detail::push32(out, b.jitter);
    detail::push32(out, b.lsr);
    detail::push32(out, b.dlsr);
  }
}

void put_text(std::vector<std::uint8_t>& out, const std::string& text) {
  const std::size_t len = std::min<std::size_t>(text.size(), 255);
  out.push_back(static_cast<std::uint8_t>(len));
  out.insert(out.end(), text.begin(), text.begin() + static_cast<std::ptrdiff_t>(len));
}

struct Builder {
  std::vector<std::uint8_t>& out;
  void operator()(const RtcpSenderReport& sr) const {
    const std::size_t at = begin_packet(out, sr.reports.size(), 200);
    detail::push32(out, sr.ssrc);
    detail::push32(out, static_cast<std::uint32_t>(sr.info.ntp >> 32));
    detail::push32(out, static_cast<std::uint32_t>(sr.info.ntp));
    detail::push32(out, sr.info.rtp_timestamp);
    detail::push32(out, sr.info.packet_count);
    detail::push32(out, sr.info.octet_count);
    put_blocks(out, sr.reports);
    end_packet(out, at);
  }
  void operator()(const RtcpReceiverReport& rr) const {
    const std::size_t at = begin_packet(out, rr.reports.size(), 201);
    detail::push32(out, rr.ssrc);
    put_blocks(out, rr.reports);
    end_packet(out, at);
  }
  void operator()(const RtcpSdes& sdes) const {
    const std::size_t n = std::min<std::size_t>(sdes.chunks.size(), kMaxCount);
    const std::size_t at = begin_packet(out, n, 202);
    for (std::size_t i = 0; i < n; ++i) {
      const SdesChunk& c = sdes.chunks[i];
      detail::push32(out, c.ssrc);
      for (const SdesItem& item : c.items) {
        if (item.type == 0) {
          continue;
        }
        out.push_back(item.type);
        put_text(out, item.text);
      }
      // The null item, then null octets to the 32-bit boundary (at least one null octet).
      out.push_back(0);
      while (out.size() % 4 != 0) {
        out.push_back(0);
      }
    }
    end_packet(out, at);
  }
  void operator()(const RtcpBye& bye) const {
    const std::size_t n = std::min<std::size_t>(bye.ssrcs.size(), kMaxCount);
    const std::size_t at = begin_packet(out, n, 203);
    for (std::size_t i = 0; i < n; ++i) {
      detail::push32(out, bye.ssrcs[i]);
    }
    if (!bye.reason.empty()) {
      put_text(out, bye.reason);
    }
    end_packet(out, at);
  }
  void operator()(const RtcpOther& other) const {
    const std::size_t at = begin_packet(out, other.count, other.packet_type);
    out.insert(out.end(), other.body.begin(), other.body.end());
    end_packet(out, at);
  }
};

std::uint32_t mapped(const RtcpRewrite& rw, std::uint32_t ssrc) {
  for (const auto& [from, to] : rw.report_ssrc_map) {
    if (from == ssrc) {
      return to;
    }
  }
  return ssrc;
}

}  // namespace

Expected<std::vector<RtcpPacket>, PacketError> parse_rtcp(Bytes d, bool require_compound) {
  if (d.size() < 4) {
    return unexpected(PacketError::kTooShort);
  }
  if (require_compound) {
    // A.2: the first packet is SR or RR, version 2, without padding.
    if ((d[0] >> 6) != 2) {
      return unexpected(PacketError::kBadVersion);
    }
    if ((d[0] & 0x20) != 0) {
      return unexpected(PacketError::kPaddingNotLast);
    }
    if (d[1] != 200 && d[1] != 201) {
      return unexpected(PacketError::kNotCompound);
    }
  }
  std::vector<RtcpPacket> packets;
  std::size_t pos = 0;
  while (pos < d.size()) {
    if (d.size() - pos < 4) {
      return unexpected(PacketError::kBadLength);
    }
    const std::uint8_t* h = &d[pos];
    if ((h[0] >> 6) != 2) {
      return unexpected(PacketError::kBadVersion);
    }
    const std::size_t length = (static_cast<std::size_t>(be16(h + 2)) + 1) * 4;
    if (length > d.size() - pos) {
      return unexpected(PacketError::kBadLength);
    }
    Bytes body = d.subspan(pos + 4, length - 4);
    if ((h[0] & 0x20) != 0) {
      if (pos + length != d.size()) {
        return unexpected(PacketError::kPaddingNotLast);
      }
      const std::uint8_t pad = body.empty() ? 0 : body.back();
      if (pad == 0 || pad > body.size()) {
        return unexpected(PacketError::kBadPadding);
      }
      body = body.first(body.size() - pad);
    }
    auto packet = parse_one(h[1], h[0] & 0x1F, body);
    if (!packet) {
      return unexpected(packet.error());
    }
    packets.push_back(std::move(*packet));
    pos += length;
  }
  return packets;
}

std::vector<std::uint8_t> build_rtcp(std::span<const RtcpPacket> packets) {
  std::vector<std::uint8_t> out;
  out.reserve(128);
  for (const RtcpPacket& p : packets) {
    std::visit(Builder{out}, p);
  }
  return out;
}

Expected<std::vector<std::uint8_t>, PacketError> rewrite_rtcp(Bytes d, const RtcpRewrite& rw) {
  auto parsed = parse_rtcp(d);
  if (!parsed) {
    return unexpected(parsed.error());
  }
  const RtcpPacket our_sdes = RtcpSdes{{SdesChunk{rw.ssrc, {SdesItem{kSdesCname, rw.cname}}}}};
  std::vector<RtcpPacket> out;
  bool sdes_done = false;
  for (RtcpPacket& p : *parsed) {
    if (auto* sr = std::get_if<RtcpSenderReport>(&p)) {
      sr->ssrc = rw.ssrc;
      for (ReportBlock& b : sr->reports) {
        b.ssrc = mapped(rw, b.ssrc);
      }
      out.push_back(std::move(p));
    } else if (auto* rr = std::get_if<RtcpReceiverReport>(&p)) {
      rr->ssrc = rw.ssrc;
      for (ReportBlock& b : rr->reports) {
        b.ssrc = mapped(rw, b.ssrc);
      }
      out.push_back(std::move(p));
    } else if (std::holds_alternative<RtcpSdes>(p)) {
      if (!sdes_done) {
        out.push_back(our_sdes);
        sdes_done = true;
      }
    } else if (auto* bye = std::get_if<RtcpBye>(&p)) {
      bye->ssrcs = {rw.ssrc};
      out.push_back(std::move(p));
    } else if (auto* other = std::get_if<RtcpOther>(&p)) {
      const bool feedback = other->packet_type == static_cast<std::uint8_t>(RtcpType::kRtpfb) ||
                            other->packet_type == static_cast<std::uint8_t>(RtcpType::kPsfb);
      if (feedback && other->body.size() >= 8) {
        detail::store32(&other->body[0], rw.ssrc);
        detail::store32(&other->body[4], mapped(rw, be32(&other->body[4])));
        out.push_back(std::move(p));
      }
    }
  }
  if (!sdes_done) {
    // A.2 guarantees a first SR/RR; the CNAME goes right after it (§6.1).
    out.insert(out.begin() + 1, our_sdes);
  }
  return build_rtcp(out);
}

std::uint64_t to_ntp(SystemTime t) {
  // §4: NTP seconds count from 1900-01-01; Unix time from 1970-01-01, 2208988800 s later.
  constexpr std::uint64_t kNtpUnixOffset = 2208988800ULL;
  const auto ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
  const auto secs = static_cast<std::uint64_t>(ns / 1'000'000'000) + kNtpUnixOffset;
  const auto frac_ns = static_cast<std::uint64_t>(ns % 1'000'000'000);
  const std::uint64_t frac = (frac_ns << 32) / 1'000'000'000;
  return secs << 32 | frac;
}

ReportBlock make_report_block(std::uint32_t ssrc, RtpSourceStats& stats, std::uint64_t last_sr_ntp,
                              std::chrono::nanoseconds since_last_sr) {
  ReportBlock b;
  b.ssrc = ssrc;
  b.fraction_lost = stats.take_fraction_lost();
  b.cumulative_lost = stats.cumulative_lost();
  b.highest_seq = stats.extended_max();
  b.jitter = stats.jitter();
  if (last_sr_ntp != 0) {
    b.lsr = ntp_middle32(last_sr_ntp);
    // DLSR in units of 1/65536 s.
    b.dlsr = static_cast<std::uint32_t>(
        static_cast<std::uint64_t>(std::max<std::int64_t>(0, since_last_sr.count())) * 65536 /
        1'000'000'000);
  }
  return b;
}

}  // namespace cohort::media
