#pragma once
// RFC 4733 telephone-events for DTMF: the 4-byte payload (§2.3), the digits of events 0–15
// (§3.2), a receiver that turns a stream of event packets into digits exactly once, and the
// packet schedule of a sender.

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "media/rtp.hpp"

namespace cohort::media {

/// §2.3: event (8) | E (1) R (1) volume (6) | duration (16).
struct TelephoneEvent {
  std::uint8_t event = 0;
  bool end = false;
  std::uint8_t volume = 0;     ///< 0..63, power level in -dBm0 (0 loudest)
  std::uint16_t duration = 0;  ///< in RTP timestamp units since the event's timestamp
  bool operator==(const TelephoneEvent&) const = default;
};

/// The first event block of a payload (further blocks, e.g. RFC 2198 redundancy, ignored).
Expected<TelephoneEvent, PacketError> parse_telephone_event(std::span<const std::uint8_t> payload);
std::array<std::uint8_t, 4> build_telephone_event(const TelephoneEvent& e);

/// §3.2: events 0–9 are the digits, 10 '*', 11 '#', 12–15 'A'–'D'. nullopt for others.
std::optional<char> event_digit(std::uint8_t event);
std::optional<std::uint8_t> digit_event(char digit);  ///< accepts lower-case a–d too

struct DtmfDigit {
  char digit = '0';
  std::uint32_t timestamp = 0;  ///< the event's RTP timestamp (its start)
  std::uint16_t duration = 0;   ///< the longest duration seen when emitted
  std::uint8_t volume = 0;
  bool operator==(const DtmfDigit&) const = default;
};

/// Turns received telephone-event packets into digits, each exactly once (§2.5.1): an event
/// is identified by its RTP timestamp; its updates and the (usually three) end packets
/// repeat that timestamp. Robust to reordering, duplicates and lost start or end packets; a
/// very long event split into segments (§2.5.1.3: same event, new timestamp, previous
/// segment not ended) stays one digit.
class DtmfFromRtpEvents {
 public:
  enum class EmitOn : std::uint8_t {
    kStart,  ///< on the first packet of the event: lowest latency (IVR menus)
    kEnd,    ///< on the first end packet, or when a newer event shows the end was lost
  };
  explicit DtmfFromRtpEvents(EmitOn mode = EmitOn::kStart) : mode_(mode) {}

  /// One telephone-event packet. Returns the digit this packet completes, if any; at most
  /// one per event. Events outside 0–15 (tones, flash) are ignored.
  std::optional<DtmfDigit> on_packet(std::uint16_t seq, std::uint32_t timestamp,
                                     std::span<const std::uint8_t> payload);
  /// kEnd mode: the pending event whose end packets never came (call at hang-up or after
  /// a timeout of the caller's choice).
  std::optional<DtmfDigit> flush();
  /// Forget everything (new SSRC).
  void reset();

 private:
  struct Current {
    std::uint32_t timestamp = 0;
    std::uint8_t event = 0;
    std::uint16_t duration = 0;
    std::uint8_t volume = 0;
    bool ended = false;
    bool emitted = false;
  };
  DtmfDigit digit_of(const Current& c) const;
  bool is_old(std::uint32_t timestamp) const;
  void remember(std::uint32_t timestamp);

  EmitOn mode_;
  std::optional<Current> current_;
  // Timestamps of recent finished events, so late repeats of them are not new digits.
  std::array<std::uint32_t, 8> recent_{};
  std::size_t recent_count_ = 0;
};

/// One packet of an outgoing event: send it at start + offset_ticks (in clock units) with
/// the event's timestamp and the marker bit when `marker`.
struct EventPacket {
  std::uint32_t offset_ticks = 0;
  bool marker = false;
  std::array<std::uint8_t, 4> payload{};
};
/// §2.5.1: a first packet with the marker bit, an update every `packet_ticks` with the
/// growing duration, then three end packets with the final duration (§2.5.1.4), the
/// retransmissions one packet interval apart. duration_ticks is at least packet_ticks and at
/// most 0xFFFF (use segments for longer events).
std::vector<EventPacket> plan_dtmf_event(char digit, std::uint16_t duration_ticks,
                                         std::uint16_t packet_ticks = 160,
                                         std::uint8_t volume = 10);

}  // namespace cohort::media
