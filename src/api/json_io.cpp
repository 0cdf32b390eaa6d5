#include "api/json_io.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <ctime>

#include "common/text.hpp"
#include "model/references.hpp"

namespace cohort::api {

using nlohmann::json;

std::string rfc3339(std::int64_t unix_seconds) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string rfc3339_ms(std::int64_t unix_ms) {
  // Floor division, so that times before 1970 keep a non-negative millisecond part.
  std::int64_t seconds = unix_ms / 1000;
  std::int64_t ms = unix_ms % 1000;
  if (ms < 0) {
    ms += 1000;
    --seconds;
  }
  std::string out = rfc3339(seconds);
  out.insert(out.size() - 1, fmt::format(".{:03}", ms));
  return out;
}

namespace {

/// `n` decimal digits at `text[pos]`, advancing `pos`.
std::optional<int> digits(std::string_view text, std::size_t& pos, std::size_t n) {
  if (pos + n > text.size()) {
    return std::nullopt;
  }
  int value = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const char c = text[pos + i];
    if (c < '0' || c > '9') {
      return std::nullopt;
    }
    value = value * 10 + (c - '0');
  }
  pos += n;
  return value;
}

bool expect(std::string_view text, std::size_t& pos, std::string_view one_of) {
  if (pos < text.size() && one_of.find(text[pos]) != std::string_view::npos) {
    ++pos;
    return true;
  }
  return false;
}

}  // namespace

std::optional<std::int64_t> parse_rfc3339_ms(std::string_view text) {
  // RFC 3339 §5.6: full-date "T" full-time, time-offset "Z" or ±hh:mm; "T" and "Z" may be
  // lower case.
  std::size_t pos = 0;
  auto year = digits(text, pos, 4);
  if (!year || !expect(text, pos, "-")) {
    return std::nullopt;
  }
  auto month = digits(text, pos, 2);
  if (!month || !expect(text, pos, "-")) {
    return std::nullopt;
  }
  auto day = digits(text, pos, 2);
  if (!day || !expect(text, pos, "Tt")) {
    return std::nullopt;
  }
  auto hour = digits(text, pos, 2);
  if (!hour || !expect(text, pos, ":")) {
    return std::nullopt;
  }
  auto minute = digits(text, pos, 2);
  if (!minute || !expect(text, pos, ":")) {
    return std::nullopt;
  }
  auto second = digits(text, pos, 2);
  if (!second) {
    return std::nullopt;
  }
  int ms = 0;
  if (expect(text, pos, ".")) {
    const std::size_t start = pos;
    int scale = 100;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      ms += (text[pos] - '0') * scale;
      scale /= 10;
      ++pos;
    }
    if (pos == start) {
      return std::nullopt;
    }
  }
  int offset_minutes = 0;
  if (!expect(text, pos, "Zz")) {
    // A '+' in a query string arrives as a space (form encoding) unless sent as %2B; in
    // this position a space can only have been a '+'.
    const char sign = pos < text.size() ? text[pos] : '\0';
    if (!expect(text, pos, "+- ")) {
      return std::nullopt;
    }
    auto oh = digits(text, pos, 2);
    if (!oh || !expect(text, pos, ":")) {
      return std::nullopt;
    }
    auto om = digits(text, pos, 2);
    if (!om || *oh > 23 || *om > 59) {
      return std::nullopt;
    }
    offset_minutes = (sign == '-' ? -1 : 1) * (*oh * 60 + *om);
  }
  if (pos != text.size()) {
    return std::nullopt;
  }
  static constexpr int kDaysIn[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (*year % 4 == 0 && *year % 100 != 0) || *year % 400 == 0;
  if (*month < 1 || *month > 12 || *day < 1 || *day > kDaysIn[*month - 1] ||
      (*month == 2 && *day == 29 && !leap) || *hour > 23 || *minute > 59 || *second > 60) {
    return std::nullopt;
  }
  std::tm tm{};
  tm.tm_year = *year - 1900;
  tm.tm_mon = *month - 1;
  tm.tm_mday = *day;
  tm.tm_hour = *hour;
  tm.tm_min = *minute;
  // A leap second (:60) counts as the last millisecond of :59.
  tm.tm_sec = std::min(*second, 59);
  const std::int64_t seconds = static_cast<std::int64_t>(timegm(&tm)) - offset_minutes * 60;
  return seconds * 1000 + (*second == 60 ? 999 : ms);
}

namespace {
json opt(const std::optional<std::string>& v) {
  return v ? json(*v) : json(nullptr);
}
}  // namespace

json user_to_json(const model::User& u) {
  return {
      {"id", u.id},
      {"name", u.name},
      {"email", u.email},
      {"extension", u.extension},
      {"caller_id", opt(u.caller_id)},
      {"role", model::to_string(u.role)},
      {"active", u.active},
      {"has_sip_password", !u.digest.empty()},
      {"created_at", rfc3339(u.created_at)},
      {"updated_at", rfc3339(u.updated_at)},
  };
}

