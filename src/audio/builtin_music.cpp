// The built-in waiting music, generated (builtin_music.hpp).

#include "audio/builtin_music.hpp"

#include <array>
#include <cmath>
#include <numbers>

#include "audio/audio_store.hpp"

namespace cohort::audio {

media::PromptAudio builtin_music() {
  // Four bars of four seconds; each bar an arpeggio of eight 500 ms notes (root, third,
  // fifth, octave, up and down) over a soft sustained root an octave below.
  constexpr double kBar = 4.0, kNote = 0.5;
  constexpr std::array<std::array<double, 4>, 4> kChords = {{
      {261.63, 329.63, 392.00, 523.25},  // C
      {220.00, 261.63, 329.63, 440.00},  // A minor
      {174.61, 220.00, 261.63, 349.23},  // F
      {196.00, 246.94, 293.66, 392.00},  // G
  }};
  constexpr std::array<int, 8> kPattern = {0, 1, 2, 3, 2, 1, 2, 1};
  constexpr double kTwoPi = 2 * std::numbers::pi;
  const std::size_t total = static_cast<std::size_t>(kBar * kChords.size() * kStoredRate);
  media::PromptAudio out;
  out.sample_rate = kStoredRate;
  out.pcm.resize(total);
  for (std::size_t i = 0; i < total; ++i) {
    const double t = static_cast<double>(i) / kStoredRate;
    const auto bar = static_cast<std::size_t>(t / kBar) % kChords.size();
    const double in_bar = std::fmod(t, kBar);
    const auto note = static_cast<std::size_t>(in_bar / kNote);
    const double in_note = std::fmod(in_bar, kNote);
    const double f = kChords[bar][static_cast<std::size_t>(kPattern[note % kPattern.size()])];
    // A pluck: 5 ms attack, exponential decay; the second harmonic gives it some colour.
    const double env = std::min(1.0, in_note / 0.005) * std::exp(-in_note * 5.0);
    double v = env * (std::sin(kTwoPi * f * in_note) + 0.3 * std::sin(kTwoPi * 2 * f * in_note));
    // The pad: the bar's root an octave down, faded in and out over each bar (no clicks at
    // the bar lines or at the loop point).
    const double pad_env = std::sin(std::numbers::pi * in_bar / kBar);
    v += 0.35 * pad_env * std::sin(kTwoPi * kChords[bar][0] / 2 * in_bar);
    out.pcm[i] = static_cast<std::int16_t>(std::lround(v * 7000.0));
  }
  return out;
}

}  // namespace cohort::audio
