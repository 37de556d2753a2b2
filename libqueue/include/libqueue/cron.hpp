// Cron expressions as crontab(5) writes them: five fields (minute, hour, day of month, month,
// day of week) of `*`, numbers, ranges `a-b`, steps `*/n` `a-b/n` `a/n`, lists `a,b`, month
// and day names (jan..dec, sun..sat; 7 is Sunday too), or one of @yearly @annually @monthly
// @weekly @daily @midnight @hourly. When both day fields are restricted (neither starts with
// `*`) a day matching either one matches, as in Vixie cron and cronie.
//
// Ticks are wall-clock times in a time zone from the system's tz database. A wall-clock time
// skipped by a daylight-saving change fires when the skipped hour ends (02:30 on the night
// clocks jump from 02:00 to 03:00 fires at 03:00, once however many ticks fell in the gap); a
// wall-clock time that happens twice fires at the first one only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "libqueue/time.hpp"

namespace libqueue {

class CronExpression {
  public:
    // Throws UsageError naming the field and what is wrong with it.
    static CronExpression parse(std::string_view text);

    // The first tick strictly after `after` in `zone`, or nullopt when none comes within eight
    // years (e.g. "0 0 30 2 *", February the 30th).
    std::optional<TimePoint> next_after(TimePoint after, const LocalZone& zone) const;

    const std::string& text() const { return text_; }

  private:
    bool day_matches(unsigned day_of_month, unsigned weekday) const;

    // Bit n set: value n matches.
    std::string text_;
    std::uint64_t minutes_ = 0;   // 0..59
    std::uint64_t hours_ = 0;     // 0..23
    std::uint64_t days_ = 0;      // 1..31
    std::uint64_t months_ = 0;    // 1..12
    std::uint64_t weekdays_ = 0;  // 0..6, 0 = Sunday
    bool any_day_ = true;         // the day-of-month field starts with `*`
    bool any_weekday_ = true;     // the day-of-week field starts with `*`
};

}  // namespace libqueue
