#pragma once
// PURE (given the system's tz database, loaded once): whether a Schedule is open at an
// instant, and until when (issue 5, docs/routing.md "Business hours"). Times are unix
// milliseconds; local times are those of the schedule's IANA time zone, DST included.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "model/entities.hpp"

namespace cohort::routing {

struct ScheduleState {
  bool open = false;
  /// The next instant `open` flips (a change of reason alone is not reported); nullopt =
  /// never (an override, or a schedule that is never open / always open within the ~400
  /// days searched).
  std::optional<std::int64_t> until_ms;
  /// Why: "override", "holiday", "hours" (inside an open interval), "outside_hours".
  std::string reason;
  std::string holiday;  ///< the holiday's name when reason == "holiday"
  bool operator==(const ScheduleState&) const = default;
};

/// True when `iana` names a zone of the tz database ("Europe/Berlin", "UTC").
bool known_timezone(std::string_view iana);

/// The state of `schedule` at `now_ms`. An unknown time zone is treated as UTC (the API
/// refuses to store one). Holidays close whole local days, but an overnight interval belongs
/// to the day it starts on; wall-clock boundaries in a DST gap are the gap's end, ambiguous
/// ones the earlier instant (docs/routing.md "Business hours").
ScheduleState schedule_state(const model::Schedule& schedule, std::int64_t now_ms);

/// Unix milliseconds of the local midnight that starts the day containing `now_ms` in zone
/// `iana` (UTC when unknown): "today" for the fewest_calls strategy.
std::int64_t local_day_start_ms(std::string_view iana, std::int64_t now_ms);

}  // namespace cohort::routing
