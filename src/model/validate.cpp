#include "model/validate.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <set>
#include <string>

#include "common/text.hpp"
#include "model/cycles.hpp"
#include "model/dial_pattern.hpp"

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

bool is_ascii_alnum(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/// A dotted quad of decimal octets. Leading zeros are refused: inet_aton reads "010" as
/// octal, so "010.0.0.1" would mean one address here and another to the resolver.
std::optional<std::uint32_t> parse_ipv4(std::string_view v) {
  std::uint32_t address = 0;
  std::size_t i = 0;
  for (int part = 0; part < 4; ++part) {
    if (part > 0) {
      if (i >= v.size() || v[i] != '.') {
        return std::nullopt;
      }
      ++i;
    }
    const std::size_t start = i;
    unsigned octet = 0;
    while (i < v.size() && v[i] >= '0' && v[i] <= '9' && i - start < 3) {
      octet = octet * 10 + static_cast<unsigned>(v[i] - '0');
      ++i;
    }
    const std::size_t length = i - start;
    if (length == 0 || (length > 1 && v[start] == '0') || octet > 255) {
      return std::nullopt;
    }
    address = (address << 8) | octet;
  }
  if (i != v.size()) {
    return std::nullopt;
  }
  return address;
}

/// RFC 1123 §2.1 host names: dot-separated labels of letters, digits and inner hyphens,
/// 1–63 bytes each, at most 253 in all.
bool is_host_name(std::string_view v) {
  if (v.empty() || v.size() > 253) {
    return false;
  }
  std::string_view last;
  for (std::size_t start = 0;;) {
    const std::size_t dot = v.find('.', start);
    const std::string_view label =
        v.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
      return false;
    }
    for (char c : label) {
      if (!is_ascii_alnum(c) && c != '-') {
        return false;
      }
    }
    last = label;
    if (dot == std::string_view::npos) {
      break;
    }
    start = dot + 1;
  }
  // An all-numeric last label reads as an address ("10.0.0.256"): not a name either.
  return !text::all_digits(last);
}

/// Trunk usernames and passwords go into digest quoted-strings (RFC 7616 §3.4) and into
/// provider portals: printable ASCII without spaces, quotes or backslashes types and
/// transmits the same everywhere. The message never echoes the value.
Result<void> check_credential(std::string_view field, std::string_view value) {
  bool ok = value.size() <= kMaxCredentialLength;
  for (char c : value) {
    ok = ok && c > 0x20 && c < 0x7f && c != '"' && c != '\'' && c != '\\';
  }
  if (!ok) {
    return fail(Error::invalid(
        std::string(field),
        fmt::format("{} must be at most {} printable ASCII characters without spaces, quotes or "
                    "backslashes",
                    field, kMaxCredentialLength)));
  }
  return {};
}

/// Each id listed once and naming an existing object, unless `stored` already held it.
template <class Exists>
Result<void> check_id_list(std::string_view field, std::string_view kind,
                           const std::vector<std::int64_t>& ids,
                           const std::vector<std::int64_t>* stored, Exists exists) {
  std::set<std::int64_t> seen;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    const std::string at = fmt::format("{}[{}]", field, i);
    if (!seen.insert(ids[i]).second) {
      return fail(Error::invalid(at, fmt::format("{} {} is listed twice", kind, ids[i])));
    }
    const bool held =
        stored != nullptr && std::find(stored->begin(), stored->end(), ids[i]) != stored->end();
    if (!held && !exists(ids[i])) {
      return fail(Error::invalid(at, fmt::format("no {} with id {}", kind, ids[i])));
    }
  }
  return {};
}

}  // namespace

Result<void> check_host(std::string_view field, std::string_view value) {
  if (!parse_ipv4(value) && !is_host_name(value)) {
    return fail(Error::invalid(std::string(field),
                               fmt::format("{} must be a host name or an IPv4 address", field)));
  }
  return {};
}

