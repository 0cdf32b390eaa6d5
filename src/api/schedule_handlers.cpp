// /api/v1/schedules: business hours (weekly open intervals, holidays, a manual override)
// that groups refer to, and their state now.

#include <fmt/format.h>

#include <chrono>

#include "api/handlers.hpp"
#include "common/text.hpp"
#include "model/validate.hpp"
#include "routing/schedule.hpp"
#include "store/system_clock.hpp"

namespace cohort::api {
namespace {

using nlohmann::json;

const std::initializer_list<std::string_view> kScheduleFields = {"name", "timezone", "weekly",
                                                                 "holidays", "override"};
const std::initializer_list<std::string_view> kScheduleReadOnly = {"id", "created_at",
                                                                   "updated_at"};

Error no_schedule(model::ScheduleId id) {
  return Error::not_found(fmt::format("no schedule with id {}", id));
}

Result<void> apply_schedule_fields(const JsonBody& b, model::Schedule& sc) {
  COHORT_TRY(b.check_keys(kScheduleFields, kScheduleReadOnly));
  if (b.has("name")) {
    COHORT_TRY_ASSIGN(std::string name, b.string("name"));
    sc.name = std::string(text::trim(name));
  }
  if (b.has("timezone")) {
    COHORT_TRY_ASSIGN(sc.timezone, b.string("timezone"));
  }
  if (b.has("weekly")) {
    COHORT_TRY_ASSIGN(sc.weekly, weekly_from_json(b.at("weekly")));
  }
  if (b.has("holidays")) {
    COHORT_TRY_ASSIGN(sc.holidays, holidays_from_json(b.at("holidays")));
  }
  if (b.has("override")) {
    COHORT_TRY_ASSIGN(std::string mode, b.string("override"));
    auto parsed = model::parse_schedule_override(mode);
    if (!parsed) {
      return fail(Error::invalid("override", "override must be auto, open or closed"));
    }
    sc.override_mode = *parsed;
  }
  return {};
}

/// The tz database check, as the model's validation takes it.
bool known_timezone(std::string_view iana) {
  return routing::known_timezone(iana);
}

Response list_schedules(Context& ctx, const Request& req) {
  return respond([&]() -> Result<Response> {
    model::SnapshotPtr s = ctx.store.snapshot();
    COHORT_TRY_ASSIGN(Principal p, authenticate(req, *s, ctx.options));
    COHORT_TRY(require_reads_all(p));
    COHORT_TRY_ASSIGN(Page page, page_from_query(req));
    return json_response(200, id_page(s->schedule_ids(), page, [&](model::ScheduleId id) -> json {
                           return schedule_to_json(*s->schedule(id));
                         }));
  });
}

Response create_schedule(Context& ctx, const Request& req) {
  return respond([&]() -> Result<Response> {
    COHORT_TRY_ASSIGN(Principal p, authenticate(req, *ctx.store.snapshot(), ctx.options));
    COHORT_TRY(require_admin(p));
    COHORT_TRY_ASSIGN(JsonBody b, JsonBody::parse(req));
    for (const char* required : {"name", "timezone"}) {
      if (!b.has(required)) {
        return fail(Error::invalid(required, fmt::format("{} is required", required)));
      }
    }
    model::Schedule draft;
    COHORT_TRY(apply_schedule_fields(b, draft));
    model::Schedule created;
    COHORT_TRY(ctx.store.transact([&](store::Transaction& tx) -> Result<void> {
      COHORT_TRY(model::validate_schedule(draft, *ctx.store.snapshot(), known_timezone));
      COHORT_TRY_ASSIGN(created, tx.schedules().create(draft));
      return {};
    }));
    return json_response(201, schedule_to_json(created));
  });
}

Response get_schedule(Context& ctx, const Request& req, const PathParams& params) {
  return respond([&]() -> Result<Response> {
    model::SnapshotPtr s = ctx.store.snapshot();
    COHORT_TRY_ASSIGN(Principal p, authenticate(req, *s, ctx.options));
    COHORT_TRY(require_reads_all(p));
    COHORT_TRY_ASSIGN(model::ScheduleId id, path_id(params.at("id"), "schedule"));
    const model::Schedule* sc = s->schedule(id);
    if (sc == nullptr) {
      return fail(no_schedule(id));
    }
    return json_response(200, schedule_to_json(*sc));
  });
}

Response patch_schedule(Context& ctx, const Request& req, const PathParams& params) {
  return respond([&]() -> Result<Response> {
    COHORT_TRY_ASSIGN(Principal p, authenticate(req, *ctx.store.snapshot(), ctx.options));
    COHORT_TRY(require_admin(p));
    COHORT_TRY_ASSIGN(model::ScheduleId id, path_id(params.at("id"), "schedule"));
    COHORT_TRY_ASSIGN(JsonBody b, JsonBody::parse(req));
    model::Schedule updated;
    COHORT_TRY(ctx.store.transact([&](store::Transaction& tx) -> Result<void> {
      model::SnapshotPtr s = ctx.store.snapshot();
      const model::Schedule* current = s->schedule(id);
      if (current == nullptr) {
        return fail(no_schedule(id));
      }
      model::Schedule draft = *current;
      COHORT_TRY(apply_schedule_fields(b, draft));
      COHORT_TRY(model::validate_schedule(draft, *s, known_timezone));
      COHORT_TRY_ASSIGN(updated, tx.schedules().update(draft));
      return {};
    }));
    return json_response(200, schedule_to_json(updated));
  });
}

Response delete_schedule(Context& ctx, const Request& req, const PathParams& params) {
  return respond([&]() -> Result<Response> {
    COHORT_TRY_ASSIGN(Principal p, authenticate(req, *ctx.store.snapshot(), ctx.options));
    COHORT_TRY(require_admin(p));
    COHORT_TRY_ASSIGN(model::ScheduleId id, path_id(params.at("id"), "schedule"));
    COHORT_TRY_ASSIGN(bool force, force_param(req));
    return delete_guarded(
        ctx, id, force,
        GuardedDelete{
            .what = "schedule",
            .if_forced = "leave those groups without business hours (always open)",
            .exists = [id](const model::Snapshot& s) { return s.schedule(id) != nullptr; },
            .referrers =
                [id](const model::Snapshot& s) { return model::schedule_referrers(s, id); },
            // The store clears the groups' schedule in the same transaction.
            .remove = [id](store::Transaction& tx) { return tx.schedules().remove(id); },
            .done =
                [id](const std::vector<model::Referrer>& cleared) {
                  if (cleared.empty()) {
                    return deleted_response(id, cleared);
                  }
                  // Not routing gaps: a group without a schedule is simply always open.
                  return json_response(200,
                                       {{"deleted", id}, {"cleared", referrers_json(cleared)}});
                }});
  });
}

/// Open or closed now, why, and until when: the same evaluation calls get
/// (routing::schedule_state), at the API's clock.
Response schedule_state(Context& ctx, const Request& req, const PathParams& params) {
  return respond([&]() -> Result<Response> {
    model::SnapshotPtr s = ctx.store.snapshot();
    COHORT_TRY_ASSIGN(Principal p, authenticate(req, *s, ctx.options));
    COHORT_TRY(require_reads_all(p));
    COHORT_TRY_ASSIGN(model::ScheduleId id, path_id(params.at("id"), "schedule"));
    const model::Schedule* sc = s->schedule(id);
    if (sc == nullptr) {
      return fail(no_schedule(id));
    }
    static const SystemClock kSystemClock;
    const Clock& clock = ctx.options.clock != nullptr ? *ctx.options.clock : kSystemClock;
    const std::int64_t now_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(clock.now().time_since_epoch())
            .count();
    const routing::ScheduleState state = routing::schedule_state(*sc, now_ms);
    json out = {{"open", state.open},
                {"until", state.until_ms ? json(rfc3339_ms(*state.until_ms)) : json(nullptr)},
                {"reason", state.reason},
                {"timezone", sc->timezone},
                {"now", rfc3339_ms(now_ms)}};
    if (state.reason == "holiday") {
      out["holiday"] = state.holiday;
    }
    return json_response(200, out);
  });
}

}  // namespace

void add_schedule_routes(Router& r, const ContextPtr& ctx) {
  r.add("GET", "/api/v1/schedules",
        [ctx](const Request& req, const PathParams&) { return list_schedules(*ctx, req); });
  r.add("POST", "/api/v1/schedules",
        [ctx](const Request& req, const PathParams&) { return create_schedule(*ctx, req); });
  r.add("GET", "/api/v1/schedules/{id}",
        [ctx](const Request& req, const PathParams& p) { return get_schedule(*ctx, req, p); });
  r.add("PATCH", "/api/v1/schedules/{id}",
        [ctx](const Request& req, const PathParams& p) { return patch_schedule(*ctx, req, p); });
  r.add("DELETE", "/api/v1/schedules/{id}",
        [ctx](const Request& req, const PathParams& p) { return delete_schedule(*ctx, req, p); });
  r.add("GET", "/api/v1/schedules/{id}/state",
        [ctx](const Request& req, const PathParams& p) { return schedule_state(*ctx, req, p); });
}

}  // namespace cohort::api
