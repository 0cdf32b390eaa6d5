#include "pbx/security.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cmath>
#include <cstring>

namespace cohort::pbx {
namespace {

// Entries examined for idleness on every call, so that memory shrinks without a timer.
constexpr std::size_t kPruneStep = 2;

struct Parsed {
  bool v6 = false;
  std::array<std::uint8_t, 16> addr{};
};

std::optional<Parsed> parse_address(std::string_view text) {
  if (text.size() >= 2 && text.front() == '[' && text.back() == ']') {
    text = text.substr(1, text.size() - 2);
  }
  if (auto pct = text.find('%'); pct != std::string_view::npos) {
    text = text.substr(0, pct);  // IPv6 zone id (fe80::1%eth0)
  }
  if (text.empty() || text.size() > 64) {
    return std::nullopt;
  }
  std::string s(text);  // inet_pton needs a NUL-terminated string
  Parsed p;
  if (s.find(':') == std::string::npos) {
    if (inet_pton(AF_INET, s.c_str(), p.addr.data()) != 1) {
      return std::nullopt;
    }
    return p;
  }
  if (inet_pton(AF_INET6, s.c_str(), p.addr.data()) != 1) {
    return std::nullopt;
  }
  p.v6 = true;
  // RFC 4291 §2.5.5.2 IPv4-mapped: ::ffff:a.b.c.d is the IPv4 host a.b.c.d.
  static constexpr std::uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::memcmp(p.addr.data(), kMapped, sizeof kMapped) == 0) {
    Parsed v4;
    std::copy(p.addr.begin() + 12, p.addr.end(), v4.addr.begin());
    return v4;
  }
  return p;
}

void mask(std::array<std::uint8_t, 16>& addr, int prefix) {
  for (int i = 0; i < 16; ++i) {
    int bits = std::clamp(prefix - 8 * i, 0, 8);
    addr[static_cast<std::size_t>(i)] &= static_cast<std::uint8_t>(0xff00u >> bits);
  }
}

}  // namespace

// ---- BanList ----

BanList::BanList(std::size_t capacity) : capacity_(capacity == 0 ? 1 : capacity) {}

void BanList::erase(std::unordered_map<std::string, Ban>::iterator it) {
  by_expiry_.erase({it->second.until_ms, it->first});
  bans_.erase(it);
}

void BanList::ban(std::string_view ip, std::int64_t now_ms, std::int64_t until_ms,
                  std::string reason) {
  auto it = bans_.find(std::string(ip));
  if (it != bans_.end()) {
    if (it->second.until_ms <= now_ms) {
      erase(it);  // an expired ban: start afresh below
    } else {
      if (until_ms > it->second.until_ms) {
        by_expiry_.erase({it->second.until_ms, it->first});
        it->second.until_ms = until_ms;
        by_expiry_.emplace(until_ms, it->first);
      }
      if (!reason.empty()) {
        it->second.reason = std::move(reason);
      }
      return;
    }
  }
  if (until_ms <= now_ms) {
    return;
  }
  if (bans_.size() >= capacity_) {
    prune(now_ms);
  }
  if (bans_.size() >= capacity_) {
    // Full of bans in force: the one ending soonest makes room.
    erase(bans_.find(by_expiry_.begin()->second));
  }
  Ban b{std::string(ip), now_ms, until_ms, std::move(reason)};
  by_expiry_.emplace(until_ms, b.ip);
  bans_.emplace(b.ip, std::move(b));
}

bool BanList::is_banned(std::string_view ip, std::int64_t now_ms) const {
  return expiry(ip, now_ms).has_value();
}

std::optional<std::int64_t> BanList::expiry(std::string_view ip, std::int64_t now_ms) const {
  if (bans_.empty()) {
    return std::nullopt;  // the common case, without building a key
  }
  auto it = bans_.find(std::string(ip));
  if (it == bans_.end() || it->second.until_ms <= now_ms) {
    return std::nullopt;
  }
  return it->second.until_ms;
}

std::vector<Ban> BanList::list(std::int64_t now_ms) const {
  std::vector<Ban> out;
  for (const auto& [ip, b] : bans_) {
    if (b.until_ms > now_ms) {
      out.push_back(b);
    }
  }
  std::sort(out.begin(), out.end(), [](const Ban& a, const Ban& b) { return a.ip < b.ip; });
  return out;
}

bool BanList::lift(std::string_view ip) {
  auto it = bans_.find(std::string(ip));
  if (it == bans_.end()) {
    return false;
  }
  erase(it);
  return true;
}

std::size_t BanList::prune(std::int64_t now_ms) {
  std::size_t n = 0;
  while (!by_expiry_.empty() && by_expiry_.begin()->first <= now_ms) {
    bans_.erase(by_expiry_.begin()->second);
    by_expiry_.erase(by_expiry_.begin());
    ++n;
  }
  return n;
}

// ---- AuthFailureTracker ----

AuthFailureTracker::AuthFailureTracker(AuthFailurePolicy policy)
    : policy_(policy), table_(policy.max_tracked) {
  if (policy_.max_failures < 1) {
    policy_.max_failures = 1;
  }
}

bool AuthFailureTracker::record_failure(std::string_view ip, std::int64_t now_ms, BanList& bans) {
  const std::int64_t window = policy_.window_ms;
  table_.prune_oldest(
      [&](const std::vector<std::int64_t>& times) {
        return times.empty() || now_ms - times.back() >= window;
      },
      kPruneStep);
  auto& times = table_.get_or_insert(ip, {});
  // Sliding window: failures at or before now - window no longer count.
  auto first_in =
      std::find_if(times.begin(), times.end(), [&](std::int64_t t) { return now_ms - t < window; });
  times.erase(times.begin(), first_in);
  times.push_back(now_ms);
  if (static_cast<int>(times.size()) < policy_.max_failures) {
    return false;
  }
  bans.ban(ip, now_ms, now_ms + policy_.ban_ms, std::string(policy_.ban_reason));
  table_.erase(ip);
  return true;
}

