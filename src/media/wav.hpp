#pragma once
// WAV (RIFF WAVE) files, read from the Microsoft RIFF and WAVE_FORMAT_EXTENSIBLE
// specifications: parse what users upload (any common PCM, float or G.711 layout, any channel
// count and rate), write what Cohort records (16-bit mono PCM). Untrusted input: every
// problem is an Error naming it, never an exception or a read past the buffer.

#include <chrono>
#include <cstdint>
#include <span>
#include <vector>

#include "common/errc.hpp"
#include "media/pcm.hpp"

namespace cohort::media {

/// WAVE format codes (mmreg.h values the RIFF spec registers).
enum class WavFormatCode : std::uint16_t {
  kPcm = 0x0001,
  kFloat = 0x0003,
  kAlaw = 0x0006,
  kMulaw = 0x0007,
  kExtensible = 0xFFFE,
};

/// A parsed WAV: its format and a view of its sample bytes inside the parsed buffer (which
/// must outlive the view).
struct WavView {
  std::uint16_t format_code = 0;  ///< the effective code: an extensible file's SubFormat
  SampleFormat sample_format = SampleFormat::kS16;
  std::uint16_t channels = 0;
  std::uint32_t sample_rate = 0;
  std::uint16_t bits_per_sample = 0;   ///< as stored (container width)
  std::uint16_t block_align = 0;       ///< bytes per frame (all channels)
  std::uint64_t frames = 0;            ///< samples per channel
  std::span<const std::uint8_t> data;  ///< frames · block_align bytes, interleaved

  std::chrono::milliseconds duration() const;
};

/// The largest rate and channel count accepted: beyond them a file is not audio we can use.
inline constexpr std::uint32_t kMaxWavSampleRate = 384000;
inline constexpr std::uint16_t kMaxWavChannels = 32;

/// Parses the RIFF structure and the fmt chunk without decoding a sample, so it is also how
/// to learn a file's duration cheaply. Unknown chunks (LIST, fact, cue, bext, ...) are
/// skipped, odd-sized chunks' pad bytes honoured; a data chunk size of 0xFFFFFFFF (streamed
/// writers) means "to the end of the file"; a data size that is not a whole number of frames
/// is rounded down. Errors (Errc::kInvalid, field "wav"), e.g. "not a WAV file: no RIFF
/// header", "no fmt chunk", "unsupported format code 85", "truncated data: the data chunk
/// declares 8000 bytes but 120 follow", "zero channels".
Result<WavView> parse_wav(std::span<const std::uint8_t> bytes);

/// Interleaved samples of a parsed WAV as floats in [-1, 1].
std::vector<float> wav_samples(const WavView& wav);

/// The limits of an uploaded prompt (issue 13: at most 5 minutes and 10 MB).
struct WavLimits {
  std::size_t max_bytes = 10 * 1024 * 1024;
  std::chrono::milliseconds max_duration = std::chrono::minutes(5);
};
/// Size first (before parsing), then parse, then duration and emptiness: "too big: 12000000
/// bytes, at most 10485760", "too long: 312.5 s, at most 300 s", "no audio: the data chunk
/// is empty". Errc::kInvalid (the API answers 400 with the message).
Result<WavView> check_wav_upload(std::span<const std::uint8_t> bytes, const WavLimits& limits = {});

/// A canonical 44-byte-header WAV of 16-bit mono PCM at `sample_rate`.
std::vector<std::uint8_t> write_wav(std::span<const std::int16_t> mono, std::uint32_t sample_rate);

}  // namespace cohort::media
