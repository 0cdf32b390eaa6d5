#pragma once
// G.711 (ITU-T Recommendation G.711, 11/88): µ-law and A-law companding of linear PCM, written
// from the recommendation's segment tables. Input and output are 16-bit linear samples; the
// recommendation's 14-bit (µ-law) and 13-bit (A-law) values are these shifted right by 2 and 3.
// Negative samples are reduced by one's complement before the shift, as the ITU-T software
// tools (G.191) do, so every code decodes and re-encodes to itself (except µ-law's "negative
// zero" 0x7F, which decodes to 0 like 0xFF).

#include <cstdint>
#include <span>
#include <vector>

namespace cohort::media {

/// One µ-law code for a 16-bit sample (G.711 Table 2a, bits inverted on the wire).
std::uint8_t linear_to_ulaw(std::int16_t sample);
/// The decoder output of G.711 Table 2a, scaled to 16 bits (±32124 at the extremes).
std::int16_t ulaw_to_linear(std::uint8_t code);
/// One A-law code for a 16-bit sample (G.711 Table 1a, even bits inverted on the wire).
std::uint8_t linear_to_alaw(std::int16_t sample);
/// The decoder output of G.711 Table 1a, scaled to 16 bits (±32256 at the extremes).
std::int16_t alaw_to_linear(std::uint8_t code);

std::vector<std::uint8_t> encode_ulaw(std::span<const std::int16_t> pcm);
std::vector<std::int16_t> decode_ulaw(std::span<const std::uint8_t> codes);
std::vector<std::uint8_t> encode_alaw(std::span<const std::int16_t> pcm);
std::vector<std::int16_t> decode_alaw(std::span<const std::uint8_t> codes);

}  // namespace cohort::media
