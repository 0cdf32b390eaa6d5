// Runtime speech with libespeak-ng (speech.hpp).

#include "audio/speech.hpp"

#include <espeak-ng/speak_lib.h>

#include <vector>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "audio/audio_store.hpp"
#include "common/log.hpp"
#include "media/resample.hpp"

namespace cohort::audio {

namespace {

// espeak-ng's state is the process's: one lock for every instance of Speech.
std::mutex g_espeak_mu;
int g_espeak_rate = 0;  ///< its output rate once initialised (22050), -1 when it failed

// Called by espeak_Synth on the calling thread (synchronous mode) with each chunk of
// samples; `events->user_data` is the buffer of that call. A null `wav` ends the text.
int collect(short* wav, int count, espeak_EVENT* events) {
  if (wav != nullptr && count > 0 && events != nullptr && events->user_data != nullptr) {
    auto* out = static_cast<std::vector<std::int16_t>*>(events->user_data);
    out->insert(out->end(), wav, wav + count);
  }
  return 0;  // continue
}

// Under g_espeak_mu.
bool ensure_espeak() {
  if (g_espeak_rate == 0) {
    // espeakINITIALIZE_DONT_EXIT: a missing voice data directory is an error, not exit().
    g_espeak_rate =
        espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 0, nullptr, espeakINITIALIZE_DONT_EXIT);
    if (g_espeak_rate <= 0) {
      spdlog::error("speech event=init_failed result={}", g_espeak_rate);
      g_espeak_rate = -1;
    } else {
      espeak_SetSynthCallback(collect);
    }
  }
  return g_espeak_rate > 0;
}

}  // namespace

Speech::Speech(SpeechOptions options) : options_(std::move(options)) {}

std::string Speech::key_of(std::string_view text) {
  std::uint64_t h = 14695981039346656037ull;  // FNV-1a, 64 bits
  for (unsigned char c : text) {
    h = (h ^ c) * 1099511628211ull;
  }
  return fmt::format("tts:{:016x}", h);
}

std::size_t Speech::synthesised() const {
  std::lock_guard lock(mu_);
  return synthesised_;
}

Result<std::shared_ptr<const media::PromptAudio>> Speech::say(std::string_view text) {
  if (text.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    return fail(Error::invalid("text", "nothing to say"));
  }
  const std::string key(text);
  {
    std::lock_guard lock(mu_);
    if (auto it = cache_.find(key); it != cache_.end()) {
      lru_.splice(lru_.begin(), lru_, it->second.at);
      return it->second.audio;
    }
  }
  std::vector<std::int16_t> samples;
  int rate = 0;
  {
    std::lock_guard espeak_lock(g_espeak_mu);
    if (!ensure_espeak()) {
      return fail(
          Error{Errc::kUnavailable, "speech is not available (espeak-ng did not start)", ""});
    }
    rate = g_espeak_rate;
    espeak_SetVoiceByName(options_.voice.c_str());
    espeak_SetParameter(espeakRATE, options_.words_per_minute, 0);
    const espeak_ERROR e = espeak_Synth(key.c_str(), key.size() + 1, 0, POS_CHARACTER, 0,
                                        espeakCHARS_UTF8 | espeakENDPAUSE, nullptr, &samples);
    if (e != EE_OK) {
      spdlog::warn("speech event=synth_failed error={}", static_cast<int>(e));
      return fail(Error{Errc::kUnavailable, "speech failed", ""});
    }
    espeak_Synchronize();
  }
  if (samples.empty()) {
    return fail(Error{Errc::kUnavailable, "speech produced no audio", ""});
  }
  auto audio = std::make_shared<media::PromptAudio>();
  audio->pcm = media::resample_pcm16(samples, static_cast<std::uint32_t>(rate), kStoredRate);
  audio->sample_rate = kStoredRate;
  std::shared_ptr<const media::PromptAudio> shared = std::move(audio);

  std::lock_guard lock(mu_);
  ++synthesised_;
  if (auto it = cache_.find(key); it != cache_.end()) {
    return it->second.audio;  // another thread spoke it meanwhile
  }
  lru_.push_front(key);
  cache_.emplace(key, Entry{shared, lru_.begin()});
  while (cache_.size() > std::max<std::size_t>(options_.cache_entries, 1)) {
    cache_.erase(lru_.back());
    lru_.pop_back();
  }
  spdlog::debug("speech event=spoken chars={} ms={}", key.size(),
                shared->pcm.size() * 1000 / kStoredRate);
  return shared;
}

}  // namespace cohort::audio
