#pragma once
// Tone synthesis (our own sines): DTMF digit pairs (ITU-T Q.23), beeps, and cadenced call
// progress tones such as ringback; and a level meter with a silence timer for voicemail's
// "silence for N seconds" end. Pure computation over sample buffers.

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace cohort::media {

/// Q.23 frequencies of a DTMF digit (row, column) in Hz; nullopt for other characters.
std::optional<std::pair<double, double>> dtmf_frequencies(char digit);

/// Each digit of `digits` as its two-tone pair for `on`, then `off` of silence, at
/// `level_dbfs` per tone (-10 dBFS default: well within what receivers accept).
/// Unknown characters become silence of the same length.
std::vector<std::int16_t> dtmf_tones(std::string_view digits, std::uint32_t sample_rate,
                                     std::chrono::milliseconds on = std::chrono::milliseconds(80),
                                     std::chrono::milliseconds off = std::chrono::milliseconds(80),
                                     double level_dbfs = -10.0);

/// A cadenced tone: the frequencies summed (each at level_dbfs) during `on`, silence during
/// `off`, repeated. Generated incrementally with continuous phase, so a stream can pull 20
/// ms at a time. Examples: ringback US {440, 480} 2 s on / 4 s off, Europe {425} 1 s / 4 s;
/// a voicemail beep {1000} 500 ms with off = 0 and once = true.
class ToneGenerator {
 public:
  ToneGenerator(std::vector<double> frequencies, std::uint32_t sample_rate,
                std::chrono::milliseconds on, std::chrono::milliseconds off,
                double level_dbfs = -13.0, bool once = false);
  /// The next `samples` samples. After a `once` tone has played, silence.
  std::vector<std::int16_t> next(std::size_t samples);
  bool done() const;

 private:
  std::vector<double> frequencies_;
  std::uint32_t rate_;
  std::uint64_t on_samples_;
  std::uint64_t period_samples_;
  double amplitude_;
  bool once_;
  std::uint64_t position_ = 0;
};

/// RMS level of samples in dBFS (a full-scale sine is -3 dBFS); -inf for silence or none.
double rms_dbfs(std::span<const std::int16_t> samples);

/// Tells when the audio has stayed below a threshold for long enough: RMS over windows of
/// `window` (20 ms default), a window is silent when below `threshold_dbfs`.
class SilenceDetector {
 public:
  SilenceDetector(std::uint32_t sample_rate, double threshold_dbfs,
                  std::chrono::milliseconds window = std::chrono::milliseconds(20));
  /// Feed any amount of audio; returns how long the audio has been silent up to its end.
  std::chrono::milliseconds feed(std::span<const std::int16_t> samples);
  std::chrono::milliseconds silent_for() const;
  void reset();

 private:
  std::uint32_t rate_;
  double threshold_;
  std::size_t window_;
  std::vector<std::int16_t> partial_;
  std::uint64_t silent_samples_ = 0;
};

}  // namespace cohort::media
