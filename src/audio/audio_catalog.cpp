// What plays for a group, a user or an IVR menu (audio_catalog.hpp).

#include "audio/audio_catalog.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "audio/builtin_music.hpp"
#include "common/log.hpp"

namespace cohort::audio {

namespace {

constexpr const char* kUserDefault = "greeting_user_unavailable";

// The key spoken for an option: espeak reads "1" well, but not "*" and "#".
std::string key_words(char key) {
  if (key == '*') {
    return "star";
  }
  if (key == '#') {
    return "pound";
  }
  return std::string(1, key);
}

// A number read digit by digit ("5 5 5 1 2"), its '+' left out.
std::string spaced_digits(std::string_view number) {
  std::string out;
  for (char c : number) {
    if (c == '+') {
      continue;
    }
    if (!out.empty()) {
      out += ' ';
    }
    out += key_words(c);
  }
  return out;
}

// What an option's destination is called in a menu: "Sales", "Ann Lee", "the voicemail of
// Sales", "5 5 5 1 2 3 4"; nullopt for a hang-up (said differently) and for a routing gap.
std::optional<std::string> destination_words(const model::Snapshot& s,
                                             const model::Destination& d) {
  if (const auto* u = std::get_if<model::DestUser>(&d)) {
    const model::User* user = s.user(u->id);
    return user ? std::optional(user->name.empty() ? "extension " + spaced_digits(user->extension)
                                                   : user->name)
                : std::nullopt;
  }
  if (const auto* g = std::get_if<model::DestGroup>(&d)) {
    const model::Group* group = s.group(g->id);
    return group ? std::optional(group->name) : std::nullopt;
  }
  if (const auto* v = std::get_if<model::DestVoicemail>(&d)) {
    const std::string* name = nullptr;
    if (v->box == model::DestVoicemail::Box::kGroup) {
      const model::Group* group = s.group(v->id);
      name = group ? &group->name : nullptr;
    } else {
      const model::User* user = s.user(v->id);
      name = user ? &user->name : nullptr;
    }
    return name ? std::optional("the voicemail of " + *name) : std::nullopt;
  }
  if (const auto* n = std::get_if<model::DestNumber>(&d)) {
    return spaced_digits(n->number);
  }
  if (const auto* i = std::get_if<model::DestIvr>(&d)) {
    const model::IvrMenu* menu = s.ivr_menu(i->id);
    return menu ? std::optional(menu->name) : std::nullopt;
  }
  return std::nullopt;  // hang-up
}

std::string menu_words(const model::Snapshot& s, const model::IvrMenu& menu) {
  std::string out;
  for (const model::IvrOption& o : menu.options) {
    if (std::holds_alternative<model::DestHangup>(o.destination)) {
      out += fmt::format("To end the call, press {}. ", key_words(o.key));
    } else if (auto name = destination_words(s, o.destination)) {
      out += fmt::format("For {}, press {}. ", *name, key_words(o.key));
    }
  }
  if (menu.direct_dial) {
    out += std::string(media::builtin_prompt_words("ivr_dial_extension"));
  }
  if (out.empty()) {
    out = fmt::format("You have reached {}.", menu.name);
  }
  while (!out.empty() && out.back() == ' ') {
    out.pop_back();
  }
  return out;
}

}  // namespace

std::string AudioCatalog::default_words(const model::Snapshot& s, Owner owner, std::int64_t id,
                                        Kind kind, bool closed) {
  if (owner == Owner::kGroup && kind == Kind::kGreeting) {
    const model::Group* g = s.group(id);
    if (g == nullptr) {
      return {};
    }
    return fmt::format("You have reached {}. {}", g->name,
                       closed ? "We are closed right now. Please leave a message after the tone."
                              : "Nobody can take your call right now. Please leave a message "
                                "after the tone.");
  }
  if (owner == Owner::kIvrMenu && kind == Kind::kPrompt) {
    const model::IvrMenu* m = s.ivr_menu(id);
    return m ? menu_words(s, *m) : std::string();
  }
  if (owner == Owner::kUser && kind == Kind::kGreeting) {
    return std::string(media::builtin_prompt_words(kUserDefault));
  }
  return {};
}

std::optional<AudioSource> AudioCatalog::resolve(const model::Snapshot& s, Owner owner,
                                                 std::int64_t id, Kind kind, bool closed) const {
  const bool exists = owner == Owner::kGroup  ? s.group(id) != nullptr
                      : owner == Owner::kUser ? s.user(id) != nullptr
                                              : s.ivr_menu(id) != nullptr;
  if (!exists || !has_kind(owner, kind)) {
    return std::nullopt;
  }
  AudioSource out;
  if (auto info = store_.info(owner, id, kind)) {
    out.key =
        fmt::format("upload:{}:{}:{}:v{}", to_string(owner), id, to_string(kind), info->version);
    out.uploaded = true;
    out.load = [&store = store_, owner, id, kind] { return store.load_pcm(owner, id, kind); };
    return out;
  }
  if (kind == Kind::kWaitingMusic) {
    out.key = kBuiltinMusicKey;
    out.load = [] { return std::optional(builtin_music()); };
    return out;
  }
  if (owner == Owner::kUser) {
    out.key = kUserDefault;
    out.words = default_words(s, owner, id, kind, closed);
    out.load = [] { return media::builtin_prompt(kUserDefault); };
    return out;
  }
  out.words = default_words(s, owner, id, kind, closed);
  out.key = Speech::key_of(out.words);
  // A group's greeting falls back to the built-in words when speech fails (no espeak-ng
  // data): the caller still hears a greeting, only not one naming the group.
  const char* fallback =
      owner == Owner::kGroup ? (closed ? "greeting_closed" : "greeting_group_default") : nullptr;
  out.load = [&speech = speech_, words = out.words,
              fallback]() -> std::optional<media::PromptAudio> {
    auto spoken = speech.say(words);
    if (spoken) {
      return **spoken;
    }
    spdlog::warn("audio event=speech_failed error={}", log::Value{spoken.error().message});
    return fallback ? media::builtin_prompt(fallback) : std::nullopt;
  };
  return out;
}

}  // namespace cohort::audio
