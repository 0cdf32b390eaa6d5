#pragma once
// Playout pacing as arithmetic: packet N of a stream leaves at start + N·interval (never
// "previous send + interval", which drifts with every late wake-up), with RTP sequence
// number and timestamp following from random initial values (RFC 3550 §5.1). The shell's
// media thread sleeps until deadline(n) and asks due_count(now) after waking.

#include <chrono>
#include <cstdint>

#include "media/rtp_stats.hpp"

namespace cohort::media {

struct PacerPlan {
  TimePoint start{};
  std::chrono::microseconds interval{20000};
  std::uint16_t initial_seq = 0;         ///< random (§5.1)
  std::uint32_t initial_timestamp = 0;   ///< random (§5.1)
  std::uint32_t ticks_per_packet = 160;  ///< clock_rate · interval
};

/// When packet n (0-based) is due.
inline TimePoint deadline(const PacerPlan& p, std::uint64_t n) {
  return p.start + p.interval * static_cast<std::int64_t>(n);
}
/// Its sequence number and timestamp (both wrap).
inline std::uint16_t sequence_of(const PacerPlan& p, std::uint64_t n) {
  return static_cast<std::uint16_t>(p.initial_seq + n);
}
inline std::uint32_t timestamp_of(const PacerPlan& p, std::uint64_t n) {
  return static_cast<std::uint32_t>(p.initial_timestamp + n * p.ticks_per_packet);
}
/// How many packets are due by `now` (deadline ≤ now): send packets [sent, due_count). A
/// stream that resumes after a pause keeps counting n, so timestamps show the real elapsed
/// time (set the marker bit on the first packet after the pause).
inline std::uint64_t due_count(const PacerPlan& p, TimePoint now) {
  if (now < p.start || p.interval.count() <= 0) {
    return 0;
  }
  return static_cast<std::uint64_t>((now - p.start) / p.interval) + 1;
}
}  // namespace cohort::media
