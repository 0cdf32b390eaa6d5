#include "model/destination.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <initializer_list>
#include <limits>
#include <string_view>

#include "model/validate.hpp"

namespace cohort::model {
namespace {

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

std::string json_type_name(const nlohmann::json& j) {
  // type_name() says "number" for integers and floats alike; that is what an API user sees.
  return j.type_name();
}

/// Rejects any key of `j` outside `allowed`: a typo such as "ID" must not silently drop
/// the value it was meant to carry.
Result<void> only_keys(const nlohmann::json& j, const std::string& field,
                       std::initializer_list<std::string_view> allowed) {
  for (const auto& [key, value] : j.items()) {
    bool known = false;
    for (std::string_view a : allowed) {
      if (key == a) {
        known = true;
        break;
      }
    }
    if (!known) {
      return fail(Error::invalid(field + "." + key, "unknown key \"" + key + "\""));
    }
  }
  return {};
}

/// A positive integer id under `key`. Floats (even 7.0), strings and booleans are refused:
/// ids are integers in the API and a lenient parse would hide client bugs.
Result<std::int64_t> positive_id(const nlohmann::json& j, const std::string& field,
                                 const char* key) {
  std::string path = field + "." + key;
  auto it = j.find(key);
  if (it == j.end()) {
    return fail(Error::invalid(path, "is required"));
  }
  if (!it->is_number_integer()) {
    return fail(Error::invalid(path, "must be an integer, not " + json_type_name(*it)));
  }
  if (it->is_number_unsigned() &&
      it->get<std::uint64_t>() >
          static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    return fail(Error::invalid(path, "is out of range"));
  }
  auto id = it->get<std::int64_t>();
  if (id <= 0) {
    return fail(Error::invalid(path, "must be a positive integer"));
  }
  return id;
}

Result<std::string> string_value(const nlohmann::json& j, const std::string& field,
                                 const char* key) {
  std::string path = field + "." + key;
  auto it = j.find(key);
  if (it == j.end()) {
    return fail(Error::invalid(path, "is required"));
  }
  if (!it->is_string()) {
    return fail(Error::invalid(path, "must be a string, not " + json_type_name(*it)));
  }
  return it->get<std::string>();
}

}  // namespace

std::optional<Target> target_of(const Destination& d) {
  return std::visit(Overloaded{
                        [](const DestUser& u) -> std::optional<Target> {
                          return Target{Target::Kind::kUser, u.id};
                        },
                        [](const DestGroup& g) -> std::optional<Target> {
                          return Target{Target::Kind::kGroup, g.id};
                        },
                        [](const DestVoicemail& v) -> std::optional<Target> {
                          // A voicemail box belongs to its user or group: deleting the owner
                          // deletes the box.
                          return Target{v.box == DestVoicemail::Box::kUser ? Target::Kind::kUser
                                                                           : Target::Kind::kGroup,
                                        v.id};
                        },
                        [](const DestNumber&) -> std::optional<Target> { return std::nullopt; },
                        [](const DestHangup&) -> std::optional<Target> { return std::nullopt; },
                        [](const DestIvr& m) -> std::optional<Target> {
                          return Target{Target::Kind::kIvr, m.id};
                        },
                    },
                    d);
}

Result<Destination> destination_from_json(const nlohmann::json& j, const std::string& field) {
  if (!j.is_object()) {
    return fail(Error::invalid(field, "must be an object, not " + json_type_name(j)));
  }
  auto type = string_value(j, field, "type");
  if (!type) {
    return fail(std::move(type).error());
  }
  const std::string type_field = field + ".type";

  if (*type == "user" || *type == "group" || *type == "ivr") {
    if (auto ok = only_keys(j, field, {"type", "id"}); !ok) {
      return fail(std::move(ok).error());
    }
    auto id = positive_id(j, field, "id");
    if (!id) {
      return fail(std::move(id).error());
    }
    if (*type == "user") {
      return Destination{DestUser{*id}};
    }
    if (*type == "ivr") {
      return Destination{DestIvr{*id}};
    }
    return Destination{DestGroup{*id}};
  }
  if (*type == "voicemail") {
    if (auto ok = only_keys(j, field, {"type", "box", "id"}); !ok) {
      return fail(std::move(ok).error());
    }
    auto box = string_value(j, field, "box");
    if (!box) {
      return fail(std::move(box).error());
    }
    DestVoicemail vm;
    if (*box == "user") {
      vm.box = DestVoicemail::Box::kUser;
    } else if (*box == "group") {
      vm.box = DestVoicemail::Box::kGroup;
    } else {
      return fail(Error::invalid(field + ".box", "must be \"user\" or \"group\""));
    }
    auto id = positive_id(j, field, "id");
    if (!id) {
      return fail(std::move(id).error());
    }
    vm.id = *id;
    return Destination{vm};
  }
  if (*type == "number") {
    if (auto ok = only_keys(j, field, {"type", "number"}); !ok) {
      return fail(std::move(ok).error());
    }
    auto number = string_value(j, field, "number");
    if (!number) {
      return fail(std::move(number).error());
    }
    // The number becomes the user part of a Request-URI; same format as a caller ID.
    if (auto ok = check_caller_id(field + ".number", *number); !ok) {
      return fail(std::move(ok).error());
    }
    return Destination{DestNumber{std::move(*number)}};
  }
  if (*type == "hangup") {
    if (auto ok = only_keys(j, field, {"type"}); !ok) {
      return fail(std::move(ok).error());
    }
    return Destination{DestHangup{}};
  }
  return fail(
      Error::invalid(type_field, "must be one of user, group, ivr, voicemail, number, hangup"));
}

nlohmann::json destination_to_json(const Destination& d) {
  return std::visit(Overloaded{
                        [](const DestUser& u) {
                          return nlohmann::json{{"type", "user"}, {"id", u.id}};
                        },
                        [](const DestGroup& g) {
                          return nlohmann::json{{"type", "group"}, {"id", g.id}};
                        },
                        [](const DestVoicemail& v) {
                          return nlohmann::json{
                              {"type", "voicemail"},
                              {"box", v.box == DestVoicemail::Box::kUser ? "user" : "group"},
                              {"id", v.id}};
                        },
                        [](const DestNumber& n) {
                          return nlohmann::json{{"type", "number"}, {"number", n.number}};
                        },
                        [](const DestHangup&) {
                          return nlohmann::json{{"type", "hangup"}};
                        },
                        [](const DestIvr& m) {
                          return nlohmann::json{{"type", "ivr"}, {"id", m.id}};
                        },
                    },
                    d);
}

}  // namespace cohort::model
