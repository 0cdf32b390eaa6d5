#pragma once
// The recording side of a media session (voicemail, greeting recording): received audio
// packets through the jitter buffer, decoded (losses concealed, silence filled) into mono
// PCM at the codec's PCM rate, with the end rules: maximum length, silence for N seconds,
// and stop (hang-up, end digit). Pure: `now` is an input. One per recording.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "media/codec.hpp"
#include "media/jitter_buffer.hpp"
#include "media/tones.hpp"

namespace cohort::media {

struct RecordOptions {
  std::chrono::milliseconds max_duration{180000};
  std::chrono::milliseconds min_duration{2000};  ///< shorter: RecordingDone::too_short
  double silence_dbfs = -45.0;                   ///< below this a 20 ms window is silent
  std::chrono::milliseconds silence{5000};       ///< this long silent ends the recording
  std::optional<char> end_digit = '#';           ///< nullopt: digits do not end it
};

enum class RecordingEnd : std::uint8_t { kDigit, kSilence, kMaxDuration, kStopped };

struct RecordingDone {
  RecordingEnd reason = RecordingEnd::kStopped;
  std::vector<std::int16_t> pcm;     ///< mono, at sample_rate; trailing silence trimmed (kSilence)
  std::uint32_t sample_rate = 8000;  ///< the codec's PCM rate (pcm_rate_of)
  std::chrono::milliseconds duration{0};
  bool too_short = false;  ///< duration < min_duration: the caller discards it
};

class Recorder {
 public:
  Recorder(CodecId codec, std::uint8_t payload_type, RecordOptions options, TimePoint now,
           std::chrono::milliseconds jitter_depth = std::chrono::milliseconds(60));

  /// One received audio packet of the negotiated payload type.
  void on_audio(std::uint32_t ssrc, std::uint16_t seq, std::uint32_t timestamp,
                std::span<const std::uint8_t> payload, TimePoint now);
  /// Plays out what is due; the result when a limit ended the recording (then the recorder
  /// is spent).
  std::optional<RecordingDone> on_tick(TimePoint now);
  /// Ends it now: drains the jitter buffer (so the PCM has the true duration) and builds
  /// the result.
  RecordingDone finish(RecordingEnd reason);

  const RecordOptions& options() const { return options_; }
  std::size_t samples() const { return pcm_.size(); }
  std::uint32_t sample_rate() const { return rate_; }

 private:
  void append(const std::vector<JitterFrame>& frames);
  std::size_t ms_to_samples(std::chrono::milliseconds d) const;

  CodecId codec_;
  std::uint8_t payload_type_;
  RecordOptions options_;
  std::uint32_t rate_;
  std::uint32_t clock_rate_;
  std::unique_ptr<Codec> decoder_;
  JitterBuffer jitter_;
  SilenceDetector silence_;
  TimePoint started_;
  TimePoint last_audio_;
  std::vector<std::int16_t> pcm_;
};

}  // namespace cohort::media
