#pragma once
// Receive-side RTP bookkeeping of RFC 3550 Appendix A: the sequence number state of a source
// (A.1, with probation and the big-jump resynchronisation), the 32-bit extended sequence
// number, interarrival jitter (A.8) and the loss figures of a reception report (A.3). Plus
// unwrapping of 16-bit sequence numbers and 32-bit timestamps for buffers that must order
// packets across a wrap. Pure: arrival times are inputs.

#include <chrono>
#include <cstdint>
#include <optional>

namespace cohort::media {

using TimePoint = std::chrono::steady_clock::time_point;

/// What update_seq() made of a packet.
enum class SeqVerdict : std::uint8_t {
  kValid,      ///< in sequence, or an acceptable gap, duplicate or reordering
  kProbation,  ///< a new source not yet confirmed by kMinSequential sequential packets
  kBadJump,    ///< a very large jump or misorder, held until the next packet confirms it
  kRestarted,  ///< the packet after a bad jump confirmed it: the source restarted
};

/// RFC 3550 A.1 constants.
inline constexpr std::uint16_t kMaxDropout = 3000;
inline constexpr std::uint16_t kMaxMisorder = 100;
inline constexpr int kMinSequential = 2;

/// Sequence and reception statistics of one SSRC (RFC 3550 A.1, A.3, A.8).
class RtpSourceStats {
 public:
  /// A.1 init_seq + probation = kMinSequential (the source is new).
  explicit RtpSourceStats(std::uint16_t first_seq);

  /// A.1 update_seq: counts the packet as received unless it is in probation or a bad jump.
  SeqVerdict update_seq(std::uint16_t seq);

  /// A.8: jitter update with the packet's RTP timestamp and its arrival, converted to
  /// timestamp units at `clock_rate`. Call only for packets update_seq() accepted.
  void update_jitter(std::uint32_t rtp_timestamp, TimePoint arrival, std::uint32_t clock_rate);

  /// The extended highest sequence number received (cycles << 16 | max_seq).
  std::uint32_t extended_max() const { return cycles_ + max_seq_; }
  /// Packets expected since the first (A.3): extended_max - base_seq + 1.
  std::uint32_t expected() const { return extended_max() - base_seq_ + 1; }
  std::uint32_t received() const { return received_; }
  /// Cumulative packets lost (A.3), clamped to the report's signed 24 bits; duplicates can
  /// make it negative.
  std::int32_t cumulative_lost() const;
  /// Interarrival jitter in timestamp units (A.8: the estimator's value, unscaled).
  std::uint32_t jitter() const { return jitter_q4_ >> 4; }

  /// Fraction lost since the previous call, as the report's 8-bit fixed point (A.3); starts
  /// the next interval. Negative loss in an interval reports 0.
  std::uint8_t take_fraction_lost();

 private:
  void init_seq(std::uint16_t seq);

  std::uint16_t max_seq_ = 0;
  std::uint32_t cycles_ = 0;  ///< count of wraps, shifted left 16
  std::uint32_t base_seq_ = 0;
  std::uint32_t bad_seq_ = 0;  ///< RTP_SEQ_MOD + 1: none
  int probation_ = 0;
  std::uint32_t received_ = 0;
  std::uint32_t expected_prior_ = 0;
  std::uint32_t received_prior_ = 0;
  std::optional<std::int64_t> transit_;  ///< previous relative transit time, timestamp units
  std::uint32_t jitter_q4_ = 0;          ///< jitter · 16 (A.8's integer form)
};

/// Extends 16-bit sequence numbers to 64 bits, each to the value nearest the highest seen, so
/// reordered packets before a wrap stay before it.
class SeqUnwrapper {
 public:
  std::uint64_t unwrap(std::uint16_t seq);
  void reset() { last_.reset(); }

 private:
  std::optional<std::uint64_t> last_;
};

/// The same for 32-bit RTP timestamps.
class TimestampUnwrapper {
 public:
  std::uint64_t unwrap(std::uint32_t ts);
  void reset() { last_.reset(); }

 private:
  std::optional<std::uint64_t> last_;
};

}  // namespace cohort::media
