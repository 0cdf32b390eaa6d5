#pragma once
// One RTP stream Cohort terminates (greeting, voicemail, IVR, waiting music): the pure core
// the media shell drives. Inputs are (event, now) → actions, like sip/txn: received RTP and
// RTCP, the shell's ~20 ms tick, SIP INFO digits, and commands (play, record, digits,
// direction). Outputs are packets to send and events for the call (digits, prompt done,
// recording done, no RTP). No sockets, threads or clock reads; one object per stream, used
// from one media thread.

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "common/clock.hpp"
#include "media/codec.hpp"
#include "media/pacer.hpp"
#include "media/prompt.hpp"
#include "media/recorder.hpp"
#include "media/rtp.hpp"
#include "media/rtp_stats.hpp"
#include "media/telephone_event.hpp"

namespace cohort::media {

class DtmfDetector;

/// The stream's direction as negotiated (Cohort's side of the SDP answer or offer).
enum class Direction : std::uint8_t { kSendRecv, kSendOnly, kRecvOnly, kInactive };

enum class DigitSource : std::uint8_t { kRfc4733, kSipInfo, kInband };

struct SessionConfig {
  CodecId codec = CodecId::kPcmu;
  std::uint8_t payload_type = 0;  ///< the negotiated number (the offer's, for dynamic ones)
  std::optional<std::uint8_t> telephone_event_pt;
  std::uint32_t local_ssrc = 0;         ///< random (RFC 3550 §8.1)
  std::uint16_t initial_seq = 0;        ///< random (§5.1)
  std::uint32_t initial_timestamp = 0;  ///< random (§5.1)
  std::chrono::milliseconds no_rtp_timeout{30000};
  bool inband_dtmf = false;      ///< on when the peer offered no telephone-event
  std::string cname = "cohort";  ///< SDES CNAME: a neutral value, never an extension
  /// Send silence frames while connected and not playing (keeps NAT bindings and phones'
  /// own no-RTP timers alive).
  bool idle_silence = true;
  std::chrono::milliseconds rtcp_interval{5000};
  std::chrono::milliseconds jitter_depth{60};
  /// Wall-clock time at the session's start (its `now`), for the NTP time of sender reports.
  SystemTime wall_clock_at_start{};
};

struct SendRtp {
  std::vector<std::uint8_t> bytes;
};
struct SendRtcp {
  std::vector<std::uint8_t> bytes;
};
struct Digit {
  char digit = '0';
  DigitSource source = DigitSource::kRfc4733;
  bool operator==(const Digit&) const = default;
};
struct PlaybackDone {};
struct NoRtp {};

using Action = std::variant<SendRtp, SendRtcp, Digit, PlaybackDone, RecordingDone, NoRtp>;

/// Counters for metrics and tests.
struct SessionCounters {
  std::uint64_t rtp_received = 0;  ///< accepted packets of the stream
  std::uint64_t malformed = 0;     ///< RTP/RTCP that failed to parse
  std::uint64_t foreign = 0;       ///< another SSRC while ours is live, or an unknown PT
  std::uint64_t rtp_sent = 0;
  std::uint64_t octets_sent = 0;  ///< payload octets (RFC 3550 §6.4.1)
  std::uint64_t late_slots_dropped = 0;
};

class MediaSession {
 public:
  /// `now` starts the 20 ms send grid and the no-RTP timer.
  MediaSession(SessionConfig config, TimePoint now);
  ~MediaSession();
  MediaSession(const MediaSession&) = delete;
  MediaSession& operator=(const MediaSession&) = delete;

  // ---- inputs ----
  /// A datagram received on the RTP port (RTCP multiplexed on it, RFC 5761, is handed on).
  std::vector<Action> on_rtp(std::span<const std::uint8_t> datagram, TimePoint now);
  /// A datagram received on the RTCP port.
  std::vector<Action> on_rtcp(std::span<const std::uint8_t> datagram, TimePoint now);
  /// The shell's timer, every ~20 ms (late or early is fine): every packet whose grid slot
  /// has come, RTCP, recording limits, the no-RTP timeout. Equal to send_due then
  /// after_sends, which a shell with many sessions calls in two passes (all sessions' due
  /// packets first, so that no session's other work delays another's packets).
  std::vector<Action> on_tick(TimePoint now);
  /// Every packet whose grid slot has come.
  std::vector<Action> send_due(TimePoint now);
  /// The rest of a tick: RTCP, recording limits, the no-RTP timeout.
  std::vector<Action> after_sends(TimePoint now);
  /// A digit from SIP INFO (application/dtmf-relay or application/dtmf).
  std::vector<Action> on_sip_dtmf(char digit, TimePoint now);