Result<void> check_ipv4_source(std::string_view field, std::string_view value) {
  auto bad = [&] {
    return fail(Error::invalid(
        std::string(field),
        fmt::format("{} must be an IPv4 address or a CIDR block such as 203.0.113.0/24", field)));
  };
  const std::size_t slash = value.find('/');
  const auto address = parse_ipv4(value.substr(0, slash));
  if (!address) {
    return bad();
  }
  if (slash == std::string_view::npos) {
    return {};
  }
  const std::string_view prefix_text = value.substr(slash + 1);
  if (prefix_text.empty() || prefix_text.size() > 2 || !text::all_digits(prefix_text) ||
      (prefix_text.size() == 2 && prefix_text.front() == '0')) {
    return bad();
  }
  const int prefix = std::stoi(std::string(prefix_text));
  if (prefix > 32) {
    return bad();
  }
  const std::uint32_t mask = prefix == 0 ? 0 : ~std::uint32_t{0} << (32 - prefix);
  if ((*address & ~mask) != 0) {
    // Usually a typo for a single address or for another block: say which block it is.
    const std::uint32_t network = *address & mask;
    return fail(Error::invalid(
        std::string(field),
        fmt::format("{} has host bits set; the block is {}.{}.{}.{}/{}", field, network >> 24,
                    (network >> 16) & 0xff, (network >> 8) & 0xff, network & 0xff, prefix)));
  }
  return {};
}

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

