#include "api/api.hpp"

#include "api/console.hpp"
#include "api/handlers.hpp"

namespace cohort::api {

namespace {

// The API's own paths; everything else belongs to the console.
bool is_api_path(std::string_view path) {
  return path == "/api" || path.starts_with("/api/") || path == "/healthz" || path == "/metrics";
}

// Paths whose every route answers without a token: the document and signing in (which
// judges the credentials it is given itself).
bool is_public_pattern(std::string_view pattern) {
  return pattern == "/api/v1/openapi.json" || pattern == "/api/v1/session";
}

}  // namespace

Response Api::handle(const Request& req) const {
  if (!is_api_path(req.path)) {
    Response r = console_ != nullptr ? console_->serve(req) : console_not_built(req);
    r.route = "console";
    return r;
  }
  // docs/api.md "Authentication": under /api/v1 the token is checked before anything else,
  // so that a caller without one learns nothing of which paths and methods exist (a 404 or
  // 405 would tell). Routes that exist check it themselves, with their own exceptions.
  if (req.path == "/api/v1" || req.path.starts_with("/api/v1/")) {
    const Router::Lookup found = router_.lookup(req.method, req.path);
    if (!found.route && !is_public_pattern(found.path_pattern)) {
      auto principal = authenticate(req, *ctx_->store.snapshot(), ctx_->options);
      if (!principal) {
        return error_response(principal.error());
      }
    }
  }
  return router_.dispatch(req);
}

Api::Api(store::Store& store, Metrics& metrics, ApiOptions options) : console_(options.console) {
  // Every route holds the context, so it lives as long as the router.
  auto ctx = std::make_shared<Context>(Context{store, metrics, std::move(options)});
  ctx_ = ctx;

  router_.add("GET", "/healthz", [ctx](const Request&, const PathParams&) {
    bool store_ok = ctx->store.healthy();
    return json_response(store_ok ? 200 : 503, {{"status", store_ok ? "ok" : "degraded"},
                                                {"store", store_ok ? "up" : "down"}});
  });
  router_.add("GET", "/metrics", [ctx](const Request&, const PathParams&) {
    Response r;
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    r.body = ctx->metrics.render();
    return r;
  });
  router_.add("GET", "/api/v1/openapi.json", [](const Request&, const PathParams&) {
    Response r;
    r.body = openapi_document();
    return r;
  });

  add_user_routes(router_, ctx);
  add_group_routes(router_, ctx);
  add_admin_routes(router_, ctx);
  add_sip_routes(router_, ctx);
  add_outbound_rule_routes(router_, ctx);
  add_call_routes(router_, ctx);
  add_inbound_route_routes(router_, ctx);
  add_schedule_routes(router_, ctx);
  add_session_routes(router_, ctx);
  add_ivr_menu_routes(router_, ctx);
  add_voicemail_routes(router_, ctx);
  add_audio_routes(router_, ctx);

  metrics.add_gauge("cohort_objects", "Configured objects by kind.", [ctx] {
    model::SnapshotPtr s = ctx->store.snapshot();
    return std::vector<std::pair<std::string, double>>{
        {"kind=\"users\"", static_cast<double>(s->user_ids().size())},
        {"kind=\"groups\"", static_cast<double>(s->group_ids().size())},
        {"kind=\"memberships\"", static_cast<double>(s->membership_count())},
        {"kind=\"trunks\"", static_cast<double>(s->trunk_ids().size())},
        {"kind=\"tokens\"", static_cast<double>(s->token_ids().size())},
        {"kind=\"outbound_rules\"", static_cast<double>(s->outbound_rules().size())},
        {"kind=\"inbound_routes\"", static_cast<double>(s->inbound_routes().size())},
        {"kind=\"schedules\"", static_cast<double>(s->schedule_ids().size())},
        {"kind=\"ivr_menus\"", static_cast<double>(s->ivr_menu_ids().size())},
    };
  });
  metrics.add_gauge("cohort_snapshot_version", "Version of the published configuration snapshot.",
                    [ctx] {
                      return std::vector<std::pair<std::string, double>>{
                          {"", static_cast<double>(ctx->store.snapshot()->version())}};
                    });
}

}  // namespace cohort::api
