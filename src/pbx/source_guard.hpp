#pragma once
// The SIP edge's per-source defences as one component: trusted networks, the per-source
// token bucket for unauthenticated traffic, authentication failures and the bans they lead
// to. The decisions are security.hpp's (pure); this class holds them behind one mutex (held
// for a table operation, never across I/O) so that every shard can ask.
//
// Threading: every method from any thread.

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/errc.hpp"
#include "pbx/security.hpp"

namespace cohort::pbx {

struct SourceGuardOptions {
  int ban_after_failures = 5;
  int ban_window_s = 60;
  int ban_duration_s = 300;
  int rate_per_second = 50;
  int rate_burst = 100;
  std::vector<std::string> trusted_networks;
};

class SourceGuard {
 public:
  explicit SourceGuard(SourceGuardOptions options);
  /// Parses the trusted networks; the error names the bad entry. Start-up.
  Result<void> start();

  bool trusted(std::string_view ip) const { return trusted_.contains(ip); }
  /// False (counted) when `ip` is banned at `now_ms`.
  bool admit(std::string_view ip, std::int64_t now_ms);
  /// Takes a token of `ip`'s bucket; false (counted) when it is empty. A source that keeps
  /// exceeding the limit is banned like a brute-forcer: a dropped request that carries
  /// `credentials` counts as a failed authentication (its credentials were never checked),
  /// and ban_after_failures bucketfuls dropped within the ban window is a flood.
  bool take_token(std::string_view ip, std::int64_t now_ms, bool credentials = false);
  /// Gives the token back: the request turned out to be authenticated.
  void refund(std::string_view ip);
  /// One failed authentication of `ip` (wrong credentials); bans it after too many.
  void record_failure(std::string_view ip, std::string_view username, std::int64_t now_ms);
  /// Forgets idle entries. About once a second.
  void prune(std::int64_t now_ms);

  std::vector<Ban> bans(std::int64_t now_ms) const;
  bool lift_ban(const std::string& ip);

  std::uint64_t bans_started() const { return n_bans_; }
  std::uint64_t banned_drops() const { return n_banned_drops_; }
  std::uint64_t rate_limited() const { return n_rate_limited_; }

 private:
  SourceGuardOptions options_;
  TrustedNetworks trusted_;
  mutable std::mutex mu_;
  BanList bans_;
  AuthFailureTracker failures_;
  AuthFailureTracker floods_;  ///< requests dropped by the rate limiter, per source
  RateLimiter limiter_;
  std::atomic<std::uint64_t> n_bans_{0}, n_banned_drops_{0}, n_rate_limited_{0};
};

}  // namespace cohort::pbx
