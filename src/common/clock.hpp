#pragma once
// Time is an input: pure code takes a Clock (or a TimePoint) instead of reading the
// system clock, so tests can drive it. The real clock is store/system_clock.hpp (shell).

#include <chrono>
#include <cstdint>

namespace cohort {

using SystemTime = std::chrono::system_clock::time_point;

class Clock {
 public:
  virtual ~Clock() = default;
  /// Wall-clock time. Thread-safe.
  virtual SystemTime now() const = 0;
};

/// A clock that tests set by hand.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(SystemTime t = SystemTime{}) : t_(t) {}
  SystemTime now() const override { return t_; }
  void set(SystemTime t) { t_ = t; }
  void advance(std::chrono::nanoseconds d) { t_ += d; }

 private:
  SystemTime t_;
};

/// Unix seconds, the storage format of timestamps.
inline std::int64_t unix_seconds(SystemTime t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

}  // namespace cohort
