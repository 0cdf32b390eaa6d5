// Recording through the jitter buffer with its end rules (recorder.hpp).
#include "media/recorder.hpp"

#include <algorithm>

#include "media/prompt.hpp"

namespace cohort::media {

namespace {

JitterConfig jitter_config(CodecId codec, std::chrono::milliseconds depth) {
  JitterConfig c;
  c.clock_rate = codec_info(codec).clock_rate;
  c.frame_ticks = codec_info(codec).frame_ticks();
  c.depth = depth;
  return c;
}

}  // namespace

Recorder::Recorder(CodecId codec, std::uint8_t payload_type, RecordOptions options, TimePoint now,
                   std::chrono::milliseconds jitter_depth)
    : codec_(codec),
      payload_type_(payload_type),
      options_(options),
      rate_(pcm_rate_of(codec)),
      clock_rate_(codec_info(codec).clock_rate),
      decoder_(make_session_codec(codec, payload_type)),
      jitter_(jitter_config(codec, jitter_depth)),
      silence_(rate_, options.silence_dbfs),
      started_(now),
      last_audio_(now) {}

std::size_t Recorder::ms_to_samples(std::chrono::milliseconds d) const {
  return static_cast<std::size_t>(d.count()) * rate_ / 1000;
}

void Recorder::on_audio(std::uint32_t ssrc, std::uint16_t seq, std::uint32_t timestamp,
                        std::span<const std::uint8_t> payload, TimePoint now) {
  last_audio_ = now;
  // G.711 and G.722 carry one byte per clock tick, so a 30 ms packet is 240 ticks; Opus
  // packets are taken as one 20 ms frame (the jitter buffer's default).
  const std::uint32_t ticks =
      codec_ == CodecId::kOpus ? 0 : static_cast<std::uint32_t>(payload.size());
  (void)jitter_.insert(ssrc, seq, timestamp, payload, now, ticks);
}

void Recorder::append(const std::vector<JitterFrame>& frames) {
  for (const JitterFrame& f : frames) {
    const auto samples =
        static_cast<std::uint32_t>(static_cast<std::uint64_t>(f.ticks) * rate_ / clock_rate_);
    const std::size_t before = pcm_.size();
    switch (f.kind) {
      case FrameKind::kAudio: {
        if (f.restart) {
          decoder_ = make_session_codec(codec_, payload_type_);
        }
        auto pcm = decoder_->decode(f.payload);
        if (pcm) {
          pcm_.insert(pcm_.end(), pcm->begin(), pcm->end());
        } else {
          auto filler = decoder_->conceal(samples);
          pcm_.insert(pcm_.end(), filler.begin(), filler.end());
        }
        break;
      }
      case FrameKind::kLost: {
        auto filler = decoder_->conceal(samples);
        pcm_.insert(pcm_.end(), filler.begin(), filler.end());
        break;
      }
      case FrameKind::kSilence:
        pcm_.insert(pcm_.end(), samples, 0);
        break;
    }
    silence_.feed(std::span<const std::int16_t>(pcm_).subspan(before));
  }
}

std::optional<RecordingDone> Recorder::on_tick(TimePoint now) {
  append(jitter_.pull(now));
  if (pcm_.size() >= ms_to_samples(options_.max_duration)) {
    return finish(RecordingEnd::kMaxDuration);
  }
  // Silence heard, or nothing received for as long (a phone with silence suppression).
  if (silence_.silent_for() >= options_.silence || now - last_audio_ >= options_.silence) {
    return finish(RecordingEnd::kSilence);
  }
  // A stream that stalls must not keep the recording open past its limit.
  if (now - started_ >= options_.max_duration + std::chrono::seconds(1)) {
    return finish(RecordingEnd::kMaxDuration);
  }
  return std::nullopt;
}

RecordingDone Recorder::finish(RecordingEnd reason) {
  append(jitter_.flush());
  RecordingDone r;
  r.reason = reason;
  r.sample_rate = rate_;
  r.pcm = std::move(pcm_);
  pcm_.clear();
  const std::size_t max = ms_to_samples(options_.max_duration);
  if (r.pcm.size() > max) {
    r.pcm.resize(max);
  }
  if (reason == RecordingEnd::kSilence) {
    // The silence that ended the recording is not part of the message.
    const std::size_t trailing = std::min(ms_to_samples(silence_.silent_for()), r.pcm.size());
    r.pcm.resize(r.pcm.size() - trailing);
  }
  r.duration = std::chrono::milliseconds(static_cast<std::int64_t>(r.pcm.size()) * 1000 / rate_);
  r.too_short = r.duration < options_.min_duration;
  return r;
}

}  // namespace cohort::media
