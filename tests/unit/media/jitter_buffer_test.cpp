// The recording jitter buffer on a simulated clock: in-order playout, reordering within the
// depth, duplicates, loss, too-late packets, silence suppression, sequence and timestamp
// wrap, a new SSRC, and flush() giving the true duration.
#include "media/jitter_buffer.hpp"

#include <gtest/gtest.h>

#include <string>

namespace cohort::media {
namespace {

using namespace std::chrono_literals;

const TimePoint kT0 = TimePoint{} + 100h;

struct Arrival {
  std::uint16_t seq;
  std::uint32_t ts;
  std::chrono::milliseconds at;  // arrival time after kT0
  std::uint32_t ssrc = 1;
};

// "A7" for audio of seq 7 (payload byte = seq & 0xFF), "L" lost, "S" silence; frames joined.
std::string describe(const std::vector<JitterFrame>& frames) {
  std::string out;
  for (const JitterFrame& f : frames) {
    if (!out.empty()) {
      out += ' ';
    }
    switch (f.kind) {
      case FrameKind::kAudio:
        // Two appends: g++ 12 -O2 flags `"A" + std::to_string(...)` with a false -Wrestrict.
        out += 'A';
        out += std::to_string(f.payload.empty() ? -1 : f.payload[0]);
        break;
      case FrameKind::kLost:
        out += "L";
        break;
      case FrameKind::kSilence:
        out += "S";
        break;
    }
    if (f.restart) {
      out += "!";
    }
  }
  return out;
}

// Feeds the arrivals in order, pulling every 20 ms up to `until`, then flushes.
struct Run {
  std::string pulled;
  std::string flushed;
  std::uint64_t total_ticks = 0;
  JitterBuffer jb;
};
Run run(const std::vector<Arrival>& arrivals, std::chrono::milliseconds until,
        JitterConfig config = {}) {
  Run r{"", "", 0, JitterBuffer(config)};
  std::vector<JitterFrame> pulled;
  std::size_t next = 0;
  for (auto t = 0ms; t <= until; t += 5ms) {
    while (next < arrivals.size() && arrivals[next].at <= t) {
      const Arrival& a = arrivals[next++];
      const std::uint8_t payload[] = {static_cast<std::uint8_t>(a.seq)};
      (void)r.jb.insert(a.ssrc, a.seq, a.ts, payload, kT0 + a.at);
    }
    if (t.count() % 20 == 0) {
      auto frames = r.jb.pull(kT0 + t);
      pulled.insert(pulled.end(), frames.begin(), frames.end());
    }
  }
  r.pulled = describe(pulled);
  r.flushed = describe(r.jb.flush());
  r.total_ticks = r.jb.total_ticks();
  return r;
}

std::vector<Arrival> stream(std::uint16_t first_seq, std::uint32_t first_ts, int n,
                            std::uint32_t ssrc = 1) {
  std::vector<Arrival> out;
  for (int i = 0; i < n; ++i) {
    out.push_back({static_cast<std::uint16_t>(first_seq + i),
                   first_ts + static_cast<std::uint32_t>(i) * 160,
                   std::chrono::milliseconds(20 * i), ssrc});
  }
  return out;
}

TEST(JitterBuffer, InOrderPlaysAfterTheDepth) {
  JitterBuffer jb;
  const std::uint8_t p[] = {1};
  EXPECT_EQ(jb.insert(1, 10, 1000, p, kT0), InsertResult::kQueued);
  EXPECT_TRUE(jb.pull(kT0 + 59ms).empty());
  const auto frames = jb.pull(kT0 + 60ms);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].kind, FrameKind::kAudio);
  EXPECT_EQ(frames[0].timestamp, 1000u);
  EXPECT_EQ(frames[0].ticks, 160u);
  EXPECT_TRUE(frames[0].restart);
  const auto r = run(stream(10, 1000, 5), 200ms);
  EXPECT_EQ(r.pulled, "A10! A11 A12 A13 A14");
  EXPECT_EQ(r.flushed, "");
  EXPECT_EQ(r.total_ticks, 5u * 160);
}

TEST(JitterBuffer, ReorderedWithinTheDepthComesOutInOrder) {
  auto a = stream(10, 1000, 6);
  std::swap(a[1].at, a[3].at);  // 11 arrives after 13
  std::sort(a.begin(), a.end(), [](const Arrival& x, const Arrival& y) { return x.at < y.at; });
  const auto r = run(a, 300ms);
  EXPECT_EQ(r.pulled, "A10! A11 A12 A13 A14 A15");
}

TEST(JitterBuffer, DuplicatesAreDropped) {
  auto a = stream(10, 1000, 4);
  a.insert(a.begin() + 2, a[1]);
  a.push_back({12, 1320, 70ms});
  const auto r = run(a, 200ms);
  EXPECT_EQ(r.pulled, "A10! A11 A12 A13");
  EXPECT_EQ(r.jb.duplicates(), 2u);
}

