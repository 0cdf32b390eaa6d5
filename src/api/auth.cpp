#include <fmt/format.h>

#include "api/handlers.hpp"
#include "common/crypto.hpp"
#include "common/text.hpp"

namespace cohort::api {

Result<Principal> authenticate(const Request& req, const model::Snapshot& s,
                               const ApiOptions& options) {
  // The scheme name is case-insensitive (RFC 9110 §11.1).
  constexpr std::string_view kScheme = "bearer ";
  std::string_view h = req.authorization;
  if (h.size() <= kScheme.size() || text::ascii_lower(h.substr(0, kScheme.size())) != kScheme) {
    return fail({Errc::kUnauthorized, "missing bearer token", {}});
  }
  std::string hash = crypto::sha256_hex(h.substr(kScheme.size()));
  if (!options.admin_token_sha256.empty() &&
      crypto::constant_time_equal(hash, options.admin_token_sha256)) {
    return Principal{.bootstrap = true, .user = 0, .role = model::Role::kAdmin};
  }
  // The hash, not the secret, is the lookup key: a timing difference reveals nothing
  // about the secret.
  const model::ApiToken* token = s.token_by_secret_hash(hash);
  if (token == nullptr) {
    return fail({Errc::kUnauthorized, "invalid or revoked token", {}});
  }
  const model::User* user = s.user(token->user);
  if (user == nullptr || !user->active) {
    return fail({Errc::kUnauthorized, "the token's user is inactive", {}});
  }
  return Principal{.bootstrap = false, .user = user->id, .role = user->role};
}

Result<void> require_admin(const Principal& p) {
  if (!p.admin()) {
    return fail({Errc::kForbidden, "this action needs the admin role", {}});
  }
  return {};
}

Result<void> require_reads_all(const Principal& p) {
  if (!p.reads_all()) {
    return fail({Errc::kForbidden, "this resource needs the admin or supervisor role", {}});
  }
  return {};
}

Result<void> require_can_read_user(const Principal& p, model::UserId user) {
  if (p.reads_all() || p.user == user) {
    return {};
  }
  return fail({Errc::kForbidden, "agents may read only their own user", {}});
}

Result<void> require_can_read_group(const Principal& p, model::GroupId group,
                                    const model::Snapshot& s) {
  if (p.reads_all()) {
    return {};
  }
  for (const model::UserMembership& m : s.groups_of(p.user)) {
    if (m.group == group) {
      return {};
    }
  }
  return fail({Errc::kForbidden, "agents may read only their own groups", {}});
}

Response respond(const std::function<Result<Response>()>& fn) {
  Result<Response> r = fn();
  if (!r) {
    return error_response(r.error());
  }
  return std::move(*r);
}

nlohmann::json referrers_json(const std::vector<model::Referrer>& refs) {
  nlohmann::json out = nlohmann::json::array();
  for (const model::Referrer& r : refs) {
    out.push_back(
        {{"kind", model::to_string(r.kind)}, {"id", r.id}, {"name", r.name}, {"field", r.field}});
  }
  return out;
}

Response referrers_conflict(std::string message, const std::vector<model::Referrer>& refs) {
  return error_response(Error::conflict("", std::move(message)),
                        {{"referrers", referrers_json(refs)}});
}

Response deleted_response(std::int64_t id, const std::vector<model::Referrer>& gaps) {
  if (gaps.empty()) {
    Response r;
    r.status = 204;
    r.content_type.clear();
    return r;
  }
  return json_response(200, {{"deleted", id}, {"routing_gaps", referrers_json(gaps)}});
}

Result<bool> force_param(const Request& req) {
  auto v = req.query_param("force");
  if (!v || *v == "false" || *v == "0") {
    return false;
  }
  if (*v == "true" || *v == "1") {
    return true;
  }
  return fail(Error::invalid("force", "force must be true or false"));
}

}  // namespace cohort::api

namespace cohort::api {

Result<Response> delete_guarded(Context& ctx, std::int64_t id, bool force, const GuardedDelete& d) {
  std::vector<model::Referrer> refs;
  auto removed = ctx.store.transact([&](store::Transaction& tx) -> Result<void> {
    model::SnapshotPtr s = ctx.store.snapshot();
    if (!d.exists(*s)) {
      return fail(Error::not_found(fmt::format("no {} with id {}", d.what, id)));
    }
    refs = d.referrers(*s);
    if (!refs.empty() && !force) {
      return fail(Error::conflict("", "referenced"));
    }
    return d.remove(tx);
  });
  if (!removed) {
    if (removed.error().code == Errc::kConflict && !refs.empty()) {
      return referrers_conflict(fmt::format("{} {} is referenced by {} object(s); change them, "
                                            "or delete with ?force=true to {}",
                                            d.what, id, refs.size(), d.if_forced),
                                refs);
    }
    return fail(std::move(removed).error());
  }
  return d.done(refs);
}

}  // namespace cohort::api