  // ---- commands ----
  /// Plays `prompt` from the next slot, replacing what was playing. Precondition: the
  /// prompt is encoded for this session's codec.
  void play(std::shared_ptr<const EncodedPrompt> prompt, bool loop, TimePoint now);
  void stop_playing();
  /// Sends the digits as RFC 4733 events (100 ms each, 60 ms apart). False, and nothing
  /// queued, when telephone-event was not negotiated.
  bool play_digits(std::string_view digits, TimePoint now);
  /// Starts recording (a recording already running is replaced without a result).
  void start_recording(RecordOptions options, TimePoint now);
  /// Ends the recording (hang-up): drains the jitter buffer for the true duration.
  std::vector<Action> stop_recording(TimePoint now);
  void set_direction(Direction d, TimePoint now);

  // ---- state ----
  enum class PlayState : std::uint8_t { kIdle, kPlaying, kLooping };
  PlayState play_state() const { return play_state_; }
  bool recording() const { return recorder_ != nullptr; }
  Direction direction() const { return direction_; }
  std::optional<std::uint32_t> remote_ssrc() const { return remote_ssrc_; }
  /// Where the stream Cohort sends stands: the next sequence number and the timestamp of the
  /// last packet (a relay that takes the stream over continues from them).
  std::uint16_t next_sequence() const { return next_seq_; }
  std::optional<std::uint32_t> last_sent_timestamp() const { return last_sent_timestamp_; }
  std::uint32_t local_ssrc() const { return config_.local_ssrc; }
  const SessionCounters& counters() const { return counters_; }

 private:
  struct PendingEvent {
    std::uint64_t slot = 0;  ///< send on this grid slot
    std::uint32_t timestamp = 0;
    bool marker = false;
    std::array<std::uint8_t, 4> payload{};
  };

  bool sending() const;
  bool receiving() const;
  void on_audio(const RtpPacket& p, TimePoint now, std::vector<Action>& out);
  void on_digit(char digit, DigitSource source, std::vector<Action>& out);
  void send_slot(std::uint64_t n, bool transmit, std::vector<Action>& out);
  void send_rtp(std::uint8_t pt, bool marker, std::uint32_t timestamp,
                std::span<const std::uint8_t> payload, std::vector<Action>& out);
  std::vector<std::uint8_t> build_report(TimePoint now);
  void run_recorder(TimePoint now, std::vector<Action>& out);

  SessionConfig config_;
  CodecInfo info_;
  PacerPlan plan_;
  Direction direction_ = Direction::kSendRecv;

  // Sending.
  std::uint64_t next_slot_ = 0;
  std::uint16_t next_seq_;
  bool marker_next_ = true;
  std::vector<std::uint8_t> silence_payload_;
  std::shared_ptr<const EncodedPrompt> prompt_;
  std::size_t prompt_pos_ = 0;
  PlayState play_state_ = PlayState::kIdle;
  std::vector<PendingEvent> events_;  // RFC 4733 packets to send, by slot
  std::uint64_t sent_since_report_ = 0;
  std::optional<std::uint32_t> last_sent_timestamp_;

  // Receiving.
  std::optional<std::uint32_t> remote_ssrc_;
  std::optional<RtpSourceStats> stats_;
  TimePoint last_rtp_at_;
  bool no_rtp_reported_ = false;
  DtmfFromRtpEvents rfc4733_;
  std::unique_ptr<DtmfDetector> inband_;
  std::unique_ptr<Codec> inband_decoder_;
  SeqUnwrapper inband_seq_;
  std::optional<std::uint64_t> inband_last_seq_;
  std::uint64_t last_sr_ntp_ = 0;
  TimePoint last_sr_at_{};

  // Control.
  TimePoint start_;
  TimePoint next_rtcp_at_;
  std::unique_ptr<Recorder> recorder_;
  SessionCounters counters_;
};

}  // namespace cohort::media
