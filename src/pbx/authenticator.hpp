#pragma once
// Digest authentication of SIP requests (RFC 3261 §22, RFC 7616) against the snapshot's
// users: the nonce secret, the algorithms offered and the nonce-count replay table. The
// verification is sip::digest's (pure); this class holds the replay table behind a mutex.
//
// Threading: every method from any thread; the hashing runs outside the lock.

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/errc.hpp"
#include "model/snapshot.hpp"
#include "sip/digest.hpp"
#include "sip/message.hpp"

namespace cohort::pbx {

struct AuthenticatorOptions {
  std::string realm = "cohort";
  /// Key of the nonce HMAC; empty = a random key per process (nonces die with a restart).
  std::string nonce_secret;
  std::int64_t nonce_ttl_s = 300;
  std::vector<std::string> algorithms = {"MD5"};  ///< challenges offered, in order
};

/// What became of a request's credentials.
enum class AuthOutcome : std::uint8_t {
  kAuthenticated,  ///< `user` is set
  kChallenge,      ///< none for our realm, malformed, a replay: a fresh challenge
  kStale,          ///< right credentials, stale nonce: a challenge with stale=true
  kFailed,         ///< wrong password or unknown/inactive user: a challenge, and a failure
};

/// Why credentials failed (kFailed). The wire never tells them apart (the same 401); the log
/// and /metrics do, for the operator.
enum class AuthFailure : std::uint8_t {
  kNone,
  kUnknownUser,    ///< no user has that extension
  kInactiveUser,   ///< the user exists but is deactivated
  kWrongPassword,  ///< the digest response does not match the user's password
};
std::string_view to_string(AuthFailure f);

struct AuthVerdict {
  AuthOutcome outcome = AuthOutcome::kChallenge;
  const model::User* user = nullptr;         ///< kAuthenticated: points into the snapshot
  std::string username;                      ///< the username the credentials named (kFailed)
  AuthFailure failure = AuthFailure::kNone;  ///< kFailed: why
};

class Authenticator {
 public:
  explicit Authenticator(AuthenticatorOptions options);
  /// Checks the algorithms; the error names the bad one. Start-up.
  Result<void> start();

  /// Verifies the Authorization header of `req` for our realm at unix time `now_s`.
  /// Unknown and inactive users fail exactly like a wrong password.
  AuthVerdict verify(const sip::Message& req, const model::Snapshot& snapshot, std::int64_t now_s);
  /// The WWW-Authenticate values of a 401: one per algorithm offered, on one fresh nonce.
  /// The same set whatever went wrong, so nothing tells which extensions exist.
  std::vector<std::string> challenges(bool stale, std::int64_t now_s) const;

  const std::string& realm() const { return options_.realm; }

 private:
  AuthenticatorOptions options_;
  std::string secret_;
  std::vector<sip::digest::Algorithm> algorithms_;
  std::mutex mu_;
  sip::digest::NonceCounts counts_;
};

}  // namespace cohort::pbx
