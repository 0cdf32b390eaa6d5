#pragma once
// Auto-pause (issue 12): how one offer of a group call to a member counts toward pausing
// that member. Pure: the group's settings, the member's consecutive misses in the group so
// far and how the offer ended go in; the new count and the pause to apply, if any, come
// out. pbx::MissedCalls keeps the counts across calls and shards, pbx::AutoPauseWriter
// applies the pause through the store. The rules are in docs/routing.md "Auto-pause".

#include <cstdint>
#include <optional>
#include <string>

#include "model/call_record.hpp"
#include "model/entities.hpp"

namespace cohort::routing {

/// What an ended offer means for the member's count.
enum class OfferCount : std::uint8_t {
  kNeutral,      ///< cancelled: another member answered, the caller left, the group gave up
  kMiss,         ///< rang out, busy, declined
  kAnswer,       ///< answered: the count starts again
  kUnreachable,  ///< the phone did not respond at all, or the member had no phone registered
};

OfferCount classify(model::AttemptResult result);

/// Why a member was paused automatically.
enum class PauseCause : std::uint8_t { kMissedCalls, kUnreachable };

struct AutoPauseStep {
  int misses = 0;                   ///< the member's consecutive misses after this offer
  std::optional<PauseCause> pause;  ///< pause the member now (the count then starts again)
  bool operator==(const AutoPauseStep&) const = default;
};

/// Whether group `g` pauses anybody at all (so that nothing is counted for the others).
inline bool auto_pause_enabled(const model::Group& g) {
  return g.auto_pause_after > 0 || g.auto_pause_unreachable;
}

/// The member had `misses` consecutive misses in group `g`; an offer ended with `result`.
AutoPauseStep count_offer(const model::Group& g, int misses, model::AttemptResult result);

/// The pause reason shown in status: "auto: 3 missed calls", "auto: phone unreachable".
std::string pause_reason(PauseCause cause, int after);

std::string_view to_string(PauseCause cause);

}  // namespace cohort::routing
