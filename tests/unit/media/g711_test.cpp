// G.711 µ-law and A-law against the recommendation's tables: reference code/value pairs,
// every code's decode and re-encode, monotonicity, and a 1 kHz sine through each law.
#include "media/g711.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>

#include "media/codec.hpp"
#include "unit/media/signal.hpp"

namespace cohort::media {
namespace {

struct LawCase {
  std::uint8_t code;
  std::int16_t value;
};

// G.711 Table 2a (µ-law): decoder output in 14-bit units times 4; codes as sent on the wire
// (bits inverted). E.g. segment 0 outputs 0, 2, ..., 30; segment 7 tops out at 8031.
TEST(G711, UlawDecodesToTheTableValues) {
  const LawCase cases[] = {
      {0xFF, 0},      {0x7F, 0},      // +0 and "negative zero"
      {0xFE, 8},      {0x7E, -8},     // segment 0, step 1: 2 units
      {0xF0, 120},    {0xEF, 132},    // last of segment 0 (30), first of segment 1 (33)
      {0xE0, 372},    {0xDF, 396},    // 93, then 99
      {0xCE, 988},    {0x80, 32124},  // 247; 8031, the largest
      {0x00, -32124}, {0x8F, 16764},  // segment 7 step 0: 4191
  };
  for (const auto& c : cases) {
    EXPECT_EQ(ulaw_to_linear(c.code), c.value) << "code 0x" << std::hex << int{c.code};
  }
}

TEST(G711, UlawEncodesToTheTableCodes) {
  const LawCase cases[] = {
      {0xFF, 0},     {0xFF, 3},      {0x7F, -1},    {0x7F, -4},    {0x7E, -5},
      {0xFE, 4},     {0xCE, 1000},   {0x4E, -1000}, {0x80, 32767}, {0x00, -32768},
      {0x80, 32124}, {0x00, -32124}, {0xEF, 132},   {0xF0, 123},   {0xEF, 131},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(linear_to_ulaw(c.value), c.code) << "value " << c.value;
  }
}

// G.711 Table 1a (A-law): decoder output in 13-bit units times 8; even bits inverted.
TEST(G711, AlawDecodesToTheTableValues) {
  const LawCase cases[] = {
      {0xD5, 8},     {0x55, -8},      // segment 0, step 0: 1 unit
      {0xD4, 24},    {0x54, -24},     // step 1: 3
      {0xC5, 264},   {0xC4, 280},     // segment 1 step 0: 33; step 1: 35
      {0xAA, 32256}, {0x2A, -32256},  // 4032, the largest
      {0xE5, 1056},  {0xA5, 16896},   // segment 3 step 0: 132; segment 7 step 0: 2112
  };
  for (const auto& c : cases) {
    EXPECT_EQ(alaw_to_linear(c.code), c.value) << "code 0x" << std::hex << int{c.code};
  }
}

TEST(G711, AlawEncodesToTheTableCodes) {
  const LawCase cases[] = {
      {0xD5, 0},     {0xD5, 15},     {0x55, -1},  {0x55, -16},  {0xD4, 16},
      {0xAA, 32767}, {0x2A, -32768}, {0xC5, 264}, {0xE5, 1056}, {0xA5, 16896},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(linear_to_alaw(c.value), c.code) << "value " << c.value;
  }
}

TEST(G711, EveryUlawCodeReencodesToItself) {
  for (int code = 0; code < 256; ++code) {
    const auto c = static_cast<std::uint8_t>(code);
    const std::uint8_t expected = c == 0x7F ? 0xFF : c;  // -0 decodes to 0, which is +0
    EXPECT_EQ(linear_to_ulaw(ulaw_to_linear(c)), expected) << "code " << code;
  }
}

TEST(G711, EveryAlawCodeReencodesToItself) {
  for (int code = 0; code < 256; ++code) {
    const auto c = static_cast<std::uint8_t>(code);
    EXPECT_EQ(linear_to_alaw(alaw_to_linear(c)), c) << "code " << code;
  }
}

TEST(G711, EncodingIsMonotonicOverEvery16BitValue) {
  int prev_u = ulaw_to_linear(linear_to_ulaw(-32768));
  int prev_a = alaw_to_linear(linear_to_alaw(-32768));
  for (int v = -32767; v <= 32767; ++v) {
    const int u = ulaw_to_linear(linear_to_ulaw(static_cast<std::int16_t>(v)));
    const int a = alaw_to_linear(linear_to_alaw(static_cast<std::int16_t>(v)));
    ASSERT_GE(u, prev_u) << v;
    ASSERT_GE(a, prev_a) << v;
    // The quantisation error stays within half the largest step (segment 7).
    ASSERT_LE(std::abs(u - v), 1024 + 132) << v;
    ASSERT_LE(std::abs(a - v), 1024) << v;
    prev_u = u;
    prev_a = a;
  }
}

TEST(G711, BufferFunctionsMatchTheSampleFunctions) {
  const auto pcm = test::sine(1000, 8000, 160);
  const auto u = encode_ulaw(pcm);
  const auto a = encode_alaw(pcm);
  ASSERT_EQ(u.size(), pcm.size());
  for (std::size_t i = 0; i < pcm.size(); ++i) {
    EXPECT_EQ(u[i], linear_to_ulaw(pcm[i]));
    EXPECT_EQ(a[i], linear_to_alaw(pcm[i]));
  }
  EXPECT_EQ(decode_ulaw(u)[7], ulaw_to_linear(u[7]));
  EXPECT_EQ(decode_alaw(a)[9], alaw_to_linear(a[9]));
}

}  // namespace
}  // namespace cohort::media