json group_to_json(const model::Group& g, const model::Snapshot& s) {
  return {
      {"id", g.id},
      {"name", g.name},
      {"description", g.description},
      {"extension", opt(g.extension)},
      {"outbound_caller_id", opt(g.outbound_caller_id)},
      {"trunk", g.trunk ? json(*g.trunk) : json(nullptr)},
      {"ring_strategy", model::to_string(g.ring_strategy)},
      {"ring_timeout_s", g.ring_timeout_s},
      {"max_wait_s", g.max_wait_s},
      {"wrap_up_s", g.wrap_up_s},
      {"fallback", g.fallback ? model::destination_to_json(*g.fallback) : json(nullptr)},
      {"cti_scope", g.cti_scope},
      {"member_count", s.members(g.id).size()},
      {"created_at", rfc3339(g.created_at)},
      {"updated_at", rfc3339(g.updated_at)},
  };
}

json trunk_to_json(const model::Trunk& t) {
  return {{"id", t.id},
          {"name", t.name},
          {"host", t.host},
          {"port", t.port},
          {"transport", model::to_string(t.transport)},
          {"username", t.username},
          {"has_password", !t.password.empty()},
          {"auth_realm", opt(t.auth_realm)},
          {"register", t.register_enabled},
          {"register_expires_s", t.register_expires_s},
          {"from_domain", t.from_domain},
          {"max_concurrent_calls", t.max_concurrent_calls},
          {"inbound_sources", t.inbound_sources},
          {"created_at", rfc3339(t.created_at)},
          {"updated_at", rfc3339(t.updated_at)}};
}

json outbound_rule_to_json(const model::OutboundRule& r) {
  json caller_id = nullptr;
  if (r.caller_id) {
    caller_id = {
        {"policy", model::to_string(r.caller_id->policy)},
        {"value", r.caller_id->policy == model::CallerIdPolicy::kFixed ? json(r.caller_id->value)
                                                                       : json(nullptr)}};
  }
  return {{"id", r.id},
          {"name", r.name},
          {"position", r.position},
          {"patterns", r.patterns},
          {"caller_groups", r.caller_groups},
          {"caller_users", r.caller_users},
          {"strip", r.strip},
          {"prepend", r.prepend},
          {"trunks", r.trunks},
          {"caller_id", std::move(caller_id)},
          {"allow_trunk_callers", r.allow_trunk_callers},
          {"created_at", rfc3339(r.created_at)},
          {"updated_at", rfc3339(r.updated_at)}};
}

json member_to_json(const model::Member& m, const model::Snapshot& s) {
  json j = {{"user_id", m.user}, {"position", m.position}, {"joined_at", rfc3339(m.joined_at)}};
  if (const model::User* u = s.user(m.user)) {
    j["name"] = u->name;
    j["email"] = u->email;
    j["extension"] = u->extension;
    j["active"] = u->active;
  }
  return j;
}

json user_membership_to_json(const model::UserMembership& m, const model::Snapshot& s) {
  json j = {{"group_id", m.group}, {"position", m.position}, {"joined_at", rfc3339(m.joined_at)}};
  if (const model::Group* g = s.group(m.group)) {
    j["name"] = g->name;
  }
  return j;
}

Result<JsonBody> JsonBody::parse(const Request& req, bool empty_ok) {
  if (text::trim(req.body).empty()) {
    if (empty_ok) {
      return JsonBody(json::object());
    }
    return fail(Error::invalid("", "request body must be a JSON object"));
  }
  if (!req.content_type.empty() &&
      text::ascii_lower(req.content_type).find("application/json") == std::string::npos) {
    return fail(Error::invalid("", "Content-Type must be application/json"));
  }
  json j = json::parse(req.body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    return fail(Error::invalid("", "malformed JSON"));
  }
  if (!j.is_object()) {
    return fail(Error::invalid("", "request body must be a JSON object"));
  }
  return JsonBody(std::move(j));
}

Result<void> JsonBody::check_keys(std::initializer_list<std::string_view> allowed,
                                  std::initializer_list<std::string_view> read_only) const {
  for (const auto& [key, value] : obj_.items()) {
    bool known = false;
    for (std::string_view a : allowed) {
      known = known || a == key;
    }
    if (known) {
      continue;
    }
    for (std::string_view r : read_only) {
      if (r == key) {
        return fail(Error::invalid(key, fmt::format("{} is read-only", key)));
      }
    }
    return fail(Error::invalid(key, fmt::format("unknown field {}", key)));
  }
  return {};
}

Result<std::string> JsonBody::string(std::string_view key) const {
  const json& v = obj_.at(key);
  if (!v.is_string()) {
    return fail(Error::invalid(std::string(key), fmt::format("{} must be a string", key)));
  }
  return v.get<std::string>();
}

Result<bool> JsonBody::boolean(std::string_view key) const {
  const json& v = obj_.at(key);
  if (!v.is_boolean()) {
    return fail(Error::invalid(std::string(key), fmt::format("{} must be true or false", key)));
  }
  return v.get<bool>();
}

