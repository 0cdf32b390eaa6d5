#include "api/sessions.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <vector>

#include "common/crypto.hpp"
#include "common/log.hpp"

namespace cohort::api {
namespace {

std::int64_t to_ms(SystemTime t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

// More than any one person's failures; bounds the memory an attacker spraying e-mails can
// take. Entries whose failures all left the window go first.
constexpr std::size_t kMaxThrottleKeys = 100'000;

}  // namespace

Sessions::Sessions(store::SessionStore& store, const Clock& clock, SessionPolicy policy)
    : store_(store), clock_(clock), policy_(policy) {}

std::int64_t Sessions::now_ms() const {
  return to_ms(clock_.now());
}

bool Sessions::expired(const store::SessionRecord& r, std::int64_t now) const {
  return now >= expires_at_ms(r);
}

std::int64_t Sessions::expires_at_ms(const store::SessionRecord& r) const {
  return std::min(r.created_ms + policy_.absolute.count(), r.last_seen_ms + policy_.idle.count());
}

Result<void> Sessions::load() {
  COHORT_TRY_ASSIGN(std::vector<store::SessionRecord> rows, store_.load_sessions());
  std::int64_t now = now_ms();
  std::vector<std::string> stale;
  std::lock_guard lock(mutex_);
  for (auto& r : rows) {
    if (expired(r, now)) {
      stale.push_back(r.id_sha256);
      continue;
    }
    std::int64_t seen = r.last_seen_ms;
    std::string id = r.id_sha256;
    by_id_.insert_or_assign(std::move(id), Entry{std::move(r), seen});
  }
  return store_.delete_sessions(stale);
}

Result<Sessions::Opened> Sessions::open(std::optional<model::UserId> user, store::SessionKind kind,
                                        std::string credential) {
  Opened o;
  o.secret = crypto::random_hex(32);
  o.csrf_token = csrf_of(o.secret);
  std::int64_t now = now_ms();
  o.record = store::SessionRecord{.id_sha256 = crypto::sha256_hex(o.secret),
                                  .user = user,
                                  .kind = kind,
                                  .credential = std::move(credential),
                                  .created_ms = now,
                                  .last_seen_ms = now};
  // Stored before the cookie is handed out: an acknowledged sign-in survives kill -9.
  COHORT_TRY(store_.save_session(o.record));
  std::lock_guard lock(mutex_);
  by_id_.insert_or_assign(o.record.id_sha256, Entry{o.record, now});
  return o;
}

std::optional<store::SessionRecord> Sessions::find(std::string_view secret) {
  std::string id = crypto::sha256_hex(secret);
  std::int64_t now = now_ms();
  std::optional<store::SessionRecord> persist;
  std::optional<store::SessionRecord> out;
  bool drop = false;
  {
    std::lock_guard lock(mutex_);
    auto it = by_id_.find(id);
    if (it == by_id_.end()) {
      return std::nullopt;
    }
    Entry& e = it->second;
    if (expired(e.record, now)) {
      by_id_.erase(it);
      drop = true;
    } else {
      e.record.last_seen_ms = now;
      if (now - e.persisted_seen_ms >= policy_.persist_every.count()) {
        e.persisted_seen_ms = now;
        persist = e.record;
      }
      out = e.record;
    }
  }
  // The store is written outside the lock: other requests need not wait on the disk.
  if (drop) {
    (void)store_.delete_sessions({id});
    return std::nullopt;
  }
  if (persist) {
    if (auto saved = store_.save_session(*persist); !saved) {
      spdlog::warn("session touch not saved error={}", log::Value{saved.error().message});
    }
  }
  return out;
}

void Sessions::close(std::string_view secret) {
  close_id(crypto::sha256_hex(secret));
}

void Sessions::close_id(const std::string& id_sha256) {
  {
    std::lock_guard lock(mutex_);
    by_id_.erase(id_sha256);
  }
  if (auto r = store_.delete_sessions({id_sha256}); !r) {
    spdlog::warn("session delete failed error={}", log::Value{r.error().message});
  }
}

void Sessions::close_user(model::UserId user) {
  std::vector<std::string> ids;
  {
    std::lock_guard lock(mutex_);
    for (auto it = by_id_.begin(); it != by_id_.end();) {
      if (it->second.record.user == user) {
        ids.push_back(it->first);
        it = by_id_.erase(it);
      } else {
        ++it;
      }
    }
  }
  if (auto r = store_.delete_sessions(ids); !r) {
    spdlog::warn("session delete failed user={} error={}", user, log::Value{r.error().message});
  }
}

std::string Sessions::csrf_of(std::string_view secret) {
  return crypto::sha256_hex(std::string("cohort-csrf:").append(secret));
}

std::size_t Sessions::size() const {
  std::lock_guard lock(mutex_);
  return by_id_.size();
}

LoginThrottle::LoginThrottle(const Clock& clock, int max_failures, std::chrono::seconds window)
    : clock_(clock), max_failures_(max_failures), window_(window) {}

std::int64_t LoginThrottle::retry_after_s(const std::string& key) {
  std::int64_t now = to_ms(clock_.now());
  std::int64_t window_ms = std::chrono::duration_cast<std::chrono::milliseconds>(window_).count();
  std::lock_guard lock(mutex_);
  auto it = failures_.find(key);
  if (it == failures_.end()) {
    return 0;
  }
  auto& times = it->second;
  std::erase_if(times, [&](std::int64_t t) { return t <= now - window_ms; });
  if (static_cast<int>(times.size()) < max_failures_) {
    return 0;
  }
  // Allowed again when enough failures have left the window to go below the limit.
  std::int64_t until = times[times.size() - static_cast<std::size_t>(max_failures_)] + window_ms;
  return std::max<std::int64_t>(1, (until - now + 999) / 1000);
}

void LoginThrottle::failed(const std::string& key) {
  std::int64_t now = to_ms(clock_.now());
  std::lock_guard lock(mutex_);
  if (failures_.size() >= kMaxThrottleKeys && !failures_.contains(key)) {
    prune(now);
  }
  auto& times = failures_[key];
  times.push_back(now);
  // Only the newest max_failures count; older ones cannot change an answer.
  if (times.size() > static_cast<std::size_t>(max_failures_)) {
    times.erase(times.begin());
  }
}

void LoginThrottle::succeeded(const std::string& key) {
  std::lock_guard lock(mutex_);
  failures_.erase(key);
}

void LoginThrottle::prune(std::int64_t now) {
  std::int64_t window_ms = std::chrono::duration_cast<std::chrono::milliseconds>(window_).count();
  std::erase_if(failures_, [&](const auto& kv) {
    return kv.second.empty() || kv.second.back() <= now - window_ms;
  });
  if (failures_.size() >= kMaxThrottleKeys) {
    // Still full of fresh failures (a spray): forget the whole table rather than grow.
    spdlog::warn("login throttle table full keys={}; cleared", failures_.size());
    failures_.clear();
  }
}

}  // namespace cohort::api
