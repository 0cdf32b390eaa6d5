#pragma once
// IvrMenu: a voice menu. The caller hears its prompt and presses a key; each key 0–9, * and #
// may be bound to a Destination. What happens on silence, on a key bound to nothing and, with
// direct dial, on an extension typed instead is decided by routing/ivr.hpp
// (docs/routing.md "IVR menus"); the prompt itself is the media engine's.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/destination.hpp"
#include "model/ids.hpp"

namespace cohort::model {

/// The keys an option may be bound to, in the order options are listed (API, console).
inline constexpr std::string_view kIvrKeys = "0123456789*#";
/// Whether `c` is one of kIvrKeys.
constexpr bool is_ivr_key(char c) {
  return kIvrKeys.find(c) != std::string_view::npos;
}

/// Seconds the menu waits for a key after its prompt ended, and the bounds.
inline constexpr int kDefaultIvrTimeoutS = 5;
inline constexpr int kMinIvrTimeoutS = 1;
inline constexpr int kMaxIvrTimeoutS = 60;
/// How many times the prompt is played in all (the first time included) before the
/// timeout or invalid destination is taken, and the bounds.
inline constexpr int kDefaultIvrRepeat = 3;
inline constexpr int kMinIvrRepeat = 1;
inline constexpr int kMaxIvrRepeat = 10;

/// One key of a menu and where it sends the call.
struct IvrOption {
  char key = '0';  ///< one of kIvrKeys
  Destination destination = DestHangup{};
  bool operator==(const IvrOption&) const = default;
};

struct IvrMenu {
  IvrMenuId id = 0;
  std::string name;  ///< unique, case-insensitively (ASCII), like group names
  /// At most one option per key, in kIvrKeys order (the store and the API keep them so).
  std::vector<IvrOption> options;
  int timeout_s = kDefaultIvrTimeoutS;
  /// Where the call goes when no key was pressed after the last play; none = hang up.
  std::optional<Destination> timeout;
  /// Where the call goes after a key bound to nothing (or an unknown extension) on the last
  /// play; none = hang up.
  std::optional<Destination> invalid;
  int repeat = kDefaultIvrRepeat;
  /// The caller may type a user's or a group's extension instead of choosing an option.
  bool direct_dial = false;
  std::int64_t created_at = 0;  ///< unix seconds
  std::int64_t updated_at = 0;
  bool operator==(const IvrMenu&) const = default;

  /// The option bound to `key`; nullptr when none.
  const IvrOption* option(char key) const;
};

/// `options` sorted in kIvrKeys order (keys outside kIvrKeys last, in their order).
void sort_ivr_options(std::vector<IvrOption>& options);

}  // namespace cohort::model
