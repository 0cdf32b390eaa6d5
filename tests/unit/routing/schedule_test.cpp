#include "routing/schedule.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace cohort::routing {
namespace {

using model::Holiday;
using model::Schedule;
using model::ScheduleOverride;
using model::WeeklyInterval;

// Expected instants are written by hand in UTC (the local time they stand for in the
// comment beside them), never computed with the code under test: std::chrono's calendar
// only turns a UTC date and time into unix milliseconds.
std::int64_t utc(int y, unsigned mo, unsigned d, int h = 0, int mi = 0) {
  namespace chr = std::chrono;
  const chr::sys_days date{chr::year{y} / chr::month{mo} / chr::day{d}};
  return chr::duration_cast<chr::milliseconds>(date.time_since_epoch() + chr::hours{h} +
                                               chr::minutes{mi})
      .count();
}

constexpr int hm(int h, int m = 0) {
  return h * 60 + m;
}

constexpr std::uint8_t kWeekdays =
    model::kMon | model::kTue | model::kWed | model::kThu | model::kFri;
constexpr std::uint8_t kEveryDay = kWeekdays | model::kSat | model::kSun;

Schedule schedule(std::string tz, std::vector<WeeklyInterval> weekly,
                  std::vector<Holiday> holidays = {}) {
  Schedule s;
  s.timezone = std::move(tz);
  s.weekly = std::move(weekly);
  s.holidays = std::move(holidays);
  return s;
}

ScheduleState open_until(std::optional<std::int64_t> until) {
  return ScheduleState{true, until, "hours", {}};
}
ScheduleState closed_until(std::optional<std::int64_t> until) {
  return ScheduleState{false, until, "outside_hours", {}};
}
ScheduleState holiday_until(std::string name, std::optional<std::int64_t> until) {
  return ScheduleState{false, until, "holiday", std::move(name)};
}

struct Case {
  const char* what;
  std::int64_t now;
  ScheduleState want;
};

void expect_states(const Schedule& s, const std::vector<Case>& cases) {
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    const ScheduleState got = schedule_state(s, c.now);
    EXPECT_EQ(got.open, c.want.open);
    EXPECT_EQ(got.until_ms, c.want.until_ms);
    EXPECT_EQ(got.reason, c.want.reason);
    EXPECT_EQ(got.holiday, c.want.holiday);
  }
}

// 2026-03-02 is a Monday, 2026-03-06 a Friday.

TEST(Schedule, WeeklyIntervalOpenAndClosedWithTheNextChange) {
  const Schedule s = schedule("UTC", {{kWeekdays, hm(9), hm(17)}});
  expect_states(
      s, {
             {"monday before opening", utc(2026, 3, 2, 8, 59), closed_until(utc(2026, 3, 2, 9))},
             {"at opening", utc(2026, 3, 2, 9), open_until(utc(2026, 3, 2, 17))},
             {"monday morning", utc(2026, 3, 2, 10), open_until(utc(2026, 3, 2, 17))},
             {"one ms before closing", utc(2026, 3, 2, 17) - 1, open_until(utc(2026, 3, 2, 17))},
             {"at closing", utc(2026, 3, 2, 17), closed_until(utc(2026, 3, 3, 9))},
             {"friday evening", utc(2026, 3, 6, 18), closed_until(utc(2026, 3, 9, 9))},
             {"saturday", utc(2026, 3, 7, 12), closed_until(utc(2026, 3, 9, 9))},
             {"sunday", utc(2026, 3, 8, 23, 59), closed_until(utc(2026, 3, 9, 9))},
         });
}

