#include "routing/auto_pause.hpp"

namespace cohort::routing {

OfferCount classify(model::AttemptResult result) {
  switch (result) {
    case model::AttemptResult::kAnswered:
      return OfferCount::kAnswer;
    case model::AttemptResult::kNoAnswer:
    case model::AttemptResult::kBusy:
    case model::AttemptResult::kDeclined:
      return OfferCount::kMiss;
    case model::AttemptResult::kFailed:
    case model::AttemptResult::kUnreachable:
      return OfferCount::kUnreachable;
    case model::AttemptResult::kCancelled:
      return OfferCount::kNeutral;
  }
  return OfferCount::kNeutral;
}

AutoPauseStep count_offer(const model::Group& g, int misses, model::AttemptResult result) {
  if (!auto_pause_enabled(g)) {
    return {};
  }
  OfferCount kind = classify(result);
  if (kind == OfferCount::kUnreachable) {
    if (g.auto_pause_unreachable) {
      return {0, PauseCause::kUnreachable};
    }
    // Without the unreachable rule a phone that does not answer is a call not taken.
    kind = OfferCount::kMiss;
  }
  switch (kind) {
    case OfferCount::kAnswer:
      return {};
    case OfferCount::kNeutral:
      return {misses, std::nullopt};
    case OfferCount::kMiss:
    case OfferCount::kUnreachable:
      break;
  }
  if (g.auto_pause_after <= 0) {
    return {};
  }
  if (misses + 1 >= g.auto_pause_after) {
    return {0, PauseCause::kMissedCalls};
  }
  return {misses + 1, std::nullopt};
}

std::string pause_reason(PauseCause cause, int after) {
  if (cause == PauseCause::kUnreachable) {
    return "auto: phone unreachable";
  }
  return after == 1 ? std::string("auto: 1 missed call")
                    : "auto: " + std::to_string(after) + " missed calls";
}

std::string_view to_string(PauseCause cause) {
  return cause == PauseCause::kUnreachable ? "unreachable" : "missed_calls";
}

}  // namespace cohort::routing
