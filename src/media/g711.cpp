#include "media/g711.hpp"

#include <array>
#include <bit>

namespace cohort::media {
namespace {

// Magnitude of a sample after the one's-complement reduction for negatives (G.191 style):
// -1..-(2^shift) map to 0, like +0..+(2^shift - 1).
constexpr unsigned magnitude(std::int16_t sample, int shift) {
  const int v = sample < 0 ? ~static_cast<int>(sample) : static_cast<int>(sample);
  return static_cast<unsigned>(v) >> shift;
}

constexpr std::uint8_t ulaw_encode(std::int16_t sample) {
  // G.711 µ-law: biased magnitude (m + 33) in 13 bits; the segment is the position of its
  // top bit above bit 5, the four bits below the top bit the step within the segment.
  constexpr unsigned kBias = 33;
  constexpr unsigned kMax = 0x1FFF;
  unsigned v = magnitude(sample, 2) + kBias;
  if (v > kMax) {
    v = kMax;
  }
  const unsigned segment = static_cast<unsigned>(std::bit_width(v)) - 6;  // 0..7
  const unsigned step = (v >> (segment + 1)) & 0x0F;
  const unsigned sign = sample < 0 ? 0x80 : 0x00;
  return static_cast<std::uint8_t>(~(sign | (segment << 4) | step) & 0xFF);
}

constexpr std::int16_t ulaw_decode(std::uint8_t code) {
  const unsigned c = ~code & 0xFFu;
  const unsigned segment = (c >> 4) & 0x07;
  const unsigned step = c & 0x0F;
  // 14-bit decoder output ((2·step + 33) << segment) - 33, times 4 for 16 bits.
  const int v = static_cast<int>(((step << 3) + 132) << segment) - 132;
  return static_cast<std::int16_t>((c & 0x80) ? -v : v);
}

constexpr std::uint8_t alaw_encode(std::int16_t sample) {
  // G.711 A-law: 12-bit magnitude; segment 0 covers 0..31 in steps of 2, segment s ≥ 1
  // covers [16·2^s, 32·2^s) in steps of 2^s.
  const unsigned m = magnitude(sample, 3);  // 0..4095
  unsigned segment = 0;
  unsigned step = 0;
  if (m < 32) {
    step = m >> 1;
  } else {
    segment = static_cast<unsigned>(std::bit_width(m)) - 5;  // 1..7
    step = (m >> segment) & 0x0F;
  }
  const unsigned sign = sample < 0 ? 0x00 : 0x80;
  return static_cast<std::uint8_t>((sign | (segment << 4) | step) ^ 0x55);
}

constexpr std::int16_t alaw_decode(std::uint8_t code) {
  const unsigned c = code ^ 0x55u;
  const unsigned segment = (c >> 4) & 0x07;
  const unsigned step = c & 0x0F;
  // 13-bit decoder output: 2·step + 1 in segment 0, (2·step + 33) << (segment - 1) above;
  // times 8 for 16 bits.
  const int v = segment == 0 ? static_cast<int>((step << 4) + 8)
                             : static_cast<int>(((step << 4) + 264) << (segment - 1));
  return static_cast<std::int16_t>((c & 0x80) ? v : -v);
}

template <auto Decode>
constexpr std::array<std::int16_t, 256> decode_table() {
  std::array<std::int16_t, 256> t{};
  for (unsigned i = 0; i < 256; ++i) {
    t[i] = Decode(static_cast<std::uint8_t>(i));
  }
  return t;
}
constexpr auto kUlawTable = decode_table<ulaw_decode>();
constexpr auto kAlawTable = decode_table<alaw_decode>();

static_assert(ulaw_decode(0x80) == 32124 && ulaw_decode(0x00) == -32124);
static_assert(alaw_decode(0xAA) == 32256 && alaw_decode(0x2A) == -32256);

}  // namespace

std::uint8_t linear_to_ulaw(std::int16_t sample) {
  return ulaw_encode(sample);
}
std::int16_t ulaw_to_linear(std::uint8_t code) {
  return kUlawTable[code];
}
std::uint8_t linear_to_alaw(std::int16_t sample) {
  return alaw_encode(sample);
}
std::int16_t alaw_to_linear(std::uint8_t code) {
  return kAlawTable[code];
}

std::vector<std::uint8_t> encode_ulaw(std::span<const std::int16_t> pcm) {
  std::vector<std::uint8_t> out(pcm.size());
  for (std::size_t i = 0; i < pcm.size(); ++i) {
    out[i] = ulaw_encode(pcm[i]);
  }
  return out;
}
std::vector<std::int16_t> decode_ulaw(std::span<const std::uint8_t> codes) {
  std::vector<std::int16_t> out(codes.size());
  for (std::size_t i = 0; i < codes.size(); ++i) {
    out[i] = kUlawTable[codes[i]];
  }
  return out;
}
std::vector<std::uint8_t> encode_alaw(std::span<const std::int16_t> pcm) {
  std::vector<std::uint8_t> out(pcm.size());
  for (std::size_t i = 0; i < pcm.size(); ++i) {
    out[i] = alaw_encode(pcm[i]);
  }
  return out;
}
std::vector<std::int16_t> decode_alaw(std::span<const std::uint8_t> codes) {
  std::vector<std::int16_t> out(codes.size());
  for (std::size_t i = 0; i < codes.size(); ++i) {
    out[i] = kAlawTable[codes[i]];
  }
  return out;
}

}  // namespace cohort::media
