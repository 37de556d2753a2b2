// Durations as users write them, and the shortest form q prints.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "libqueue/duration.hpp"
#include "libqueue/errors.hpp"

using namespace libqueue;
using Catch::Matchers::Equals;
using nlohmann::json;

TEST_CASE("every unit") {
    CHECK(parse_duration("250ms") == Milliseconds(250));
    CHECK(parse_duration("30s") == Milliseconds(30'000));
    CHECK(parse_duration("5m") == Milliseconds(300'000));
    CHECK(parse_duration("2h") == Milliseconds(7'200'000));
    CHECK(parse_duration("1d") == Milliseconds(86'400'000));
    CHECK(parse_duration("0s") == Milliseconds(0));
    CHECK(parse_duration("0") == Milliseconds(0));
}

TEST_CASE("a plain number is seconds, fractions allowed") {
    CHECK(parse_duration("90") == Milliseconds(90'000));
    CHECK(parse_duration("1.5") == Milliseconds(1'500));
    CHECK(parse_duration("1.5s") == Milliseconds(1'500));
    CHECK(parse_duration("0.25h") == Milliseconds(900'000));
    CHECK(parse_duration("0.5ms") == Milliseconds(1));  // rounded to the millisecond
}

TEST_CASE("compound durations add up") {
    CHECK(parse_duration("1m30s") == Milliseconds(90'000));
    CHECK(parse_duration("1h30m") == Milliseconds(5'400'000));
    CHECK(parse_duration("1d2h3m4s5ms") == Milliseconds(93'784'005));
    CHECK(parse_duration("2s500ms") == Milliseconds(2'500));
}

TEST_CASE("bad input says what was wrong and what is expected") {
    const std::string expected = " (expected e.g. 250ms, 30s, 5m, 2h, 1d)";
    for (const char* text :
         {"",    "fast", "5x",  "m",   "-5s", "5 s", "1m30",  "s5",     "1.2.3s", "5mm",  "1e400s",
          "+5s", " 5s",  "5s ", "-0s", "inf", "nan", "1.2.3", "1h 30m", "1e3s",   "2E1m", "1e3"}) {
        INFO("input: '" << text << "'");
        CHECK_THROWS_AS(parse_duration(text), UsageError);
        CHECK_THROWS_WITH(parse_duration(text),
                          Equals("bad duration '" + std::string(text) + "'" + expected));
    }
}

TEST_CASE("durations from config values: strings or seconds") {
    CHECK(duration_from_json(json(90)) == Milliseconds(90'000));
    CHECK(duration_from_json(json(0.25)) == Milliseconds(250));
    CHECK(duration_from_json(json("2h")) == Milliseconds(7'200'000));
    CHECK(duration_from_json(json(0)) == Milliseconds(0));
    CHECK_THROWS_AS(duration_from_json(json(-1)), UsageError);
    CHECK_THROWS_WITH(duration_from_json(json(-1)), Equals("bad duration '-1' (expected e.g. "
                                                           "250ms, 30s, 5m, 2h, 1d)"));
    CHECK_THROWS_AS(duration_from_json(json(true)), UsageError);
    CHECK_THROWS_AS(duration_from_json(json(nullptr)), UsageError);
    CHECK_THROWS_AS(duration_from_json(json::array({1})), UsageError);
    CHECK_THROWS_WITH(duration_from_json(json("soon")), Equals("bad duration 'soon' (expected "
                                                               "e.g. 250ms, 30s, 5m, 2h, 1d)"));
}

TEST_CASE("format_duration: the shortest exact form") {
    CHECK(format_duration(Milliseconds(0)) == "0s");
    CHECK(format_duration(Milliseconds(250)) == "250ms");
    CHECK(format_duration(Milliseconds(1'500)) == "1.5s");
    CHECK(format_duration(Milliseconds(1'050)) == "1.05s");
    CHECK(format_duration(Milliseconds(30'000)) == "30s");
    CHECK(format_duration(Milliseconds(90'000)) == "1m30s");
    CHECK(format_duration(Milliseconds(3'600'000)) == "1h");
    CHECK(format_duration(Milliseconds(86'400'000)) == "1d");
    CHECK(format_duration(Milliseconds(90'061'001)) == "1d1h1m1.001s");
    CHECK(format_duration(Milliseconds(-1'500)) == "-1.5s");
}

TEST_CASE("format_duration reads back as the same duration") {
    for (long long ms :
         {0LL, 1LL, 999LL, 1'000LL, 1'001LL, 59'999LL, 61'000LL, 3'599'999LL, 3'600'001LL,
          86'399'999LL, 90'061'001LL, 2'592'000'000LL, 123'456'789'012LL}) {
        INFO(ms << "ms -> " << format_duration(Milliseconds(ms)));
        CHECK(parse_duration(format_duration(Milliseconds(ms))) == Milliseconds(ms));
    }
}

TEST_CASE("a unit appears once, largest first") {
    CHECK(parse_duration("1h30m") == Milliseconds{5'400'000});
    CHECK(parse_duration("1m30s500ms") == Milliseconds{90'500});
    CHECK_THROWS_AS(parse_duration("1h1h"), UsageError);
    CHECK_THROWS_AS(parse_duration("30s1m"), UsageError);
    CHECK_THROWS_AS(parse_duration("1s1s"), UsageError);
}
