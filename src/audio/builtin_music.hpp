#pragma once
// The built-in waiting music (issue 13): a calm 16-second loop of plucked sine arpeggios
// over four chords (C, A minor, F, G), generated in code on first use, so that no recording
// is committed. 16 kHz mono, peaks near −10 dBFS, ends where it starts (loops cleanly).

#include "media/builtin_prompts.hpp"

namespace cohort::audio {

/// The music (deterministic: the same samples every time).
media::PromptAudio builtin_music();

/// The cache key it plays under.
inline constexpr const char* kBuiltinMusicKey = "music:builtin";

}  // namespace cohort::audio
