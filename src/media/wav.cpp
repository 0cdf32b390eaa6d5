#include "media/wav.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <optional>
#include <string>

#include <fmt/format.h>

namespace cohort::media {
namespace {

constexpr std::uint32_t kStreamedSize = 0xFFFFFFFF;

std::uint16_t le16(const std::uint8_t* p) {
  return static_cast<std::uint16_t>(p[0] | p[1] << 8);
}
std::uint32_t le32(const std::uint8_t* p) {
  return static_cast<std::uint32_t>(p[0]) | static_cast<std::uint32_t>(p[1]) << 8 |
         static_cast<std::uint32_t>(p[2]) << 16 | static_cast<std::uint32_t>(p[3]) << 24;
}

Unexpected<Error> bad(std::string message) {
  return fail(Error::invalid("wav", std::move(message)));
}

// A chunk id for messages: printable ASCII as is, anything else as hex.
std::string chunk_name(const std::uint8_t* id) {
  std::string out;
  for (int i = 0; i < 4; ++i) {
    if (id[i] >= 0x20 && id[i] < 0x7F) {
      out += static_cast<char>(id[i]);
    } else {
      out += fmt::format("\\x{:02x}", id[i]);
    }
  }
  return out;
}

bool is(const std::uint8_t* id, const char (&name)[5]) {
  return std::memcmp(id, name, 4) == 0;
}

// KSDATAFORMAT_SUBTYPE_*: the format code in the first two bytes, then this GUID tail.
constexpr std::array<std::uint8_t, 14> kSubformatTail{0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80,
                                                      0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71};

struct Format {
  std::uint16_t code = 0;
  std::uint16_t channels = 0;
  std::uint32_t rate = 0;
  std::uint16_t block_align = 0;
  std::uint16_t bits = 0;
};

Result<Format> parse_fmt(std::span<const std::uint8_t> c) {
  if (c.size() < 16) {
    return bad(fmt::format("fmt chunk too short: {} bytes, at least 16 needed", c.size()));
  }
  Format f{le16(&c[0]), le16(&c[2]), le32(&c[4]), le16(&c[12]), le16(&c[14])};
  if (f.code == static_cast<std::uint16_t>(WavFormatCode::kExtensible)) {
    // cbSize (2), wValidBitsPerSample (2), dwChannelMask (4), SubFormat GUID (16).
    if (c.size() < 40 || le16(&c[16]) < 22) {
      return bad(
          fmt::format("WAVE_FORMAT_EXTENSIBLE fmt chunk too short: {} bytes, 40 needed", c.size()));
    }
    if (!std::equal(kSubformatTail.begin(), kSubformatTail.end(), c.begin() + 26)) {
      return bad("unsupported WAVE_FORMAT_EXTENSIBLE subformat (not a PCM, float or G.711 GUID)");
    }
    f.code = le16(&c[24]);
  }
  return f;
}

Result<SampleFormat> sample_format(const Format& f) {
  const auto unsupported_bits = [&](std::string_view kind) {
    return bad(fmt::format("unsupported bits per sample {} for {}", f.bits, kind));
  };
  switch (static_cast<WavFormatCode>(f.code)) {
    case WavFormatCode::kPcm:
      // Samples narrower than their container (e.g. 12 in 16, 20 in 24) are left-justified,
      // so they read as the container width.
      if (f.bits == 0 || f.bits > 32) {
        return unsupported_bits("PCM");
      }
      switch ((f.bits + 7) / 8) {
        case 1:
          return SampleFormat::kU8;
        case 2:
          return SampleFormat::kS16;
        case 3:
          return SampleFormat::kS24;
        default:
          return SampleFormat::kS32;
      }
    case WavFormatCode::kFloat:
      if (f.bits == 32) {
        return SampleFormat::kF32;
      }
      if (f.bits == 64) {
        return SampleFormat::kF64;
      }
      return unsupported_bits("float");
    case WavFormatCode::kAlaw:
      if (f.bits != 8) {
        return unsupported_bits("A-law");
      }
      return SampleFormat::kAlaw;
    case WavFormatCode::kMulaw:
      if (f.bits != 8) {
        return unsupported_bits("mu-law");
      }
      return SampleFormat::kMulaw;
    default:
      break;
  }
  return bad(
      fmt::format("unsupported format code {} (0x{:04x}): only PCM (1), float (3), "
                  "A-law (6) and mu-law (7) are accepted",
                  f.code, f.code));
}

}  // namespace

std::chrono::milliseconds WavView::duration() const {
  if (sample_rate == 0) {
    return std::chrono::milliseconds(0);
  }
  return std::chrono::milliseconds(frames * 1000 / sample_rate);
}

Result<WavView> parse_wav(std::span<const std::uint8_t> bytes) {
  if (bytes.size() < 12) {
    return bad(fmt::format("not a WAV file: {} bytes, too short for a RIFF header", bytes.size()));
  }
  if (is(bytes.data(), "RF64") || is(bytes.data(), "RIFX")) {
    return bad(fmt::format("not a supported WAV file: {} is not accepted, only RIFF",
                           chunk_name(bytes.data())));
  }
  if (!is(bytes.data(), "RIFF")) {
    return bad("not a WAV file: no RIFF header");
  }
  if (!is(bytes.data() + 8, "WAVE")) {
    return bad(fmt::format("not a WAV file: RIFF form type is '{}', not 'WAVE'",
                           chunk_name(bytes.data() + 8)));
  }
  // The RIFF size is often wrong (streamed or hand-edited files): trust the buffer's length.
  std::optional<Format> format;
  std::optional<std::span<const std::uint8_t>> data;
  std::size_t pos = 12;
  while (pos < bytes.size()) {
    if (bytes.size() - pos < 8) {
      if (format && data) {
        break;  // trailing junk after a complete file
      }
      return bad(fmt::format("truncated: a chunk header at offset {} needs 8 bytes, {} remain", pos,
                             bytes.size() - pos));
    }
    const std::uint8_t* id = bytes.data() + pos;
    const std::uint32_t size = le32(id + 4);
    const std::size_t body = pos + 8;
    const std::size_t remain = bytes.size() - body;
    if (is(id, "data")) {
      if (data) {
        return bad("more than one data chunk");
      }
      std::size_t n = size;
      if (size == kStreamedSize) {
        n = remain;
      } else if (n > remain) {
        return bad(fmt::format("truncated data: the data chunk declares {} bytes but {} follow",
                               size, remain));
      }
      data = bytes.subspan(body, n);
      pos = body + n + (n & 1);
      continue;
    }
    if (size > remain) {
      if (format && data) {
        break;  // a truncated trailing chunk (LIST, id3) does not spoil the audio
      }
      return bad(fmt::format("truncated: chunk '{}' declares {} bytes but {} remain",
                             chunk_name(id), size, remain));
    }
    if (is(id, "fmt ")) {
      if (format) {
        return bad("more than one fmt chunk");
      }
      COHORT_TRY_ASSIGN(format, parse_fmt(bytes.subspan(body, size)));
    }
    pos = body + size + (size & 1);
  }
  if (!format) {
    return bad("no fmt chunk");
  }
  if (!data) {
    return bad("no data chunk");
  }
  const Format& f = *format;
  if (f.channels == 0) {
    return bad("zero channels");
  }
  if (f.channels > kMaxWavChannels) {
    return bad(fmt::format("too many channels: {}, at most {}", f.channels, kMaxWavChannels));
  }
  if (f.rate == 0) {
    return bad("zero sample rate");
  }
  if (f.rate > kMaxWavSampleRate) {
    return bad(
        fmt::format("sample rate {} Hz out of range (at most {})", f.rate, kMaxWavSampleRate));
  }
  COHORT_TRY_ASSIGN(const SampleFormat sf, sample_format(f));
  const std::uint32_t frame_bytes = bytes_per_sample(sf) * f.channels;
  if (f.block_align != frame_bytes) {
    return bad(fmt::format("block align {} does not match {} channel(s) of {}", f.block_align,
                           f.channels, to_string(sf)));
  }
  WavView w;
  w.format_code = f.code;
  w.sample_format = sf;
  w.channels = f.channels;
  w.sample_rate = f.rate;
  w.bits_per_sample = f.bits;
  w.block_align = f.block_align;
  w.frames = data->size() / frame_bytes;
  w.data = data->first(static_cast<std::size_t>(w.frames) * frame_bytes);
  return w;
}

std::vector<float> wav_samples(const WavView& wav) {
  return to_float(wav.data, wav.sample_format);
}

Result<WavView> check_wav_upload(std::span<const std::uint8_t> bytes, const WavLimits& limits) {
  if (bytes.size() > limits.max_bytes) {
    return bad(fmt::format("too big: {} bytes, at most {}", bytes.size(), limits.max_bytes));
  }
  COHORT_TRY_ASSIGN(WavView wav, parse_wav(bytes));
  if (wav.frames == 0) {
    return bad("no audio: the data chunk is empty");
  }
  // Compare in frames so that a file a fraction of a millisecond over the limit is refused.
  const auto max_frames =
      static_cast<std::uint64_t>(limits.max_duration.count()) * wav.sample_rate / 1000;
  if (wav.frames > max_frames) {
    return bad(fmt::format("too long: {:.1f} s, at most {} s",
                           static_cast<double>(wav.frames) / wav.sample_rate,
                           limits.max_duration.count() / 1000));
  }
  return wav;
}

std::vector<std::uint8_t> write_wav(std::span<const std::int16_t> mono, std::uint32_t sample_rate) {
  const auto data_bytes = static_cast<std::uint32_t>(mono.size() * 2);
  // Sized once and written by position (g++ 12 at -O2 misreads a push_back of a string
  // literal's bytes as an overflow).
  std::vector<std::uint8_t> out(44 + std::size_t{data_bytes});
  std::size_t at = 0;
  const auto put4 = [&](std::uint32_t v) {
    for (int i = 0; i < 4; ++i) {
      out[at++] = static_cast<std::uint8_t>(v >> (8 * i));
    }
  };
  const auto put2 = [&](std::uint16_t v) {
    out[at++] = static_cast<std::uint8_t>(v);
    out[at++] = static_cast<std::uint8_t>(v >> 8);
  };
  const auto tag = [&](const char(&t)[5]) {
    std::memcpy(&out[at], t, 4);
    at += 4;
  };
  tag("RIFF");
  put4(36 + data_bytes);
  tag("WAVE");
  tag("fmt ");
  put4(16);
  put2(static_cast<std::uint16_t>(WavFormatCode::kPcm));
  put2(1);                // channels
  put4(sample_rate);      // samples per second
  put4(sample_rate * 2);  // bytes per second
  put2(2);                // block align
  put2(16);               // bits per sample
  tag("data");
  put4(data_bytes);
  for (std::int16_t s : mono) {
    put2(static_cast<std::uint16_t>(s));
  }
  return out;
}

}  // namespace cohort::media
