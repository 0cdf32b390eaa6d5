// /api/v1/inbound-routes: the ordered routes that send calls arriving from trunks to a
// destination by the number dialled (DID), the caller's number and the trunk.

#include <fmt/format.h>

#include "api/handlers.hpp"
#include "common/text.hpp"
#include "model/validate.hpp"

namespace cohort::api {
namespace {

using nlohmann::json;

const std::initializer_list<std::string_view> kRouteFields = {"name",   "position", "did",
                                                              "caller", "trunk",    "destination"};
const std::initializer_list<std::string_view> kRouteReadOnly = {"id", "created_at", "updated_at"};
// The same bound as a rule's position: the store clamps it to 1..n anyway.
constexpr std::int64_t kMaxPosition = 1'000'000;

Error no_route(model::InboundRouteId id) {
  return Error::not_found(fmt::format("no inbound route with id {}", id));
}

Result<void> apply_route_fields(const JsonBody& b, model::InboundRoute& r) {
  COHORT_TRY(b.check_keys(kRouteFields, kRouteReadOnly));
  if (b.has("name")) {
    COHORT_TRY_ASSIGN(std::string name, b.string("name"));
    r.name = std::string(text::trim(name));
  }
  if (b.has("position")) {
    COHORT_TRY_ASSIGN(std::int64_t position, b.integer("position", 1, kMaxPosition));
    r.position = static_cast<int>(position);
  }
  if (b.has("did")) {
    COHORT_TRY_ASSIGN(r.did, b.string("did"));
  }
  if (b.has("caller")) {
    COHORT_TRY_ASSIGN(r.caller, b.nullable_string("caller"));
  }
  if (b.has("trunk")) {
    COHORT_TRY_ASSIGN(r.trunk, b.nullable_integer("trunk", 1, INT64_MAX));
  }
  if (b.has("destination")) {
    COHORT_TRY_ASSIGN(r.destination,
                      model::destination_from_json(b.at("destination"), "destination"));
  }
  return {};
}

Response list_routes(Context& ctx, const Request& req) {
  return respond([&]() -> Result<Response> {
    model::SnapshotPtr s = ctx.store.snapshot();
    COHORT_TRY_ASSIGN(Principal p, authenticate(req, *s, ctx.options));
    COHORT_TRY(require_reads_all(p));
    // Like outbound rules: an ordered whole, not paged.
    json items = json::array();
    for (const model::InboundRoute& r : s->inbound_routes()) {
      items.push_back(inbound_route_to_json(r));
    }
    return json_response(200, page_json(std::move(items), std::nullopt));
  });
}

Response create_route(Context& ctx, const Request& req) {
  return respond([&]() -> Result<Response> {
    COHORT_TRY_ASSIGN(Principal p, authenticate(req, *ctx.store.snapshot(), ctx.options));
    COHORT_TRY(require_admin(p));
    COHORT_TRY_ASSIGN(JsonBody b, JsonBody::parse(req));
    for (const char* required : {"name", "did", "destination"}) {
      if (!b.has(required)) {
        return fail(Error::invalid(required, fmt::format("{} is required", required)));
      }
    }
    model::InboundRoute draft;  // position 0: appended unless the body says where
    COHORT_TRY(apply_route_fields(b, draft));
    model::InboundRoute created;
    COHORT_TRY(ctx.store.transact([&](store::Transaction& tx) -> Result<void> {
      COHORT_TRY(model::validate_inbound_route(draft, *ctx.store.snapshot()));
      COHORT_TRY_ASSIGN(created, tx.inbound_routes().create(draft));
      return {};
    }));
    return json_response(201, inbound_route_to_json(created));
  });
}

Response get_route(Context& ctx, const Request& req, const PathParams& params) {
  return respond([&]() -> Result<Response> {
    model::SnapshotPtr s = ctx.store.snapshot();
    COHORT_TRY_ASSIGN(Principal p, authenticate(req, *s, ctx.options));
    COHORT_TRY(require_reads_all(p));
    COHORT_TRY_ASSIGN(model::InboundRouteId id, path_id(params.at("id"), "inbound route"));
    const model::InboundRoute* r = s->inbound_route(id);
    if (r == nullptr) {
      return fail(no_route(id));
    }
    return json_response(200, inbound_route_to_json(*r));
  });
}

Response patch_route(Context& ctx, const Request& req, const PathParams& params) {
  return respond([&]() -> Result<Response> {
    COHORT_TRY_ASSIGN(Principal p, authenticate(req, *ctx.store.snapshot(), ctx.options));
    COHORT_TRY(require_admin(p));
    COHORT_TRY_ASSIGN(model::InboundRouteId id, path_id(params.at("id"), "inbound route"));
    COHORT_TRY_ASSIGN(JsonBody b, JsonBody::parse(req));
    model::InboundRoute updated;
    COHORT_TRY(ctx.store.transact([&](store::Transaction& tx) -> Result<void> {
      model::SnapshotPtr s = ctx.store.snapshot();
      const model::InboundRoute* current = s->inbound_route(id);
      if (current == nullptr) {
        return fail(no_route(id));
      }
      model::InboundRoute draft = *current;
      COHORT_TRY(apply_route_fields(b, draft));
      // A routing gap it already holds (forced delete) must not block renaming or moving it.
      COHORT_TRY(model::validate_inbound_route(draft, *s, current));
      COHORT_TRY_ASSIGN(updated, tx.inbound_routes().update(draft));
      return {};
    }));
    return json_response(200, inbound_route_to_json(updated));
  });
}

Response delete_route(Context& ctx, const Request& req, const PathParams& params) {
  return respond([&]() -> Result<Response> {
    COHORT_TRY_ASSIGN(Principal p, authenticate(req, *ctx.store.snapshot(), ctx.options));
    COHORT_TRY(require_admin(p));
    COHORT_TRY_ASSIGN(model::InboundRouteId id, path_id(params.at("id"), "inbound route"));
    // Nothing in the configuration refers to a route (CDRs keep its id as history).
    COHORT_TRY(ctx.store.transact([&](store::Transaction& tx) -> Result<void> {
      if (ctx.store.snapshot()->inbound_route(id) == nullptr) {
        return fail(no_route(id));
      }
      return tx.inbound_routes().remove(id);
    }));
    return deleted_response(id, {});
  });
}

}  // namespace

void add_inbound_route_routes(Router& r, const ContextPtr& ctx) {
  r.add("GET", "/api/v1/inbound-routes",
        [ctx](const Request& req, const PathParams&) { return list_routes(*ctx, req); });
  r.add("POST", "/api/v1/inbound-routes",
        [ctx](const Request& req, const PathParams&) { return create_route(*ctx, req); });
  r.add("GET", "/api/v1/inbound-routes/{id}",
        [ctx](const Request& req, const PathParams& p) { return get_route(*ctx, req, p); });
  r.add("PATCH", "/api/v1/inbound-routes/{id}",
        [ctx](const Request& req, const PathParams& p) { return patch_route(*ctx, req, p); });
  r.add("DELETE", "/api/v1/inbound-routes/{id}",
        [ctx](const Request& req, const PathParams& p) { return delete_route(*ctx, req, p); });
}

}  // namespace cohort::api
