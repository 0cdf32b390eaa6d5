#pragma once
// Speech at run time (issue 13) for the defaults that must name something: a group's
// greeting ("You have reached Sales …"), an IVR menu's options. libespeak-ng (Debian
// libespeak-ng-dev) in its synchronous mode, into memory, then resampled to 16 kHz mono.
// espeak-ng keeps global state and is not reentrant: every synthesis in the process holds
// one mutex. What was spoken is cached by text.

#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/errc.hpp"
#include "media/builtin_prompts.hpp"

namespace cohort::audio {

struct SpeechOptions {
  std::string voice = "en-us";  ///< as the built-in prompts (prompts/speak.sh)
  int words_per_minute = 155;
  std::size_t cache_entries = 128;  ///< texts kept; the least recently used go first
};

class Speech {
 public:
  explicit Speech(SpeechOptions options = {});

  /// `text` spoken as 16 kHz mono 16-bit PCM, from the cache when it was spoken before.
  /// Blocking (tens to hundreds of ms for a sentence): never on a SIP shard; the media
  /// thread's prompt cache or an API thread. Thread-safe. Errors: espeak-ng failed to start
  /// (its data missing) or produced nothing (kUnavailable), text empty (kInvalid).
  Result<std::shared_ptr<const media::PromptAudio>> say(std::string_view text);

  /// The cache key of `text` as a prompt: "tts:<64-bit hash, hex>".
  static std::string key_of(std::string_view text);

  /// How many texts were synthesised (not served from the cache) since start: for tests.
  std::size_t synthesised() const;

 private:
  SpeechOptions options_;
  mutable std::mutex mu_;  ///< the cache
  std::list<std::string> lru_;
  struct Entry {
    std::shared_ptr<const media::PromptAudio> audio;
    std::list<std::string>::iterator at;
  };
  std::unordered_map<std::string, Entry> cache_;
  std::size_t synthesised_ = 0;
};

}  // namespace cohort::audio
