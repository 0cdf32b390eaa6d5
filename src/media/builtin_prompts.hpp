#pragma once
// The built-in prompts (prompts/en.tsv): default greetings, voicemail and IVR phrases,
// queue announcements and numbers, spoken by espeak-ng at build time and compiled into the
// server as 16-bit mono PCM (prompts/CMakeLists.txt); nothing is a committed recording.
// Declared here, defined by the `cohort_prompts` library (generated data plus
// prompts/builtin_prompts.cpp): link it to call these.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace cohort::media {

struct PromptAudio {
  std::vector<std::int16_t> pcm;  ///< mono
  std::uint32_t sample_rate = 0;
};

/// The prompt `id` (e.g. "greeting_closed", "n7"), or nullopt when there is none.
std::optional<PromptAudio> builtin_prompt(std::string_view id);
/// The words prompt `id` says ("" when there is none): what a caller hears, for logs and
/// the console.
std::string_view builtin_prompt_words(std::string_view id);
/// Every prompt id, in table order.
std::vector<std::string_view> builtin_prompt_ids();

namespace detail {
struct BuiltinPromptEntry {
  const char* id;
  const char* words;
  std::size_t offset;   ///< into kBuiltinPromptBytes
  std::size_t samples;  ///< 16-bit little-endian samples from there
};
extern const char kBuiltinPromptBytes[];
extern const BuiltinPromptEntry kBuiltinPromptEntries[];
extern const std::size_t kBuiltinPromptCount;
extern const std::uint32_t kBuiltinPromptRate;
}  // namespace detail

}  // namespace cohort::media