Result<std::int64_t> JsonBody::integer(std::string_view key, std::int64_t min,
                                       std::int64_t max) const {
  const json& v = obj_.at(key);
  if (!v.is_number_integer()) {
    return fail(Error::invalid(std::string(key), fmt::format("{} must be an integer", key)));
  }
  if (v.is_number_unsigned() && v.get<std::uint64_t>() > static_cast<std::uint64_t>(max)) {
    return fail(Error::invalid(std::string(key),
                               fmt::format("{} must be between {} and {}", key, min, max)));
  }
  auto n = v.get<std::int64_t>();
  if (n < min || n > max) {
    return fail(Error::invalid(std::string(key),
                               fmt::format("{} must be between {} and {}", key, min, max)));
  }
  return n;
}

Result<std::vector<std::string>> JsonBody::string_list(std::string_view key) const {
  const json& v = obj_.at(key);
  if (!v.is_array()) {
    return fail(
        Error::invalid(std::string(key), fmt::format("{} must be an array of strings", key)));
  }
  std::vector<std::string> out;
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (!v[i].is_string()) {
      const std::string field = fmt::format("{}[{}]", key, i);
      return fail(Error::invalid(field, fmt::format("{} must be a string", field)));
    }
    out.push_back(v[i].get<std::string>());
  }
  return out;
}

Result<std::vector<std::int64_t>> JsonBody::id_list(std::string_view key) const {
  const json& v = obj_.at(key);
  if (!v.is_array()) {
    return fail(Error::invalid(std::string(key), fmt::format("{} must be an array of ids", key)));
  }
  std::vector<std::int64_t> out;
  for (std::size_t i = 0; i < v.size(); ++i) {
    // Unsigned beyond INT64_MAX and negative values are both "not a positive id".
    if (!v[i].is_number_integer() ||
        (v[i].is_number_unsigned() && v[i].get<std::uint64_t>() > INT64_MAX) ||
        v[i].get<std::int64_t>() < 1) {
      const std::string field = fmt::format("{}[{}]", key, i);
      return fail(Error::invalid(field, fmt::format("{} must be a positive integer id", field)));
    }
    out.push_back(v[i].get<std::int64_t>());
  }
  return out;
}

Result<std::optional<std::string>> JsonBody::nullable_string(std::string_view key) const {
  if (is_null(key)) {
    return std::optional<std::string>();
  }
  auto s = string(key);
  if (!s) {
    return fail(Error::invalid(std::string(key), fmt::format("{} must be a string or null", key)));
  }
  return std::optional<std::string>(std::move(*s));
}

Result<std::optional<std::int64_t>> JsonBody::nullable_integer(std::string_view key,
                                                               std::int64_t min,
                                                               std::int64_t max) const {
  if (is_null(key)) {
    return std::optional<std::int64_t>();
  }
  auto n = integer(key, min, max);
  if (!n) {
    return fail(n.error());
  }
  return std::optional<std::int64_t>(*n);
}

namespace {
std::optional<std::int64_t> parse_positive(std::string_view s) {
  if (!text::all_digits(s) || s.size() > 18) {
    return std::nullopt;
  }
  std::int64_t n = 0;
  std::from_chars(s.data(), s.data() + s.size(), n);
  return n;
}
}  // namespace

Result<Page> page_from_query(const Request& req) {
  Page p;
  if (auto limit = req.query_param("limit")) {
    auto n = parse_positive(*limit);
    if (!n || *n < 1 || *n > 1000) {
      return fail(Error::invalid("limit", "limit must be an integer between 1 and 1000"));
    }
    p.limit = static_cast<std::size_t>(*n);
  }
  if (auto cursor = req.query_param("cursor")) {
    auto n = parse_positive(*cursor);
    if (!n) {
      return fail(Error::invalid("cursor", "cursor must be a next_cursor value from a list"));
    }
    p.after = *n;
  }
  return p;
}

Result<std::int64_t> path_id(const std::string& value, std::string_view what) {
  auto n = parse_positive(value);
  if (!n || *n < 1) {
    return fail(Error::not_found(fmt::format("no {} with id {}", what, value)));
  }
  return *n;
}

json id_page(std::span<const std::int64_t> ids, const Page& page,
             const std::function<json(std::int64_t)>& render) {
  json items = json::array();
  std::optional<std::int64_t> next;
  for (auto it = std::upper_bound(ids.begin(), ids.end(), page.after); it != ids.end(); ++it) {
    json item = render(*it);
    if (item.is_null()) {
      continue;
    }
    if (items.size() == page.limit) {
      next = items.back()["id"].get<std::int64_t>();
      break;
    }
    items.push_back(std::move(item));
  }
  return page_json(std::move(items), next);
}

json page_json(json items, std::optional<std::int64_t> next) {
  return {{"items", std::move(items)},
          {"next_cursor", next ? json(std::to_string(*next)) : json(nullptr)}};
}

}  // namespace cohort::api
