#pragma once
// JSON ⇄ domain values for the REST API. Input is strict: malformed JSON, a wrong type,
// an unknown or read-only field, a value out of range → Error::invalid naming the field.

#include <nlohmann/json.hpp>

#include <functional>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "api/http.hpp"
#include "common/errc.hpp"
#include "model/snapshot.hpp"

namespace cohort::api {

/// RFC 3339 UTC ("2026-11-22T14:25:02Z") from unix seconds.
std::string rfc3339(std::int64_t unix_seconds);
/// RFC 3339 UTC with milliseconds ("2026-11-22T14:25:02.125Z") from unix milliseconds.
std::string rfc3339_ms(std::int64_t unix_ms);
/// Unix milliseconds from an RFC 3339 date-time ("2026-11-22T14:25:02Z",
/// "2026-11-22T15:25:02.5+01:00"); fractions beyond milliseconds are truncated. nullopt when
/// malformed or out of range.
std::optional<std::int64_t> parse_rfc3339_ms(std::string_view text);

nlohmann::json user_to_json(const model::User& u);
/// A user's call forwarding: {"always", "busy", "no_answer" (destinations or null),
/// "no_answer_s"}, in GET /users/{id} and PUT /users/{id}/forwarding.
nlohmann::json forwarding_to_json(const model::User& u);
nlohmann::json group_to_json(const model::Group& g, const model::Snapshot& s);
/// Every field but the password (write-only): `has_password` says whether there is one.
nlohmann::json trunk_to_json(const model::Trunk& t);
nlohmann::json outbound_rule_to_json(const model::OutboundRule& r);
nlohmann::json inbound_route_to_json(const model::InboundRoute& r);
nlohmann::json schedule_to_json(const model::Schedule& sc);
nlohmann::json member_to_json(const model::Member& m, const model::Snapshot& s);
nlohmann::json user_membership_to_json(const model::UserMembership& m, const model::Snapshot& s);

/// "HH:MM" (00:00–23:59) as minutes after midnight; "24:00" too when `allow_24` (as 0: the
/// midnight that ends the day). nullopt when malformed.
std::optional<int> parse_hhmm(std::string_view text, bool allow_24);
std::string format_hhmm(int minutes);
/// "YYYY-MM-DD", a real calendar date, as yyyymmdd. nullopt when malformed.
std::optional<int> parse_date(std::string_view text);
std::string format_date(int yyyymmdd);
/// A schedule's `weekly` list: [{"days": ["mon", …], "from": "HH:MM", "to": "HH:MM"}].
/// Errors name the element: "weekly[1].from", "weekly[0].days[2]".
Result<std::vector<model::WeeklyInterval>> weekly_from_json(const nlohmann::json& j);
/// A schedule's `holidays` list: [{"name"?, "date"} or {"name"?, "from", "to"}, "yearly"?].
/// Errors name the element: "holidays[0].to".
Result<std::vector<model::Holiday>> holidays_from_json(const nlohmann::json& j);

/// Why `body` is not JSON, as a 400 naming the field whose value holds the fault (invalid
/// UTF-8 in "patterns[1]"), or no field. The message never quotes the body.
Error describe_malformed(std::string_view body);

/// A request body that must be one JSON object with known keys.
class JsonBody {
 public:
  /// Parses the body. An empty body is an empty object when `empty_ok`.
  static Result<JsonBody> parse(const Request& req, bool empty_ok = false);

  /// Fails on the first key that is neither `allowed` nor `read_only` (read-only keys get
  /// their own message).
  Result<void> check_keys(std::initializer_list<std::string_view> allowed,
                          std::initializer_list<std::string_view> read_only = {}) const;

  bool has(std::string_view key) const { return obj_.contains(key); }
  bool is_null(std::string_view key) const { return has(key) && obj_.at(key).is_null(); }
  const nlohmann::json& at(std::string_view key) const { return obj_.at(key); }

  Result<std::string> string(std::string_view key) const;
  Result<bool> boolean(std::string_view key) const;
  /// An integer in [min, max].
  Result<std::int64_t> integer(std::string_view key, std::int64_t min, std::int64_t max) const;
  /// Null → nullopt, else a string.
  Result<std::optional<std::string>> nullable_string(std::string_view key) const;
  /// An array of strings; a wrong element names it ("patterns[2]").
  Result<std::vector<std::string>> string_list(std::string_view key) const;
  /// An array of positive integers; a wrong element names it ("trunks[1]").
  Result<std::vector<std::int64_t>> id_list(std::string_view key) const;
  /// Null → nullopt, else an integer in [min, max].
  Result<std::optional<std::int64_t>> nullable_integer(std::string_view key, std::int64_t min,
                                                       std::int64_t max) const;

 private:
  explicit JsonBody(nlohmann::json obj) : obj_(std::move(obj)) {}
  nlohmann::json obj_;
};

/// `limit` (1..1000, default 100) and `cursor` (the last id of the previous page).
struct Page {
  std::size_t limit = 100;
  std::int64_t after = 0;
};
Result<Page> page_from_query(const Request& req);
/// Parses a path parameter as a positive id; invalid → Error::not_found (the path names
/// nothing).
Result<std::int64_t> path_id(const std::string& value, std::string_view what);

/// One page of the objects with ascending `ids`, starting after `page.after`: `render(id)`
/// returns the item, or null to leave the object out (not visible to the caller, filtered).
/// next_cursor is the last id returned when more items follow.
nlohmann::json id_page(std::span<const std::int64_t> ids, const Page& page,
                       const std::function<nlohmann::json(std::int64_t)>& render);

/// {"items": items, "next_cursor": next (null when none)}.
nlohmann::json page_json(nlohmann::json items, std::optional<std::int64_t> next);

}  // namespace cohort::api
