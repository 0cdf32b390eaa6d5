#include "api/json_io.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <ctime>
#include <tuple>

#include "common/text.hpp"
#include "model/references.hpp"
#include "model/validate.hpp"

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

/// RFC 3339 full-date ("YYYY-MM-DD") at `pos`, as yyyymmdd; ranges are not checked.
std::optional<int> full_date(std::string_view text, std::size_t& pos) {
  auto year = digits(text, pos, 4);
  if (!year || !expect(text, pos, "-")) {
    return std::nullopt;
  }
  auto month = digits(text, pos, 2);
  if (!month || !expect(text, pos, "-")) {
    return std::nullopt;
  }
  auto day = digits(text, pos, 2);
  if (!day) {
    return std::nullopt;
  }
  return *year * 10000 + *month * 100 + *day;
}

}  // namespace

std::optional<std::int64_t> parse_rfc3339_ms(std::string_view text) {
  // RFC 3339 §5.6: full-date "T" full-time, time-offset "Z" or ±hh:mm; "T" and "Z" may be
  // lower case.
  std::size_t pos = 0;
  const auto date = full_date(text, pos);
  if (!date || !expect(text, pos, "Tt")) {
    return std::nullopt;
  }
  const int year = *date / 10000;
  const int month = *date / 100 % 100;
  const int day = *date % 100;
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
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  if (month < 1 || month > 12 || day < 1 || day > kDaysIn[month - 1] ||
      (month == 2 && day == 29 && !leap) || *hour > 23 || *minute > 59 || *second > 60) {
    return std::nullopt;
  }
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
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

json forwarding_to_json(const model::User& u) {
  auto dest = [](const std::optional<model::Destination>& d) {
    return d ? model::destination_to_json(*d) : json(nullptr);
  };
  return {{"always", dest(u.forward_always)},
          {"busy", dest(u.forward_busy)},
          {"no_answer", dest(u.forward_no_answer)},
          {"no_answer_s", u.forward_no_answer_s}};
}

json user_to_json(const model::User& u) {
  return {
      {"id", u.id},
      {"name", u.name},
      {"email", u.email},
      {"extension", u.extension},
      {"caller_id", opt(u.caller_id)},
      {"role", model::to_string(u.role)},
      {"active", u.active},
      {"paused", u.paused},
      {"pause_reason", u.paused ? json(u.pause_reason) : json(nullptr)},
      {"dnd", u.dnd},
      {"forwarding", forwarding_to_json(u)},
      {"has_sip_password", !u.digest.empty()},
      {"has_password", !u.password_hash.empty()},
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
      {"ring_in_use", g.ring_in_use},
      {"skip_unregistered", g.skip_unregistered},
      {"fallback", g.fallback ? model::destination_to_json(*g.fallback) : json(nullptr)},
      {"schedule", g.schedule ? json(*g.schedule) : json(nullptr)},
      {"closed_destination",
       g.closed_destination ? model::destination_to_json(*g.closed_destination) : json(nullptr)},
      {"cti_scope", g.cti_scope},
      {"auto_pause_after", g.auto_pause_after},
      {"auto_pause_unreachable", g.auto_pause_unreachable},
      {"auto_pause_scope", model::to_string(g.auto_pause_scope)},
      {"waiting_mode", model::to_string(g.waiting_mode)},
      {"announce_position_every_s", g.announce_position_every_s},
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
          {"media", model::to_string(t.media)},
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
  json j = {{"user_id", m.user},
            {"position", m.position},
            {"joined_at", rfc3339(m.joined_at)},
            {"paused", m.paused},
            {"pause_reason", m.paused ? json(m.pause_reason) : json(nullptr)}};
  if (const model::User* u = s.user(m.user)) {
    j["name"] = u->name;
    j["email"] = u->email;
    j["extension"] = u->extension;
    j["active"] = u->active;
  }
  return j;
}

json user_membership_to_json(const model::UserMembership& m, const model::Snapshot& s) {
  json j = {{"group_id", m.group},
            {"position", m.position},
            {"joined_at", rfc3339(m.joined_at)},
            {"paused", m.paused},
            {"pause_reason", m.paused ? json(m.pause_reason) : json(nullptr)}};
  if (const model::Group* g = s.group(m.group)) {
    j["name"] = g->name;
  }
  return j;
}

json inbound_route_to_json(const model::InboundRoute& r) {
  return {{"id", r.id},
          {"name", r.name},
          {"position", r.position},
          {"did", r.did},
          {"caller", opt(r.caller)},
          {"trunk", r.trunk ? json(*r.trunk) : json(nullptr)},
          {"destination", model::destination_to_json(r.destination)},
          {"created_at", rfc3339(r.created_at)},
          {"updated_at", rfc3339(r.updated_at)}};
}

namespace {

constexpr std::array<std::string_view, 7> kDayNames = {"mon", "tue", "wed", "thu",
                                                       "fri", "sat", "sun"};

json days_json(std::uint8_t days) {
  json out = json::array();
  for (std::size_t i = 0; i < kDayNames.size(); ++i) {
    if ((days & (1u << i)) != 0) {
      out.push_back(kDayNames[i]);
    }
  }
  return out;
}

/// Fails on the first key of `j` outside `allowed`, naming it under `field`.
Result<void> only_keys(const json& j, const std::string& field,
                       std::initializer_list<std::string_view> allowed) {
  for (const auto& [key, value] : j.items()) {
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      const std::string at = field + "." + key;
      return fail(Error::invalid(at, fmt::format("unknown field {}", at)));
    }
  }
  return {};
}

Result<std::string> string_at(const json& j, const std::string& field, const char* key,
                              std::string_view expected) {
  const std::string at = field + "." + key;
  auto it = j.find(key);
  if (it == j.end()) {
    return fail(Error::invalid(at, fmt::format("{} is required", at)));
  }
  if (!it->is_string()) {
    return fail(Error::invalid(at, fmt::format("{} must be {}", at, expected)));
  }
  return it->get<std::string>();
}

}  // namespace

json schedule_to_json(const model::Schedule& sc) {
  json weekly = json::array();
  for (const model::WeeklyInterval& w : sc.weekly) {
    weekly.push_back({{"days", days_json(w.days)},
                      {"from", format_hhmm(w.from_min)},
                      {"to", format_hhmm(w.to_min)}});
  }
  json holidays = json::array();
  for (const model::Holiday& h : sc.holidays) {
    json j = {{"name", h.name}};
    if (h.from == h.to) {
      j["date"] = format_date(h.from);
    } else {
      j["from"] = format_date(h.from);
      j["to"] = format_date(h.to);
    }
    j["yearly"] = h.yearly;
    holidays.push_back(std::move(j));
  }
  return {{"id", sc.id},
          {"name", sc.name},
          {"timezone", sc.timezone},
          {"weekly", std::move(weekly)},
          {"holidays", std::move(holidays)},
          {"override", model::to_string(sc.override_mode)},
          {"created_at", rfc3339(sc.created_at)},
          {"updated_at", rfc3339(sc.updated_at)}};
}

std::optional<int> parse_hhmm(std::string_view text, bool allow_24) {
  std::size_t pos = 0;
  auto hour = digits(text, pos, 2);
  if (!hour || !expect(text, pos, ":")) {
    return std::nullopt;
  }
  auto minute = digits(text, pos, 2);
  if (!minute || pos != text.size()) {
    return std::nullopt;
  }
  if (allow_24 && *hour == 24 && *minute == 0) {
    return 0;
  }
  if (*hour > 23 || *minute > 59) {
    return std::nullopt;
  }
  return *hour * 60 + *minute;
}

std::string format_hhmm(int minutes) {
  return fmt::format("{:02}:{:02}", minutes / 60, minutes % 60);
}

std::optional<int> parse_date(std::string_view text) {
  std::size_t pos = 0;
  const auto date = full_date(text, pos);
  if (!date || pos != text.size() || !model::is_calendar_date(*date)) {
    return std::nullopt;
  }
  return date;
}

std::string format_date(int yyyymmdd) {
  return fmt::format("{:04}-{:02}-{:02}", yyyymmdd / 10000, yyyymmdd / 100 % 100, yyyymmdd % 100);
}

Result<std::vector<model::WeeklyInterval>> weekly_from_json(const json& j) {
  if (!j.is_array()) {
    return fail(Error::invalid("weekly", "weekly must be an array of intervals"));
  }
  std::vector<model::WeeklyInterval> out;
  for (std::size_t i = 0; i < j.size(); ++i) {
    const std::string field = fmt::format("weekly[{}]", i);
    const json& e = j[i];
    if (!e.is_object()) {
      return fail(
          Error::invalid(field, fmt::format("{} must be an object with days, from and to", field)));
    }
    COHORT_TRY(only_keys(e, field, {"days", "from", "to"}));
    model::WeeklyInterval w;
    const std::string days_field = field + ".days";
    if (!e.contains("days")) {
      return fail(Error::invalid(days_field, fmt::format("{} is required", days_field)));
    }
    const json& days = e["days"];
    if (!days.is_array() || days.empty()) {
      return fail(Error::invalid(
          days_field, fmt::format("{} must list at least one of mon, tue, wed, thu, fri, sat, sun",
                                  days_field)));
    }
    for (std::size_t d = 0; d < days.size(); ++d) {
      const std::string day_field = fmt::format("{}[{}]", days_field, d);
      const auto it = days[d].is_string() ? std::find(kDayNames.begin(), kDayNames.end(),
                                                      days[d].get<std::string>())
                                          : kDayNames.end();
      if (it == kDayNames.end()) {
        return fail(Error::invalid(
            day_field,
            fmt::format("{} must be one of mon, tue, wed, thu, fri, sat, sun", day_field)));
      }
      const auto bit = static_cast<std::uint8_t>(1u << (it - kDayNames.begin()));
      if ((w.days & bit) != 0) {
        return fail(Error::invalid(day_field, fmt::format("{} is listed twice", *it)));
      }
      w.days |= bit;
    }
    for (auto [key, slot, allow_24] :
         {std::tuple{"from", &w.from_min, false}, std::tuple{"to", &w.to_min, true}}) {
      const std::string at = field + "." + key;
      const std::string_view expected =
          allow_24 ? "a time HH:MM from 00:00 to 24:00" : "a time HH:MM from 00:00 to 23:59";
      COHORT_TRY_ASSIGN(std::string text, string_at(e, field, key, expected));
      auto minutes = parse_hhmm(text, allow_24);
      if (!minutes) {
        return fail(Error::invalid(at, fmt::format("{} must be {}", at, expected)));
      }
      *slot = *minutes;
    }
    out.push_back(w);
  }
  return out;
}

Result<std::vector<model::Holiday>> holidays_from_json(const json& j) {
  if (!j.is_array()) {
    return fail(Error::invalid("holidays", "holidays must be an array"));
  }
  std::vector<model::Holiday> out;
  for (std::size_t i = 0; i < j.size(); ++i) {
    const std::string field = fmt::format("holidays[{}]", i);
    const json& e = j[i];
    if (!e.is_object()) {
      return fail(Error::invalid(field, fmt::format("{} must be an object", field)));
    }
    COHORT_TRY(only_keys(e, field, {"name", "date", "from", "to", "yearly"}));
    model::Holiday h;
    if (e.contains("name")) {
      COHORT_TRY_ASSIGN(h.name, string_at(e, field, "name", "a string"));
    }
    if (e.contains("yearly")) {
      if (!e["yearly"].is_boolean()) {
        return fail(Error::invalid(field + ".yearly",
                                   fmt::format("{}.yearly must be true or false", field)));
      }
      h.yearly = e["yearly"].get<bool>();
    }
    auto date_at = [&](const char* key) -> Result<int> {
      COHORT_TRY_ASSIGN(std::string text, string_at(e, field, key, "a date YYYY-MM-DD"));
      auto date = parse_date(text);
      if (!date) {
        const std::string at = field + "." + key;
        return fail(Error::invalid(at, fmt::format("{} must be a calendar date YYYY-MM-DD", at)));
      }
      return *date;
    };
    if (e.contains("date")) {
      if (e.contains("from") || e.contains("to")) {
        const std::string at = field + (e.contains("from") ? ".from" : ".to");
        return fail(Error::invalid(at, fmt::format("{} gives either date or from and to", field)));
      }
      COHORT_TRY_ASSIGN(h.from, date_at("date"));
      h.to = h.from;
    } else if (e.contains("from") || e.contains("to")) {
      COHORT_TRY_ASSIGN(h.from, date_at("from"));
      COHORT_TRY_ASSIGN(h.to, date_at("to"));
      if (!h.yearly && h.to < h.from) {
        return fail(
            Error::invalid(field + ".to", fmt::format("{}.to must not be before from", field)));
      }
    } else {
      return fail(
          Error::invalid(field + ".date", fmt::format("{} needs a date, or from and to", field)));
    }
    out.push_back(std::move(h));
  }
  return out;
}

namespace {

/// Reads a body that failed to parse once more, to say where: the field whose string value
/// holds the fault ("patterns[1]"), or none when the fault is elsewhere (a key, the brackets,
/// the end of the body).
class MalformedJsonLocator {
 public:
  using number_integer_t = json::number_integer_t;
  using number_unsigned_t = json::number_unsigned_t;
  using number_float_t = json::number_float_t;
  using string_t = json::string_t;
  using binary_t = json::binary_t;

  bool null() { return value(); }
  bool boolean(bool) { return value(); }
  bool number_integer(number_integer_t) { return value(); }
  bool number_unsigned(number_unsigned_t) { return value(); }
  bool number_float(number_float_t, const string_t&) { return value(); }
  bool string(string_t&) { return value(); }
  bool binary(binary_t&) { return value(); }
  bool start_object(std::size_t) {
    frames_.push_back(Frame{});
    return true;
  }
  bool key(string_t& k) {
    frames_.back().key = k;
    frames_.back().in_value = true;
    return true;
  }
  bool end_object() {
    frames_.pop_back();
    return value();
  }
  bool start_array(std::size_t) {
    frames_.push_back(Frame{.array = true, .in_value = true});
    return true;
  }
  bool end_array() {
    frames_.pop_back();
    return value();
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e) {
    reason_ = e.what();
    // Only a fault inside a string (bytes that are not UTF-8, a lone surrogate, a raw
    // control character: the lexer's "invalid string: …") belongs to the value being read;
    // a missing bracket or a truncated body is about the whole body.
    const std::string_view before_excerpt =
        std::string_view(reason_).substr(0, reason_.find("; last read"));
    if (before_excerpt.find("invalid string:") != std::string_view::npos) {
      field_ = path();
    }
    return false;
  }

  const std::string& field() const { return field_; }
  /// The parser's account without its "last read" excerpt, which quotes the offending bytes
  /// (not UTF-8, or huge): "parse error at line 1, column 12: syntax error while parsing
  /// value - invalid string: ill-formed UTF-8 byte".
  std::string reason() const {
    std::string_view r = reason_;
    if (auto at = r.find("parse error"); at != std::string_view::npos) {
      r.remove_prefix(at);
    }
    r = r.substr(0, r.find("; last read"));
    std::string out;
    for (char c : r.substr(0, 200)) {
      out.push_back(static_cast<unsigned char>(c) < 0x80 ? c : '?');
    }
    return out;
  }

 private:
  struct Frame {
    bool array = false;
    bool in_value = false;  ///< objects: after a key, until its value ends
    std::string key;
    std::size_t index = 0;
  };

  bool value() {
    if (!frames_.empty()) {
      Frame& f = frames_.back();
      if (f.array) {
        ++f.index;
      } else {
        f.in_value = false;
      }
    }
    return true;
  }

  std::string path() const {
    std::string out;
    for (const Frame& f : frames_) {
      if (!f.in_value) {
        break;
      }
      if (f.array) {
        out += fmt::format("[{}]", f.index);
      } else {
        out += out.empty() ? f.key : "." + f.key;
      }
    }
    return out;
  }

  std::vector<Frame> frames_;
  std::string field_;
  std::string reason_;
};

}  // namespace

Error describe_malformed(std::string_view body) {
  MalformedJsonLocator locator;
  json::sax_parse(body, &locator);
  std::string message = "malformed JSON";
  if (!locator.reason().empty()) {
    message += ": " + locator.reason();
  }
  if (!locator.field().empty()) {
    message += fmt::format(" (in {})", locator.field());
  }
  return Error::invalid(locator.field(), std::move(message));
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
    return fail(describe_malformed(req.body));
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
