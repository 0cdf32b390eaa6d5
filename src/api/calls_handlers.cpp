// /api/v1/calls (active calls, from the SIP side) and /api/v1/cdrs (call records, from the
// store).

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <array>

#include "api/handlers.hpp"

namespace cohort::api {
namespace {

using nlohmann::json;

constexpr std::array<std::string_view, 3> kDirections = {"internal", "outbound", "inbound"};
constexpr std::array<std::string_view, 6> kDispositions = {"answered", "busy",      "no_answer",
                                                           "failed",   "cancelled", "interrupted"};

template <class T>
json id_or_null(const std::optional<T>& id) {
  return id ? json(*id) : json(nullptr);
}

json time_ms_or_null(std::int64_t unix_ms) {
  return unix_ms > 0 ? json(rfc3339_ms(unix_ms)) : json(nullptr);
}

json text_or_null(const std::string& s) {
  return s.empty() ? json(nullptr) : json(s);
}

json call_json(const CallView& c) {
  json legs = json::array();
  for (const LegView& l : c.legs) {
    legs.push_back(
        {{"role", l.role}, {"call_id", l.call_id}, {"peer", l.peer}, {"state", l.state}});
  }
  return {{"id", c.id},
          {"direction", c.direction},
          {"state", c.state},
          {"caller_user", id_or_null(c.caller_user)},
          {"caller", c.caller},
          {"dialled", c.dialled},
          {"trunk", id_or_null(c.trunk)},
          {"group", id_or_null(c.group)},
          {"answered_by", id_or_null(c.answered_by)},
          {"started_at", time_ms_or_null(c.since_ms)},
          {"answered_at", time_ms_or_null(c.answered_ms)},
          {"legs", std::move(legs)}};
}

json cdr_json(const store::CdrRecord& r) {
  return {{"id", r.id},
          {"direction", r.direction},
          {"caller_user", id_or_null(r.caller_user)},
          {"callee_user", id_or_null(r.callee_user)},
          {"caller", r.caller},
          {"dialled", r.dialled},
          {"number_sent", r.number_sent},
          {"caller_id", r.caller_id},
          {"caller_id_group", id_or_null(r.caller_id_group)},
          {"trunk", id_or_null(r.trunk)},
          {"rule", id_or_null(r.rule)},
          {"started_at", time_ms_or_null(r.start_ms)},
          {"ringing_at", time_ms_or_null(r.ringing_ms)},
          {"answered_at", time_ms_or_null(r.answer_ms)},
          {"ended_at", time_ms_or_null(r.end_ms)},
          {"disposition", text_or_null(r.disposition)},
          {"hangup_cause", text_or_null(r.hangup_cause)},
          {"sip_status", r.sip_status > 0 ? json(r.sip_status) : json(nullptr)},
          {"a_leg_call_id", r.a_leg_call_id},
          {"b_leg_call_id", r.b_leg_call_id}};
}

Response list_calls(Context& ctx, const Request& req) {
  return respond([&]() -> Result<Response> {
    COHORT_TRY_ASSIGN(Principal p, authenticate(req, *ctx.store.snapshot(), ctx.options));
    COHORT_TRY(require_reads_all(p));
    if (ctx.options.sip == nullptr) {
      return fail({Errc::kUnavailable, "SIP is not running", {}});
    }
    json items = json::array();
    for (const CallView& c : ctx.options.sip->calls()) {
      items.push_back(call_json(c));
    }
    return json_response(200, page_json(std::move(items), std::nullopt));
  });
}

template <std::size_t N>
Result<std::optional<std::string>> one_of(const Request& req, std::string_view param,
                                          const std::array<std::string_view, N>& allowed) {
  auto v = req.query_param(param);
  if (!v) {
    return std::optional<std::string>();
  }
  for (std::string_view a : allowed) {
    if (*v == a) {
      return std::optional<std::string>(std::string(a));
    }
  }
  return fail(Error::invalid(std::string(param),
                             fmt::format("{} must be one of {}", param, fmt::join(allowed, ", "))));
}

Result<std::optional<std::int64_t>> time_param(const Request& req, std::string_view param) {
  auto v = req.query_param(param);
  if (!v) {
    return std::optional<std::int64_t>();
  }
  auto ms = parse_rfc3339_ms(*v);
  if (!ms) {
    return fail(Error::invalid(
        std::string(param),
        fmt::format("{} must be an RFC 3339 date-time such as 2026-11-22T14:25:02Z", param)));
  }
  return ms;
}

Result<std::optional<std::int64_t>> id_param(const Request& req, std::string_view param) {
  auto v = req.query_param(param);
  if (!v) {
    return std::optional<std::int64_t>();
  }
  auto id = path_id(std::string(*v), param);
  if (!id) {
    return fail(
        Error::invalid(std::string(param), fmt::format("{} must be a positive integer", param)));
  }
  return std::optional<std::int64_t>(*id);
}

Response list_cdrs(Context& ctx, const Request& req) {
  return respond([&]() -> Result<Response> {
    COHORT_TRY_ASSIGN(Principal p, authenticate(req, *ctx.store.snapshot(), ctx.options));
    store::CdrQuery q;
    COHORT_TRY_ASSIGN(q.from_ms, time_param(req, "from"));
    COHORT_TRY_ASSIGN(q.to_ms, time_param(req, "to"));
    if (q.from_ms && q.to_ms && *q.to_ms <= *q.from_ms) {
      return fail(Error::invalid("to", "to must be later than from"));
    }
    COHORT_TRY_ASSIGN(q.user, id_param(req, "user"));
    COHORT_TRY_ASSIGN(q.group, id_param(req, "group"));
    COHORT_TRY_ASSIGN(q.direction, one_of(req, "direction", kDirections));
    COHORT_TRY_ASSIGN(q.disposition, one_of(req, "disposition", kDispositions));
    COHORT_TRY_ASSIGN(Page page, page_from_query(req));
    if (req.query_param("cursor") && page.after < 1) {
      return fail(Error::invalid("cursor", "cursor must be a next_cursor value from a list"));
    }
    if (!p.reads_all()) {
      // Agents see the calls they made or took, nobody else's.
      if (q.user && *q.user != p.user) {
        return fail({Errc::kForbidden, "agents may read only their own call records", {}});
      }
      q.user = p.user;
    }
    q.before_seq = page.after;
    // One more than the page tells whether another page follows.
    q.limit = page.limit + 1;
    COHORT_TRY_ASSIGN(std::vector<store::CdrRecord> records, ctx.store.cdrs().query_cdrs(q));
    std::optional<std::int64_t> next;
    if (records.size() > page.limit) {
      records.resize(page.limit);
      next = records.back().seq;
    }
    json items = json::array();
    for (const store::CdrRecord& r : records) {
      items.push_back(cdr_json(r));
    }
    return json_response(200, page_json(std::move(items), next));
  });
}

}  // namespace

void add_call_routes(Router& r, const ContextPtr& ctx) {
  r.add("GET", "/api/v1/calls",
        [ctx](const Request& req, const PathParams&) { return list_calls(*ctx, req); });
  r.add("GET", "/api/v1/cdrs",
        [ctx](const Request& req, const PathParams&) { return list_cdrs(*ctx, req); });
}

}  // namespace cohort::api