TEST(Schedule, SeveralIntervalsADayAreTheirUnion) {
  // Given out of order on purpose.
  const Schedule touching =
      schedule("UTC", {{kWeekdays, hm(12), hm(17)}, {kWeekdays, hm(9), hm(12)}});
  expect_states(touching, {
                              {"morning runs on through noon", utc(2026, 3, 2, 10),
                               open_until(utc(2026, 3, 2, 17))},
                              {"afternoon", utc(2026, 3, 2, 12), open_until(utc(2026, 3, 2, 17))},
                          });
  const Schedule lunch = schedule("UTC", {{kWeekdays, hm(13), hm(17)}, {kWeekdays, hm(9), hm(12)}});
  expect_states(lunch, {
                           {"morning", utc(2026, 3, 2, 10), open_until(utc(2026, 3, 2, 12))},
                           {"lunch", utc(2026, 3, 2, 12, 30), closed_until(utc(2026, 3, 2, 13))},
                           {"afternoon", utc(2026, 3, 2, 13), open_until(utc(2026, 3, 2, 17))},
                           {"evening", utc(2026, 3, 2, 17), closed_until(utc(2026, 3, 3, 9))},
                       });
  const Schedule overlapping = schedule(
      "UTC",
      {{kWeekdays, hm(9), hm(13)}, {kWeekdays, hm(12), hm(17)}, {model::kMon, hm(10), hm(11)}});
  expect_states(overlapping,
                {
                    {"inside both", utc(2026, 3, 2, 12, 30), open_until(utc(2026, 3, 2, 17))},
                    {"inside the first", utc(2026, 3, 2, 9, 30), open_until(utc(2026, 3, 2, 17))},
                });
}

TEST(Schedule, OvernightIntervalRunsIntoTheNextDay) {
  // Friday 22:00 – Saturday 02:00; Saturday itself has no interval.
  const Schedule s = schedule("UTC", {{model::kFri, hm(22), hm(2)}});
  expect_states(s,
                {
                    {"friday before", utc(2026, 3, 6, 21), closed_until(utc(2026, 3, 6, 22))},
                    {"friday night", utc(2026, 3, 6, 23), open_until(utc(2026, 3, 7, 2))},
                    {"saturday morning part", utc(2026, 3, 7, 1), open_until(utc(2026, 3, 7, 2))},
                    {"after it", utc(2026, 3, 7, 2), closed_until(utc(2026, 3, 13, 22))},
                    {"thursday night", utc(2026, 3, 5, 23), closed_until(utc(2026, 3, 6, 22))},
                });
  // An interval starting as the overnight one ends continues it.
  const Schedule chained =
      schedule("UTC", {{model::kFri, hm(22), hm(2)}, {model::kSat, hm(2), hm(4)}});
  expect_states(chained, {
                             {"friday night", utc(2026, 3, 6, 23), open_until(utc(2026, 3, 7, 4))},
                         });
}

TEST(Schedule, FromEqualToIsAWholeDayFromThatTime) {
  expect_states(schedule("UTC", {{model::kMon, 0, 0}}),
                {
                    {"monday", utc(2026, 3, 2, 5), open_until(utc(2026, 3, 3))},
                    {"monday midnight", utc(2026, 3, 2), open_until(utc(2026, 3, 3))},
                    {"tuesday", utc(2026, 3, 3, 5), closed_until(utc(2026, 3, 9))},
                });
  expect_states(schedule("UTC", {{model::kMon, hm(18), hm(18)}}),
                {
                    {"monday afternoon", utc(2026, 3, 2, 17), closed_until(utc(2026, 3, 2, 18))},
                    {"tuesday morning", utc(2026, 3, 3, 10), open_until(utc(2026, 3, 3, 18))},
                });
}