Result<void> check_dial_pattern(std::string_view field, std::string_view value) {
  if (value.size() > kMaxDialLength) {
    return fail(Error::invalid(std::string(field), fmt::format("{} must be at most {} characters",
                                                               field, kMaxDialLength)));
  }
  if (auto compiled = DialPattern::compile(value); !compiled) {
    return fail(Error::invalid(std::string(field), fmt::format("{}: {}", field, compiled.error())));
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

Result<void> check_console_password(std::string_view field, std::string_view value) {
  // Characters, not bytes: a passphrase in any script counts what the person typed. The
  // JSON reader has already checked that the text is UTF-8, so counting the bytes that do
  // not continue a sequence counts code points.
  std::size_t chars = 0;
  for (char c : value) {
    auto b = static_cast<unsigned char>(c);
    if (b < 0x20 || b == 0x7f) {
      return fail(Error::invalid(std::string(field),
                                 fmt::format("{} must not contain control characters", field)));
    }
    if ((b & 0xc0) != 0x80) {
      ++chars;
    }
  }
  if (chars < kMinConsolePasswordLength || chars > kMaxConsolePasswordLength) {
    return fail(Error::invalid(std::string(field),
                               fmt::format("{} must be {}–{} characters", field,
                                           kMinConsolePasswordLength, kMaxConsolePasswordLength)));
  }
  return {};
}

Result<void> check_pause_reason(std::string_view field, std::string_view value) {
  if (value.size() > kMaxPauseReasonLength) {
    return fail(Error::invalid(std::string(field), fmt::format("{} must be at most {} bytes", field,
                                                               kMaxPauseReasonLength)));
  }
  for (char c : value) {
    if (is_control(c)) {
      return fail(Error::invalid(std::string(field),
                                 fmt::format("{} must not contain control characters", field)));
    }
  }
  return {};
}

bool is_calendar_date(int yyyymmdd) {
  const int year = yyyymmdd / 10000;
  const int month = yyyymmdd / 100 % 100;
  const int day = yyyymmdd % 100;
  static constexpr int kDaysIn[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (year < 1900 || year > 9999 || month < 1 || month > 12 || day < 1 ||
      day > kDaysIn[month - 1]) {
    return false;
  }
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return !(month == 2 && day == 29 && !leap);
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

Result<void> validate_forwarding(const User& u, const Snapshot& s, const User* stored) {
  struct Field {
    std::string_view name;
    const std::optional<Destination>* dest;
    const std::optional<Destination>* was;
  };
  const Field fields[] = {
      {"always", &u.forward_always, stored != nullptr ? &stored->forward_always : nullptr},
      {"busy", &u.forward_busy, stored != nullptr ? &stored->forward_busy : nullptr},
      {"no_answer", &u.forward_no_answer, stored != nullptr ? &stored->forward_no_answer : nullptr},
  };
  for (const Field& f : fields) {
    if (!*f.dest) {
      continue;
    }
    const Destination& d = **f.dest;
    const std::string field(f.name);
    if (std::holds_alternative<DestVoicemail>(d) || std::holds_alternative<DestHangup>(d)) {
      return fail(Error::invalid(
          field + ".type",
          fmt::format("{} must forward to a user, a group, an IVR menu or a number", field)));
    }
    if (const auto* to = std::get_if<DestUser>(&d); to != nullptr && to->id == u.id) {
      return fail(Error::invalid(field + ".id", "a user cannot forward its calls to itself"));
    }
    if (f.was == nullptr || *f.was != *f.dest) {
      COHORT_TRY(check_destination(field, d, s));
    }
  }
  return check_range("no_answer_s", u.forward_no_answer_s, kMinForwardNoAnswerS,
                     kMaxForwardNoAnswerS, "seconds");
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
  if (auto ok = check_range("auto_pause_after", g.auto_pause_after, 0, kMaxAutoPauseAfter, "calls");
      !ok) {
    return ok;
  }
  if (auto ok =
          check_range("announce_position_every_s", g.announce_position_every_s, 0, 600, "seconds");
      !ok) {
    return ok;
  }

  if (g.trunk && s.trunk(*g.trunk) == nullptr) {
    return fail(Error::invalid("trunk", fmt::format("no trunk with id {}", *g.trunk)));
  }
  if (g.schedule && s.schedule(*g.schedule) == nullptr) {
    return fail(Error::invalid("schedule", fmt::format("no schedule with id {}", *g.schedule)));
  }
  if (g.fallback) {
    if (auto ok = check_destination("fallback", *g.fallback, s); !ok) {
      return ok;
    }
    if (const auto* to = std::get_if<DestGroup>(&*g.fallback); to != nullptr && to->id == g.id) {
      return fail(Error::invalid("fallback", "a group cannot fall back to itself"));
    }
    if (auto cycle = exit_cycle(s, {FlowNode::Kind::kGroup, g.id}, g.fallback)) {
      return fail(Error::invalid(
          "fallback",
          describe_cycle("fallback cycle", *cycle, s, {FlowNode::Kind::kGroup, g.id}, g.name)));
    }
  }
  if (g.closed_destination) {
    COHORT_TRY(check_destination("closed_destination", *g.closed_destination, s));
    if (const auto* to = std::get_if<DestGroup>(&*g.closed_destination);
        to != nullptr && to->id == g.id) {
      return fail(Error::invalid("closed_destination",
                                 "a group cannot send the calls it is closed for to itself"));
    }
    // A call sent on while this group is closed may come back through another group's
    // fallback or closed destination just the same.
    if (auto cycle = exit_cycle(s, {FlowNode::Kind::kGroup, g.id}, g.closed_destination)) {
      return fail(Error::invalid("closed_destination",
                                 describe_cycle("closed_destination cycle", *cycle, s,
                                                {FlowNode::Kind::kGroup, g.id}, g.name)));
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
  if (!t.host.empty()) {
    COHORT_TRY(check_host("host", t.host));
  }
  if (t.port < 1 || t.port > 65535) {
    return fail(Error::invalid("port", "port must be 1–65535"));
  }
  COHORT_TRY(check_credential("username", t.username));
  COHORT_TRY(check_credential("password", t.password));
  if (t.auth_realm) {
    // A realm is a quoted-string (RFC 7616 §3.3) and may hold spaces, but no quote or
    // backslash that would need escaping to compare equal.
    bool ok = !t.auth_realm->empty() && t.auth_realm->size() <= kMaxCredentialLength;
    for (char c : *t.auth_realm) {
      ok = ok && c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
    }
    if (!ok) {
      return fail(Error::invalid(
          "auth_realm", fmt::format("auth_realm must be 1–{} printable ASCII characters without "
                                    "quotes or backslashes, or null",
                                    kMaxCredentialLength)));
    }
  }
  COHORT_TRY(check_range("register_expires_s", t.register_expires_s, 60, 86400, "seconds"));
  if (!t.from_domain.empty()) {
    COHORT_TRY(check_host("from_domain", t.from_domain));
  }
  if (t.max_concurrent_calls < 0) {
    return fail(Error::invalid("max_concurrent_calls",
                               "max_concurrent_calls must be 0 (unlimited) or more"));
  }
  for (std::size_t i = 0; i < t.inbound_sources.size(); ++i) {
    COHORT_TRY(check_ipv4_source(fmt::format("inbound_sources[{}]", i), t.inbound_sources[i]));
  }
  // REGISTER goes to the host with the username as the AOR user (RFC 3261 §10.2).
  if (t.register_enabled && (t.host.empty() || t.username.empty())) {
    return fail(Error::invalid("register", "register needs a host and a username"));
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

namespace cohort::model {

Result<void> validate_outbound_rule(const OutboundRule& r, const Snapshot& s,
                                    const OutboundRule* stored) {
  COHORT_TRY(check_name("name", r.name, kMaxNameLength));
  if (r.patterns.empty()) {
    return fail(Error::invalid("patterns", "patterns must list at least one dial pattern"));
  }
  for (std::size_t i = 0; i < r.patterns.size(); ++i) {
    COHORT_TRY(check_dial_pattern(fmt::format("patterns[{}]", i), r.patterns[i]));
  }
  COHORT_TRY(check_id_list("caller_groups", "group", r.caller_groups,
                           stored != nullptr ? &stored->caller_groups : nullptr,
                           [&](GroupId id) { return s.group(id) != nullptr; }));
  COHORT_TRY(check_id_list("caller_users", "user", r.caller_users,
                           stored != nullptr ? &stored->caller_users : nullptr,
                           [&](UserId id) { return s.user(id) != nullptr; }));
  COHORT_TRY(check_range("strip", r.strip, 0, kMaxStrip, "digits"));
  bool prepend_ok = r.prepend.size() <= kMaxPrependLength;
  for (std::size_t i = 0; i < r.prepend.size(); ++i) {
    const char c = r.prepend[i];
    // '+' only in front: it marks an E.164 number and means nothing inside one.
    prepend_ok =
        prepend_ok && ((c >= '0' && c <= '9') || c == '*' || c == '#' || (c == '+' && i == 0));
  }
  if (!prepend_ok) {
    return fail(Error::invalid(
        "prepend", fmt::format("prepend must be at most {} digits, '*' and '#', with an optional "
                               "leading '+'",
                               kMaxPrependLength)));
  }
  if (r.trunks.empty()) {
    return fail(Error::invalid("trunks", "trunks must list at least one trunk"));
  }
  COHORT_TRY(check_id_list("trunks", "trunk", r.trunks,
                           stored != nullptr ? &stored->trunks : nullptr,
                           [&](TrunkId id) { return s.trunk(id) != nullptr; }));
  if (r.caller_id) {
    if (r.caller_id->policy == CallerIdPolicy::kFixed) {
      COHORT_TRY(check_caller_id("caller_id.value", r.caller_id->value));
    } else if (!r.caller_id->value.empty()) {
      return fail(Error::invalid("caller_id.value",
                                 "caller_id.value is only for the fixed policy; leave it out"));
    }
    // The group policy presents the matched group's caller ID: without a caller group
    // condition there is no group to take it from.
    if (r.caller_id->policy == CallerIdPolicy::kGroup && r.caller_groups.empty()) {
      return fail(Error::invalid("caller_id.policy",
                                 "caller_id policy group needs at least one caller_groups entry"));
    }
  }
  // Rules are few (tens): a scan beats another index in every snapshot.
  const std::string lower = text::ascii_lower(r.name);
  for (const OutboundRule& other : s.outbound_rules()) {
    if (other.id != r.id && text::ascii_lower(other.name) == lower) {
      return fail(Error::conflict(
          "name", fmt::format("an outbound rule named \"{}\" already exists (id {})", other.name,
                              other.id)));
    }
  }
  return {};
}

}  // namespace cohort::model

namespace cohort::model {

Result<void> validate_inbound_route(const InboundRoute& r, const Snapshot& s,
                                    const InboundRoute* stored) {
  COHORT_TRY(check_name("name", r.name, kMaxNameLength));
  // The DID is matched with the outbound rules' syntax, so one mental model serves both.
  if (r.did.empty()) {
    return fail(Error::invalid("did", "did must be a dial pattern or a number"));
  }
  COHORT_TRY(check_dial_pattern("did", r.did));
  if (r.caller) {
    COHORT_TRY(check_dial_pattern("caller", *r.caller));
  }
  const bool trunk_held = stored != nullptr && stored->trunk == r.trunk;
  if (r.trunk && !trunk_held && s.trunk(*r.trunk) == nullptr) {
    return fail(Error::invalid("trunk", fmt::format("no trunk with id {}", *r.trunk)));
  }
  if (stored == nullptr || stored->destination != r.destination) {
    COHORT_TRY(check_destination("destination", r.destination, s));
  }
  // Routes are few (tens to hundreds): a scan beats another index in every snapshot.
  const std::string lower = text::ascii_lower(r.name);
  for (const InboundRoute& other : s.inbound_routes()) {
    if (other.id != r.id && text::ascii_lower(other.name) == lower) {
      return fail(Error::conflict(
          "name", fmt::format("an inbound route named \"{}\" already exists (id {})", other.name,
                              other.id)));
    }
  }
  return {};
}

Result<void> validate_schedule(const Schedule& sc, const Snapshot& s,
                               bool (*known_timezone)(std::string_view)) {
  COHORT_TRY(check_name("name", sc.name, kMaxNameLength));
  // Zone names are short ("America/Argentina/ComodRivadavia" is among the longest): a longer
  // value is not looked up, nor quoted back.
  constexpr std::size_t kMaxTimezoneLength = 64;
  if (sc.timezone.size() > kMaxTimezoneLength) {
    return fail(Error::invalid(
        "timezone", fmt::format("timezone must be at most {} characters", kMaxTimezoneLength)));
  }
  if (sc.timezone.empty() || !known_timezone(sc.timezone)) {
    return fail(Error::invalid(
        "timezone", fmt::format("timezone \"{}\" is not an IANA time zone such as Europe/Berlin",
                                sc.timezone)));
  }
  constexpr int kMinutesPerDay = 24 * 60;
  for (std::size_t i = 0; i < sc.weekly.size(); ++i) {
    const WeeklyInterval& w = sc.weekly[i];
    if (w.days == 0 || w.days > 0x7f) {
      const std::string field = fmt::format("weekly[{}].days", i);
      return fail(Error::invalid(field, fmt::format("{} must list at least one day", field)));
    }
    // "24:00" arrives as 0: to <= from already means "until that time the next day".
    for (auto [key, value] : {std::pair{"from", w.from_min}, std::pair{"to", w.to_min}}) {
      if (value < 0 || value >= kMinutesPerDay) {
        const std::string field = fmt::format("weekly[{}].{}", i, key);
        return fail(Error::invalid(field, fmt::format("{} must be a time 00:00–23:59", field)));
      }
    }
  }
  for (std::size_t i = 0; i < sc.holidays.size(); ++i) {
    const Holiday& h = sc.holidays[i];
    if (!h.name.empty()) {
      COHORT_TRY(check_name(fmt::format("holidays[{}].name", i), h.name, kMaxNameLength));
    }
    for (auto [key, value] : {std::pair{"from", h.from}, std::pair{"to", h.to}}) {
      if (!is_calendar_date(value)) {
        const std::string field = fmt::format("holidays[{}].{}", i, key);
        return fail(Error::invalid(field, fmt::format("{} must be a calendar date", field)));
      }
    }
    // A yearly range compares month and day only, so it may wrap the year end (12-24 … 01-02).
    if (!h.yearly && h.to < h.from) {
      const std::string field = fmt::format("holidays[{}].to", i);
      return fail(Error::invalid(field, fmt::format("{} must not be before from", field)));
    }
  }
  if (const Schedule* other = s.schedule_by_name(sc.name); other != nullptr && other->id != sc.id) {
    return fail(Error::conflict(
        "name",
        fmt::format("a schedule named \"{}\" already exists (id {})", other->name, other->id)));
  }
  return {};
}

}  // namespace cohort::model
