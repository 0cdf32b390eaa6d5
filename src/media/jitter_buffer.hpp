#pragma once
// The receive jitter buffer of a recording: packets go in as they arrive, frames come out in
// order on a playout clock the caller passes in. Reordered packets are put back in order,
// duplicates and packets later than their playout are dropped, missing packets come out as
// kLost frames (the caller fills silence or Opus PLC), timestamp gaps with no missing
// sequence numbers (silence suppression) as kSilence frames. A new SSRC (or a sequence jump
// beyond RFC 3550's MAX_DROPOUT) restarts the timeline after the old source's frames.
// flush() drains everything at hang-up so the recording has the true duration. Pure: `now`
// is an input; one object per received stream, not thread-safe.

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <vector>

#include "media/rtp_stats.hpp"

namespace cohort::media {

struct JitterConfig {
  std::uint32_t clock_rate = 8000;
  std::uint32_t frame_ticks = 160;  ///< the duration of a packet unless insert() says otherwise
  /// How long a packet waits for the ones before it: a fixed delay from arrival of the
  /// stream's first packet (60 ms: three 20 ms packets of reordering).
  std::chrono::milliseconds depth{60};
  std::size_t max_packets = 500;  ///< 10 s of 20 ms packets; more is refused (kOverflow)
  /// The longest gap filled with kSilence/kLost: a larger timestamp jump is a sender's
  /// glitch, not minutes of silence.
  std::chrono::milliseconds max_gap{10000};
};

enum class FrameKind : std::uint8_t {
  kAudio,    ///< a received payload
  kLost,     ///< packets missing: conceal
  kSilence,  ///< no packets were sent (DTX, comfort noise, source change): silence
};

struct JitterFrame {
  FrameKind kind = FrameKind::kAudio;
  std::uint32_t ticks = 0;  ///< duration in clock units (kLost/kSilence: ≤ frame_ticks each)
  std::uint32_t ssrc = 0;
  std::uint32_t timestamp = 0;        ///< RTP timestamp where the frame starts
  std::vector<std::uint8_t> payload;  ///< kAudio only
  bool restart = false;               ///< the first frame of a new source: reset the decoder
};

enum class InsertResult : std::uint8_t { kQueued, kDuplicate, kTooLate, kOverflow };

class JitterBuffer {
 public:
  explicit JitterBuffer(JitterConfig config = {});

  /// One received RTP packet. `duration_ticks` 0 means config.frame_ticks.
  InsertResult insert(std::uint32_t ssrc, std::uint16_t seq, std::uint32_t timestamp,
                      std::span<const std::uint8_t> payload, TimePoint now,
                      std::uint32_t duration_ticks = 0);
  /// The frames whose playout time has come, in order.
  std::vector<JitterFrame> pull(TimePoint now);
  /// Every buffered frame, in order, whatever the time (at hang-up). Losses between buffered
  /// packets are reported; nothing is invented after the last one, so the total is
  /// (last ts - first ts) + its duration over a single source.
  std::vector<JitterFrame> flush();

  /// Clock ticks of all frames returned so far (the recording's length).
  std::uint64_t total_ticks() const { return total_ticks_; }
  std::size_t buffered() const { return packets_.size(); }
  std::uint64_t duplicates() const { return duplicates_; }
  std::uint64_t too_late() const { return too_late_; }
  std::uint64_t lost_ticks() const { return lost_ticks_; }

 private:
  struct Packet {
    std::uint64_t ext_ts = 0;
    std::uint32_t timestamp = 0;
    std::uint32_t duration = 0;
    std::vector<std::uint8_t> payload;
  };
  struct Source {
    std::uint32_t ssrc = 0;
    SeqUnwrapper seq;
    TimestampUnwrapper ts;
    TimePoint anchor_time{};
    std::uint64_t anchor_ts = 0;
    bool anchored = false;
    std::optional<std::uint64_t> next_seq;
    std::uint64_t next_ts = 0;
  };

  void start_source(std::uint32_t ssrc, TimePoint now);
  void drain(std::optional<TimePoint> now, std::vector<JitterFrame>& out);
  void emit_gap(FrameKind kind, std::uint64_t from_ts, std::uint64_t ticks,
                std::vector<JitterFrame>& out);
  void emit(JitterFrame frame, std::vector<JitterFrame>& out);
  TimePoint due(std::uint64_t ext_ts) const;
  std::uint64_t max_gap_ticks() const;

  JitterConfig config_;
  std::optional<Source> source_;
  std::map<std::uint64_t, Packet> packets_;  // by extended sequence number
  std::vector<JitterFrame> ready_;           // frames of a previous source, not yet pulled
  bool restart_pending_ = false;
  std::uint64_t total_ticks_ = 0;
  std::uint64_t duplicates_ = 0;
  std::uint64_t too_late_ = 0;
  std::uint64_t lost_ticks_ = 0;
};

}  // namespace cohort::media
