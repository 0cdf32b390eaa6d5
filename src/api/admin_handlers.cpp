// /api/v1/trunks, /api/v1/tokens, /api/v1/routing-gaps (with the cycles of group exits).

#include <fmt/format.h>

#include <algorithm>

#include "api/handlers.hpp"
#include "common/crypto.hpp"
#include "common/text.hpp"
#include "model/validate.hpp"

namespace cohort::api {
namespace {

using nlohmann::json;

Error no_trunk(model::TrunkId id) {
  return Error::not_found(fmt::format("no trunk with id {}", id));
}

const std::initializer_list<std::string_view> kTrunkFields = {"name",
                                                              "host",
                                                              "port",
                                                              "transport",
                                                              "username",
                                                              "password",
                                                              "auth_realm",
                                                              "register",
                                                              "register_expires_s",
                                                              "from_domain",
                                                              "max_concurrent_calls",
                                                              "inbound_sources",
                                                              "media"};
const std::initializer_list<std::string_view> kTrunkReadOnly = {"id", "has_password", "status",
                                                                "created_at", "updated_at"};
// Wide JSON bounds; the domain ranges are checked by model::validate_trunk.
constexpr std::int64_t kWideInt = 1'000'000'000;

Result<void> apply_trunk_fields(const JsonBody& b, model::Trunk& t) {
  COHORT_TRY(b.check_keys(kTrunkFields, kTrunkReadOnly));
  if (b.has("name")) {
    COHORT_TRY_ASSIGN(std::string name, b.string("name"));
    t.name = std::string(text::trim(name));
  }
  for (auto [key, slot] : {std::pair{"host", &t.host}, std::pair{"username", &t.username},
                           std::pair{"from_domain", &t.from_domain}}) {
    if (b.has(key)) {
      COHORT_TRY_ASSIGN(*slot, b.string(key));
    }
  }
  if (b.has("password")) {
    // Write-only: absent keeps the stored one, null or "" removes it.
    COHORT_TRY_ASSIGN(auto password, b.nullable_string("password"));
    t.password = password.value_or("");
  }
  if (b.has("auth_realm")) {
    COHORT_TRY_ASSIGN(t.auth_realm, b.nullable_string("auth_realm"));
  }
  if (b.has("transport")) {
    COHORT_TRY_ASSIGN(std::string transport, b.string("transport"));
    auto parsed = model::parse_trunk_transport(transport);
    if (!parsed) {
      return fail(Error::invalid("transport", "transport must be udp or tcp"));
    }
    t.transport = *parsed;
  }
  if (b.has("register")) {
    COHORT_TRY_ASSIGN(t.register_enabled, b.boolean("register"));
  }
  for (auto [key, slot] :
       {std::pair{"port", &t.port}, std::pair{"register_expires_s", &t.register_expires_s},
        std::pair{"max_concurrent_calls", &t.max_concurrent_calls}}) {
    if (b.has(key)) {
      COHORT_TRY_ASSIGN(std::int64_t n, b.integer(key, -kWideInt, kWideInt));
      *slot = static_cast<int>(n);
    }
  }
  if (b.has("inbound_sources")) {
    COHORT_TRY_ASSIGN(t.inbound_sources, b.string_list("inbound_sources"));
  }
  if (b.has("media")) {
    COHORT_TRY_ASSIGN(std::string media, b.string("media"));
    auto parsed = model::parse_trunk_media(media);
    if (!parsed) {
      return fail(Error::invalid("media", "media must be relay or direct"));
    }
    t.media = *parsed;
  }
  return {};
}

/// The trunk with its live `status` from the SIP side: null when SIP is not running in this
/// process or does not know the trunk (yet).
json trunk_json(const Context& ctx, const model::Trunk& t) {
  json j = trunk_to_json(t);
  std::optional<TrunkStatusView> status;
  if (ctx.options.sip != nullptr) {
    status = ctx.options.sip->trunk_status(t.id);
  }
  if (!status) {
    j["status"] = nullptr;
    return j;
  }
  auto time_or_null = [](std::int64_t unix_seconds) {
    return unix_seconds > 0 ? json(rfc3339(unix_seconds)) : json(nullptr);
  };
  j["status"] = {
      {"state", status->state},
      {"last_status", status->last_status > 0 ? json(status->last_status) : json(nullptr)},
      {"last_reason", status->last_reason.empty() ? json(nullptr) : json(status->last_reason)},
      {"expires_at", time_or_null(status->expires_at)},
      {"updated_at", time_or_null(status->updated_at)},
      {"active_calls", status->active_calls}};
  return j;
}

Response list_trunks(Context& ctx, const Request& req) {
  return respond([&]() -> Result<Response> {
    model::SnapshotPtr s = ctx.store.snapshot();
    COHORT_TRY_ASSIGN(Principal p, authenticate(req, *s, ctx.options));
    COHORT_TRY(require_reads_all(p));
    COHORT_TRY_ASSIGN(Page page, page_from_query(req));
    return json_response(200, id_page(s->trunk_ids(), page, [&](model::TrunkId id) -> json {
                           return trunk_json(ctx, *s->trunk(id));
                         }));
  });
}

Response create_trunk(Context& ctx, const Request& req) {
  return respond([&]() -> Result<Response> {
    COHORT_TRY_ASSIGN(Principal p, authenticate(req, *ctx.store.snapshot(), ctx.options));
    COHORT_TRY(require_admin(p));
    COHORT_TRY_ASSIGN(JsonBody b, JsonBody::parse(req));
    if (!b.has("name")) {
      return fail(Error::invalid("name", "name is required"));
    }
    model::Trunk draft;
    COHORT_TRY(apply_trunk_fields(b, draft));
    model::Trunk created;
    COHORT_TRY(ctx.store.transact([&](store::Transaction& tx) -> Result<void> {
      COHORT_TRY(model::validate_trunk(draft, *ctx.store.snapshot()));
      COHORT_TRY_ASSIGN(created, tx.trunks().create(draft));
      return {};
    }));
    return json_response(201, trunk_json(ctx, created));
  });
}

Response get_trunk(Context& ctx, const Request& req, const PathParams& params) {
  return respond([&]() -> Result<Response> {
    model::SnapshotPtr s = ctx.store.snapshot();
    COHORT_TRY_ASSIGN(Principal p, authenticate(req, *s, ctx.options));
    COHORT_TRY(require_reads_all(p));
    COHORT_TRY_ASSIGN(model::TrunkId id, path_id(params.at("id"), "trunk"));
    const model::Trunk* t = s->trunk(id);
    if (t == nullptr) {
      return fail(no_trunk(id));
    }
    return json_response(200, trunk_json(ctx, *t));
  });
}

Response patch_trunk(Context& ctx, const Request& req, const PathParams& params) {
  return respond([&]() -> Result<Response> {
    COHORT_TRY_ASSIGN(Principal p, authenticate(req, *ctx.store.snapshot(), ctx.options));
    COHORT_TRY(require_admin(p));
    COHORT_TRY_ASSIGN(model::TrunkId id, path_id(params.at("id"), "trunk"));
    COHORT_TRY_ASSIGN(JsonBody b, JsonBody::parse(req));
    model::Trunk updated;
    COHORT_TRY(ctx.store.transact([&](store::Transaction& tx) -> Result<void> {
      model::SnapshotPtr s = ctx.store.snapshot();
      const model::Trunk* current = s->trunk(id);
      if (current == nullptr) {
        return fail(no_trunk(id));
      }
      model::Trunk draft = *current;
      COHORT_TRY(apply_trunk_fields(b, draft));
      COHORT_TRY(model::validate_trunk(draft, *s));
      COHORT_TRY_ASSIGN(updated, tx.trunks().update(draft));
      return {};
    }));
    return json_response(200, trunk_json(ctx, updated));
  });
}

Response delete_trunk(Context& ctx, const Request& req, const PathParams& params) {
  return respond([&]() -> Result<Response> {
    COHORT_TRY_ASSIGN(Principal p, authenticate(req, *ctx.store.snapshot(), ctx.options));
    COHORT_TRY(require_admin(p));
    COHORT_TRY_ASSIGN(model::TrunkId id, path_id(params.at("id"), "trunk"));
    COHORT_TRY_ASSIGN(bool force, force_param(req));
    return delete_guarded(
        ctx, id, force,
        GuardedDelete{
            .what = "trunk",
            .if_forced = "leave those groups without a trunk and those rules with a routing gap",
            .exists = [id](const model::Snapshot& s) { return s.trunk(id) != nullptr; },
            .referrers = [id](const model::Snapshot& s) { return model::trunk_referrers(s, id); },
            .remove = [id](store::Transaction& tx) { return tx.trunks().remove(id); },
            .done =
                [id](const std::vector<model::Referrer>& refs) {
                  if (refs.empty()) {
                    return deleted_response(id, refs);
                  }
                  // The store clears a group's trunk; a rule keeps the id in its list (a
                  // routing gap), because dropping it could leave a rule with no trunk; an
                  // inbound route keeps it too, so that it matches no call rather than calls
                  // from every trunk.
                  std::vector<model::Referrer> cleared;
                  std::vector<model::Referrer> gaps;
                  for (const model::Referrer& r : refs) {
                    (r.kind == model::Referrer::Kind::kGroup ? cleared : gaps).push_back(r);
                  }
                  return json_response(200, {{"deleted", id},
                                             {"cleared", referrers_json(cleared)},
                                             {"routing_gaps", referrers_json(gaps)}});
                }});
  });
}

json token_json(const model::ApiToken& t) {
  return {{"id", t.id}, {"user_id", t.user}, {"created_at", rfc3339(t.created_at)}};
}

Response create_token(Context& ctx, const Request& req) {
  return respond([&]() -> Result<Response> {
    COHORT_TRY_ASSIGN(Principal p, authenticate(req, *ctx.store.snapshot(), ctx.options));
    COHORT_TRY(require_admin(p));
    COHORT_TRY_ASSIGN(JsonBody b, JsonBody::parse(req));
    COHORT_TRY(b.check_keys({"user_id"}));
    if (!b.has("user_id")) {
      return fail(Error::invalid("user_id", "user_id is required"));
    }
    COHORT_TRY_ASSIGN(std::int64_t user, b.integer("user_id", 1, INT64_MAX));
    // The secret leaves the server once, in this response; only its hash is stored.
    std::string secret = "cht_" + crypto::random_hex(24);
    model::ApiToken created;
    COHORT_TRY(ctx.store.transact([&](store::Transaction& tx) -> Result<void> {
      const model::User* u = ctx.store.snapshot()->user(user);
      if (u == nullptr) {
        return fail(Error::invalid("user_id", fmt::format("no user with id {}", user)));
      }
      if (!u->active) {
        return fail(Error::invalid("user_id", fmt::format("user {} is inactive", user)));
      }
      COHORT_TRY_ASSIGN(created, tx.tokens().create(user, crypto::sha256_hex(secret)));
      return {};
    }));
    json body = token_json(created);
    body["token"] = secret;
    return json_response(201, body);
  });
}

Response list_tokens(Context& ctx, const Request& req) {
  return respond([&]() -> Result<Response> {
    model::SnapshotPtr s = ctx.store.snapshot();
    COHORT_TRY_ASSIGN(Principal p, authenticate(req, *s, ctx.options));
    COHORT_TRY_ASSIGN(Page page, page_from_query(req));
    std::optional<model::UserId> user;
    if (auto u = req.query_param("user_id")) {
      auto id = path_id(std::string(*u), "user");
      if (!id) {
        return fail(Error::invalid("user_id", "user_id must be a positive integer"));
      }
      user = *id;
    }
    // Non-admins see their own tokens only, so that they can revoke them.
    if (!p.admin()) {
      if (user && *user != p.user) {
        return fail({Errc::kForbidden, "only admins list other users' tokens", {}});
      }
      user = p.user;
    }
    return json_response(200, id_page(s->token_ids(), page, [&](model::TokenId id) -> json {
                           const model::ApiToken* t = s->token(id);
                           if (user && t->user != *user) {
                             return nullptr;
                           }
                           return token_json(*t);
                         }));
  });
}

Response delete_token(Context& ctx, const Request& req, const PathParams& params) {
  return respond([&]() -> Result<Response> {
    model::SnapshotPtr s = ctx.store.snapshot();
    COHORT_TRY_ASSIGN(Principal p, authenticate(req, *s, ctx.options));
    COHORT_TRY_ASSIGN(model::TokenId id, path_id(params.at("id"), "token"));
    // Admins revoke any token; a user may revoke its own.
    const model::ApiToken* t = s->token(id);
    if (!p.admin() && (t == nullptr || t->user != p.user)) {
      return fail({Errc::kForbidden, "only admins revoke other users' tokens", {}});
    }
    COHORT_TRY(ctx.store.transact([&](store::Transaction& tx) -> Result<void> {
      if (ctx.store.snapshot()->token(id) == nullptr) {
        return fail(Error::not_found(fmt::format("no token with id {}", id)));
      }
      return tx.tokens().remove(id);
    }));
    return deleted_response(id, {});
  });
}

Response list_routing_gaps(Context& ctx, const Request& req) {
  return respond([&]() -> Result<Response> {
    model::SnapshotPtr s = ctx.store.snapshot();
    COHORT_TRY_ASSIGN(Principal p, authenticate(req, *s, ctx.options));
    COHORT_TRY(require_reads_all(p));
    json items = json::array();
    for (const model::RoutingGap& gap : model::routing_gaps(*s)) {
      items.push_back(
          {{"holder",
            {{"kind", model::to_string(gap.holder.kind)},
             {"id", gap.holder.id},
             {"name", gap.holder.name}}},
           {"field", gap.holder.field},
           {"missing", {{"kind", model::to_string(gap.missing.kind)}, {"id", gap.missing.id}}},
           {"destination",
            gap.destination ? model::destination_to_json(*gap.destination) : json(nullptr)}});
    }
    json body = page_json(std::move(items), std::nullopt);
    // Cycles of automatic exits (group fallback and closed_destination, IVR menu timeout and
    // invalid) are refused on save, but one stored before they were checked, or by hand, is
    // reported here: `nodes` in call order, `groups` the groups among them.
    json cycles = json::array();
    for (const std::vector<model::FlowNode>& cycle : model::exit_cycles(*s)) {
      json nodes = json::array();
      json groups = json::array();
      for (const model::FlowNode& n : cycle) {
        nodes.push_back({{"kind", model::to_string(n.kind)}, {"id", n.id}});
        if (n.kind == model::FlowNode::Kind::kGroup) {
          groups.push_back(n.id);
        }
      }
      cycles.push_back({{"groups", std::move(groups)}, {"nodes", std::move(nodes)}});
    }
    body["cycles"] = std::move(cycles);
    return json_response(200, body);
  });
}

}  // namespace

void add_admin_routes(Router& r, const ContextPtr& ctx) {
  r.add("GET", "/api/v1/trunks",
        [ctx](const Request& req, const PathParams&) { return list_trunks(*ctx, req); });
  r.add("POST", "/api/v1/trunks",
        [ctx](const Request& req, const PathParams&) { return create_trunk(*ctx, req); });
  r.add("GET", "/api/v1/trunks/{id}",
        [ctx](const Request& req, const PathParams& p) { return get_trunk(*ctx, req, p); });
  r.add("PATCH", "/api/v1/trunks/{id}",
        [ctx](const Request& req, const PathParams& p) { return patch_trunk(*ctx, req, p); });
  r.add("DELETE", "/api/v1/trunks/{id}",
        [ctx](const Request& req, const PathParams& p) { return delete_trunk(*ctx, req, p); });
  r.add("GET", "/api/v1/tokens",
        [ctx](const Request& req, const PathParams&) { return list_tokens(*ctx, req); });
  r.add("POST", "/api/v1/tokens",
        [ctx](const Request& req, const PathParams&) { return create_token(*ctx, req); });
  r.add("DELETE", "/api/v1/tokens/{id}",
        [ctx](const Request& req, const PathParams& p) { return delete_token(*ctx, req, p); });
  r.add("GET", "/api/v1/routing-gaps",
        [ctx](const Request& req, const PathParams&) { return list_routing_gaps(*ctx, req); });
}

}  // namespace cohort::api