TEST(Schedule, NeverChangingWithinTheHorizonHasNoUntil) {
  expect_states(schedule("UTC", {{kEveryDay, 0, 0}}),
                {{"always open", utc(2026, 3, 2, 10), open_until(std::nullopt)}});
  expect_states(schedule("UTC", {}),
                {{"no interval", utc(2026, 3, 2, 10), closed_until(std::nullopt)}});
  // Always open but for Christmas, 298 days ahead: found.
  expect_states(
      schedule("UTC", {{kEveryDay, 0, 0}}, {{"Christmas", 20261225, 20261225, false}}),
      {{"open until christmas", utc(2026, 3, 2, 10), open_until(utc(2026, 12, 25))},
       {"christmas", utc(2026, 12, 25, 10), holiday_until("Christmas", utc(2026, 12, 26))}});
  // Every day a holiday: closed for good.
  expect_states(schedule("UTC", {{kWeekdays, hm(9), hm(17)}}, {{"Closed", 101, 1231, true}}),
                {{"all year", utc(2026, 3, 2, 10), holiday_until("Closed", std::nullopt)}});
}

TEST(Schedule, HolidaysCloseTheWholeDay) {
  const std::vector<WeeklyInterval> office{{kWeekdays, hm(9), hm(17)}};
  struct HolidayCase {
    const char* what;
    Holiday holiday;
    std::int64_t now;
    ScheduleState want;
  };
  const std::vector<HolidayCase> cases{
      {"single date",
       {"Founders", 20260302, 20260302, false},
       utc(2026, 3, 2, 10),
       holiday_until("Founders", utc(2026, 3, 3, 9))},
      {"the day after it",
       {"Founders", 20260302, 20260302, false},
       utc(2026, 3, 3, 10),
       open_until(utc(2026, 3, 3, 17))},
      {"range, last day",
       {"Stocktake", 20260302, 20260304, false},
       utc(2026, 3, 4, 10),
       holiday_until("Stocktake", utc(2026, 3, 5, 9))},
      {"range, first day before opening",
       {"Stocktake", 20260302, 20260304, false},
       utc(2026, 3, 2, 8),
       holiday_until("Stocktake", utc(2026, 3, 5, 9))},
      {"range, day before it",
       {"Stocktake", 20260302, 20260304, false},
       utc(2026, 2, 27, 18),
       closed_until(utc(2026, 3, 5, 9))},
      {"range, after it",
       {"Stocktake", 20260302, 20260304, false},
       utc(2026, 3, 5, 10),
       open_until(utc(2026, 3, 5, 17))},
      {"on a day without hours",
       {"Fair", 20260307, 20260307, false},
       utc(2026, 3, 7, 12),
       holiday_until("Fair", utc(2026, 3, 9, 9))},
      {"yearly, another year",
       {"Christmas", 19991225, 19991226, true},
       utc(2026, 12, 25, 10),
       holiday_until("Christmas", utc(2026, 12, 28, 9))},
      {"yearly wrapping, december",
       {"New Year", 20001231, 20000102, true},
       utc(2026, 12, 31, 10),
       holiday_until("New Year", utc(2027, 1, 4, 9))},
      {"yearly wrapping, january",
       {"New Year", 20001231, 20000102, true},
       utc(2027, 1, 1, 10),
       holiday_until("New Year", utc(2027, 1, 4, 9))},
      {"yearly wrapping, before it",
       {"New Year", 20001231, 20000102, true},
       utc(2026, 12, 30, 10),
       open_until(utc(2026, 12, 30, 17))},
      {"yearly wrapping, after it",
       {"New Year", 20001231, 20000102, true},
       utc(2027, 1, 4, 10),
       open_until(utc(2027, 1, 4, 17))},
      {"not yearly: other years stay open",
       {"Once", 20250302, 20250302, false},
       utc(2026, 3, 2, 10),
       open_until(utc(2026, 3, 2, 17))},
  };
  for (const HolidayCase& c : cases) {
    SCOPED_TRACE(c.what);
    EXPECT_EQ(schedule_state(schedule("UTC", office, {c.holiday}), c.now), c.want);
  }
}

TEST(Schedule, TheFirstMatchingHolidayNamesTheDay) {
  const Schedule s =
      schedule("UTC", {{kWeekdays, hm(9), hm(17)}},
               {{"Week", 20260302, 20260306, false}, {"Day", 20260303, 20260303, false}});
  EXPECT_EQ(schedule_state(s, utc(2026, 3, 3, 10)).holiday, "Week");
}

