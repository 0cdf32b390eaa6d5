#pragma once
// The real wall clock: the shell's one reader of the system clock for domain timestamps.
// Pure layers take a `Clock` (common/clock.hpp) or a time value instead (issue 11: a check
// in `make test` fails when common/, model/, sip/ or routing/ read a clock).

#include <chrono>

#include "common/clock.hpp"

namespace cohort {

class SystemClock final : public Clock {
 public:
  SystemTime now() const override { return std::chrono::system_clock::now(); }
};

}  // namespace cohort
