// One terminated RTP stream (session.hpp): receive (RTP, RFC 4733, in-band DTMF, recording),
// send on the 20 ms grid (prompts, idle silence, RFC 4733), RTCP, timeouts.
#include "media/session.hpp"

#include <cassert>

#include "media/dtmf_detector.hpp"
#include "media/rtcp.hpp"

namespace cohort::media {

namespace {

/// A late tick sends at most this many overdue packets at once (200 ms); older slots are
/// skipped (their time passes: timestamps jump, the marker bit is set).
constexpr std::uint64_t kMaxBurst = 10;
/// Another SSRC takes over only after ours has been silent this long (a phone that
/// restarted its stream), so stray packets cannot hijack the stream.
constexpr std::chrono::milliseconds kSsrcTakeover{500};
/// RFC 4733 digits we send: 100 ms of tone, then 60 ms (three slots) before the next.
constexpr std::chrono::milliseconds kEventDuration{100};
constexpr std::uint64_t kEventGapSlots = 3;

/// 16-bit PCM at `rate` (a multiple of 8000) to 8 kHz by averaging groups of samples:
/// enough of a low-pass for DTMF (≤ 1633 Hz) detection.
std::vector<std::int16_t> to_8k(std::vector<std::int16_t> pcm, std::uint32_t rate) {
  const std::size_t factor = rate / 8000;
  if (factor <= 1) {
    return pcm;
  }
  std::vector<std::int16_t> out(pcm.size() / factor);
  for (std::size_t i = 0; i < out.size(); ++i) {
    std::int32_t sum = 0;
    for (std::size_t k = 0; k < factor; ++k) {
      sum += pcm[i * factor + k];
    }
    out[i] = static_cast<std::int16_t>(sum / static_cast<std::int32_t>(factor));
  }
  return out;
}

}  // namespace

MediaSession::MediaSession(SessionConfig config, TimePoint now)
    : config_(std::move(config)),
      info_(codec_info(config_.codec)),
      next_seq_(config_.initial_seq),
      last_rtp_at_(now),
      start_(now),
      next_rtcp_at_(now + config_.rtcp_interval / 2) {
  info_.payload_type = config_.payload_type;
  plan_.start = now;
  plan_.interval = std::chrono::milliseconds(20);
  plan_.initial_seq = config_.initial_seq;
  plan_.initial_timestamp = config_.initial_timestamp;
  plan_.ticks_per_packet = info_.frame_ticks();
  auto encoder = make_session_codec(config_.codec, config_.payload_type);
  const std::vector<std::int16_t> zeros(pcm_rate_of(config_.codec) / 50, 0);
  if (auto s = encoder->encode(zeros)) {
    silence_payload_ = std::move(*s);
  }
  if (config_.inband_dtmf) {
    inband_ = std::make_unique<DtmfDetector>();
    inband_decoder_ = make_session_codec(config_.codec, config_.payload_type);
  }
}

MediaSession::~MediaSession() = default;

bool MediaSession::sending() const {
  return direction_ == Direction::kSendRecv || direction_ == Direction::kSendOnly;
}
bool MediaSession::receiving() const {
  return direction_ == Direction::kSendRecv || direction_ == Direction::kRecvOnly;
}

// ---- receive ----

std::vector<Action> MediaSession::on_rtp(std::span<const std::uint8_t> datagram, TimePoint now) {
  if (is_rtcp_packet(datagram)) {
    return on_rtcp(datagram, now);
  }
  std::vector<Action> out;
  auto parsed = parse_rtp(datagram);
  if (!parsed) {
    ++counters_.malformed;
    return out;
  }
  const RtpPacket& p = *parsed;
  const RtpHeader& h = p.header;
  if (remote_ssrc_ && h.ssrc != *remote_ssrc_) {
    if (now - last_rtp_at_ < kSsrcTakeover) {
      ++counters_.foreign;
      return out;
    }
    remote_ssrc_.reset();
  }
  if (!remote_ssrc_) {
    remote_ssrc_ = h.ssrc;
    stats_.reset();
    rfc4733_.reset();
    inband_seq_.reset();
    inband_last_seq_.reset();
  }
  last_rtp_at_ = now;
  no_rtp_reported_ = false;
  const bool is_event = config_.telephone_event_pt && h.payload_type == *config_.telephone_event_pt;
  if (!is_event && h.payload_type != config_.payload_type) {
    ++counters_.foreign;  // comfort noise, a codec we did not negotiate: alive, not audio
    return out;
  }
  ++counters_.rtp_received;
  if (!stats_) {
    stats_.emplace(h.sequence);
  }
  const SeqVerdict verdict = stats_->update_seq(h.sequence);
  if (verdict == SeqVerdict::kValid || verdict == SeqVerdict::kRestarted) {
    stats_->update_jitter(h.timestamp, now, info_.clock_rate);
  }
  if (is_event) {
    if (auto d = rfc4733_.on_packet(h.sequence, h.timestamp, p.payload)) {
      on_digit(d->digit, DigitSource::kRfc4733, out);
    }
    return out;
  }
  on_audio(p, now, out);
  return out;
}

void MediaSession::on_audio(const RtpPacket& p, TimePoint now, std::vector<Action>& out) {
  const RtpHeader& h = p.header;
  if (recorder_) {
    recorder_->on_audio(h.ssrc, h.sequence, h.timestamp, p.payload, now);
  }
  if (!inband_) {
    return;
  }
  // The detector wants a continuous signal: in-order packets only (reordered and duplicate
  // ones are skipped; a lost one is a short gap the detector tolerates).
  const std::uint64_t seq = inband_seq_.unwrap(h.sequence);
  if (inband_last_seq_ && seq <= *inband_last_seq_) {
    return;
  }
  inband_last_seq_ = seq;
  auto pcm = inband_decoder_->decode(p.payload);
  if (!pcm) {
    return;
  }
  const auto pcm8k = to_8k(std::move(*pcm), inband_decoder_->info().sample_rate);
  for (char c : inband_->feed(pcm8k)) {
    on_digit(c, DigitSource::kInband, out);
  }
}

void MediaSession::on_digit(char digit, DigitSource source, std::vector<Action>& out) {
  out.emplace_back(Digit{digit, source});
  if (recorder_ && recorder_->options().end_digit == digit) {
    out.emplace_back(recorder_->finish(RecordingEnd::kDigit));
    recorder_.reset();
  }
}

std::vector<Action> MediaSession::on_sip_dtmf(char digit, TimePoint /*now*/) {
  std::vector<Action> out;
  on_digit(digit, DigitSource::kSipInfo, out);
  return out;
}

std::vector<Action> MediaSession::on_rtcp(std::span<const std::uint8_t> datagram, TimePoint now) {
  // Reduced-size RTCP (RFC 5506) is accepted too: nothing here depends on compound order.
  auto parsed = parse_rtcp(datagram, false);
  if (!parsed) {
    ++counters_.malformed;
    return {};
  }
  for (const RtcpPacket& packet : *parsed) {
    if (const auto* sr = std::get_if<RtcpSenderReport>(&packet)) {
      if (!remote_ssrc_ || sr->ssrc == *remote_ssrc_) {
        last_sr_ntp_ = sr->info.ntp;
        last_sr_at_ = now;
      }
    }
  }
  return {};
}

// ---- send ----

std::vector<Action> MediaSession::on_tick(TimePoint now) {
  std::vector<Action> out = send_due(now);
  for (Action& a : after_sends(now)) {
    out.push_back(std::move(a));
  }
  return out;
}

std::vector<Action> MediaSession::send_due(TimePoint now) {
  std::vector<Action> out;
  const std::uint64_t due = due_count(plan_, now);
  if (due > next_slot_ + kMaxBurst) {
    for (; next_slot_ < due - kMaxBurst; ++next_slot_) {
      send_slot(next_slot_, false, out);
    }
  }
  for (; next_slot_ < due; ++next_slot_) {
    send_slot(next_slot_, true, out);
  }
  return out;
}

std::vector<Action> MediaSession::after_sends(TimePoint now) {
  std::vector<Action> out;
  if (now >= next_rtcp_at_) {
    out.emplace_back(SendRtcp{build_report(now)});
    while (next_rtcp_at_ <= now) {
      next_rtcp_at_ += config_.rtcp_interval;
    }
  }
  run_recorder(now, out);
  if (receiving() && !no_rtp_reported_ && now - last_rtp_at_ >= config_.no_rtp_timeout) {
    no_rtp_reported_ = true;
    out.emplace_back(NoRtp{});
  }
  return out;
}

void MediaSession::send_slot(std::uint64_t n, bool transmit, std::vector<Action>& out) {
  std::span<const std::uint8_t> payload;
  std::uint8_t pt = config_.payload_type;
  std::uint32_t timestamp = timestamp_of(plan_, n);
  bool marker = false;

  // The prompt runs in real time, whether or not its frames can be sent (hold, late tick).
  if (play_state_ != PlayState::kIdle) {
    if (prompt_ && prompt_pos_ < prompt_->frame_count()) {
      payload = prompt_->frame(prompt_pos_++);
    }
    if (!prompt_ || prompt_pos_ >= prompt_->frame_count()) {
      if (play_state_ == PlayState::kLooping && prompt_ && prompt_->frame_count() > 0) {
        prompt_pos_ = 0;
      } else {
        play_state_ = PlayState::kIdle;
        out.emplace_back(PlaybackDone{});
      }
    }
  } else if (config_.idle_silence) {
    payload = silence_payload_;
  }
  // RFC 4733 packets replace audio in their slots.
  while (!events_.empty() && events_.front().slot < n) {
    events_.erase(events_.begin());
  }
  if (!events_.empty() && events_.front().slot == n) {
    const PendingEvent e = events_.front();
    events_.erase(events_.begin());
    if (transmit && sending()) {
      assert(config_.telephone_event_pt);
      send_rtp(*config_.telephone_event_pt, e.marker, e.timestamp, e.payload, out);
      return;
    }
  }
  if (!transmit) {
    ++counters_.late_slots_dropped;
  }
  if (!transmit || !sending() || payload.empty()) {
    marker_next_ = true;  // the first packet after a gap starts a talkspurt (RFC 3551 §4.1)
    return;
  }
  marker = marker_next_;
  send_rtp(pt, marker, timestamp, payload, out);
}

void MediaSession::send_rtp(std::uint8_t pt, bool marker, std::uint32_t timestamp,
                            std::span<const std::uint8_t> payload, std::vector<Action>& out) {
  RtpHeader h;
  h.marker = marker;
  h.payload_type = pt;
  h.sequence = next_seq_++;
  h.timestamp = timestamp;
  h.ssrc = config_.local_ssrc;
  out.emplace_back(SendRtp{build_rtp(h, payload)});
  marker_next_ = false;
  ++counters_.rtp_sent;
  counters_.octets_sent += payload.size();
  ++sent_since_report_;
}

std::vector<std::uint8_t> MediaSession::build_report(TimePoint now) {
  std::vector<RtcpPacket> packets;
  std::vector<ReportBlock> blocks;
  if (remote_ssrc_ && stats_) {
    const auto since = last_sr_ntp_ != 0 ? now - last_sr_at_ : std::chrono::nanoseconds(0);
    blocks.push_back(make_report_block(*remote_ssrc_, *stats_, last_sr_ntp_, since));
  }
  if (sent_since_report_ > 0) {
    const auto elapsed = now - start_;
    RtcpSenderReport sr;
    sr.ssrc = config_.local_ssrc;
    sr.info.ntp = to_ntp(config_.wall_clock_at_start +
                         std::chrono::duration_cast<SystemTime::duration>(elapsed));
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count();
    sr.info.rtp_timestamp = static_cast<std::uint32_t>(
        config_.initial_timestamp + static_cast<std::uint64_t>(us) * info_.clock_rate / 1000000);
    sr.info.packet_count = static_cast<std::uint32_t>(counters_.rtp_sent);
    sr.info.octet_count = static_cast<std::uint32_t>(counters_.octets_sent);
    sr.reports = std::move(blocks);
    packets.emplace_back(std::move(sr));
  } else {
    packets.emplace_back(RtcpReceiverReport{config_.local_ssrc, std::move(blocks)});
  }
  sent_since_report_ = 0;
  packets.emplace_back(
      RtcpSdes{{SdesChunk{config_.local_ssrc, {SdesItem{kSdesCname, config_.cname}}}}});
  return build_rtcp(packets);
}

void MediaSession::run_recorder(TimePoint now, std::vector<Action>& out) {
  if (!recorder_) {
    return;
  }
  if (auto done = recorder_->on_tick(now)) {
    out.emplace_back(std::move(*done));
    recorder_.reset();
  }
}

// ---- commands ----

void MediaSession::play(std::shared_ptr<const EncodedPrompt> prompt, bool loop, TimePoint /*now*/) {
  assert(!prompt || prompt->codec() == config_.codec);
  const bool empty = !prompt || prompt->frame_count() == 0;
  prompt_ = std::move(prompt);
  prompt_pos_ = 0;
  // An empty prompt ends on the next slot (PlaybackDone), an empty loop never starts.
  play_state_ = loop && !empty ? PlayState::kLooping : PlayState::kPlaying;
  if (loop && empty) {
    play_state_ = PlayState::kIdle;
  }
}

void MediaSession::stop_playing() {
  play_state_ = PlayState::kIdle;
  prompt_.reset();
  prompt_pos_ = 0;
}

bool MediaSession::play_digits(std::string_view digits, TimePoint /*now*/) {
  if (!config_.telephone_event_pt) {
    return false;
  }
  const std::uint32_t frame = info_.frame_ticks();
  const auto duration =
      static_cast<std::uint16_t>(info_.clock_rate * kEventDuration.count() / 1000);
  std::uint64_t slot = events_.empty() ? next_slot_ : events_.back().slot + 1 + kEventGapSlots;
  for (char c : digits) {
    const auto plan = plan_dtmf_event(c, duration, static_cast<std::uint16_t>(frame));
    if (plan.empty()) {
      continue;
    }
    const std::uint32_t ts = timestamp_of(plan_, slot);
    for (const EventPacket& p : plan) {
      events_.push_back({slot + p.offset_ticks / frame, ts, p.marker, p.payload});
    }
    slot = events_.back().slot + 1 + kEventGapSlots;
  }
  return true;
}

void MediaSession::start_recording(RecordOptions options, TimePoint now) {
  recorder_ = std::make_unique<Recorder>(config_.codec, config_.payload_type, options, now,
                                         config_.jitter_depth);
}

std::vector<Action> MediaSession::stop_recording(TimePoint /*now*/) {
  std::vector<Action> out;
  if (recorder_) {
    out.emplace_back(recorder_->finish(RecordingEnd::kStopped));
    recorder_.reset();
  }
  return out;
}

void MediaSession::set_direction(Direction d, TimePoint now) {
  const bool was_receiving = receiving();
  direction_ = d;
  if (!was_receiving && receiving()) {
    last_rtp_at_ = now;  // the no-RTP timeout counts from when media may flow again
    no_rtp_reported_ = false;
  }
}

}  // namespace cohort::media
