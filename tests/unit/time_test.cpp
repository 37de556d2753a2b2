// Times on the wire (ISO 8601 UTC, milliseconds) and times users type for --at.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <ctime>
#include <optional>
#include <string>

#include "libqueue/errors.hpp"
#include "libqueue/time.hpp"

using namespace libqueue;
using namespace std::chrono_literals;
using Catch::Matchers::Contains;

namespace {

// 2026-11-23T17:00:00Z
constexpr auto kFivePm = TimePoint{Milliseconds{1'795'453'200'000}};

// A time zone for one scope, through TZ (POSIX rule strings need no zoneinfo files).
class TimeZone {
  public:
    explicit TimeZone(const char* tz) {
        if (const char* old = std::getenv("TZ"))
            old_ = old;
        setenv("TZ", tz, 1);
        tzset();
    }
    ~TimeZone() {
        if (old_) {
            setenv("TZ", old_->c_str(), 1);
        } else {
            unsetenv("TZ");
        }
        tzset();
    }

  private:
    std::optional<std::string> old_;
};

}  // namespace

TEST_CASE("format_iso8601: UTC with milliseconds, sortable as text") {
    CHECK(format_iso8601(kFivePm) == "2026-11-23T17:00:00.000Z");
    CHECK(format_iso8601(kFivePm + 1ms) == "2026-11-23T17:00:00.001Z");
    CHECK(format_iso8601(kFivePm + 59'999ms) == "2026-11-23T17:00:59.999Z");
    CHECK(format_iso8601(TimePoint{}) == "1970-01-01T00:00:00.000Z");
    CHECK(format_iso8601(kFivePm + 9ms) < format_iso8601(kFivePm + 10ms));
    CHECK(format_iso8601(kFivePm + 999ms) < format_iso8601(kFivePm + 1000ms));
}

TEST_CASE("parse_iso8601: Z, offsets, fractions, 'T' or ' '") {
    CHECK(parse_iso8601("2026-11-23T17:00:00.000Z") == kFivePm);
    CHECK(parse_iso8601("2026-11-23T17:00:00Z") == kFivePm);
    CHECK(parse_iso8601("2026-11-23 17:00:00Z") == kFivePm);
    CHECK(parse_iso8601("2026-11-23T17:00:00.5Z") == kFivePm + 500ms);
    CHECK(parse_iso8601("2026-11-23T17:00:00.123Z") == kFivePm + 123ms);
    CHECK(parse_iso8601("2026-11-23T18:00:00+01:00") == kFivePm);
    CHECK(parse_iso8601("2026-11-23T12:30:00-04:30") == kFivePm);
    CHECK(parse_iso8601("2026-11-23T18:00:00+0100") == kFivePm);
    CHECK(parse_iso8601("2026-11-23T17:00:00+00:00") == kFivePm);
    CHECK(parse_iso8601("2026-11-24T02:00:00.250+09:00") == kFivePm + 250ms);
    CHECK(parse_iso8601("2026-11-23T17:00Z") == kFivePm);
    CHECK(parse_iso8601("2026-11-23T18:00+01:00") == kFivePm);
}

TEST_CASE("parse_iso8601: other programs' precision is cut to milliseconds") {
    CHECK(parse_iso8601("2026-11-23 17:00:00.123456+00") == kFivePm + 123ms);  // PostgreSQL
    CHECK(parse_iso8601("2026-11-23T17:00:00.1239999Z") == kFivePm + 123ms);   // .NET "o"
    CHECK(parse_iso8601("2026-11-23T17:00:00.999999999Z") == kFivePm + 999ms);
}

TEST_CASE("parse_iso8601 reads what format_iso8601 writes") {
    for (auto t : {kFivePm, kFivePm + 1ms, kFivePm + 86'399'999ms, TimePoint{},
                   TimePoint{Milliseconds{4'102'444'800'000}}}) {
        CHECK(parse_iso8601(format_iso8601(t)) == t);
    }
}

TEST_CASE("parse_iso8601 rejects anything else with a DataError naming the text") {
    for (const char* text : {"", "yesterday", "2026-11-23", "2026-11-23T17:00:00",
                             "2026-13-01T00:00:00Z", "2026-11-23T25:00:00Z",
                             "2026-11-23T17:00:00Zjunk", "2026/11/23 17:00:00Z", "17:00:00Z"}) {
        INFO("input: '" << text << "'");
        CHECK_THROWS_AS(parse_iso8601(text), DataError);
        CHECK_THROWS_WITH(parse_iso8601(text), Contains("'" + std::string(text) + "'"));
    }
}

TEST_CASE("parse_iso8601 refuses offsets beyond ±18:00") {
    for (const char* text : {"2026-11-23T17:00:00+25:00", "2026-11-23T17:00:00-19:00",
                             "2026-11-23T17:00:00+18:30", "2026-11-23T17:00:00+01:60"}) {
        INFO("input: '" << text << "'");
        CHECK_THROWS_AS(parse_iso8601(text), DataError);
    }
    CHECK(parse_iso8601("2026-11-24T11:00:00+18:00") == kFivePm);
    CHECK(parse_iso8601("2026-11-23T03:00:00-14:00") == kFivePm);
}

TEST_CASE("parse_stored_time: what SQLite and other programs write") {
    CHECK(parse_stored_time("2026-11-23T17:00:00.000Z") == kFivePm);
    CHECK(parse_stored_time("2026-11-23 17:00:00") == kFivePm);  // datetime('now'): UTC
    CHECK(parse_stored_time("2026-11-23 17:00:00.250") == kFivePm + 250ms);
    CHECK(parse_stored_time("2026-11-23T17:00:00") == kFivePm);
    CHECK(parse_stored_time("2026-11-23T17:00") == kFivePm);
    CHECK(parse_stored_time("2026-11-23") == kFivePm - 17h);
    CHECK(parse_stored_time("2026-11-23 18:00:00+01:00") == kFivePm);
    const auto unix_five_pm =
        std::chrono::duration_cast<std::chrono::seconds>(kFivePm.time_since_epoch()).count();
    CHECK(parse_stored_time(std::to_string(unix_five_pm)) == kFivePm);
    CHECK(parse_stored_time(std::to_string(unix_five_pm) + ".5") == kFivePm + 500ms);
    CHECK(parse_stored_time("0") == TimePoint{});
}

TEST_CASE("parse_stored_time refuses the rest, naming a bounded, valid UTF-8 text") {
    for (const char* text : {"", "last tuesday", "1 hour", "2026-02-30 10:00:00", "12.", "1e9",
                             "99999999999999999999", "2026-11-23T17:00:00+25:00"}) {
        INFO("input: '" << text << "'");
        CHECK_THROWS_AS(parse_stored_time(text), DataError);
    }
    CHECK_THROWS_WITH(parse_stored_time("\xff\xfe"), Contains("\xEF\xBF\xBD"));
    CHECK_THROWS_WITH(parse_stored_time(std::string(10'000, '9')),
                      !Contains(std::string(100, '9')));
}

TEST_CASE("parse_user_time: with an offset, exactly that instant") {
    TimeZone tz("ABC-2");
    CHECK(parse_user_time("2026-11-23T17:00:00Z") == kFivePm);
    CHECK(parse_user_time("2026-11-23T18:00:00+01:00") == kFivePm);
}

TEST_CASE("parse_user_time: without an offset, the machine's local time (TZ)") {
    SECTION("a fixed zone, UTC+2") {
        TimeZone tz("ABC-2");
        CHECK(parse_user_time("2026-11-23T19:00:00") == kFivePm);
        CHECK(parse_user_time("2026-11-23T19:00") == kFivePm);
        CHECK(parse_user_time("2026-11-23 19:00") == kFivePm);
        CHECK(parse_user_time("2026-11-23T19:00:00.250") == kFivePm + 250ms);
        CHECK(parse_user_time("2026-11-24") == kFivePm + 5h);  // local midnight = 22:00Z
    }
    SECTION("a zone with summer time, UTC-5 / UTC-4") {
        TimeZone tz("EST5EDT,M3.2.0,M11.1.0");
        CHECK(parse_user_time("2026-11-23T12:00") == kFivePm);
        // 2026-07-01T12:00 EDT = 16:00Z
        CHECK(parse_user_time("2026-07-01T12:00") == parse_iso8601("2026-07-01T16:00:00Z"));
    }
    SECTION("UTC") {
        TimeZone tz("UTC0");
        CHECK(parse_user_time("2026-11-23T17:00") == kFivePm);
    }
}

TEST_CASE("parse_user_time rejects nonsense with a UsageError naming the text") {
    for (const char* text :
         {"", "tomorrow", "17:00", "2026-11-23T", "2026-11-23Tnoon", "2026-02-30T10:00"}) {
        INFO("input: '" << text << "'");
        CHECK_THROWS_AS(parse_user_time(text), UsageError);
        CHECK_THROWS_WITH(parse_user_time(text), Contains("'" + std::string(text) + "'"));
    }
}

TEST_CASE("system_now is whole milliseconds and moves forward") {
    const auto before = std::chrono::system_clock::now();
    const TimePoint now = system_now();
    CHECK(now <= std::chrono::system_clock::now());
    CHECK(now + 1ms > before);
}

TEST_CASE("LocalZone: zone-less times are local time in the zone, zoned ones as given") {
    const LocalZone berlin("Europe/Berlin");
    CHECK(berlin.name() == "Europe/Berlin");
    bool zoneless = false;
    // Winter: UTC+1. Microseconds (the Dart drivers' precision) are cut to milliseconds.
    CHECK(berlin.read("2026-11-23T18:00:00.123456", &zoneless) == kFivePm + 123ms);
    CHECK(zoneless);
    CHECK(berlin.read("2026-11-23T17:00:00Z", &zoneless) == kFivePm);
    CHECK_FALSE(zoneless);
    CHECK(berlin.read("2026-11-23T18:00:00+01:00") == kFivePm);
    CHECK(berlin.read("2026-11-23T18:00:00.123456789") == kFivePm + 123ms);  // nanoseconds
    CHECK(berlin.read("2026-11-23T18:00") == kFivePm);
}

TEST_CASE("LocalZone: clock changes pick one instant, never fail") {
    const LocalZone berlin("Europe/Berlin");
    // 2026-10-25 03:00 CEST -> 02:00 CET: 02:30 happens twice; the earlier one (CEST) is taken.
    CHECK(format_iso8601(berlin.read("2026-10-25T02:30:00")) == "2026-10-25T00:30:00.000Z");
    // 2026-03-29 02:00 CET -> 03:00 CEST: 02:30 never happens; the change itself is taken.
    CHECK(format_iso8601(berlin.read("2026-03-29T02:30:00")) == "2026-03-29T01:00:00.000Z");
}

TEST_CASE("LocalZone: the default is $TZ when it names a zone") {
    TimeZone tz("America/New_York");
    const LocalZone local;
    CHECK(local.name() == "America/New_York");
    CHECK(format_iso8601(local.read("2026-11-23T12:00:00")) == "2026-11-23T17:00:00.000Z");
}

TEST_CASE("LocalZone refuses unknown zones (UsageError) and bad times (DataError)") {
    CHECK_THROWS_AS(LocalZone("Mars/Olympus_Mons"), UsageError);
    CHECK_THROWS_WITH(LocalZone("Mars/Olympus_Mons"), Contains("unknown time zone"));
    const LocalZone utc("UTC");
    CHECK_THROWS_AS(utc.read("yesterday"), DataError);
    CHECK_THROWS_AS(utc.read("2026-02-30T10:00:00"), DataError);
    CHECK_THROWS_AS(utc.read("1764691200"), DataError);  // seconds are no Dart time
}
