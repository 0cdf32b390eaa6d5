#pragma once
// Security limits for the SIP front door: authentication-failure bans (fail2ban-style),
// per-source token-bucket rate limiting, and trusted networks that bypass both.
//
// Pure decision logic: time is a parameter (`now_ms`, milliseconds on any monotonic scale
// the caller keeps consistent: steady or unix). Nothing here is thread-safe; the owner
// serialises calls (one lock, or one owning thread). Every per-address table is bounded:
// when full the least recently used address is forgotten, which under a flood from more
// addresses than the capacity errs towards letting an address through, never towards
// unbounded memory.
//
// Addresses are compared as strings: pass the canonical text of the source IP without the
// port (what asio::ip::address::to_string() gives), the same form to every call.
//
// How the SIP shell is expected to use them, per received request:
//   if (trusted.contains(ip)) -> no checks;
//   else if (bans.is_banned(ip, now)) -> drop silently;
//   else if (!limiter.allow(ip, now)) -> drop (or 503 with Retry-After);
//   … and after digest verification says kBadCredentials:
//   if (failures.record_failure(ip, now, bans)) -> log the ban.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/errc.hpp"
#include "pbx/lru_map.hpp"

namespace cohort::pbx {

struct Ban {
  std::string ip;
  std::int64_t since_ms = 0;
  std::int64_t until_ms = 0;
  std::string reason;
  bool operator==(const Ban&) const = default;
};

/// Banned source addresses with an expiry each. Bounded: when full, expired bans go
/// first, then the ban that ends soonest.
class BanList {
 public:
  static constexpr std::size_t kDefaultCapacity = 100'000;
  explicit BanList(std::size_t capacity = kDefaultCapacity);

  /// Bans `ip` from `now_ms` until `until_ms`. An existing ban is extended, never shortened.
  void ban(std::string_view ip, std::int64_t now_ms, std::int64_t until_ms,
           std::string reason = {});
  /// Whether `ip` is banned at `now_ms` (a ban ends at until_ms, exclusive).
  bool is_banned(std::string_view ip, std::int64_t now_ms) const;
  /// When the ban of `ip` ends, if it is banned at `now_ms`.
  std::optional<std::int64_t> expiry(std::string_view ip, std::int64_t now_ms) const;
  /// The bans in force at `now_ms`, sorted by address.
  std::vector<Ban> list(std::int64_t now_ms) const;
  /// Lifts the ban of `ip` (an administrator's decision); false when there was none.
  bool lift(std::string_view ip);
  /// Forgets expired bans; returns how many.
  std::size_t prune(std::int64_t now_ms);
  std::size_t size() const { return bans_.size(); }

 private:
  void erase(std::unordered_map<std::string, Ban>::iterator it);

  std::size_t capacity_;
  std::unordered_map<std::string, Ban> bans_;
  std::set<std::pair<std::int64_t, std::string>> by_expiry_;
};

struct AuthFailurePolicy {
  int max_failures = 5;               ///< this many failures within the window start a ban
  std::int64_t window_ms = 60'000;    ///< sliding window
  std::int64_t ban_ms = 300'000;      ///< ban length
  std::size_t max_tracked = 100'000;  ///< addresses with recent failures remembered
  std::string_view ban_reason = "authentication failures";  ///< the reason its bans give
};

/// Counts authentication failures (digest kBadCredentials) per source address in a sliding
/// window. Successes do not reset the count: otherwise one valid account would let an
/// attacker guess the passwords of others from the same address indefinitely.
class AuthFailureTracker {
 public:
  explicit AuthFailureTracker(AuthFailurePolicy policy = {});

  /// Records one failure of `ip` at `now_ms`. When it is the max_failures-th within
  /// window_ms, bans `ip` in `bans` until now_ms + ban_ms, forgets its failures and returns
  /// true (a ban started).
  bool record_failure(std::string_view ip, std::int64_t now_ms, BanList& bans);
  /// Failures of `ip` within the window ending at `now_ms`.
  int failures(std::string_view ip, std::int64_t now_ms) const;
  /// Forgets the failures of `ip` (e.g. when an administrator lifts its ban).
  void forget(std::string_view ip);
  /// Forgets addresses whose last failure left the window; returns how many.
  std::size_t prune(std::int64_t now_ms);
  std::size_t size() const { return table_.size(); }
  const AuthFailurePolicy& policy() const { return policy_; }

 private:
  AuthFailurePolicy policy_;
  LruMap<std::vector<std::int64_t>> table_;  ///< failure times in the window, oldest first
};

struct RateLimitPolicy {
  double rate_per_s = 50;             ///< sustained requests per second per address
  double burst = 100;                 ///< bucket size
  std::size_t max_tracked = 100'000;  ///< buckets remembered
};

/// Token bucket per source address. A bucket that has refilled completely behaves like no
/// bucket at all, so idle buckets are forgotten (a few on every call, all on prune()).
class RateLimiter {
 public:
  explicit RateLimiter(RateLimitPolicy policy = {});

  /// Takes `cost` tokens from the bucket of `ip`; false (over the limit) when it holds
  /// fewer, and then nothing is taken.
  bool allow(std::string_view ip, std::int64_t now_ms, double cost = 1.0);
  /// Gives back `cost` tokens taken by allow() (never above the burst): a request that
  /// turned out to be authenticated does not pay.
  void refund(std::string_view ip, double cost = 1.0);
  /// The tokens `ip` has at `now_ms`.
  double tokens(std::string_view ip, std::int64_t now_ms) const;
  /// Forgets buckets idle long enough to be full again; returns how many.
  std::size_t prune(std::int64_t now_ms);
  std::size_t size() const { return table_.size(); }
  const RateLimitPolicy& policy() const { return policy_; }

 private:
  struct Bucket {
    double tokens = 0;
    std::int64_t last_ms = 0;
  };
  double refilled(const Bucket& b, std::int64_t now_ms) const;
  bool idle(const Bucket& b, std::int64_t now_ms) const;

  RateLimitPolicy policy_;
  std::int64_t full_refill_ms_;
  LruMap<Bucket> table_;
};

/// A set of IPv4 and IPv6 networks in CIDR notation. Trusted sources are never banned or
/// rate limited: the caller checks contains() first.
class TrustedNetworks {
 public:
  TrustedNetworks() = default;
  /// Parses every entry ("10.0.0.0/8", "192.168.1.10", "::1/128", "2001:db8::/32"; an
  /// address without a prefix is a host). Host bits beyond the prefix are ignored, as
  /// iptables does. The error names the first bad entry (field "trusted_networks").
  static Result<TrustedNetworks> parse(std::span<const std::string> cidrs);
  /// Adds one entry; on error nothing is added.
  Expected<void, Error> add(std::string_view cidr);
  /// Whether `ip` (IPv4 dotted quad or IPv6, brackets and a %zone tolerated) lies in one of
  /// the networks. An IPv4-mapped IPv6 address (::ffff:a.b.c.d, from dual-stack sockets)
  /// matches the IPv4 networks. An unparsable address is not trusted.
  bool contains(std::string_view ip) const;
  bool empty() const { return nets_.empty(); }
  std::size_t size() const { return nets_.size(); }

 private:
  struct Net {
    bool v6 = false;
    std::array<std::uint8_t, 16> addr{};  ///< masked; IPv4 in the first 4 bytes
    int prefix = 0;
  };
  std::vector<Net> nets_;
};

}  // namespace cohort::pbx
