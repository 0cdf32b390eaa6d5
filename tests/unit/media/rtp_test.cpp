// RTP packets (RFC 3550 §5.1, A.1 validity), the SSRC rewrite, RTP/RTCP demultiplexing, and
// the receive statistics: update_seq with probation, wrap and big jumps, jitter, loss.
#include "media/rtp.hpp"

#include <gtest/gtest.h>

#include <string>

#include "media/rtp_stats.hpp"

namespace cohort::media {
namespace {

using Bytes = std::vector<std::uint8_t>;
using namespace std::chrono_literals;

TEST(Rtp, BuildThenParseEveryField) {
  RtpHeader h;
  h.marker = true;
  h.payload_type = 101;
  h.sequence = 0xFFFE;
  h.timestamp = 0xDEADBEEF;
  h.ssrc = 0x01020304;
  h.csrc_count = 2;
  h.csrcs[0] = 0x11111111;
  h.csrcs[1] = 0x22222222;
  const Bytes payload = {1, 2, 3, 4, 5};
  const Bytes ext = {9, 9, 9, 9, 8, 8, 8, 8};
  const Bytes wire = build_rtp(h, payload, 3, 0xBEDE, ext);
  ASSERT_EQ(wire.size(), 12u + 8 + 4 + 8 + 5 + 3);
  EXPECT_EQ(wire[0], 0x80 | 0x20 | 0x10 | 2);
  EXPECT_EQ(wire[1], 0x80 | 101);
  auto p = parse_rtp(wire);
  ASSERT_TRUE(p) << to_string(p.error());
  h.padding = true;
  h.extension = true;
  EXPECT_EQ(p->header, h);
  EXPECT_EQ(p->extension_profile, 0xBEDE);
  EXPECT_EQ(Bytes(p->extension.begin(), p->extension.end()), ext);
  EXPECT_EQ(Bytes(p->payload.begin(), p->payload.end()), payload);
  EXPECT_EQ(p->padding_size, 3);
}

TEST(Rtp, MinimalPacket) {
  const Bytes wire = {0x80, 0x00, 0x00, 0x01, 0, 0, 0, 160, 0, 0, 0, 42};
  auto p = parse_rtp(wire);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->header.sequence, 1);
  EXPECT_EQ(p->header.timestamp, 160u);
  EXPECT_EQ(p->header.ssrc, 42u);
  EXPECT_TRUE(p->payload.empty());
}

struct RejectCase {
  std::string name;
  Bytes wire;
  PacketError error;
};

class RtpRejects : public ::testing::TestWithParam<RejectCase> {};

TEST_P(RtpRejects, PerAppendixA1) {
  auto p = parse_rtp(GetParam().wire);
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error(), GetParam().error) << to_string(p.error());
}

const Bytes kHeader = {0x80, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1};
Bytes with(Bytes b, std::size_t at, std::uint8_t v, const Bytes& tail = {}) {
  b[at] = v;
  b.insert(b.end(), tail.begin(), tail.end());
  return b;
}

INSTANTIATE_TEST_SUITE_P(
    Broken, RtpRejects,
    ::testing::Values(
        RejectCase{"empty", {}, PacketError::kTooShort},
        RejectCase{"eleven_bytes", Bytes(kHeader.begin(), kHeader.end() - 1),
                   PacketError::kTooShort},
        RejectCase{"version_0", with(kHeader, 0, 0x00), PacketError::kBadVersion},
        RejectCase{"version_1", with(kHeader, 0, 0x40), PacketError::kBadVersion},
        RejectCase{"version_3", with(kHeader, 0, 0xC0), PacketError::kBadVersion},
        RejectCase{"csrc_overrun", with(kHeader, 0, 0x82, {0, 0, 0, 1}), PacketError::kCsrcOverrun},
        RejectCase{"extension_header_missing", with(kHeader, 0, 0x90, {0xBE, 0xDE}),
                   PacketError::kExtensionOverrun},
        RejectCase{"extension_overrun", with(kHeader, 0, 0x90, {0xBE, 0xDE, 0, 2, 1, 2, 3, 4}),
                   PacketError::kExtensionOverrun},
        RejectCase{"padding_zero", with(kHeader, 0, 0xA0, {1, 2, 0}), PacketError::kBadPadding},
        RejectCase{"padding_too_big", with(kHeader, 0, 0xA0, {1, 2, 4}), PacketError::kBadPadding},
        RejectCase{"padding_without_bytes", with(kHeader, 0, 0xA0), PacketError::kBadPadding},
        RejectCase{"padding_into_csrcs", with(kHeader, 0, 0xA1, {0, 0, 0, 8}),
                   PacketError::kBadPadding}),
    [](const auto& info) { return info.param.name; });

