#include "media/jitter_buffer.hpp"

#include <algorithm>

namespace cohort::media {

JitterBuffer::JitterBuffer(JitterConfig config) : config_(config) {
  config_.clock_rate = std::max<std::uint32_t>(config_.clock_rate, 1);
  config_.frame_ticks = std::max<std::uint32_t>(config_.frame_ticks, 1);
}

std::uint64_t JitterBuffer::max_gap_ticks() const {
  return static_cast<std::uint64_t>(config_.max_gap.count()) * config_.clock_rate / 1000;
}

TimePoint JitterBuffer::due(std::uint64_t ext_ts) const {
  const auto offset_ticks = static_cast<std::int64_t>(ext_ts - source_->anchor_ts);
  const auto offset = std::chrono::nanoseconds(offset_ticks * 1'000'000'000 / config_.clock_rate);
  return source_->anchor_time + offset + config_.depth;
}

void JitterBuffer::start_source(std::uint32_t ssrc, TimePoint now) {
  std::optional<TimePoint> old_end;
  if (source_) {
    // The old source's frames go first, then silence until the new one's first packet.
    drain(std::nullopt, ready_);
    if (source_->next_seq) {
      old_end = due(source_->next_ts) - config_.depth;
    }
  }
  if (old_end && now > *old_end) {
    const auto gap = std::chrono::duration_cast<std::chrono::nanoseconds>(now - *old_end);
    const auto ticks = static_cast<std::uint64_t>(gap.count()) * config_.clock_rate / 1'000'000'000;
    emit_gap(FrameKind::kSilence, source_->next_ts, std::min(ticks, max_gap_ticks()), ready_);
  }
  source_.emplace();
  source_->ssrc = ssrc;
  source_->anchor_time = now;
  restart_pending_ = true;
}

InsertResult JitterBuffer::insert(std::uint32_t ssrc, std::uint16_t seq, std::uint32_t timestamp,
                                  std::span<const std::uint8_t> payload, TimePoint now,
                                  std::uint32_t duration_ticks) {
  if (!source_ || source_->ssrc != ssrc) {
    start_source(ssrc, now);
  } else if (source_->next_seq || !packets_.empty()) {
    // RFC 3550 A.1's MAX_DROPOUT / MAX_MISORDER: a jump beyond them is a restarted sender.
    const std::uint64_t reference =
        source_->next_seq ? *source_->next_seq : packets_.rbegin()->first;
    const auto delta = static_cast<std::int16_t>(seq - static_cast<std::uint16_t>(reference));
    if (delta > static_cast<std::int32_t>(kMaxDropout) ||
        delta < -static_cast<std::int32_t>(kMaxDropout)) {
      start_source(ssrc, now);
    }
  }
  Source& s = *source_;
  const std::uint64_t ext_seq = s.seq.unwrap(seq);
  const std::uint64_t ext_ts = s.ts.unwrap(timestamp);
  if (!s.anchored) {
    // The playout timeline: this packet plays `depth` after its arrival.
    s.anchored = true;
    s.anchor_ts = ext_ts;
  }
  if (due(ext_ts) > now + config_.depth + config_.max_gap) {
    // A timestamp jump far beyond the arrival clock (a sender's glitch): re-anchor so the
    // packet plays `depth` after now instead of holding the buffer for the jump.
    s.anchor_ts = ext_ts;
    s.anchor_time = now;
  }
  if (s.next_seq && ext_seq < *s.next_seq) {
    ++too_late_;
    return InsertResult::kTooLate;
  }
  if (packets_.contains(ext_seq)) {
    ++duplicates_;
    return InsertResult::kDuplicate;
  }
  if (packets_.size() >= config_.max_packets) {
    return InsertResult::kOverflow;
  }
  packets_.emplace(
      ext_seq, Packet{ext_ts, timestamp, duration_ticks != 0 ? duration_ticks : config_.frame_ticks,
                      std::vector<std::uint8_t>(payload.begin(), payload.end())});
  return InsertResult::kQueued;
}

void JitterBuffer::emit(JitterFrame frame, std::vector<JitterFrame>& out) {
  if (restart_pending_) {
    frame.restart = true;
    restart_pending_ = false;
  }
  total_ticks_ += frame.ticks;
  if (frame.kind == FrameKind::kLost) {
    lost_ticks_ += frame.ticks;
  }
  out.push_back(std::move(frame));
}

void JitterBuffer::emit_gap(FrameKind kind, std::uint64_t from_ts, std::uint64_t ticks,
                            std::vector<JitterFrame>& out) {
  // In frame-sized pieces, so that concealment runs frame by frame.
  for (std::uint64_t done = 0; done < ticks; done += config_.frame_ticks) {
    const auto n =
        static_cast<std::uint32_t>(std::min<std::uint64_t>(config_.frame_ticks, ticks - done));
    JitterFrame f;
    f.kind = kind;
    f.ticks = n;
    f.ssrc = source_ ? source_->ssrc : 0;
    f.timestamp = static_cast<std::uint32_t>(from_ts + done);
    // A gap does not take the restart mark: the decoder resets at the first real payload.
    total_ticks_ += n;
    if (kind == FrameKind::kLost) {
      lost_ticks_ += n;
    }
    out.push_back(std::move(f));
  }
}

void JitterBuffer::drain(std::optional<TimePoint> now, std::vector<JitterFrame>& out) {
  Source& s = *source_;
  while (!packets_.empty()) {
    auto head = packets_.begin();
    Packet& p = head->second;
    if (now && due(p.ext_ts) > *now) {
      break;
    }
    if (s.next_seq) {
      const bool missing = head->first > *s.next_seq;
      if (p.ext_ts > s.next_ts) {
        const std::uint64_t gap = std::min(p.ext_ts - s.next_ts, max_gap_ticks());
        emit_gap(missing ? FrameKind::kLost : FrameKind::kSilence, s.next_ts, gap, out);
      }
    }
    JitterFrame f;
    f.kind = FrameKind::kAudio;
    f.ticks = p.duration;
    f.ssrc = s.ssrc;
    f.timestamp = p.timestamp;
    f.payload = std::move(p.payload);
    s.next_seq = head->first + 1;
    s.next_ts = p.ext_ts + p.duration;
    packets_.erase(head);
    emit(std::move(f), out);
  }
}

std::vector<JitterFrame> JitterBuffer::pull(TimePoint now) {
  std::vector<JitterFrame> out = std::move(ready_);
  ready_.clear();
  if (source_) {
    drain(now, out);
  }
  return out;
}

std::vector<JitterFrame> JitterBuffer::flush() {
  std::vector<JitterFrame> out = std::move(ready_);
  ready_.clear();
  if (source_) {
    drain(std::nullopt, out);
  }
  return out;
}

}  // namespace cohort::media
