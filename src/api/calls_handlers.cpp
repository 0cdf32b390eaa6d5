// /api/v1/calls (active calls, from the SIP side) and /api/v1/cdrs (call records, from the
// store).

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <span>

#include "api/handlers.hpp"
#include "model/call_record.hpp"

namespace cohort::api {
namespace {

using nlohmann::json;

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

/// The word of a call record's enum (model/call_record.hpp), null when there is none.
template <class E>
json word_or_null(const std::optional<E>& value) {
  return value ? json(std::string(model::to_string(*value))) : json(nullptr);
}

json call_json(const CallView& c) {
  json legs = json::array();
  for (const LegView& l : c.legs) {
    legs.push_back(
        {{"role", l.role}, {"call_id", l.call_id}, {"peer", l.peer}, {"state", l.state}});
  }
  return {{"id", c.id},
          {"direction", std::string(model::to_string(c.direction))},
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

/// A Destination stored as its JSON text; empty or unreadable text (a hand edit) is null.
json stored_json(const std::string& text) {
  if (text.empty()) {
    return nullptr;
  }
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  return j.is_discarded() ? json(nullptr) : j;
}

json attempts_json(const std::vector<store::CdrRecord::Attempt>& attempts) {
  json out = json::array();
  for (const store::CdrRecord::Attempt& a : attempts) {
    out.push_back({{"user", a.user},
                   {"group", id_or_null(a.group)},
                   {"started_at", time_ms_or_null(a.start_ms)},
                   {"ended_at", time_ms_or_null(a.end_ms)},
                   {"result", word_or_null(a.result)}});
  }
  return out;
}

json cdr_json(const store::CdrRecord& r) {
  return {{"id", r.id},
          {"direction", std::string(model::to_string(r.direction))},
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
          {"disposition", word_or_null(r.disposition)},
          {"hangup_cause", text_or_null(r.hangup_cause)},
          {"sip_status", r.sip_status > 0 ? json(r.sip_status) : json(nullptr)},
          {"a_leg_call_id", r.a_leg_call_id},
          {"b_leg_call_id", r.b_leg_call_id},
          {"inbound_route", id_or_null(r.inbound_route)},
          {"did", text_or_null(r.did)},
          {"group", id_or_null(r.group)},
          {"answered_by", id_or_null(r.answered_by)},
          {"wait_ms", r.wait_ms},
          {"talk_ms", r.talk_ms},
          {"fallback_reason", word_or_null(r.fallback_reason)},
          {"fallback_to", stored_json(r.fallback_to)},
          {"attempts", attempts_json(r.attempts)},
          {"transferred_by", id_or_null(r.transferred_by)},
          {"transferred_from", text_or_null(r.transferred_from)},
          {"transferred_to", text_or_null(r.transferred_to)},
          {"forwarded_from", id_or_null(r.forwarded_from)},
          {"forward_reason", word_or_null(r.forward_reason)},
          {"voicemail_id", id_or_null(r.voicemail_id)},
          {"ivr_keys", text_or_null(r.ivr_keys)},
          {"ivr_option", text_or_null(r.ivr_option)},
          {"ivr_ms", r.ivr_ms},
          {"queue_ms", r.queue_ms}};
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

/// Query parameter `param` as one of `allowed` (a call record's enum), spelt as the records
/// spell it; absent = nullopt.
template <class E, class Parse>
Result<std::optional<E>> one_of(const Request& req, std::string_view param,
                                std::span<const E> allowed, Parse parse) {
  auto v = req.query_param(param);
  if (!v) {
    return std::optional<E>();
  }
  if (std::optional<E> value = parse(*v)) {
    return value;
  }
  std::vector<std::string_view> words;
  for (E a : allowed) {
    words.push_back(model::to_string(a));
  }
  return fail(Error::invalid(std::string(param),
                             fmt::format("{} must be one of {}", param, fmt::join(words, ", "))));
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

// RFC 4180: a field with a comma, a quote or a line break is quoted, quotes doubled.
void csv_field(std::string& out, std::string_view v) {
  if (v.find_first_of(",\"\r\n") == std::string_view::npos) {
    out += v;
    return;
  }
  out += '"';
  for (char c : v) {
    if (c == '"') {
      out += '"';
    }
    out += c;
  }
  out += '"';
}

// One CSV row of the JSON record: scalars as they are (null → empty), `fallback_to` as its
// JSON text, `attempts` as their count; then the names of the users and group for people
// reading the file.
void csv_row(std::string& out, const json& row, const std::vector<std::string>& columns) {
  bool first = true;
  for (const std::string& c : columns) {
    if (!first) {
      out += ',';
    }
    first = false;
    const json& v = row.contains(c) ? row.at(c) : json(nullptr);
    if (v.is_null()) {
      continue;
    }
    if (v.is_string()) {
      csv_field(out, v.get_ref<const std::string&>());
    } else if (v.is_array() && c == "attempts") {
      out += std::to_string(v.size());
    } else {
      csv_field(out, v.dump());
    }
  }
  out += "\r\n";
}

// Records per store query while writing a CSV, and at most how many one CSV carries.
constexpr std::size_t kCsvBatch = 1000;
constexpr std::size_t kCsvMaxRows = 100'000;

Result<bool> wants_csv(const Request& req) {
  if (auto f = req.query_param("format")) {
    if (*f == "csv") {
      return true;
    }
    if (*f == "json") {
      return false;
    }
    return fail(Error::invalid("format", "format must be json or csv"));
  }
  return req.accept.find("text/csv") != std::string::npos;
}

Response cdrs_csv(Context& ctx, store::CdrQuery q) {
  model::SnapshotPtr s = ctx.store.snapshot();
  auto name_of_user = [&](const json& id) -> json {
    const model::User* u = id.is_number_integer() ? s->user(id.get<std::int64_t>()) : nullptr;
    return u != nullptr ? json(u->name) : json(nullptr);
  };
  auto name_of_group = [&](const json& id) -> json {
    const model::Group* g = id.is_number_integer() ? s->group(id.get<std::int64_t>()) : nullptr;
    return g != nullptr ? json(g->name) : json(nullptr);
  };
  // The documented order of the JSON record (nlohmann would sort the keys), then the names.
  const std::vector<std::string> columns = {"id",
                                            "direction",
                                            "caller_user",
                                            "callee_user",
                                            "caller",
                                            "dialled",
                                            "number_sent",
                                            "caller_id",
                                            "caller_id_group",
                                            "trunk",
                                            "rule",
                                            "started_at",
                                            "ringing_at",
                                            "answered_at",
                                            "ended_at",
                                            "disposition",
                                            "hangup_cause",
                                            "sip_status",
                                            "a_leg_call_id",
                                            "b_leg_call_id",
                                            "inbound_route",
                                            "did",
                                            "group",
                                            "answered_by",
                                            "wait_ms",
                                            "talk_ms",
                                            "fallback_reason",
                                            "fallback_to",
                                            "attempts",
                                            "transferred_by",
                                            "transferred_from",
                                            "transferred_to",
                                            "forwarded_from",
                                            "forward_reason",
                                            "voicemail_id",
                                            "ivr_keys",
                                            "ivr_option",
                                            "ivr_ms",
                                            "queue_ms",
                                            "caller_user_name",
                                            "callee_user_name",
                                            "group_name",
                                            "answered_by_name"};
  std::string out;
  for (std::size_t i = 0; i < columns.size(); ++i) {
    out += (i == 0 ? "" : ",") + columns[i];
  }
  out += "\r\n";
  std::size_t rows = 0;
  q.limit = kCsvBatch;
  while (rows < kCsvMaxRows) {
    auto batch = ctx.store.cdrs().query_cdrs(q);
    if (!batch) {
      return error_response(batch.error());
    }
    for (const store::CdrRecord& r : *batch) {
      json row = cdr_json(r);
      row["caller_user_name"] = name_of_user(row["caller_user"]);
      row["callee_user_name"] = name_of_user(row["callee_user"]);
      row["group_name"] = name_of_group(row["group"]);
      row["answered_by_name"] = name_of_user(row["answered_by"]);
      csv_row(out, row, columns);
      if (++rows == kCsvMaxRows) {
        break;
      }
    }
    if (batch->size() < kCsvBatch) {
      break;
    }
    q.before_seq = batch->back().seq;
  }
  Response res;
  res.content_type = "text/csv; charset=utf-8; header=present";
  res.body = std::move(out);
  res.headers.emplace_back("Content-Disposition",
                           "attachment; filename=\"cohort-call-records.csv\"");
  if (rows == kCsvMaxRows) {
    res.headers.emplace_back("X-Cohort-Truncated", std::to_string(kCsvMaxRows));
  }
  return res;
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
    COHORT_TRY_ASSIGN(q.direction, one_of(req, "direction", model::call_directions(),
                                          model::parse_call_direction));
    COHORT_TRY_ASSIGN(q.disposition,
                      one_of(req, "disposition", model::dispositions(), model::parse_disposition));
    COHORT_TRY_ASSIGN(Page page, page_from_query(req));
    COHORT_TRY_ASSIGN(bool csv, wants_csv(req));
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
    if (csv) {
      // Every matching record from the cursor on (limit does not apply): a download.
      return cdrs_csv(ctx, q);
    }
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
