// /api/v1/outbound-rules: the ordered rules that send outside numbers out through trunks.

#include <fmt/format.h>

#include "api/handlers.hpp"
#include "common/text.hpp"
#include "model/validate.hpp"
#include "routing/outbound.hpp"

namespace cohort::api {
namespace {

using nlohmann::json;

const std::initializer_list<std::string_view> kRuleFields = {
    "name",  "position", "patterns", "caller_groups", "caller_users",
    "strip", "prepend",  "trunks",   "caller_id",     "allow_trunk_callers"};
const std::initializer_list<std::string_view> kRuleReadOnly = {"id", "created_at", "updated_at"};
// Wide JSON bounds; the domain ranges are checked by model::validate_outbound_rule.
constexpr std::int64_t kWideInt = 1'000'000'000;
// The same bound as a membership position: the store clamps it to 1..n anyway.
constexpr std::int64_t kMaxPosition = 1'000'000;

Error no_rule(model::OutboundRuleId id) {
  return Error::not_found(fmt::format("no outbound rule with id {}", id));
}

Result<std::optional<model::CallerIdSetting>> caller_id_from_json(const json& j) {
  if (j.is_null()) {
    return std::optional<model::CallerIdSetting>();
  }
  if (!j.is_object()) {
    return fail(Error::invalid("caller_id", "caller_id must be an object or null"));
  }
  for (const auto& [key, value] : j.items()) {
    if (key != "policy" && key != "value") {
      return fail(Error::invalid("caller_id." + key, fmt::format("unknown field {}", key)));
    }
  }
  if (!j.contains("policy") || !j["policy"].is_string()) {
    return fail(
        Error::invalid("caller_id.policy", "caller_id.policy must be group, user or fixed"));
  }
  auto policy = model::parse_caller_id_policy(j["policy"].get<std::string>());
  if (!policy) {
    return fail(
        Error::invalid("caller_id.policy", "caller_id.policy must be group, user or fixed"));
  }
  model::CallerIdSetting setting{*policy, ""};
  if (j.contains("value") && !j["value"].is_null()) {
    if (!j["value"].is_string()) {
      return fail(Error::invalid("caller_id.value", "caller_id.value must be a string or null"));
    }
    setting.value = j["value"].get<std::string>();
  }
  return std::optional<model::CallerIdSetting>(std::move(setting));
}

Result<void> apply_rule_fields(const JsonBody& b, model::OutboundRule& r) {
  COHORT_TRY(b.check_keys(kRuleFields, kRuleReadOnly));
  if (b.has("name")) {
    COHORT_TRY_ASSIGN(std::string name, b.string("name"));
    r.name = std::string(text::trim(name));
  }
  if (b.has("position")) {
    COHORT_TRY_ASSIGN(std::int64_t position, b.integer("position", 1, kMaxPosition));
    r.position = static_cast<int>(position);
  }
  if (b.has("patterns")) {
    COHORT_TRY_ASSIGN(r.patterns, b.string_list("patterns"));
  }
  if (b.has("caller_groups")) {
    COHORT_TRY_ASSIGN(r.caller_groups, b.id_list("caller_groups"));
  }
  if (b.has("caller_users")) {
    COHORT_TRY_ASSIGN(r.caller_users, b.id_list("caller_users"));
  }
  if (b.has("trunks")) {
    COHORT_TRY_ASSIGN(r.trunks, b.id_list("trunks"));
  }
  if (b.has("strip")) {
    COHORT_TRY_ASSIGN(std::int64_t strip, b.integer("strip", -kWideInt, kWideInt));
    r.strip = static_cast<int>(strip);
  }
  if (b.has("prepend")) {
    COHORT_TRY_ASSIGN(r.prepend, b.string("prepend"));
  }
  if (b.has("caller_id")) {
    COHORT_TRY_ASSIGN(r.caller_id, caller_id_from_json(b.at("caller_id")));
  }
  if (b.has("allow_trunk_callers")) {
    COHORT_TRY_ASSIGN(r.allow_trunk_callers, b.boolean("allow_trunk_callers"));
  }
  return {};
}

Response list_rules(Context& ctx, const Request& req) {
  return respond([&]() -> Result<Response> {
    model::SnapshotPtr s = ctx.store.snapshot();
    COHORT_TRY_ASSIGN(Principal p, authenticate(req, *s, ctx.options));
    COHORT_TRY(require_reads_all(p));
    // Rules are few and only make sense as a whole ordered list: no paging.
    json items = json::array();
    for (const model::OutboundRule& r : s->outbound_rules()) {
      items.push_back(outbound_rule_to_json(r));
    }
    return json_response(200, page_json(std::move(items), std::nullopt));
  });
}

Response create_rule(Context& ctx, const Request& req) {
  return respond([&]() -> Result<Response> {
    COHORT_TRY_ASSIGN(Principal p, authenticate(req, *ctx.store.snapshot(), ctx.options));
    COHORT_TRY(require_admin(p));
    COHORT_TRY_ASSIGN(JsonBody b, JsonBody::parse(req));
    if (!b.has("name")) {
      return fail(Error::invalid("name", "name is required"));
    }
    model::OutboundRule draft;  // position 0: appended unless the body says where
    COHORT_TRY(apply_rule_fields(b, draft));
    model::OutboundRule created;
    COHORT_TRY(ctx.store.transact([&](store::Transaction& tx) -> Result<void> {
      COHORT_TRY(model::validate_outbound_rule(draft, *ctx.store.snapshot()));
      COHORT_TRY_ASSIGN(created, tx.outbound_rules().create(draft));
      return {};
    }));
    return json_response(201, outbound_rule_to_json(created));
  });
}

Response get_rule(Context& ctx, const Request& req, const PathParams& params) {
  return respond([&]() -> Result<Response> {
    model::SnapshotPtr s = ctx.store.snapshot();
    COHORT_TRY_ASSIGN(Principal p, authenticate(req, *s, ctx.options));
    COHORT_TRY(require_reads_all(p));
    COHORT_TRY_ASSIGN(model::OutboundRuleId id, path_id(params.at("id"), "outbound rule"));
    const model::OutboundRule* r = s->outbound_rule(id);
    if (r == nullptr) {
      return fail(no_rule(id));
    }
    return json_response(200, outbound_rule_to_json(*r));
  });
}

Response patch_rule(Context& ctx, const Request& req, const PathParams& params) {
  return respond([&]() -> Result<Response> {
    COHORT_TRY_ASSIGN(Principal p, authenticate(req, *ctx.store.snapshot(), ctx.options));
    COHORT_TRY(require_admin(p));
    COHORT_TRY_ASSIGN(model::OutboundRuleId id, path_id(params.at("id"), "outbound rule"));
    COHORT_TRY_ASSIGN(JsonBody b, JsonBody::parse(req));
    model::OutboundRule updated;
    COHORT_TRY(ctx.store.transact([&](store::Transaction& tx) -> Result<void> {
      model::SnapshotPtr s = ctx.store.snapshot();
      const model::OutboundRule* current = s->outbound_rule(id);
      if (current == nullptr) {
        return fail(no_rule(id));
      }
      model::OutboundRule draft = *current;
      COHORT_TRY(apply_rule_fields(b, draft));
      COHORT_TRY(model::validate_outbound_rule(draft, *s, current));
      COHORT_TRY_ASSIGN(updated, tx.outbound_rules().update(draft));
      return {};
    }));
    return json_response(200, outbound_rule_to_json(updated));
  });
}

Response delete_rule(Context& ctx, const Request& req, const PathParams& params) {
  return respond([&]() -> Result<Response> {
    COHORT_TRY_ASSIGN(Principal p, authenticate(req, *ctx.store.snapshot(), ctx.options));
    COHORT_TRY(require_admin(p));
    COHORT_TRY_ASSIGN(model::OutboundRuleId id, path_id(params.at("id"), "outbound rule"));
    // Nothing in the configuration refers to a rule (CDRs keep its id as history), so there
    // is no guarded delete here.
    COHORT_TRY(ctx.store.transact([&](store::Transaction& tx) -> Result<void> {
      if (ctx.store.snapshot()->outbound_rule(id) == nullptr) {
        return fail(no_rule(id));
      }
      return tx.outbound_rules().remove(id);
    }));
    return deleted_response(id, {});
  });
}

json ref_json(std::int64_t id, std::string_view name) {
  return json{{"id", id}, {"name", name}};
}

/// What the outbound rules would do with a call, without placing it: the rule that takes
/// it and why each earlier one did not, the number sent, the caller ID and the trunks.
/// The same decision as a real call (routing::OutboundTable over the current snapshot).
Response explain(Context& ctx, const Request& req) {
  return respond([&]() -> Result<Response> {
    model::SnapshotPtr s = ctx.store.snapshot();
    COHORT_TRY_ASSIGN(Principal p, authenticate(req, *s, ctx.options));
    COHORT_TRY(require_reads_all(p));
    COHORT_TRY_ASSIGN(JsonBody b, JsonBody::parse(req));
    COHORT_TRY(b.check_keys({"caller_user_id", "from_trunk_id", "number"}, {}));
    if (!b.has("number")) {
      return fail(Error::invalid("number", "number is required"));
    }
    COHORT_TRY_ASSIGN(std::string number, b.string("number"));
    if (number.empty()) {
      return fail(Error::invalid("number", "number must not be empty"));
    }
    if (number.size() > model::kMaxDialLength) {
      return fail(Error::invalid(
          "number", fmt::format("number must be at most {} characters", model::kMaxDialLength)));
    }
    routing::OutboundRequest r;
    r.number = number;
    if (b.has("caller_user_id") == b.has("from_trunk_id")) {
      return fail(
          Error::invalid("caller_user_id", "give exactly one of caller_user_id and from_trunk_id"));
    }
    if (b.has("caller_user_id")) {
      COHORT_TRY_ASSIGN(std::int64_t id, b.integer("caller_user_id", 1, kWideInt * 1000));
      r.caller = s->user(id);
      if (r.caller == nullptr) {
        return fail(Error::invalid("caller_user_id", fmt::format("no user with id {}", id)));
      }
    } else {
      COHORT_TRY_ASSIGN(std::int64_t id, b.integer("from_trunk_id", 1, kWideInt * 1000));
      if (s->trunk(id) == nullptr) {
        return fail(Error::invalid("from_trunk_id", fmt::format("no trunk with id {}", id)));
      }
      r.from_trunk = id;
    }
    const routing::OutboundTable table(s);
    const routing::OutboundPlan plan = table.explain(r);
    json skipped = json::array();
    for (const routing::SkippedRule& k : plan.skipped) {
      skipped.push_back({{"rule", ref_json(k.rule, k.name)}, {"reason", k.reason}});
    }
    json trunks = json::array();
    for (model::TrunkId id : plan.trunks) {
      const model::Trunk* t = s->trunk(id);
      trunks.push_back(ref_json(id, t ? t->name : ""));
    }
    const model::Group* g = plan.group ? s->group(*plan.group) : nullptr;
    json out{
        {"matched", plan.matched},
        {"rule", plan.matched ? ref_json(plan.rule, plan.rule_name) : json(nullptr)},
        {"skipped", std::move(skipped)},
        {"number", plan.matched ? json(plan.number) : json(nullptr)},
        {"caller_id",
         plan.matched && !plan.caller_id.empty() ? json(plan.caller_id) : json(nullptr)},
        {"caller_id_group", g ? ref_json(g->id, g->name) : json(nullptr)},
        {"trunks", std::move(trunks)},
        {"reason", plan.matched ? json(nullptr) : json(plan.reason)},
    };
    return json_response(200, out);
  });
}

}  // namespace

void add_outbound_rule_routes(Router& r, const ContextPtr& ctx) {
  r.add("POST", "/api/v1/outbound-rules/explain",
        [ctx](const Request& req, const PathParams&) { return explain(*ctx, req); });
  r.add("GET", "/api/v1/outbound-rules",
        [ctx](const Request& req, const PathParams&) { return list_rules(*ctx, req); });
  r.add("POST", "/api/v1/outbound-rules",
        [ctx](const Request& req, const PathParams&) { return create_rule(*ctx, req); });
  r.add("GET", "/api/v1/outbound-rules/{id}",
        [ctx](const Request& req, const PathParams& p) { return get_rule(*ctx, req, p); });
  r.add("PATCH", "/api/v1/outbound-rules/{id}",
        [ctx](const Request& req, const PathParams& p) { return patch_rule(*ctx, req, p); });
  r.add("DELETE", "/api/v1/outbound-rules/{id}",
        [ctx](const Request& req, const PathParams& p) { return delete_rule(*ctx, req, p); });
}

}  // namespace cohort::api
