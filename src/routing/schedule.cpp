#include "routing/schedule.hpp"

#include <algorithm>
#include <chrono>
#include <exception>
#include <vector>

#include <date/date.h>
#include <date/tz.h>

namespace cohort::routing {

namespace {

namespace chr = std::chrono;

using Ms = chr::milliseconds;
using SysMs = date::sys_time<Ms>;
using LocalMs = date::local_time<Ms>;

constexpr int kMinutesPerDay = 24 * 60;
/// How far ahead `until` is searched, in local days after today.
constexpr int kHorizonDays = 400;

/// The zone named `iana`, or nullptr (= UTC) when the tz database does not know it or
/// cannot be read. date-tz loads the database once, under its own lock.
const date::time_zone* find_zone(std::string_view iana) {
  try {
    return date::locate_zone(iana);
  } catch (const std::exception&) {
    return nullptr;
  }
}

LocalMs to_local(const date::time_zone* zone, SysMs t) {
  if (zone == nullptr) {
    return LocalMs{t.time_since_epoch()};
  }
  return zone->to_local(t);
}

/// The instant a local wall-clock time names: the earlier one when the clocks go back (the
/// time happens twice), and the end of the gap when they go forward (it never happens).
SysMs to_instant(const date::time_zone* zone, LocalMs t) {
  if (zone == nullptr) {
    return SysMs{t.time_since_epoch()};
  }
  return zone->to_sys(t, date::choose::earliest);
}

std::int64_t unix_ms(SysMs t) {
  return t.time_since_epoch().count();
}

/// yyyymmdd of a local day.
int yyyymmdd(date::local_days day) {
  const date::year_month_day ymd{day};
  return static_cast<int>(ymd.year()) * 10000 + static_cast<int>(unsigned{ymd.month()}) * 100 +
         static_cast<int>(unsigned{ymd.day()});
}

bool covers(const model::Holiday& h, int date) {
  if (!h.yearly) {
    return h.from <= date && date <= h.to;
  }
  // Month and day only; from > to is a range across the year end (12-24 … 01-02).
  const int md = date % 10000;
  const int from = h.from % 10000;
  const int to = h.to % 10000;
  return from <= to ? (from <= md && md <= to) : (md >= from || md <= to);
}

const model::Holiday* holiday_on(const model::Schedule& s, date::local_days day) {
  if (s.holidays.empty()) {
    return nullptr;
  }
  const int date = yyyymmdd(day);
  for (const auto& h : s.holidays) {
    if (covers(h, date)) {
      return &h;
    }
  }
  return nullptr;
}

/// Weekday bit of a local day: Monday bit 0 … Sunday bit 6.
unsigned day_bit(date::local_days day) {
  return 1U << (date::weekday{day}.iso_encoding() - 1);
}

/// Minutes an interval lasts: to <= from crosses midnight, from == to is a whole day.
int length_min(const model::WeeklyInterval& w) {
  return w.to_min > w.from_min ? w.to_min - w.from_min : kMinutesPerDay - w.from_min + w.to_min;
}

bool valid(const model::WeeklyInterval& w) {
  return (w.days & 0x7F) != 0 && w.from_min >= 0 && w.from_min < kMinutesPerDay && w.to_min >= 0 &&
         w.to_min < kMinutesPerDay;
}

ScheduleState closed_state(const model::Schedule& s, const date::time_zone* zone, SysMs now,
                           std::optional<std::int64_t> until) {
  ScheduleState st;
  st.open = false;
  st.until_ms = until;
  const auto today = chr::floor<date::days>(to_local(zone, now));
  if (const auto* h = holiday_on(s, today)) {
    st.reason = "holiday";
    st.holiday = h->name;
  } else {
    st.reason = "outside_hours";
  }
  return st;
}

}  // namespace

bool known_timezone(std::string_view iana) {
  return find_zone(iana) != nullptr;
}

ScheduleState schedule_state(const model::Schedule& schedule, std::int64_t now_ms) {
  switch (schedule.override_mode) {
    case model::ScheduleOverride::kOpen:
      return ScheduleState{true, std::nullopt, "override", {}};
    case model::ScheduleOverride::kClosed:
      return ScheduleState{false, std::nullopt, "override", {}};
    case model::ScheduleOverride::kAuto:
      break;
  }

  const date::time_zone* zone = find_zone(schedule.timezone);
  const SysMs now{Ms{now_ms}};

  // The intervals by start time, so that each day yields its open periods in order and the
  // periods of successive days come out sorted by start: one sweep merges them.
  std::vector<model::WeeklyInterval> weekly;
  weekly.reserve(schedule.weekly.size());
  for (const auto& w : schedule.weekly) {
    if (valid(w)) {
      weekly.push_back(w);
    }
  }
  if (weekly.empty()) {
    return closed_state(schedule, zone, now, std::nullopt);
  }
  std::sort(weekly.begin(), weekly.end(),
            [](const auto& a, const auto& b) { return a.from_min < b.from_min; });

  // Open periods are [start, end) instants of one day's intervals, that day not being a
  // holiday (an overnight interval belongs to the day it starts on, so it runs into a
  // holiday the next day). Local -> instant is non-decreasing, so the starts stay sorted;
  // overlapping or touching periods merge into one block. The first block that does not end
  // by `now` decides. A period covering `now` starts yesterday at the earliest (periods are
  // at most 24 h).
  const auto today = chr::floor<date::days>(to_local(zone, now));
  const auto last_day = today + date::days{kHorizonDays};

  bool have_block = false;
  bool decided = false;
  SysMs block_start{};
  SysMs block_end{};
  for (auto day = today - date::days{1}; day <= last_day && !decided; day += date::days{1}) {
    const unsigned bit = day_bit(day);
    bool checked_holiday = false;
    for (const auto& w : weekly) {
      if ((w.days & bit) == 0) {
        continue;
      }
      if (!checked_holiday) {
        if (holiday_on(schedule, day) != nullptr) {
          break;
        }
        checked_holiday = true;
      }
      const LocalMs local_start = LocalMs{day} + chr::minutes{w.from_min};
      const SysMs start = to_instant(zone, local_start);
      const SysMs end = to_instant(zone, local_start + chr::minutes{length_min(w)});
      if (end <= start) {
        continue;  // wholly inside a spring-forward gap
      }
      if (have_block && start <= block_end) {
        block_end = std::max(block_end, end);
        continue;
      }
      if (have_block && block_end > now) {
        decided = true;  // open now, and this period starts after a gap: the block is final
        break;
      }
      have_block = true;
      block_start = start;
      block_end = end;
      if (block_start > now) {
        decided = true;  // closed now; the first open instant after now
        break;
      }
    }
    if (!decided && have_block && block_end > now) {
      // The next day's periods start at its midnight or later: a block ending before then is
      // final.
      decided = block_end < to_instant(zone, LocalMs{day + date::days{1}});
    }
  }

  if (!have_block || block_end <= now) {
    return closed_state(schedule, zone, now, std::nullopt);
  }
  if (now < block_start) {
    return closed_state(schedule, zone, now, unix_ms(block_start));
  }
  // Not decided: the block was still growing at the horizon, open for as far as we looked.
  return ScheduleState{
      true, decided ? std::optional{unix_ms(block_end)} : std::nullopt, "hours", {}};
}

std::int64_t local_day_start_ms(std::string_view iana, std::int64_t now_ms) {
  const date::time_zone* zone = find_zone(iana);
  const auto day = chr::floor<date::days>(to_local(zone, SysMs{Ms{now_ms}}));
  return unix_ms(to_instant(zone, LocalMs{day}));
}

}  // namespace cohort::routing