TEST(Schedule, AnOvernightIntervalBelongsToTheDayItStartsOn) {
  const std::vector<WeeklyInterval> friday_night{{model::kFri, hm(22), hm(2)}};
  // Saturday a holiday: Friday is not, so its interval still runs until 02:00.
  expect_states(schedule("UTC", friday_night, {{"Sat", 20260307, 20260307, false}}),
                {
                    {"spill into the holiday", utc(2026, 3, 7, 1), open_until(utc(2026, 3, 7, 2))},
                    {"the rest of the holiday", utc(2026, 3, 7, 3),
                     holiday_until("Sat", utc(2026, 3, 13, 22))},
                });
  // Friday a holiday: no interval that night, not even its Saturday part.
  expect_states(
      schedule("UTC", friday_night, {{"Fri", 20260306, 20260306, false}}),
      {
          {"friday night", utc(2026, 3, 6, 23), holiday_until("Fri", utc(2026, 3, 13, 22))},
          {"saturday morning", utc(2026, 3, 7, 1), closed_until(utc(2026, 3, 13, 22))},
      });
}

TEST(Schedule, OverridesWinOverEverything) {
  Schedule s = schedule("UTC", {{kEveryDay, 0, 0}}, {{"Day", 20260302, 20260302, false}});
  s.override_mode = ScheduleOverride::kClosed;
  EXPECT_EQ(schedule_state(s, utc(2026, 3, 3, 10)),
            (ScheduleState{false, std::nullopt, "override", {}}));
  s.override_mode = ScheduleOverride::kOpen;
  EXPECT_EQ(schedule_state(s, utc(2026, 3, 2, 10)),
            (ScheduleState{true, std::nullopt, "override", {}}));
  s.weekly.clear();
  EXPECT_EQ(schedule_state(s, utc(2026, 3, 2, 10)),
            (ScheduleState{true, std::nullopt, "override", {}}));
}

// America/New_York: EST (UTC-5) until 2026-03-08 02:00 -> 03:00 EDT (UTC-4), back at
// 2026-11-01 02:00 EDT -> 01:00 EST.
TEST(Schedule, NewYorkDaylightSavingTime) {
  expect_states(
      schedule("America/New_York", {{kEveryDay, hm(9), hm(17)}}),
      {
          {"friday 08:00 EST", utc(2026, 3, 6, 13), closed_until(utc(2026, 3, 6, 14))},
          {"saturday 10:00 EST", utc(2026, 3, 7, 15), open_until(utc(2026, 3, 7, 22))},
          {"saturday 18:00 EST, opens 09:00 EDT", utc(2026, 3, 7, 23),
           closed_until(utc(2026, 3, 8, 13))},
          {"sunday 12:00 EDT", utc(2026, 3, 8, 16), open_until(utc(2026, 3, 8, 21))},
          {"monday 08:00 EDT", utc(2026, 3, 9, 12), closed_until(utc(2026, 3, 9, 13))},
          {"october 31 10:00 EDT", utc(2026, 10, 31, 14), open_until(utc(2026, 10, 31, 21))},
          {"october 31 18:00 EDT, opens 09:00 EST", utc(2026, 10, 31, 22),
           closed_until(utc(2026, 11, 1, 14))},
          {"november 1 10:00 EST", utc(2026, 11, 1, 15), open_until(utc(2026, 11, 1, 22))},
      });
  expect_states(schedule("America/New_York", {{kEveryDay, hm(22), hm(6)}}),
                {
                    {"march 7 21:00 EST", utc(2026, 3, 8, 2), closed_until(utc(2026, 3, 8, 3))},
                    {"spring night: 22:00 EST to 06:00 EDT, 7 h", utc(2026, 3, 8, 3),
                     open_until(utc(2026, 3, 8, 10))},
                    {"march 8 07:00 EDT", utc(2026, 3, 8, 11), closed_until(utc(2026, 3, 9, 2))},
                    {"autumn night: 22:00 EDT to 06:00 EST, 9 h", utc(2026, 11, 1, 2),
                     open_until(utc(2026, 11, 1, 11))},
                });
  // Boundaries inside the spring gap start when the gap ends; ambiguous autumn times are
  // the first of the two.
  expect_states(schedule("America/New_York", {{model::kSun, hm(2, 30), hm(4)}}),
                {
                    {"01:00 EST", utc(2026, 3, 8, 6), closed_until(utc(2026, 3, 8, 7))},
                    {"03:30 EDT", utc(2026, 3, 8, 7, 30), open_until(utc(2026, 3, 8, 8))},
                });
  expect_states(
      schedule("America/New_York", {{model::kSun, hm(1, 30), hm(3)}}),
      {
          {"01:00 EDT", utc(2026, 11, 1, 5), closed_until(utc(2026, 11, 1, 5, 30))},
          {"01:30 EDT to 03:00 EST", utc(2026, 11, 1, 5, 30), open_until(utc(2026, 11, 1, 8))},
      });
  // Wholly inside the gap: never open that day.
  expect_states(schedule("America/New_York", {{model::kSun, hm(2, 10), hm(2, 40)}}),
                {{"skipped", utc(2026, 3, 8, 6), closed_until(utc(2026, 3, 15, 6, 10))}});
}

