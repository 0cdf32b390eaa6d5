// media/builtin_prompts.hpp over the data prompt_pack generated.
#include "media/builtin_prompts.hpp"

#include <span>

namespace cohort::media {

namespace {
std::span<const detail::BuiltinPromptEntry> entries() {
  return {detail::kBuiltinPromptEntries, detail::kBuiltinPromptCount};
}
const detail::BuiltinPromptEntry* find(std::string_view id) {
  for (const auto& e : entries()) {
    if (id == e.id) {
      return &e;
    }
  }
  return nullptr;
}
}  // namespace

std::optional<PromptAudio> builtin_prompt(std::string_view id) {
  const auto* e = find(id);
  if (e == nullptr) {
    return std::nullopt;
  }
  PromptAudio audio{std::vector<std::int16_t>(e->samples), detail::kBuiltinPromptRate};
  const auto* bytes =
      reinterpret_cast<const unsigned char*>(detail::kBuiltinPromptBytes) + e->offset;
  for (std::size_t i = 0; i < e->samples; ++i) {
    audio.pcm[i] = static_cast<std::int16_t>(bytes[2 * i] | bytes[2 * i + 1] << 8);
  }
  return audio;
}

std::string_view builtin_prompt_words(std::string_view id) {
  const auto* e = find(id);
  return e != nullptr ? e->words : "";
}

std::vector<std::string_view> builtin_prompt_ids() {
  std::vector<std::string_view> ids;
  for (const auto& e : entries()) {
    ids.emplace_back(e.id);
  }
  return ids;
}

}  // namespace cohort::media
