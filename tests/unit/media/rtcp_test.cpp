// RTCP compound packets (RFC 3550 §6, A.2): build and parse SR, RR, SDES, BYE; reject what
// A.2 rejects; and the relay's rewrite under a new SSRC and CNAME.
#include "media/rtcp.hpp"

#include <gtest/gtest.h>

#include <string>

namespace cohort::media {
namespace {

using Bytes = std::vector<std::uint8_t>;

RtcpSenderReport sample_sr() {
  RtcpSenderReport sr;
  sr.ssrc = 0x11223344;
  sr.info = {0x83AA7E80'12345678ULL, 160000, 1000, 160000};
  sr.reports.push_back({0xAABBCCDD, 64, -3, 0x0001FFFF, 80, 0x7E801234, 65536});
  return sr;
}

TEST(Rtcp, CompoundRoundTrip) {
  const std::vector<RtcpPacket> packets = {
      sample_sr(),
      RtcpSdes{{SdesChunk{0x11223344, {{kSdesCname, "sip:201@10.0.0.5"}, {2, "Alice"}}}}},
      RtcpBye{{0x11223344}, "hangup"},
  };
  const Bytes wire = build_rtcp(packets);
  ASSERT_EQ(wire.size() % 4, 0u);
  EXPECT_EQ(wire[0], 0x81);  // V=2, RC=1
  EXPECT_EQ(wire[1], 200);
  EXPECT_EQ(wire[3], 12);  // 13 words - 1
  auto parsed = parse_rtcp(wire);
  ASSERT_TRUE(parsed) << to_string(parsed.error());
  EXPECT_EQ(*parsed, packets);
}

TEST(Rtcp, ReceiverReportWithManyBlocksAndEmptySdes) {
  RtcpReceiverReport rr{7, {}};
  for (std::uint32_t i = 0; i < 31; ++i) {
    rr.reports.push_back(
        {i, static_cast<std::uint8_t>(i), -8388608 + static_cast<std::int32_t>(i), i, i, i, i});
  }
  const std::vector<RtcpPacket> packets = {rr, RtcpSdes{{SdesChunk{7, {}}}}, RtcpBye{{7, 8}, ""}};
  auto parsed = parse_rtcp(build_rtcp(packets));
  ASSERT_TRUE(parsed);
  EXPECT_EQ(*parsed, packets);
}

TEST(Rtcp, KeepsUnknownPacketsAndHonoursLastPadding) {
  Bytes wire = build_rtcp(std::vector<RtcpPacket>{RtcpReceiverReport{1, {}}});
  // An APP packet with padding, last in the compound: 4 bytes name, 4 bytes padding.
  const Bytes app = {0xA0 | 1, 204, 0, 2, 'T', 'E', 'S', 'T', 0, 0, 0, 4};
  wire.insert(wire.end(), app.begin(), app.end());
  auto parsed = parse_rtcp(wire);
  ASSERT_TRUE(parsed) << to_string(parsed.error());
  ASSERT_EQ(parsed->size(), 2u);
  const auto& other = std::get<RtcpOther>((*parsed)[1]);
  EXPECT_EQ(other.packet_type, 204);
  EXPECT_EQ(other.count, 1);
  EXPECT_EQ(other.body, (Bytes{'T', 'E', 'S', 'T'}));
}

struct RejectCase {
  std::string name;
  Bytes wire;
  PacketError error;
  bool require_compound = true;
};

Bytes rr_bytes() {
  return build_rtcp(std::vector<RtcpPacket>{RtcpReceiverReport{1, {}}});
}
Bytes concat(Bytes a, const Bytes& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}
Bytes patched(Bytes b, std::size_t at, std::uint8_t v) {
  b[at] = v;
  return b;
}

class RtcpRejects : public ::testing::TestWithParam<RejectCase> {};

TEST_P(RtcpRejects, PerAppendixA2) {
  auto p = parse_rtcp(GetParam().wire, GetParam().require_compound);
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error(), GetParam().error) << to_string(p.error());
}

INSTANTIATE_TEST_SUITE_P(
    Broken, RtcpRejects,
    ::testing::Values(
        RejectCase{"empty", {}, PacketError::kTooShort},
        RejectCase{"version_1", patched(rr_bytes(), 0, 0x40), PacketError::kBadVersion},
        RejectCase{"first_is_sdes",
                   build_rtcp(std::vector<RtcpPacket>{RtcpSdes{{SdesChunk{1, {}}}}}),
                   PacketError::kNotCompound},
        RejectCase{"first_padded", patched(rr_bytes(), 0, 0xA0), PacketError::kPaddingNotLast},
        RejectCase{"padding_not_last",
                   concat(concat(rr_bytes(), Bytes{0xA0, 204, 0, 1, 0, 0, 0, 4}), rr_bytes()),
                   PacketError::kPaddingNotLast},
        RejectCase{"length_past_end", patched(rr_bytes(), 3, 5), PacketError::kBadLength},
        RejectCase{"trailing_bytes", concat(rr_bytes(), Bytes{0x80, 0}), PacketError::kBadLength},
        RejectCase{"second_version_0", concat(rr_bytes(), Bytes{0x00, 202, 0, 0}),
                   PacketError::kBadVersion},
        RejectCase{"rr_count_overruns", patched(rr_bytes(), 0, 0x81), PacketError::kMalformed},
        RejectCase{"sr_too_short", Bytes{0x80, 200, 0, 1, 0, 0, 0, 1}, PacketError::kMalformed},
        RejectCase{"sdes_unterminated",
                   concat(rr_bytes(), Bytes{0x81, 202, 0, 2, 0, 0, 0, 1, 1, 2, 'a', 'b'}),
                   PacketError::kMalformed},
        RejectCase{"sdes_item_overrun",
                   concat(rr_bytes(), Bytes{0x81, 202, 0, 2, 0, 0, 0, 1, 1, 9, 'a', 'b'}),
                   PacketError::kMalformed},
        RejectCase{"bye_reason_overrun", Bytes{0x81, 203, 0, 2, 0, 0, 0, 1, 9, 'x', 0, 0},
                   PacketError::kMalformed, false},
        RejectCase{"bad_padding_count", Bytes{0xA0, 201, 0, 1, 0, 0, 0, 9},
                   PacketError::kBadPadding, false}),
    [](const auto& info) { return info.param.name; });

TEST(Rtcp, ReducedSizeAcceptedWhenAsked) {
  const Bytes pli = {0x81, 206, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2};
  EXPECT_FALSE(parse_rtcp(pli));
  auto p = parse_rtcp(pli, false);
  ASSERT_TRUE(p);
  EXPECT_EQ(std::get<RtcpOther>((*p)[0]).packet_type, 206);
}

TEST(Rtcp, RewriteReplacesSsrcAndCnameAndDropsWhatLeaks) {
  RtcpSenderReport sr = sample_sr();
  const std::vector<RtcpPacket> in = {
      sr,
      RtcpSdes{{SdesChunk{0x11223344, {{kSdesCname, "sip:201@192.168.1.20"}, {6, "Yealink"}}},
                SdesChunk{0x55555555, {{kSdesCname, "other"}}}}},
      RtcpOther{204, 0, {'N', 'A', 'M', 'E'}},                              // APP: dropped
      RtcpOther{206, 1, {0x11, 0x22, 0x33, 0x44, 0xAA, 0xBB, 0xCC, 0xDD}},  // PLI: rewritten
      RtcpBye{{0x11223344, 0x55555555}, "bye"},
  };
  const RtcpRewrite rw{0x0C0FFEE0, "cohort-4f2a@pbx", {{0xAABBCCDD, 0x12121212}}};
  auto out = rewrite_rtcp(build_rtcp(in), rw);
  ASSERT_TRUE(out) << to_string(out.error());
  auto parsed = parse_rtcp(*out);
  ASSERT_TRUE(parsed);
  ASSERT_EQ(parsed->size(), 4u);
  const auto& osr = std::get<RtcpSenderReport>((*parsed)[0]);
  EXPECT_EQ(osr.ssrc, 0x0C0FFEE0u);
  EXPECT_EQ(osr.info, sr.info);
  ASSERT_EQ(osr.reports.size(), 1u);
  EXPECT_EQ(osr.reports[0].ssrc, 0x12121212u);
  EXPECT_EQ(osr.reports[0].cumulative_lost, -3);
  EXPECT_EQ(std::get<RtcpSdes>((*parsed)[1]),
            (RtcpSdes{{SdesChunk{0x0C0FFEE0, {{kSdesCname, "cohort-4f2a@pbx"}}}}}));
  const auto& pli = std::get<RtcpOther>((*parsed)[2]);
  EXPECT_EQ(pli.body, (Bytes{0x0C, 0x0F, 0xFE, 0xE0, 0x12, 0x12, 0x12, 0x12}));
  EXPECT_EQ(std::get<RtcpBye>((*parsed)[3]), (RtcpBye{{0x0C0FFEE0}, "bye"}));
  // Nothing of the internal leg is left in the bytes.
  const std::string text(out->begin(), out->end());
  EXPECT_EQ(text.find("192.168"), std::string::npos);
  EXPECT_EQ(text.find("Yealink"), std::string::npos);
}

TEST(Rtcp, RewriteAddsACnameWhenTheSenderSentNone) {
  const std::vector<RtcpPacket> in = {RtcpReceiverReport{5, {}}};
  auto out = rewrite_rtcp(build_rtcp(in), {9, "c", {}});
  ASSERT_TRUE(out);
  auto parsed = parse_rtcp(*out);
  ASSERT_TRUE(parsed);
  ASSERT_EQ(parsed->size(), 2u);
  EXPECT_EQ(std::get<RtcpReceiverReport>((*parsed)[0]).ssrc, 9u);
  EXPECT_EQ(std::get<RtcpSdes>((*parsed)[1]), (RtcpSdes{{SdesChunk{9, {{kSdesCname, "c"}}}}}));
  EXPECT_FALSE(rewrite_rtcp(Bytes{1, 2, 3}, {9, "c", {}}));
}

TEST(Rtcp, NtpTimestampsAndReportBlocks) {
  // 1970-01-01T00:00:00.5 is NTP 2208988800.5.
  const SystemTime half = SystemTime{} + std::chrono::milliseconds(500);
  EXPECT_EQ(to_ntp(half), (2208988800ULL << 32) | 0x80000000ULL);
  EXPECT_EQ(ntp_middle32(0x0000ABCD'12340000ULL), 0xABCD1234u);

  RtpSourceStats stats(10);
  (void)stats.update_seq(10);
  for (std::uint16_t s = 11; s <= 20; ++s) {
    if (s != 15) {
      (void)stats.update_seq(s);
    }
  }
  const ReportBlock b =
      make_report_block(0x42, stats, 0x0000ABCD'12340000ULL, std::chrono::milliseconds(1500));
  EXPECT_EQ(b.ssrc, 0x42u);
  EXPECT_EQ(b.highest_seq, 20u);
  EXPECT_EQ(b.cumulative_lost, 1);
  EXPECT_EQ(b.fraction_lost, 25);  // 1/10 · 256
  EXPECT_EQ(b.lsr, 0xABCD1234u);
  EXPECT_EQ(b.dlsr, 98304u);  // 1.5 · 65536
  EXPECT_EQ(make_report_block(1, stats, 0, {}).lsr, 0u);
}

}  // namespace
}  // namespace cohort::media