TEST(Rtp, PaddingMayFillTheWholePayload) {
  auto p = parse_rtp(with(kHeader, 0, 0xA0, {0, 0, 3}));
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->payload.empty());
  EXPECT_EQ(p->padding_size, 3);
}

TEST(Rtp, RewritesSsrcSeqAndTimestampInPlace) {
  RtpHeader h;
  h.ssrc = 1;
  h.sequence = 7;
  h.timestamp = 99;
  Bytes wire = build_rtp(h, Bytes{1, 2, 3});
  ASSERT_TRUE(rewrite_rtp_ssrc(wire, 0xCAFEBABE));
  ASSERT_TRUE(rewrite_rtp_seq_ts(wire, 65535, 0xFFFFFFFF));
  auto p = parse_rtp(wire);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->header.ssrc, 0xCAFEBABE);
  EXPECT_EQ(p->header.sequence, 65535);
  EXPECT_EQ(p->header.timestamp, 0xFFFFFFFFu);
  EXPECT_EQ(p->payload[2], 3);
  Bytes short_one(11, 0x80);
  EXPECT_FALSE(rewrite_rtp_ssrc(short_one, 1));
  Bytes v1 = wire;
  v1[0] = 0x40;
  EXPECT_FALSE(rewrite_rtp_ssrc(v1, 1));
  EXPECT_EQ(v1[8], 0xCA);  // untouched
}

TEST(Rtp, TellsRtcpFromRtpOnOnePort) {
  EXPECT_TRUE(is_rtcp_packet(Bytes{0x80, 200, 0, 6}));
  EXPECT_TRUE(is_rtcp_packet(Bytes{0x81, 201, 0, 7}));
  EXPECT_TRUE(is_rtcp_packet(Bytes{0x80, 206, 0, 2}));
  EXPECT_FALSE(is_rtcp_packet(Bytes{0x80, 0, 0, 1}));
  EXPECT_FALSE(is_rtcp_packet(Bytes{0x80, 0x80 | 101}));  // marker + PT 101 = 229
  EXPECT_FALSE(is_rtcp_packet(Bytes{0x80}));
}

// RFC 3550 A.1 update_seq.
TEST(RtpStats, ProbationThenValid) {
  RtpSourceStats s(1000);
  EXPECT_EQ(s.update_seq(1000), SeqVerdict::kProbation);
  EXPECT_EQ(s.update_seq(1001), SeqVerdict::kValid);
  EXPECT_EQ(s.update_seq(1002), SeqVerdict::kValid);
  EXPECT_EQ(s.extended_max(), 1002u);
  EXPECT_EQ(s.received(), 2u);
  EXPECT_EQ(s.expected(), 2u);  // base is the packet that ended probation
  EXPECT_EQ(s.cumulative_lost(), 0);
}

TEST(RtpStats, NonSequentialPacketsRestartProbation) {
  RtpSourceStats s(10);
  EXPECT_EQ(s.update_seq(10), SeqVerdict::kProbation);
  EXPECT_EQ(s.update_seq(50), SeqVerdict::kProbation);
  EXPECT_EQ(s.update_seq(51), SeqVerdict::kValid);
  EXPECT_EQ(s.extended_max(), 51u);
}

TEST(RtpStats, WrapCountsACycle) {
  RtpSourceStats s(65533);
  (void)s.update_seq(65533);
  for (std::uint16_t seq : {65534, 65535, 0, 1, 2}) {
    EXPECT_EQ(s.update_seq(seq), SeqVerdict::kValid) << seq;
  }
  EXPECT_EQ(s.extended_max(), 65536u + 2);
  EXPECT_EQ(s.expected(), 5u);
  EXPECT_EQ(s.cumulative_lost(), 0);
  // A packet from before the wrap arriving late is reordered, not a new cycle.
  EXPECT_EQ(s.update_seq(65535), SeqVerdict::kValid);
  EXPECT_EQ(s.extended_max(), 65538u);
}

