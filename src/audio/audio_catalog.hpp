#pragma once
// What plays (issue 13): for a group's greeting or waiting music, a user's greeting or an
// IVR menu's prompt, the upload when there is one, else the default:
//   - group greeting: speech naming the group ("You have reached Sales. Nobody can take
//     your call right now. …"), and while the group is closed its closed variant;
//   - user greeting: the built-in prompt `greeting_user_unavailable`;
//   - waiting music: built-in music generated from tones in code (builtin_music.hpp);
//   - IVR prompt: speech reading the menu's options ("For Sales, press 1. …"), with the
//     names of their destinations from the snapshot.
// The answer is the shape of pbx::PromptSource: a cache key that changes whenever the
// audio does (`upload:group:3:greeting:v<version>`, `tts:<hash of the words>`, a built-in
// id, `music:builtin`) and a loader. resolve() is cheap and never touches the disk or the
// synthesiser (any thread, SIP shards included); the loader does (the media thread's prompt
// cache, or an API thread).

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "audio/audio_store.hpp"
#include "audio/speech.hpp"
#include "media/builtin_prompts.hpp"
#include "model/snapshot.hpp"

namespace cohort::audio {

struct AudioSource {
  std::string key;
  bool uploaded = false;
  /// The words a default says ("" for an upload or music): logs and the API.
  std::string words;
  /// The PCM; blocking (file or speech). Valid while the catalog lives.
  std::function<std::optional<media::PromptAudio>()> load;
};

class AudioCatalog {
 public:
  /// Both must outlive the catalog and every loader it hands out.
  AudioCatalog(AudioStore& store, Speech& speech) : store_(store), speech_(speech) {}

  /// What plays for (owner, id, kind) now; nullopt when the owner is not in `s` or has no
  /// such kind. `closed`: the group is closed (its greeting's closed variant). Any thread.
  std::optional<AudioSource> resolve(const model::Snapshot& s, Owner owner, std::int64_t id,
                                     Kind kind, bool closed = false) const;

  /// The words of the default of (owner, id, kind); "" when the default is not speech.
  static std::string default_words(const model::Snapshot& s, Owner owner, std::int64_t id,
                                   Kind kind, bool closed);

  AudioStore& store() const { return store_; }
  Speech& speech() const { return speech_; }

 private:
  AudioStore& store_;
  Speech& speech_;
};

}  // namespace cohort::audio
