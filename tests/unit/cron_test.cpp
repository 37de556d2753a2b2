// Cron expressions: what crontab(5) accepts, what it refuses, and the next tick, in UTC and
// across daylight-saving changes in Europe/Berlin.
#include <catch2/catch.hpp>
#include <optional>
#include <string>

#include "libqueue/cron.hpp"
#include "libqueue/errors.hpp"
#include "libqueue/time.hpp"

using namespace libqueue;
using Catch::Matchers::Contains;

namespace {

TimePoint utc(const char* text) {
    return parse_iso8601(text);
}

std::string next(const char* expression, const char* after, const char* zone = "UTC") {
    const auto tick = CronExpression::parse(expression).next_after(utc(after), LocalZone(zone));
    return tick ? format_iso8601(*tick) : "never";
}

}  // namespace

TEST_CASE("cron expressions crontab(5) refuses are refused, naming the field") {
    CHECK_THROWS_WITH(CronExpression::parse(""), Contains("0 fields, expected 5"));
    CHECK_THROWS_WITH(CronExpression::parse("* * * *"), Contains("4 fields"));
    CHECK_THROWS_WITH(CronExpression::parse("* * * * * *"), Contains("6 fields"));
    CHECK_THROWS_WITH(CronExpression::parse("60 * * * *"),
                      Contains("minute field '60': 60 is out of 0-59"));
    CHECK_THROWS_WITH(CronExpression::parse("* 24 * * *"), Contains("hour field"));
    CHECK_THROWS_WITH(CronExpression::parse("* * 0 * *"), Contains("0 is out of 1-31"));
    CHECK_THROWS_WITH(CronExpression::parse("* * * 13 *"), Contains("13 is out of 1-12"));
    CHECK_THROWS_WITH(CronExpression::parse("* * * * 8"), Contains("8 is out of 0-7"));
    CHECK_THROWS_WITH(CronExpression::parse("5-1 * * * *"), Contains("runs backwards"));
    CHECK_THROWS_WITH(CronExpression::parse("*/0 * * * *"), Contains("a step of 0"));
    CHECK_THROWS_WITH(CronExpression::parse("*/x * * * *"), Contains("bad step"));
    CHECK_THROWS_WITH(CronExpression::parse("1,,2 * * * *"), Contains("an empty list item"));
    CHECK_THROWS_WITH(CronExpression::parse("-1 * * * *"), Contains("bad value"));
    CHECK_THROWS_WITH(CronExpression::parse("* * * foo *"), Contains("unknown name 'foo'"));
    CHECK_THROWS_WITH(CronExpression::parse("mon * * * *"), Contains("bad value 'mon'"));
    CHECK_THROWS_WITH(CronExpression::parse("@reboot"), Contains("the @ forms are"));
    CHECK_THROWS_AS(CronExpression::parse("1.5 * * * *"), UsageError);
}