TEST(JitterBuffer, LossIsReportedFrameByFrame) {
  auto a = stream(10, 1000, 8);
  a.erase(a.begin() + 2, a.begin() + 4);  // 12 and 13 never arrive
  const auto r = run(a, 300ms);
  EXPECT_EQ(r.pulled, "A10! A11 L L A14 A15 A16 A17");
  EXPECT_EQ(r.total_ticks, 8u * 160);
  EXPECT_EQ(r.jb.lost_ticks(), 320u);
}

TEST(JitterBuffer, TooLatePacketsAreDropped) {
  auto a = stream(10, 1000, 6);
  a[2].at = 200ms;  // 12 arrives long after its playout
  std::sort(a.begin(), a.end(), [](const Arrival& x, const Arrival& y) { return x.at < y.at; });
  const auto r = run(a, 300ms);
  EXPECT_EQ(r.pulled, "A10! A11 L A13 A14 A15");
  EXPECT_EQ(r.jb.too_late(), 1u);
}

TEST(JitterBuffer, SilenceSuppressionIsSilenceNotLoss) {
  std::vector<Arrival> a = {{10, 1000, 0ms}, {11, 1160, 20ms}, {12, 1000 + 160 * 5, 80ms}};
  const auto r = run(a, 300ms);
  EXPECT_EQ(r.pulled, "A10! A11 S S S A12");
  EXPECT_EQ(r.jb.lost_ticks(), 0u);
}

TEST(JitterBuffer, SequenceAndTimestampWrap) {
  auto a = stream(65533, 0xFFFFFE00u, 6);
  std::swap(a[2].at, a[3].at);  // 65535 after 0
  std::sort(a.begin(), a.end(), [](const Arrival& x, const Arrival& y) { return x.at < y.at; });
  a.erase(a.begin() + 4);  // lose seq 1
  const auto r = run(a, 300ms);
  EXPECT_EQ(r.pulled, "A253! A254 A255 A0 L A2");
  EXPECT_EQ(r.total_ticks, 6u * 160);
}

TEST(JitterBuffer, NewSsrcRestartsAfterTheOldFrames) {
  auto a = stream(10, 1000, 3, 1);
  // The new source starts 100 ms after the old one's last packet ended (at 60 ms).
  const auto b = stream(500, 777777, 3, 2);
  for (Arrival x : b) {
    x.at += 160ms;
    a.push_back(x);
  }
  const auto r = run(a, 400ms);
  EXPECT_EQ(r.pulled, "A10! A11 A12 S S S S S A244! A245 A246");
  EXPECT_EQ(r.total_ticks, 11u * 160);
}

TEST(JitterBuffer, BigSequenceJumpIsARestart) {
  auto a = stream(10, 1000, 2);
  a.push_back({20000, 5000000, 40ms});
  a.push_back({20001, 5000160, 60ms});
  const auto r = run(a, 300ms);
  EXPECT_EQ(r.pulled, "A10! A11 A32! A33");
}

TEST(JitterBuffer, FlushAtHangupGivesTheTrueDuration) {
  // 50 packets with reordering, a duplicate and two losses, hung up right after the last.
  auto a = stream(1000, 123456, 50);
  std::swap(a[10].at, a[12].at);
  std::sort(a.begin(), a.end(), [](const Arrival& x, const Arrival& y) { return x.at < y.at; });
  a.push_back(a[20]);
  a.erase(a.begin() + 30);
  a.erase(a.begin() + 40);
  JitterBuffer jb;
  std::size_t frames = 0;
  for (const Arrival& x : a) {
    const std::uint8_t p[] = {0};
    (void)jb.insert(1, x.seq, x.ts, p, kT0 + x.at);
    frames += jb.pull(kT0 + x.at).size();
  }
  frames += jb.flush().size();
  EXPECT_EQ(frames, 50u);
  // (last ts - first ts) + one frame.
  EXPECT_EQ(jb.total_ticks(), (123456u + 49 * 160) - 123456u + 160);
  EXPECT_EQ(jb.lost_ticks(), 2u * 160);
  EXPECT_EQ(jb.buffered(), 0u);
}

TEST(JitterBuffer, OverflowIsRefused) {
  JitterBuffer jb(JitterConfig{8000, 160, 60ms, 3, 10000ms});
  const std::uint8_t p[] = {0};
  for (std::uint16_t s = 0; s < 3; ++s) {
    EXPECT_EQ(jb.insert(1, s, s * 160u, p, kT0), InsertResult::kQueued);
  }
  EXPECT_EQ(jb.insert(1, 3, 480, p, kT0), InsertResult::kOverflow);
}

TEST(JitterBuffer, HugeTimestampJumpIsCapped) {
  JitterConfig config;
  config.max_gap = 100ms;
  std::vector<Arrival> a = {{10, 1000, 0ms}, {11, 1000 + 8000 * 3600, 20ms}};
  const auto r = run(a, 200ms, config);
  EXPECT_EQ(r.pulled, "A10! S S S S S A11");
  EXPECT_EQ(r.flushed, "");
  EXPECT_EQ(r.total_ticks, 160u + 800 + 160);
}

}  // namespace
}  // namespace cohort::media
