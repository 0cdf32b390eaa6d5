#pragma once
// Destination: where a call goes next: a group's fallback and closed destination, an inbound
// route, a user's forwarding, an IVR menu's options and exits. JSON form (the API and the
// store use the same):
//   {"type": "user", "id": 7}            ring a user's bindings
//   {"type": "group", "id": 3}           distribute through a group
//   {"type": "voicemail", "box": "user"|"group", "id": 3}
//   {"type": "number", "number": "+15551234"}   dial out through the outbound rules
//   {"type": "hangup"}
//   {"type": "ivr", "id": 4}             enter an IVR menu (model/ivr_menu.hpp)

#include <nlohmann/json_fwd.hpp>

#include <optional>
#include <string>
#include <variant>

#include "common/errc.hpp"
#include "model/ids.hpp"

namespace cohort::model {

struct DestUser {
  UserId id = 0;
  bool operator==(const DestUser&) const = default;
};
struct DestGroup {
  GroupId id = 0;
  bool operator==(const DestGroup&) const = default;
};
struct DestVoicemail {
  enum class Box { kUser, kGroup };
  Box box = Box::kGroup;
  std::int64_t id = 0;
  bool operator==(const DestVoicemail&) const = default;
};
struct DestNumber {
  std::string number;
  bool operator==(const DestNumber&) const = default;
};
struct DestHangup {
  bool operator==(const DestHangup&) const = default;
};
struct DestIvr {
  IvrMenuId id = 0;
  bool operator==(const DestIvr&) const = default;
};

using Destination =
    std::variant<DestUser, DestGroup, DestVoicemail, DestNumber, DestHangup, DestIvr>;

/// The object a destination points at, if it points at one.
struct Target {
  enum class Kind { kUser, kGroup, kIvr };
  Kind kind = Kind::kUser;
  std::int64_t id = 0;
  bool operator==(const Target&) const = default;
};
std::optional<Target> target_of(const Destination& d);

/// Strict JSON decoding: unknown keys, wrong types and bad values are errors naming the
/// field as `<field>.<key>` (e.g. "fallback.id"). Existence of the target is not checked.
Result<Destination> destination_from_json(const nlohmann::json& j, const std::string& field);
nlohmann::json destination_to_json(const Destination& d);

}  // namespace cohort::model
