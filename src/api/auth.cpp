#include <fmt/format.h>

#include "api/handlers.hpp"
#include "common/crypto.hpp"
#include "common/password.hpp"
#include "common/text.hpp"

namespace cohort::api {

namespace {

// A session cookie, when there is no Authorization header (issue 10). A request that
// changes something must also carry the session's CSRF token: a cookie is sent by the
// browser on its own, the header only by our scripts (SameSite=Strict is the second wall).
Result<Principal> authenticate_session(const Request& req, const model::Snapshot& s,
                                       const ApiOptions& options) {
  auto secret = req.cookie_value(kSessionCookie);
  if (!secret || secret->empty() || options.sessions == nullptr) {
    return fail({Errc::kUnauthorized, "missing bearer token or session cookie", {}});
  }
  std::optional<store::SessionRecord> session = options.sessions->find(*secret);
  if (!session) {
    return fail({Errc::kUnauthorized, "the session has expired or was signed out", {}});
  }
  if (!req.safe_method() &&
      !crypto::constant_time_equal(req.csrf_token, Sessions::csrf_of(*secret))) {
    return fail(
        {Errc::kForbidden, "missing or wrong CSRF token (X-CSRF-Token header)", "X-CSRF-Token"});
  }
  // The session holds only while what it was opened with still does.
  auto revoked = [&](std::string why) -> Result<Principal> {
    options.sessions->close_id(session->id_sha256);
    return fail({Errc::kUnauthorized, std::move(why), {}});
  };
  if (session->kind == store::SessionKind::kBootstrap) {
    if (options.admin_token_sha256.empty() ||
        !crypto::constant_time_equal(session->credential, options.admin_token_sha256)) {
      return revoked("the admin token of this session was changed");
    }
    return Principal{.bootstrap = true, .user = 0, .role = model::Role::kAdmin};
  }
  const model::User* user = session->user ? s.user(*session->user) : nullptr;
  if (user == nullptr || !user->active) {
    return revoked("the session's user is inactive or deleted");
  }
  if (session->kind == store::SessionKind::kToken) {
    const model::ApiToken* token = s.token_by_secret_hash(session->credential);
    if (token == nullptr || token->user != user->id) {
      return revoked("the API token of this session was revoked");
    }
  } else if (!crypto::constant_time_equal(session->credential,
                                          password::stamp(user->password_hash))) {
    return revoked("the password of this session's user was changed");
  }
  return Principal{.bootstrap = false, .user = user->id, .role = user->role};
}

}  // namespace

Result<Principal> authenticate(const Request& req, const model::Snapshot& s,
                               const ApiOptions& options) {
  if (req.authorization.empty()) {
    return authenticate_session(req, s, options);
  }
  // The scheme name is case-insensitive (RFC 9110 §11.1).
  constexpr std::string_view kScheme = "bearer ";
  std::string_view h = req.authorization;
  if (h.size() <= kScheme.size() || text::ascii_lower(h.substr(0, kScheme.size())) != kScheme) {
    return fail({Errc::kUnauthorized, "missing bearer token", {}});
  }
  return authenticate_token(h.substr(kScheme.size()), s, options);
}

Result<Principal> authenticate_token(std::string_view secret, const model::Snapshot& s,
                                     const ApiOptions& options) {
  std::string hash = crypto::sha256_hex(secret);
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
