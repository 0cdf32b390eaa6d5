#pragma once
// Console sessions (issue 10): a signed-in browser holds a random secret in an HttpOnly
// cookie; the server keeps only its SHA-256, in memory and in the store (so a sign-in
// survives a restart and kill -9). Sessions end after 12 h idle or 7 days, on sign-out, and
// when what they stand on changes (see store::SessionRecord::credential).

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/clock.hpp"
#include "common/errc.hpp"
#include "store/repository.hpp"

namespace cohort::api {

struct SessionPolicy {
  std::chrono::milliseconds idle{std::chrono::hours(12)};
  std::chrono::milliseconds absolute{std::chrono::hours(24 * 7)};
  /// last_seen is written to the store at most this often per session, so that reading
  /// pages does not write the disk on every request; an idle expiry is exact to this much
  /// across a restart (in memory it is exact).
  std::chrono::milliseconds persist_every{std::chrono::minutes(1)};
};

/// The name of the session cookie.
inline constexpr std::string_view kSessionCookie = "cohort_session";

class Sessions {
 public:
  /// `store` and `clock` outlive this. Start-up.
  Sessions(store::SessionStore& store, const Clock& clock, SessionPolicy policy = {});

  /// Loads the stored sessions, dropping (and deleting) the expired ones. Start-up.
  Result<void> load();

  struct Opened {
    std::string secret;  ///< the cookie value; shown once, never stored
    std::string csrf_token;
    store::SessionRecord record;
  };
  /// Opens a session and persists it before returning. Any thread.
  Result<Opened> open(std::optional<model::UserId> user, store::SessionKind kind,
                      std::string credential);

  /// The live session of a cookie secret, its last use moved to now; nullopt when unknown
  /// or expired (an expired one is deleted). Any thread.
  std::optional<store::SessionRecord> find(std::string_view secret);

  /// Ends the session of `secret` (nothing when unknown). Any thread.
  void close(std::string_view secret);
  /// Ends every session of `user` (deactivated, deleted, password changed). Any thread.
  void close_user(model::UserId user);
  /// Ends a session by its id hash (a session whose credential no longer holds). Any thread.
  void close_id(const std::string& id_sha256);

  /// The CSRF token of a session: derived from the secret, so it is never stored.
  static std::string csrf_of(std::string_view secret);
  /// When `r` expires if not used again (unix ms).
  std::int64_t expires_at_ms(const store::SessionRecord& r) const;
  /// When `r` expires however much it is used (unix ms): the cookie's lifetime.
  std::int64_t hard_expiry_ms(const store::SessionRecord& r) const {
    return r.created_ms + policy_.absolute.count();
  }

  std::size_t size() const;

 private:
  std::int64_t now_ms() const;
  bool expired(const store::SessionRecord& r, std::int64_t now) const;

  store::SessionStore& store_;
  const Clock& clock_;
  SessionPolicy policy_;
  mutable std::mutex mutex_;
  struct Entry {
    store::SessionRecord record;
    std::int64_t persisted_seen_ms = 0;
  };
  std::unordered_map<std::string, Entry> by_id_;  // under mutex_
};

/// Failed sign-ins per (account, source): after `max_failures` within `window`, further
/// attempts are refused until the oldest of them leaves the window. Kept in memory only.
class LoginThrottle {
 public:
  explicit LoginThrottle(const Clock& clock, int max_failures = 5,
                         std::chrono::seconds window = std::chrono::minutes(5));
  /// Seconds to wait before `key` may try again; 0 when it may now. Any thread.
  std::int64_t retry_after_s(const std::string& key);
  void failed(const std::string& key);
  void succeeded(const std::string& key);

 private:
  void prune(std::int64_t now);
  const Clock& clock_;
  int max_failures_;
  std::chrono::seconds window_;
  std::mutex mutex_;
  std::unordered_map<std::string, std::vector<std::int64_t>> failures_;  // unix ms, oldest first
};

}  // namespace cohort::api
