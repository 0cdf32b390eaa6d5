#include "pbx/source_guard.hpp"

#include <spdlog/spdlog.h>

#include "common/log.hpp"

#include <algorithm>

namespace cohort::pbx {

SourceGuard::SourceGuard(SourceGuardOptions options)
    : options_(std::move(options)),
      failures_(AuthFailurePolicy{options_.ban_after_failures, options_.ban_window_s * 1000,
                                  options_.ban_duration_s * 1000}),
      floods_(AuthFailurePolicy{.max_failures = std::max(1, options_.ban_after_failures) *
                                                std::max(1, options_.rate_burst),
                                .window_ms = options_.ban_window_s * 1000,
                                .ban_ms = options_.ban_duration_s * 1000,
                                .ban_reason = "rate limit exceeded"}),
      limiter_(RateLimitPolicy{static_cast<double>(options_.rate_per_second),
                               static_cast<double>(options_.rate_burst)}) {}

Result<void> SourceGuard::start() {
  COHORT_TRY_ASSIGN(trusted_, TrustedNetworks::parse(options_.trusted_networks));
  return {};
}

bool SourceGuard::admit(std::string_view ip, std::int64_t now_ms) {
  std::lock_guard lock(mu_);
  if (bans_.is_banned(ip, now_ms)) {
    ++n_banned_drops_;
    return false;
  }
  return true;
}

bool SourceGuard::take_token(std::string_view ip, std::int64_t now_ms, bool credentials) {
  std::string_view banned_for;
  {
    std::lock_guard lock(mu_);
    if (limiter_.allow(ip, now_ms)) {
      return true;
    }
    ++n_rate_limited_;
    if (credentials && failures_.record_failure(ip, now_ms, bans_)) {
      banned_for = "credentials_over_rate_limit";
    } else if (floods_.record_failure(ip, now_ms, bans_)) {
      banned_for = "rate_limit_exceeded";
    }
  }
  if (!banned_for.empty()) {
    ++n_bans_;
    spdlog::warn("security event=ban source={} cause={} rate_per_second={} burst={} ban_s={}", ip,
                 banned_for, options_.rate_per_second, options_.rate_burst,
                 options_.ban_duration_s);
  }
  return false;
}

void SourceGuard::refund(std::string_view ip) {
  std::lock_guard lock(mu_);
  limiter_.refund(ip);
}

void SourceGuard::record_failure(std::string_view ip, std::string_view username,
                                 std::int64_t now_ms) {
  bool banned = false;
  {
    std::lock_guard lock(mu_);
    banned = failures_.record_failure(ip, now_ms, bans_);
  }
  if (banned) {
    ++n_bans_;
    spdlog::warn("security event=ban source={} last_username={} failures={} window_s={} ban_s={}",
                 ip, log::Value{username}, options_.ban_after_failures, options_.ban_window_s,
                 options_.ban_duration_s);
  }
}

void SourceGuard::prune(std::int64_t now_ms) {
  std::lock_guard lock(mu_);
  bans_.prune(now_ms);
  failures_.prune(now_ms);
  floods_.prune(now_ms);
  limiter_.prune(now_ms);
}

std::vector<Ban> SourceGuard::bans(std::int64_t now_ms) const {
  std::lock_guard lock(mu_);
  return bans_.list(now_ms);
}

bool SourceGuard::lift_ban(const std::string& ip) {
  std::lock_guard lock(mu_);
  failures_.forget(ip);
  floods_.forget(ip);
  const bool lifted = bans_.lift(ip);
  if (lifted) {
    spdlog::warn("security event=ban_lifted source={}", ip);
  }
  return lifted;
}

}  // namespace cohort::pbx
