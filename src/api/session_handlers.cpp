// /api/v1/session: console sign-in with an e-mail and password or with an API token, and
// sign-out (issue 10). The cookie holds a random secret; the server keeps its SHA-256.

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "api/handlers.hpp"
#include "api/json_io.hpp"
#include "common/crypto.hpp"
#include "common/log.hpp"
#include "common/password.hpp"
#include "common/text.hpp"

namespace cohort::api {
namespace {

using nlohmann::json;

// The same words for an unknown e-mail, a wrong password, an inactive user and a user
// without a console password: the answer must not tell which accounts exist.
constexpr std::string_view kWrongCredentials = "wrong e-mail or password";

std::string cookie_header(const ApiOptions& o, std::string_view value, std::int64_t max_age_s) {
  // RFC 6265 §4.1: HttpOnly keeps it from scripts, SameSite=Strict from other sites' requests
  // (RFC 6265bis §5.4.7), Path=/ so the console and the API both see it.
  return fmt::format("{}={}; Path=/; Max-Age={}; HttpOnly; SameSite=Strict{}", kSessionCookie,
                     value, max_age_s, o.secure_cookies ? "; Secure" : "");
}

json session_json(const Principal& p, const model::Snapshot& s, std::string_view csrf,
                  std::int64_t expires_at_ms) {
  const model::User* u = p.bootstrap ? nullptr : s.user(p.user);
  return {{"user", u != nullptr ? user_to_json(*u) : json(nullptr)},
          {"role", model::to_string(p.admin() ? model::Role::kAdmin : p.role)},
          {"bootstrap", p.bootstrap},
          {"csrf_token", csrf},
          {"expires_at", rfc3339_ms(expires_at_ms)}};
}

Result<void> require_sessions(const ApiOptions& o) {
  if (o.sessions == nullptr || o.login_throttle == nullptr) {
    return fail({Errc::kUnavailable, "console sign-in is not enabled in this process", {}});
  }
  return {};
}

Response too_many(std::int64_t retry_after_s) {
  Response r = error_response(
      {Errc::kTooManyAttempts,
       fmt::format("too many failed sign-ins; try again in {} seconds", retry_after_s),
       {}},
      {{"retry_after_s", retry_after_s}});
  r.headers.emplace_back("Retry-After", std::to_string(retry_after_s));
  return r;
}

struct SignIn {
  Principal principal;
  store::SessionKind kind = store::SessionKind::kPassword;
  std::string credential;
};

// E-mail and password. Verifies against a dummy hash when there is no account to check, so
// that the time taken does not tell either.
Result<SignIn> by_password(const JsonBody& b, const model::Snapshot& s) {
  COHORT_TRY_ASSIGN(std::string email, b.string("email"));
  COHORT_TRY_ASSIGN(std::string plain, b.string("password"));
  const model::User* u = s.user_by_email(text::trim(email));
  if (u == nullptr || u->password_hash.empty()) {
    password::verify_dummy(plain);
    return fail({Errc::kUnauthorized, std::string(kWrongCredentials), {}});
  }
  if (!password::verify(u->password_hash, plain) || !u->active) {
    return fail({Errc::kUnauthorized, std::string(kWrongCredentials), {}});
  }
  return SignIn{Principal{.bootstrap = false, .user = u->id, .role = u->role},
                store::SessionKind::kPassword, password::stamp(u->password_hash)};
}

Result<SignIn> by_token(const JsonBody& b, const model::Snapshot& s, const ApiOptions& o) {
  COHORT_TRY_ASSIGN(std::string token, b.string("token"));
  auto p = authenticate_token(text::trim(token), s, o);
  if (!p) {
    return fail({Errc::kUnauthorized, "invalid or revoked API token", {}});
  }
  return SignIn{*p, p->bootstrap ? store::SessionKind::kBootstrap : store::SessionKind::kToken,
                crypto::sha256_hex(text::trim(token))};
}

Response sign_in(Context& ctx, const Request& req) {
  const ApiOptions& o = ctx.options;
  // A throttled answer must come before any verification, so declared outside respond().
  std::int64_t retry_after = 0;
  Response res = respond([&]() -> Result<Response> {
    COHORT_TRY(require_sessions(o));
    COHORT_TRY_ASSIGN(JsonBody b, JsonBody::parse(req));
    COHORT_TRY(b.check_keys({"email", "password", "token"}));
    bool with_token = b.has("token");
    if (with_token && (b.has("email") || b.has("password"))) {
      return fail(Error::invalid("token", "send either email and password, or token"));
    }
    if (!with_token) {
      for (const char* required : {"email", "password"}) {
        if (!b.has(required)) {
          return fail(Error::invalid(required, fmt::format("{} is required", required)));
        }
      }
    }
    // Failures count per account and source address, so that a guesser elsewhere cannot
    // lock the real user out from their own desk, and per source for tokens.
    std::string key;
    if (with_token) {
      key = "token|" + req.remote_address;
    } else {
      COHORT_TRY_ASSIGN(std::string email, b.string("email"));
      key = text::ascii_lower(text::trim(email)) + "|" + req.remote_address;
    }
    retry_after = o.login_throttle->retry_after_s(key);
    if (retry_after > 0) {
      spdlog::warn("session sign-in throttled source={} retry_after_s={}",
                   log::Value{req.remote_address}, retry_after);
      return fail({Errc::kTooManyAttempts, "", {}});
    }
    model::SnapshotPtr s = ctx.store.snapshot();
    auto signed_in = with_token ? by_token(b, *s, o) : by_password(b, *s);
    if (!signed_in) {
      if (signed_in.error().code == Errc::kUnauthorized) {
        o.login_throttle->failed(key);
        spdlog::info("session sign-in failed method={} source={}",
                     with_token ? "token" : "password", log::Value{req.remote_address});
      }
      return fail(std::move(signed_in).error());
    }
    o.login_throttle->succeeded(key);
    COHORT_TRY_ASSIGN(
        Sessions::Opened opened,
        o.sessions->open(signed_in->principal.bootstrap
                             ? std::nullopt
                             : std::optional<model::UserId>(signed_in->principal.user),
                         signed_in->kind, std::move(signed_in->credential)));
    spdlog::info("session opened user={} kind={} source={}", signed_in->principal.user,
                 store::to_string(signed_in->kind), log::Value{req.remote_address});
    Response r = json_response(201, session_json(signed_in->principal, *s, opened.csrf_token,
                                                 o.sessions->expires_at_ms(opened.record)));
    // The cookie lives as long as the session could; the idle limit is the server's to keep.
    std::int64_t max_age =
        (o.sessions->hard_expiry_ms(opened.record) - opened.record.created_ms) / 1000;
    r.headers.emplace_back("Set-Cookie", cookie_header(o, opened.secret, max_age));
    return r;
  });
  if (retry_after > 0) {
    return too_many(retry_after);
  }
  return res;
}

Response get_session(Context& ctx, const Request& req) {
  const ApiOptions& o = ctx.options;
  return respond([&]() -> Result<Response> {
    COHORT_TRY(require_sessions(o));
    auto secret = req.cookie_value(kSessionCookie);
    if (!secret || !req.authorization.empty()) {
      return fail({Errc::kUnauthorized, "not signed in to the console", {}});
    }
    model::SnapshotPtr s = ctx.store.snapshot();
    COHORT_TRY_ASSIGN(Principal p, authenticate(req, *s, o));
    auto session = o.sessions->find(*secret);
    if (!session) {
      return fail({Errc::kUnauthorized, "the session has expired or was signed out", {}});
    }
    return json_response(
        200, session_json(p, *s, Sessions::csrf_of(*secret), o.sessions->expires_at_ms(*session)));
  });
}

Response sign_out(Context& ctx, const Request& req) {
  const ApiOptions& o = ctx.options;
  return respond([&]() -> Result<Response> {
    COHORT_TRY(require_sessions(o));
    auto secret = req.cookie_value(kSessionCookie);
    if (!secret || !req.authorization.empty()) {
      return fail({Errc::kUnauthorized, "not signed in to the console", {}});
    }
    // Checks the CSRF token: another site cannot sign the user out either.
    COHORT_TRY(authenticate(req, *ctx.store.snapshot(), o));
    o.sessions->close(*secret);
    Response r;
    r.status = 204;
    r.content_type.clear();
    r.headers.emplace_back("Set-Cookie", cookie_header(o, "", 0));
    return r;
  });
}

}  // namespace

void add_session_routes(Router& r, const ContextPtr& ctx) {
  r.add("POST", "/api/v1/session",
        [ctx](const Request& req, const PathParams&) { return sign_in(*ctx, req); });
  r.add("GET", "/api/v1/session",
        [ctx](const Request& req, const PathParams&) { return get_session(*ctx, req); });
  r.add("DELETE", "/api/v1/session",
        [ctx](const Request& req, const PathParams&) { return sign_out(*ctx, req); });
}

}  // namespace cohort::api