int AuthFailureTracker::failures(std::string_view ip, std::int64_t now_ms) const {
  const auto* times = table_.peek(ip);
  if (times == nullptr) {
    return 0;
  }
  return static_cast<int>(std::count_if(times->begin(), times->end(), [&](std::int64_t t) {
    return now_ms - t < policy_.window_ms;
  }));
}

void AuthFailureTracker::forget(std::string_view ip) {
  table_.erase(ip);
}

std::size_t AuthFailureTracker::prune(std::int64_t now_ms) {
  return table_.prune_oldest([&](const std::vector<std::int64_t>& times) {
    return times.empty() || now_ms - times.back() >= policy_.window_ms;
  });
}

// ---- RateLimiter ----

RateLimiter::RateLimiter(RateLimitPolicy policy) : policy_(policy), table_(policy.max_tracked) {
  if (!(policy_.rate_per_s > 0)) {
    policy_.rate_per_s = 1e-9;  // a misconfiguration: effectively no refill
  }
  if (!(policy_.burst >= 1)) {
    policy_.burst = 1;
  }
  full_refill_ms_ =
      static_cast<std::int64_t>(std::ceil(policy_.burst / policy_.rate_per_s * 1000.0));
}

double RateLimiter::refilled(const Bucket& b, std::int64_t now_ms) const {
  // A clock that steps back refills nothing rather than draining the bucket.
  std::int64_t elapsed = std::max<std::int64_t>(0, now_ms - b.last_ms);
  return std::min(policy_.burst,
                  b.tokens + static_cast<double>(elapsed) * policy_.rate_per_s / 1000.0);
}

bool RateLimiter::idle(const Bucket& b, std::int64_t now_ms) const {
  // Monotone in last use, so that pruning from the least recently used end is complete.
  return now_ms - b.last_ms >= full_refill_ms_;
}

bool RateLimiter::allow(std::string_view ip, std::int64_t now_ms, double cost) {
  table_.prune_oldest([&](const Bucket& b) { return idle(b, now_ms); }, kPruneStep);
  Bucket& b = table_.get_or_insert(ip, Bucket{policy_.burst, now_ms});
  b.tokens = refilled(b, now_ms);
  b.last_ms = std::max(b.last_ms, now_ms);
  if (b.tokens < cost) {
    return false;
  }
  b.tokens -= cost;
  return true;
}

void RateLimiter::refund(std::string_view ip, double cost) {
  if (Bucket* b = table_.find(ip)) {
    b->tokens = std::min(policy_.burst, b->tokens + cost);
  }
}

double RateLimiter::tokens(std::string_view ip, std::int64_t now_ms) const {
  const Bucket* b = table_.peek(ip);
  return b == nullptr ? policy_.burst : refilled(*b, now_ms);
}

std::size_t RateLimiter::prune(std::int64_t now_ms) {
  return table_.prune_oldest([&](const Bucket& b) { return idle(b, now_ms); });
}

// ---- TrustedNetworks ----

Result<TrustedNetworks> TrustedNetworks::parse(std::span<const std::string> cidrs) {
  TrustedNetworks t;
  for (const auto& c : cidrs) {
    if (auto r = t.add(c); !r) {
      return fail(std::move(r).error());
    }
  }
  return t;
}

Expected<void, Error> TrustedNetworks::add(std::string_view cidr) {
  auto bad = [&](std::string_view why) {
    return fail(Error::invalid("trusted_networks",
                               "bad network \"" + std::string(cidr) + "\": " + std::string(why)));
  };
  std::string_view addr = cidr;
  std::optional<int> prefix;
  if (auto slash = cidr.find('/'); slash != std::string_view::npos) {
    addr = cidr.substr(0, slash);
    std::string_view p = cidr.substr(slash + 1);
    if (p.empty() || p.size() > 3 ||
        !std::all_of(p.begin(), p.end(), [](char ch) { return ch >= '0' && ch <= '9'; })) {
      return bad("the prefix length is not a number");
    }
    int v = 0;
    for (char ch : p) {
      v = v * 10 + (ch - '0');
    }
    prefix = v;
  }
  if (addr.find('%') != std::string_view::npos || addr.find('[') != std::string_view::npos) {
    return bad("not an IPv4 or IPv6 address");
  }
  std::string s(addr);
  Net n;
  if (s.find(':') == std::string::npos) {
    if (inet_pton(AF_INET, s.c_str(), n.addr.data()) != 1) {
      return bad("not an IPv4 or IPv6 address");
    }
    n.prefix = prefix.value_or(32);
    if (n.prefix > 32) {
      return bad("an IPv4 prefix is at most 32");
    }
  } else {
    if (inet_pton(AF_INET6, s.c_str(), n.addr.data()) != 1) {
      return bad("not an IPv4 or IPv6 address");
    }
    n.v6 = true;
    n.prefix = prefix.value_or(128);
    if (n.prefix > 128) {
      return bad("an IPv6 prefix is at most 128");
    }
  }
  mask(n.addr, n.prefix);
  nets_.push_back(n);
  return {};
}

bool TrustedNetworks::contains(std::string_view ip) const {
  if (nets_.empty()) {
    return false;
  }
  auto p = parse_address(ip);
  if (!p) {
    return false;
  }
  for (const Net& n : nets_) {
    if (n.v6 != p->v6) {
      continue;
    }
    auto a = p->addr;
    mask(a, n.prefix);
    if (a == n.addr) {
      return true;
    }
  }
  return false;
}

}  // namespace cohort::pbx