TEST(RtpStats, BigJumpNeedsTwoSequentialPacketsToRestart) {
  RtpSourceStats s(100);
  (void)s.update_seq(100);
  (void)s.update_seq(101);
  EXPECT_EQ(s.update_seq(30000), SeqVerdict::kBadJump);
  EXPECT_EQ(s.extended_max(), 101u);
  EXPECT_EQ(s.update_seq(102), SeqVerdict::kValid);  // the stray did not disturb the stream
  EXPECT_EQ(s.update_seq(40000), SeqVerdict::kBadJump);
  EXPECT_EQ(s.update_seq(40001), SeqVerdict::kRestarted);
  EXPECT_EQ(s.extended_max(), 40001u);
  EXPECT_EQ(s.received(), 1u);
  EXPECT_EQ(s.update_seq(40002), SeqVerdict::kValid);
}

TEST(RtpStats, GapsWithinDropoutAreLossAndFractionLost) {
  RtpSourceStats s(0);
  (void)s.update_seq(0);
  (void)s.update_seq(1);  // base 1
  for (std::uint16_t seq = 2; seq <= 100; ++seq) {
    if (seq % 4 != 3) {  // lose 3, 7, ..., 99
      (void)s.update_seq(seq);
    }
  }
  EXPECT_EQ(s.expected(), 100u);
  EXPECT_EQ(s.cumulative_lost(), 25);
  EXPECT_EQ(s.take_fraction_lost(), 64);   // 25/100 · 256
  EXPECT_EQ(s.take_fraction_lost(), 0);    // nothing since
  (void)s.update_seq(105);                 // 101..104 lost, 1 received
  EXPECT_EQ(s.take_fraction_lost(), 204);  // 4/5 · 256
  // Duplicates make the interval's loss negative: reported as 0.
  (void)s.update_seq(105);
  (void)s.update_seq(105);
  EXPECT_EQ(s.take_fraction_lost(), 0);
  EXPECT_EQ(s.cumulative_lost(), 29 - 2);
}

TEST(RtpStats, JitterFollowsAppendixA8) {
  RtpSourceStats steady(0);
  const auto t0 = TimePoint{} + 1000h;  // far from the epoch: no overflow
  for (std::uint32_t i = 0; i < 100; ++i) {
    steady.update_jitter(i * 160, t0 + i * 20ms, 8000);
  }
  EXPECT_EQ(steady.jitter(), 0u);
  // Alternating 10 ms early/late: |D| = 80 units each time; J converges to 80.
  RtpSourceStats jittery(0);
  for (std::uint32_t i = 0; i < 400; ++i) {
    const auto wobble = (i % 2 == 0) ? 0ms : 10ms;
    jittery.update_jitter(i * 160, t0 + i * 20ms + wobble, 8000);
  }
  EXPECT_NEAR(static_cast<double>(jittery.jitter()), 80.0, 1.0);
  // Timestamps wrapping at 2^32 do not spike it.
  RtpSourceStats wrap(0);
  for (std::uint32_t i = 0; i < 50; ++i) {
    wrap.update_jitter(0xFFFFF000u + i * 160, t0 + i * 20ms, 8000);
  }
  EXPECT_EQ(wrap.jitter(), 0u);
}

TEST(RtpStats, SeqUnwrapperKeepsReorderedPacketsAcrossTheWrap) {
  SeqUnwrapper u;
  const std::uint64_t a = u.unwrap(65534);
  EXPECT_EQ(u.unwrap(0), a + 2);
  EXPECT_EQ(u.unwrap(65535), a + 1);  // late, before the wrap
  EXPECT_EQ(u.unwrap(1), a + 3);
  EXPECT_EQ(u.unwrap(65533), a - 1);  // earlier than the first
  for (std::uint32_t i = 2; i < 200000; ++i) {
    ASSERT_EQ(u.unwrap(static_cast<std::uint16_t>(65534 + i)), a + i);
  }
}

TEST(RtpStats, TimestampUnwrapper) {
  TimestampUnwrapper u;
  const std::uint64_t a = u.unwrap(0xFFFFFF00u);
  EXPECT_EQ(u.unwrap(0x00000060u), a + 0x160);
  EXPECT_EQ(u.unwrap(0xFFFFFFA0u), a + 0xA0);
  u.reset();
  EXPECT_EQ(u.unwrap(5), a - 0xFFFFFF00u + 5);
}

}  // namespace
}  // namespace cohort::media