TEST_CASE("the next tick of a cron expression, in UTC") {
    CHECK(next("*/15 * * * *", "2026-12-04T10:07:30.000Z") == "2026-12-04T10:15:00.000Z");
    // Strictly after: a tick at `after` itself is not the next one.
    CHECK(next("0 3 * * *", "2026-12-04T03:00:00.000Z") == "2026-12-05T03:00:00.000Z");
    CHECK(next("0 3 * * *", "2026-12-04T02:59:59.999Z") == "2026-12-04T03:00:00.000Z");
    CHECK(next("@hourly", "2026-12-04T10:00:00.000Z") == "2026-12-04T11:00:00.000Z");
    CHECK(next("@daily", "2026-12-31T23:59:00.000Z") == "2027-01-01T00:00:00.000Z");
    CHECK(next("@weekly", "2026-12-04T00:00:00.000Z") == "2026-12-06T00:00:00.000Z");  // Sunday
    CHECK(next("@monthly", "2026-12-04T00:00:00.000Z") == "2027-01-01T00:00:00.000Z");
    CHECK(next("@yearly", "2026-12-04T00:00:00.000Z") == "2027-01-01T00:00:00.000Z");
    // Ranges, lists, steps over a range, a start with a step, names in any case.
    CHECK(next("0 9-17/4 * * *", "2026-12-04T13:00:00.000Z") == "2026-12-04T17:00:00.000Z");
    CHECK(next("5,50 * * * *", "2026-12-04T10:06:00.000Z") == "2026-12-04T10:50:00.000Z");
    CHECK(next("10/20 * * * *", "2026-12-04T10:31:00.000Z") == "2026-12-04T10:50:00.000Z");
    CHECK(next("0 0 1 JAN,jul *", "2026-12-04T00:00:00.000Z") == "2027-01-01T00:00:00.000Z");
    // 2026-12-05 is a Saturday: weekdays only means Monday.
    CHECK(next("30 8 * * Mon-Fri", "2026-12-05T12:00:00.000Z") == "2026-12-07T08:30:00.000Z");
    // 7 and 0 are both Sunday.
    CHECK(next("0 0 * * 7", "2026-12-04T00:00:00.000Z") == "2026-12-06T00:00:00.000Z");
    CHECK(next("0 0 * * 5-7", "2026-12-05T01:00:00.000Z") == "2026-12-06T00:00:00.000Z");
    // Both day fields restricted: either matches (the 13th, or any Friday).
    CHECK(next("0 0 13 * fri", "2026-12-04T01:00:00.000Z") == "2026-12-11T00:00:00.000Z");
    CHECK(next("0 0 13 * fri", "2026-12-11T01:00:00.000Z") == "2026-12-13T00:00:00.000Z");
    // A field starting with `*` leaves the day to the other one.
    CHECK(next("0 0 */10 * fri", "2026-12-04T01:00:00.000Z") == "2026-12-11T00:00:00.000Z");
    // The 29th of February comes in leap years only; the 30th never.
    CHECK(next("0 0 29 2 *", "2026-12-04T00:00:00.000Z") == "2028-02-29T00:00:00.000Z");
    CHECK(next("0 0 30 2 *", "2026-12-04T00:00:00.000Z") == "never");
    CHECK(next("0 0 31 4,6,9,11 *", "2026-12-04T00:00:00.000Z") == "never");
}

TEST_CASE("cron ticks across daylight-saving changes fire once each, skipped ones late") {
    // Europe/Berlin: on 2027-03-28 clocks go from 02:00 CET to 03:00 CEST (01:00Z); on
    // 2027-10-31 from 03:00 CEST back to 02:00 CET (01:00Z).
    const char* berlin = "Europe/Berlin";
    CHECK(next("30 2 * * *", "2027-03-27T12:00:00.000Z", berlin) == "2027-03-28T01:00:00.000Z");
    CHECK(next("30 2 * * *", "2027-03-28T01:00:00.000Z", berlin) == "2027-03-29T00:30:00.000Z");
    // Every 15 minutes: the ticks in the gap become one, at its end.
    CHECK(next("*/15 * * * *", "2027-03-28T00:45:00.000Z", berlin) == "2027-03-28T01:00:00.000Z");
    CHECK(next("*/15 * * * *", "2027-03-28T01:00:00.000Z", berlin) == "2027-03-28T01:15:00.000Z");
    // 02:30 happens twice on 2027-10-31: the first one fires, the second does not.
    CHECK(next("30 2 * * *", "2027-10-30T12:00:00.000Z", berlin) == "2027-10-31T00:30:00.000Z");
    CHECK(next("30 2 * * *", "2027-10-31T00:30:00.000Z", berlin) == "2027-11-01T01:30:00.000Z");
    // Midnight local is 23:00Z in winter, 22:00Z in summer.
    CHECK(next("@daily", "2027-01-10T12:00:00.000Z", berlin) == "2027-01-10T23:00:00.000Z");
    CHECK(next("@daily", "2027-07-10T12:00:00.000Z", berlin) == "2027-07-10T22:00:00.000Z");
}
