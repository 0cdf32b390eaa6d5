#include "model/validate.hpp"

#include <fmt/format.h>

#include <string>

#include "common/text.hpp"
#include "model/references.hpp"

namespace cohort::model {
namespace {

bool is_control(char c) {
  auto u = static_cast<unsigned char>(c);
  return u < 0x20 || u == 0x7f;
}

std::string owner_text(const ExtensionOwner& owner) {
  return fmt::format("{} {}", owner.kind == ExtensionOwner::Kind::kUser ? "user" : "group",
                     owner.id);
}

Result<void> check_range(std::string_view field, int value, int min, int max,
                         std::string_view unit) {
  if (value < min || value > max) {
    return fail(Error::invalid(std::string(field),
                               fmt::format("{} must be {}–{} {}", field, min, max, unit)));
  }
  return {};
}

/// Whether the target of a destination exists; the error names the key holding the id.
Result<void> check_destination(std::string_view field, const Destination& d, const Snapshot& s) {
  if (const auto* n = std::get_if<DestNumber>(&d)) {
    return check_caller_id(std::string(field) + ".number", n->number);
  }
  auto target = target_of(d);
  if (!target) {
    return {};
  }
  const bool is_user = target->kind == Target::Kind::kUser;
  const bool exists = is_user ? s.user(target->id) != nullptr : s.group(target->id) != nullptr;
  if (!exists) {
    return fail(
        Error::invalid(std::string(field) + ".id",
                       fmt::format("no {} with id {}", is_user ? "user" : "group", target->id)));
  }
  return {};
}

std::string describe_cycle(const std::vector<GroupId>& cycle, const Group& proposed,
                           const Snapshot& s) {
  std::string out = "fallback cycle: ";
  for (std::size_t i = 0; i < cycle.size(); ++i) {
    if (i > 0) {
      out += " → ";
    }
    // The group being saved is shown under its new name, the others as stored.
    const Group* g = cycle[i] == proposed.id ? &proposed : s.group(cycle[i]);
    out += fmt::format("{}({})", g != nullptr ? g->name : std::string("?"), cycle[i]);
  }
  return out;
}

}  // namespace

Result<void> check_extension(std::string_view field, std::string_view value) {
  if (value.size() < 2 || value.size() > 10 || !text::all_digits(value)) {
    return fail(Error::invalid(std::string(field), fmt::format("{} must be 2–10 digits", field)));
  }
  return {};
}

Result<void> check_caller_id(std::string_view field, std::string_view value) {
  std::string_view digits = value;
  if (!digits.empty() && digits.front() == '+') {
    digits.remove_prefix(1);
  }
  // RFC 3261 §19.1.1 allows much more in a user part; a caller ID also has to survive
  // trunks and phone displays, so we accept the E.164-like subset only.
  if (digits.size() > 32 || !text::all_digits(digits)) {
    return fail(
        Error::invalid(std::string(field),
                       fmt::format("{} must be 1–32 digits with an optional leading '+'", field)));
  }
  return {};
}

Result<void> check_email(std::string_view field, std::string_view value) {
  auto bad = [&] {
    return fail(
        Error::invalid(std::string(field), fmt::format("{} is not a valid e-mail address", field)));
  };
  // RFC 5321 §4.5.3.1.3 caps a path at 256 octets including the angle brackets.
  if (value.empty() || value.size() > 254) {
    return bad();
  }
  for (char c : value) {
    if (c == ' ' || is_control(c)) {
      return bad();
    }
  }
  auto at = value.find('@');
  if (at == std::string_view::npos || at == 0 ||
      value.find('@', at + 1) != std::string_view::npos) {
    return bad();
  }
  std::string_view domain = value.substr(at + 1);
  if (domain.find('.') == std::string_view::npos || domain.front() == '.' || domain.back() == '.' ||
      domain.find("..") != std::string_view::npos) {
    return bad();
  }
  return {};
}

Result<void> check_name(std::string_view field, std::string_view value, std::size_t max) {
  if (text::trim(value).empty()) {
    return fail(Error::invalid(std::string(field), fmt::format("{} must not be empty", field)));
  }
  if (value.size() > max) {
    return fail(
        Error::invalid(std::string(field), fmt::format("{} must be at most {} bytes", field, max)));
  }
  for (char c : value) {
    if (is_control(c)) {
      return fail(Error::invalid(std::string(field),
                                 fmt::format("{} must not contain control characters", field)));
    }
  }
  return {};
}

Result<void> check_password(std::string_view field, std::string_view value) {
  if (value.size() < kMinPasswordLength || value.size() > kMaxPasswordLength) {
    return fail(Error::invalid(
        std::string(field),
        fmt::format("{} must be {}–{} characters", field, kMinPasswordLength, kMaxPasswordLength)));
  }
  // Phones take the password from a keypad or a provisioning file: printable ASCII types
  // the same everywhere. The message never echoes the value.
  for (char c : value) {
    if (c < 0x20 || c > 0x7e) {
      return fail(
          Error::invalid(std::string(field), fmt::format("{} must be printable ASCII", field)));
    }
  }
  return {};
}

Result<void> validate_user(const User& u, const Snapshot& s) {
  if (auto ok = check_name("name", u.name, kMaxNameLength); !ok) {
    return ok;
  }
  if (auto ok = check_email("email", u.email); !ok) {
    return ok;
  }
  if (auto ok = check_extension("extension", u.extension); !ok) {
    return ok;
  }
  if (u.caller_id) {
    if (auto ok = check_caller_id("caller_id", *u.caller_id); !ok) {
      return ok;
    }
  }
  if (const User* other = s.user_by_email(u.email); other != nullptr && other->id != u.id) {
    return fail(Error::conflict(
        "email", fmt::format("e-mail {} is already used by user {}", u.email, other->id)));
  }
  if (auto owner = s.extension_owner(u.extension);
      owner && !(owner->kind == ExtensionOwner::Kind::kUser && owner->id == u.id)) {
    return fail(Error::conflict("extension", fmt::format("extension {} is already used by {}",
                                                         u.extension, owner_text(*owner))));
  }
  return {};
}

Result<void> validate_group(const Group& g, const Snapshot& s) {
  // Formats and ranges first (400), then references (400), then uniqueness (409): a
  // request with a typo gets the typo reported, not a conflict it would not have had.
  if (auto ok = check_name("name", g.name, kMaxNameLength); !ok) {
    return ok;
  }
  if (g.description.size() > kMaxDescriptionLength) {
    return fail(Error::invalid(
        "description", fmt::format("description must be at most {} bytes", kMaxDescriptionLength)));
  }
  for (char c : g.description) {
    if (is_control(c) && c != '\n' && c != '\t') {
      return fail(Error::invalid("description", "description must not contain control characters"));
    }
  }
  if (g.extension) {
    if (auto ok = check_extension("extension", *g.extension); !ok) {
      return ok;
    }
  }
  if (g.outbound_caller_id) {
    if (auto ok = check_caller_id("outbound_caller_id", *g.outbound_caller_id); !ok) {
      return ok;
    }
  }
  if (auto ok = check_range("ring_timeout_s", g.ring_timeout_s, 5, 600, "seconds"); !ok) {
    return ok;
  }
  if (auto ok = check_range("max_wait_s", g.max_wait_s, 10, 86400, "seconds"); !ok) {
    return ok;
  }
  if (auto ok = check_range("wrap_up_s", g.wrap_up_s, 0, 3600, "seconds"); !ok) {
    return ok;
  }

  if (g.trunk && s.trunk(*g.trunk) == nullptr) {
    return fail(Error::invalid("trunk", fmt::format("no trunk with id {}", *g.trunk)));
  }
  if (g.fallback) {
    if (auto ok = check_destination("fallback", *g.fallback, s); !ok) {
      return ok;
    }
    if (const auto* to = std::get_if<DestGroup>(&*g.fallback); to != nullptr && to->id == g.id) {
      return fail(Error::invalid("fallback", "a group cannot fall back to itself"));
    }
    if (auto cycle = fallback_cycle(s, g.id, g.fallback)) {
      return fail(Error::invalid("fallback", describe_cycle(*cycle, g, s)));
    }
  }

  if (const Group* other = s.group_by_name(g.name); other != nullptr && other->id != g.id) {
    return fail(Error::conflict("name", fmt::format("a group named \"{}\" already exists (id {})",
                                                    other->name, other->id)));
  }
  if (g.extension) {
    if (auto owner = s.extension_owner(*g.extension);
        owner && !(owner->kind == ExtensionOwner::Kind::kGroup && owner->id == g.id)) {
      return fail(Error::conflict("extension", fmt::format("extension {} is already used by {}",
                                                           *g.extension, owner_text(*owner))));
    }
  }
  return {};
}

Result<void> validate_trunk(const Trunk& t, const Snapshot& s) {
  if (auto ok = check_name("name", t.name, kMaxNameLength); !ok) {
    return ok;
  }
  // A node has a handful of trunks: a scan beats keeping another index in every snapshot.
  const std::string lower = text::ascii_lower(t.name);
  for (TrunkId id : s.trunk_ids()) {
    const Trunk* other = s.trunk(id);
    if (other != nullptr && id != t.id && text::ascii_lower(other->name) == lower) {
      return fail(Error::conflict(
          "name", fmt::format("a trunk named \"{}\" already exists (id {})", other->name, id)));
    }
  }
  return {};
}

}  // namespace cohort::model
