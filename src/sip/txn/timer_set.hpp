#pragma once
// Which timers a machine has armed, and with which generation. Generations let the shell
// stay simple: it never has to cancel a timer reliably, because a TimerFired that is not
// the live generation of its timer is ignored.

#include <array>
#include <cstdint>

#include "sip/txn/types.hpp"

namespace cohort::sip::txn {

class TimerSet {
 public:
  /// Arms `timer` with a fresh generation and returns the action that asks the shell to.
  StartTimer arm(TimerName timer, Duration after, TimePoint now) {
    const std::uint32_t generation = ++last_generation_;
    live_[index(timer)] = generation;
    return StartTimer{timer, after, now + after, generation};
  }
  /// Appends CancelTimer when `timer` was armed.
  void disarm(TimerName timer, Actions& out) {
    if (live_[index(timer)] != 0) {
      live_[index(timer)] = 0;
      out.emplace_back(CancelTimer{timer});
    }
  }
  /// Forgets every timer without actions: Terminated tells the shell to drop them all.
  void clear() { live_.fill(0); }
  /// Whether `fired` is the live generation of its timer; a timer fires once, so it is
  /// disarmed here.
  bool accept(const TimerFired& fired) {
    std::uint32_t& live = live_[index(fired.timer)];
    if (live == 0 || live != fired.generation) {
      return false;
    }
    live = 0;
    return true;
  }
  bool armed(TimerName timer) const { return live_[index(timer)] != 0; }

 private:
  static std::size_t index(TimerName timer) { return static_cast<std::size_t>(timer); }

  std::array<std::uint32_t, kTimerCount> live_{};  // 0: not armed
  std::uint32_t last_generation_ = 0;
};

}  // namespace cohort::sip::txn
