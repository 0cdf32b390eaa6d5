#include "pbx/authenticator.hpp"

#include <fmt/format.h>

#include "common/crypto.hpp"
#include "sip/headers.hpp"

namespace cohort::pbx {

namespace digest = sip::digest;

Authenticator::Authenticator(AuthenticatorOptions options)
    : options_(std::move(options)),
      secret_(options_.nonce_secret.empty() ? crypto::random_hex(32) : options_.nonce_secret) {}

Result<void> Authenticator::start() {
  algorithms_.clear();
  for (const std::string& name : options_.algorithms) {
    auto a = digest::parse_algorithm(name);
    if (!a) {
      return fail(Error::invalid("sip.digest_algorithms",
                                 fmt::format("unsupported digest algorithm '{}'", name)));
    }
    algorithms_.push_back(*a);
  }
  if (algorithms_.empty()) {
    return fail(Error::invalid("sip.digest_algorithms", "at least one digest algorithm"));
  }
  return {};
}

std::string_view to_string(AuthFailure f) {
  switch (f) {
    case AuthFailure::kNone:
      return "none";
    case AuthFailure::kUnknownUser:
      return "unknown_user";
    case AuthFailure::kInactiveUser:
      return "inactive_user";
    case AuthFailure::kWrongPassword:
      return "wrong_password";
  }
  return "?";
}

AuthVerdict Authenticator::verify(const sip::Message& req, const model::Snapshot& snapshot,
                                  std::int64_t now_s) {
  auto found =
      digest::find_credentials(req.headers(), sip::HeaderId::kAuthorization, options_.realm);
  if (!found || !*found) {
    return {};
  }
  const digest::Credentials& creds = **found;
  const model::User* user = snapshot.user_by_extension(creds.username);
  AuthFailure failure = AuthFailure::kWrongPassword;
  if (user == nullptr) {
    failure = AuthFailure::kUnknownUser;
  } else if (!user->active) {
    user = nullptr;  // an inactive user looks exactly like an unknown one on the wire
    failure = AuthFailure::kInactiveUser;
  }
  digest::StoredHa1 stored;
  const digest::StoredHa1* stored_ptr = nullptr;
  if (user != nullptr && !user->digest.empty()) {
    stored = {user->digest.realm, user->digest.ha1_md5, user->digest.ha1_sha256};
    stored_ptr = &stored;
  }
  digest::VerifyOptions vo;
  vo.realm = options_.realm;
  vo.secret = secret_;
  vo.nonce_ttl = options_.nonce_ttl_s;
  // Hash outside any lock; the replay check below is the only shared state.
  digest::Verdict v = digest::verify(creds, req.method_token(), stored_ptr, vo, now_s);
  switch (v.outcome) {
    case digest::Outcome::kOk: {
      auto nc = digest::parse_nonce_count(creds.nc.value_or(""));
      std::lock_guard lock(mu_);
      if (!nc || !counts_.accept(creds.nonce, *nc)) {
        return {};  // a replay
      }
      return AuthVerdict{AuthOutcome::kAuthenticated, user, std::string(creds.username)};
    }
    case digest::Outcome::kStale:
      return AuthVerdict{AuthOutcome::kStale, nullptr, std::string(creds.username)};
    case digest::Outcome::kBadCredentials:
      return AuthVerdict{AuthOutcome::kFailed, nullptr, std::string(creds.username), failure};
    default:
      return {};
  }
}

std::vector<std::string> Authenticator::challenges(bool stale, std::int64_t now_s) const {
  const std::string nonce = digest::make_nonce(secret_, options_.realm, now_s);
  std::vector<std::string> out;
  out.reserve(algorithms_.size());
  for (digest::Algorithm a : algorithms_) {
    out.push_back(digest::challenge_value(digest::Challenge{options_.realm, nonce, {}, a, stale}));
  }
  return out;
}

}  // namespace cohort::pbx
