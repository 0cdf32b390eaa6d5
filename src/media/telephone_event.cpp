#include "media/telephone_event.hpp"

#include <algorithm>

#include "media/bytes.hpp"

namespace cohort::media {
namespace {

constexpr char kDigits[] = "0123456789*#ABCD";
// How far back (in timestamp units) a packet counts as a late one of an old event rather
// than the start of a stream whose timestamps went backwards: 10 s at 8 kHz.
constexpr std::uint32_t kReorderWindow = 80000;
// Updates lost at the end of a long event's segment: 200 ms at 8 kHz.
constexpr std::uint16_t kSegmentSlack = 1600;

}  // namespace

Expected<TelephoneEvent, PacketError> parse_telephone_event(std::span<const std::uint8_t> p) {
  if (p.size() < 4) {
    return unexpected(PacketError::kNotTelephoneEvent);
  }
  return TelephoneEvent{p[0], (p[1] & 0x80) != 0, static_cast<std::uint8_t>(p[1] & 0x3F),
                        detail::be16(&p[2])};
}

std::array<std::uint8_t, 4> build_telephone_event(const TelephoneEvent& e) {
  return {e.event, static_cast<std::uint8_t>((e.end ? 0x80 : 0) | (e.volume & 0x3F)),
          static_cast<std::uint8_t>(e.duration >> 8), static_cast<std::uint8_t>(e.duration)};
}

std::optional<char> event_digit(std::uint8_t event) {
  if (event > 15) {
    return std::nullopt;
  }
  return kDigits[event];
}

std::optional<std::uint8_t> digit_event(char digit) {
  if (digit >= 'a' && digit <= 'd') {
    digit = static_cast<char>(digit - 'a' + 'A');
  }
  for (std::uint8_t i = 0; i < 16; ++i) {
    if (kDigits[i] == digit) {
      return i;
    }
  }
  return std::nullopt;
}

DtmfDigit DtmfFromRtpEvents::digit_of(const Current& c) const {
  return {kDigits[c.event], c.timestamp, c.duration, c.volume};
}

void DtmfFromRtpEvents::remember(std::uint32_t timestamp) {
  // The newest first; the oldest falls off the end.
  std::rotate(recent_.rbegin(), recent_.rbegin() + 1, recent_.rend());
  recent_[0] = timestamp;
  recent_count_ = std::min(recent_count_ + 1, recent_.size());
}

bool DtmfFromRtpEvents::is_old(std::uint32_t timestamp) const {
  for (std::size_t i = 0; i < recent_count_; ++i) {
    if (recent_[i] == timestamp) {
      return true;
    }
  }
  if (current_) {
    // Before the current event but not far before: a late packet of an event we never saw
    // start, arriving after a newer one began. Emitting it now would reorder the digits.
    const std::uint32_t back = current_->timestamp - timestamp;
    return back != 0 && back < kReorderWindow;
  }
  return false;
}

std::optional<DtmfDigit> DtmfFromRtpEvents::on_packet(std::uint16_t /*seq*/,
                                                      std::uint32_t timestamp,
                                                      std::span<const std::uint8_t> payload) {
  // The event's identity is its timestamp (§2.5.1.1); sequence numbers only order packets,
  // which the timestamp comparison already does within the reorder window.
  auto parsed = parse_telephone_event(payload);
  if (!parsed || parsed->event > 15) {
    return std::nullopt;
  }
  const TelephoneEvent& e = *parsed;
  if (current_ && current_->timestamp == timestamp) {
    Current& c = *current_;
    c.duration = std::max(c.duration, e.duration);
    c.ended = c.ended || e.end;
    if (!c.emitted && (mode_ == EmitOn::kStart || c.ended)) {
      c.emitted = true;
      return digit_of(c);
    }
    return std::nullopt;
  }
  if (is_old(timestamp)) {
    return std::nullopt;
  }
  // A new event. A long one continues in a new segment: same event, previous segment not
  // ended and near the largest duration, the new timestamp where that duration ran out
  // (§2.5.1.3). A short unended event followed by the same digit is a second press whose
  // first end packets were lost.
  if (current_ && !current_->ended && current_->event == e.event &&
      current_->duration >= 0xFFFF - kSegmentSlack) {
    const std::uint32_t gap = timestamp - current_->timestamp;
    if (gap >= current_->duration && gap <= 0xFFFFu + kSegmentSlack) {
      remember(current_->timestamp);
      current_->timestamp = timestamp;
      current_->duration = e.duration;
      current_->ended = e.end;
      return std::nullopt;
    }
  }
  std::optional<DtmfDigit> out;
  if (current_) {
    if (!current_->emitted) {
      out = digit_of(*current_);  // its end packets were all lost
    }
    remember(current_->timestamp);
  }
  current_ = Current{timestamp, e.event, e.duration, e.volume, e.end, false};
  if (mode_ == EmitOn::kStart || e.end) {
    if (out) {
      // Two digits at once (the previous one's ends lost, kEnd mode, and this one already
      // ended): report the older now, this one with flush() or its next repeat.
      return out;
    }
    current_->emitted = true;
    return digit_of(*current_);
  }
  return out;
}

std::optional<DtmfDigit> DtmfFromRtpEvents::flush() {
  if (current_ && !current_->emitted) {
    current_->emitted = true;
    return digit_of(*current_);
  }
  return std::nullopt;
}

void DtmfFromRtpEvents::reset() {
  current_.reset();
  recent_count_ = 0;
}

std::vector<EventPacket> plan_dtmf_event(char digit, std::uint16_t duration_ticks,
                                         std::uint16_t packet_ticks, std::uint8_t volume) {
  const auto event = digit_event(digit);
  if (!event || packet_ticks == 0) {
    return {};
  }
  const std::uint32_t total = std::max(duration_ticks, packet_ticks);
  std::vector<EventPacket> out;
  // Updates at packet_ticks, 2·packet_ticks, ... below the total; the first carries the marker.
  std::uint32_t elapsed = packet_ticks;
  while (elapsed < total) {
    out.push_back(
        {elapsed - packet_ticks, out.empty(),
         build_telephone_event({*event, false, volume, static_cast<std::uint16_t>(elapsed)})});
    elapsed += packet_ticks;
  }
  // The end packet at the total duration, then two retransmissions (§2.5.1.4).
  for (std::uint32_t i = 0; i < 3; ++i) {
    out.push_back(
        {total - packet_ticks + i * packet_ticks, out.empty(),
         build_telephone_event({*event, true, volume, static_cast<std::uint16_t>(total)})});
  }
  return out;
}

}  // namespace cohort::media