// Europe/Berlin: CET (UTC+1) until 2026-03-29 02:00 -> 03:00 CEST (UTC+2), back at
// 2026-10-25 03:00 CEST -> 02:00 CET.
TEST(Schedule, BerlinDaylightSavingTime) {
  expect_states(
      schedule("Europe/Berlin", {{kEveryDay, hm(9), hm(17)}}),
      {
          {"march 28 10:00 CET", utc(2026, 3, 28, 9), open_until(utc(2026, 3, 28, 16))},
          {"march 28 18:00 CET, opens 09:00 CEST", utc(2026, 3, 28, 17),
           closed_until(utc(2026, 3, 29, 7))},
          {"march 29 10:00 CEST", utc(2026, 3, 29, 8), open_until(utc(2026, 3, 29, 15))},
          {"october 24 18:00 CEST, opens 09:00 CET", utc(2026, 10, 24, 16),
           closed_until(utc(2026, 10, 25, 8))},
          {"october 25 10:00 CET", utc(2026, 10, 25, 9), open_until(utc(2026, 10, 25, 16))},
      });
  expect_states(schedule("Europe/Berlin", {{kEveryDay, hm(22), hm(6)}}),
                {
                    {"spring night: 22:00 CET to 06:00 CEST, 7 h", utc(2026, 3, 28, 21),
                     open_until(utc(2026, 3, 29, 4))},
                    {"autumn night: 22:00 CEST to 06:00 CET, 9 h", utc(2026, 10, 24, 20),
                     open_until(utc(2026, 10, 25, 5))},
                });
}

// Australia/Sydney: AEDT (UTC+11) until 2026-04-05 03:00 -> 02:00 AEST (UTC+10), forward at
// 2026-10-04 02:00 AEST -> 03:00 AEDT.
TEST(Schedule, SydneyDaylightSavingTime) {
  expect_states(schedule("Australia/Sydney", {{kEveryDay, hm(9), hm(17)}}),
                {
                    {"april 4 10:00 AEDT", utc(2026, 4, 3, 23), open_until(utc(2026, 4, 4, 6))},
                    {"april 4 18:00 AEDT, opens 09:00 AEST", utc(2026, 4, 4, 7),
                     closed_until(utc(2026, 4, 4, 23))},
                    {"october 3 18:00 AEST, opens 09:00 AEDT", utc(2026, 10, 3, 8),
                     closed_until(utc(2026, 10, 3, 22))},
                });
  expect_states(schedule("Australia/Sydney", {{kEveryDay, hm(22), hm(6)}}),
                {
                    {"autumn night: 22:00 AEDT to 06:00 AEST, 9 h", utc(2026, 4, 4, 11),
                     open_until(utc(2026, 4, 4, 20))},
                    {"spring night: 22:00 AEST to 06:00 AEDT, 7 h", utc(2026, 10, 3, 12),
                     open_until(utc(2026, 10, 3, 19))},
                });
}

