// /api/v1/registrations and /api/v1/security/bans: the SIP side, read through SipView.

#include <fmt/format.h>

#include "api/handlers.hpp"

namespace cohort::api {
namespace {

using nlohmann::json;

Result<SipView*> sip_of(Context& ctx) {
  if (ctx.options.sip == nullptr) {
    return fail({Errc::kUnavailable, "SIP is not running", {}});
  }
  return ctx.options.sip;
}

json registration_json(const RegistrationView& r, const model::Snapshot& s) {
  json j = {{"user_id", r.user},
            {"contact", r.contact},
            {"source", r.source},
            {"transport", r.transport},
            {"user_agent", r.user_agent},
            {"expires_at", rfc3339(r.expires_at)},
            {"instance_id", r.instance_id.empty() ? json(nullptr) : json(r.instance_id)},
            {"reg_id", r.reg_id < 0 ? json(nullptr) : json(r.reg_id)},
            {"q", r.q_milli / 1000.0},
            {"path", r.path}};
  if (const model::User* u = s.user(r.user)) {
    j["extension"] = u->extension;
  }
  return j;
}

Response list_registrations(Context& ctx, const Request& req) {
  return respond([&]() -> Result<Response> {
    model::SnapshotPtr s = ctx.store.snapshot();
    COHORT_TRY_ASSIGN(Principal p, authenticate(req, *s, ctx.options));
    std::optional<model::UserId> user;
    if (auto u = req.query_param("user_id")) {
      auto id = path_id(std::string(*u), "user");
      if (!id) {
        return fail(Error::invalid("user_id", "user_id must be a positive integer"));
      }
      user = *id;
    }
    if (!p.reads_all()) {
      // Agents see their own phones only.
      if (user && *user != p.user) {
        return fail({Errc::kForbidden, "agents may read only their own registrations", {}});
      }
      user = p.user;
    }
    COHORT_TRY_ASSIGN(SipView * sip, sip_of(ctx));
    json items = json::array();
    for (const RegistrationView& r : sip->registrations(user)) {
      items.push_back(registration_json(r, *s));
    }
    return json_response(200, page_json(std::move(items), std::nullopt));
  });
}

Response list_bans(Context& ctx, const Request& req) {
  return respond([&]() -> Result<Response> {
    COHORT_TRY_ASSIGN(Principal p, authenticate(req, *ctx.store.snapshot(), ctx.options));
    COHORT_TRY(require_reads_all(p));
    COHORT_TRY_ASSIGN(SipView * sip, sip_of(ctx));
    json items = json::array();
    for (const BanView& b : sip->bans()) {
      items.push_back({{"address", b.address},
                       {"since", rfc3339(b.since)},
                       {"until", rfc3339(b.until)},
                       {"reason", b.reason}});
    }
    return json_response(200, page_json(std::move(items), std::nullopt));
  });
}

Response lift_ban(Context& ctx, const Request& req, const PathParams& params) {
  return respond([&]() -> Result<Response> {
    COHORT_TRY_ASSIGN(Principal p, authenticate(req, *ctx.store.snapshot(), ctx.options));
    COHORT_TRY(require_admin(p));
    COHORT_TRY_ASSIGN(SipView * sip, sip_of(ctx));
    const std::string& address = params.at("address");
    if (!sip->lift_ban(address)) {
      return fail(Error::not_found(fmt::format("no ban for {}", address)));
    }
    Response r;
    r.status = 204;
    r.content_type.clear();
    return r;
  });
}

}  // namespace

void add_sip_routes(Router& r, const ContextPtr& ctx) {
  r.add("GET", "/api/v1/registrations",
        [ctx](const Request& req, const PathParams&) { return list_registrations(*ctx, req); });
  r.add("GET", "/api/v1/security/bans",
        [ctx](const Request& req, const PathParams&) { return list_bans(*ctx, req); });
  r.add("DELETE", "/api/v1/security/bans/{address}",
        [ctx](const Request& req, const PathParams& p) { return lift_ban(*ctx, req, p); });
}

}  // namespace cohort::api