TEST(Schedule, HolidaysAreLocalDates) {
  // 2026-03-02 in New York starts at 05:00 UTC: at 03:00 UTC it is still March 1 there.
  const Schedule s =
      schedule("America/New_York", {{kEveryDay, 0, 0}}, {{"Day", 20260302, 20260302, false}});
  expect_states(
      s, {
             {"march 1 22:00 EST", utc(2026, 3, 2, 3), open_until(utc(2026, 3, 2, 5))},
             {"march 2 00:00 EST", utc(2026, 3, 2, 5), holiday_until("Day", utc(2026, 3, 3, 5))},
         });
}

TEST(Schedule, AnUnknownTimeZoneIsUtc) {
  const Schedule s = schedule("Mars/Olympus_Mons", {{kWeekdays, hm(9), hm(17)}});
  expect_states(s, {
                       {"before", utc(2026, 3, 2, 8), closed_until(utc(2026, 3, 2, 9))},
                       {"during", utc(2026, 3, 2, 10), open_until(utc(2026, 3, 2, 17))},
                   });
  EXPECT_EQ(local_day_start_ms("Mars/Olympus_Mons", utc(2026, 3, 2, 23, 59)), utc(2026, 3, 2));
}

TEST(Schedule, KnownTimezone) {
  for (const char* tz : {"UTC", "Europe/Berlin", "America/New_York", "Australia/Sydney"}) {
    EXPECT_TRUE(known_timezone(tz)) << tz;
  }
  for (const char* tz : {"", "Mars/Olympus_Mons", "Europe/", "Berlin", "UTC+1"}) {
    EXPECT_FALSE(known_timezone(tz)) << tz;
  }
}

TEST(Schedule, LocalDayStart) {
  struct DayCase {
    const char* tz;
    std::int64_t now;
    std::int64_t want;
  };
  const std::vector<DayCase> cases{
      {"UTC", utc(2026, 3, 2, 15, 30), utc(2026, 3, 2)},
      {"UTC", utc(2026, 3, 2), utc(2026, 3, 2)},
      {"America/New_York", utc(2026, 3, 8, 4), utc(2026, 3, 7, 5)},     // 7th 23:00 EST
      {"America/New_York", utc(2026, 3, 8, 16), utc(2026, 3, 8, 5)},    // spring day: EST midnight
      {"America/New_York", utc(2026, 3, 9, 16), utc(2026, 3, 9, 4)},    // EDT midnight
      {"America/New_York", utc(2026, 11, 1, 17), utc(2026, 11, 1, 4)},  // autumn: EDT midnight
      {"America/New_York", utc(2026, 11, 2, 17), utc(2026, 11, 2, 5)},
      {"Europe/Berlin", utc(2026, 3, 29, 10), utc(2026, 3, 28, 23)},
      {"Europe/Berlin", utc(2026, 3, 29, 23), utc(2026, 3, 29, 22)},  // 30th 01:00 CEST
      {"Australia/Sydney", utc(2026, 4, 5, 1), utc(2026, 4, 4, 13)},
      // Chile goes forward at midnight: 2026-09-06 starts at 01:00 -03.
      {"America/Santiago", utc(2026, 9, 6, 15), utc(2026, 9, 6, 4)},
  };
  for (const DayCase& c : cases) {
    SCOPED_TRACE(c.tz);
    EXPECT_EQ(local_day_start_ms(c.tz, c.now), c.want);
  }
}

}  // namespace
}  // namespace cohort::routing
