// Schedules without a backend: which ticks each catch-up mode enqueues, `every` aligned to the
// epoch, cron ticks across a DST change, the tick job's id and payload, and the config section's
// checks naming the key.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "libqueue/config.hpp"
#include "libqueue/errors.hpp"
#include "libqueue/schedule.hpp"
#include "libqueue/schedule_mark.hpp"

using namespace libqueue;
using Catch::Matchers::Contains;
using nlohmann::json;
using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

namespace {

TimePoint at(const char* text) {
    return parse_iso8601(text);
}

Schedule every_minute(CatchUp mode) {
    Schedule s;
    s.name = "beat";
    s.every = minutes(1);
    s.job = "ping";
    s.catch_up = mode;
    return s;
}

Schedule from_config(const json& spec) {
    auto config = parse_config(json{{"schedules", {{"s", spec}}}}, "/", "q.json");
    REQUIRE(config.schedules.size() == 1);
    return config.schedules.front();
}

std::string config_error(const json& schedules) {
    try {
        parse_config(json{{"schedules", schedules}}, "/", "q.json");
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "no error";
}

}  // namespace

TEST_CASE("every ticks at whole multiples of its period since 1970") {
    const auto s = every_minute(CatchUp::latest);
    CHECK(s.next_after(at("2027-01-01T10:00:30Z")) == at("2027-01-01T10:01:00Z"));
    CHECK(s.next_after(at("2027-01-01T10:01:00Z")) == at("2027-01-01T10:02:00Z"));
    CHECK(s.describe() == "every 1m");
}

TEST_CASE("due ticks by catch-up mode") {
    const auto mark = at("2027-01-01T10:00:00Z");
    SECTION("nothing due before the next tick") {
        CHECK(due_ticks(every_minute(CatchUp::all), mark, mark + seconds(59)).empty());
        CHECK(due_ticks(every_minute(CatchUp::all), mark, mark).empty());
    }
    SECTION("on time, every mode enqueues the tick") {
        for (auto mode : {CatchUp::none, CatchUp::latest, CatchUp::all}) {
            CHECK(due_ticks(every_minute(mode), mark, mark + seconds(61)) ==
                  std::vector<TimePoint>{mark + minutes(1)});
        }
    }
    SECTION("after a gap") {
        // Every 10 minutes, found 100s after the fifth tick: late for catch_up none.
        auto every_ten = [](CatchUp mode) {
            auto s = every_minute(mode);
            s.every = minutes(10);
            return s;
        };
        const auto now = mark + minutes(50) + seconds(100);
        CHECK(due_ticks(every_ten(CatchUp::none), mark, now).empty());
        CHECK(due_ticks(every_ten(CatchUp::latest), mark, now) ==
              std::vector<TimePoint>{mark + minutes(50)});
        CHECK(due_ticks(every_ten(CatchUp::all), mark, now) ==
              std::vector<TimePoint>{mark + minutes(10), mark + minutes(20), mark + minutes(30),
                                     mark + minutes(40), mark + minutes(50)});
    }
    SECTION("all keeps the latest ticks of a long gap, quickly") {
        const auto now = mark + hours(24 * 400);
        const auto ticks = due_ticks(every_minute(CatchUp::all), mark, now);
        REQUIRE(ticks.size() == max_catch_up_ticks);
        CHECK(ticks.back() == now);
        CHECK(ticks.front() == now - minutes(max_catch_up_ticks - 1));
    }
    SECTION("a cron schedule after years: the latest tick") {
        auto s = from_config({{"cron", "0 3 1 * *"}, {"job", "report"}});
        const auto ticks = due_ticks(s, at("2020-01-01T00:00:00Z"), at("2027-05-20T00:00:00Z"));
        CHECK(ticks == std::vector<TimePoint>{at("2027-05-01T03:00:00Z")});
    }
}

TEST_CASE("cron schedules tick in their time zone, once across DST changes") {
    auto s = from_config({{"cron", "30 2 * * *"}, {"timezone", "Europe/Berlin"}, {"job", "r"}});
    CHECK(s.describe() == "cron 30 2 * * * (Europe/Berlin)");
    // 2027-03-28: 02:00 CET jumps to 03:00 CEST, 02:30 is skipped: it fires at 03:00 CEST.
    CHECK(s.next_after(at("2027-03-27T12:00:00Z")) == at("2027-03-28T01:00:00Z"));
    // 2027-10-31: 03:00 CEST falls back to 02:00 CET, 02:30 happens twice: once, the first.
    CHECK(s.next_after(at("2027-10-30T12:00:00Z")) == at("2027-10-31T00:30:00Z"));
    CHECK(s.next_after(at("2027-10-31T00:30:00Z")) == at("2027-11-01T01:30:00Z"));
}

TEST_CASE("a tick's job: id NAME@TICK, the payload with _schedule") {
    auto s = from_config({{"every", "5m"},
                          {"job", "ping"},
                          {"payload", {{"kind", "daily"}}},
                          {"queue", "ops"},
                          {"max_retries", 2},
                          {"priority", 7}});
    const auto job = tick_job(s, at("2027-01-01T10:05:00Z"));
    CHECK(job.priority == 7);
    CHECK(job.id == "s@2027-01-01T10:05:00.000Z");
    CHECK(job.name == "ping");
    CHECK(job.queue == "ops");
    CHECK(job.max_retries == 2);
    CHECK(json::parse(job.payload) ==
          json{{"kind", "daily"},
               {"_schedule", {{"name", "s"}, {"tick", "2027-01-01T10:05:00.000Z"}}}});
    CHECK(manual_job(s, at("2027-01-01T10:07:00Z")).id.empty());
}

TEST_CASE("marks read back, and only later ticks are new") {
    const ScheduleMark mark{at("2027-01-01T10:05:00Z"), "s@x"};
    const auto read = read_schedule_mark(schedule_mark_value(mark));
    REQUIRE(read);
    CHECK(read->tick == mark.tick);
    CHECK(read->job_id == "s@x");
    CHECK_FALSE(read_schedule_mark("{\"by\": \"ops\"}"));
    CHECK_FALSE(read_schedule_mark("not json"));
    CHECK(tick_is_new(std::nullopt, mark.tick));
    CHECK(tick_is_new(mark, mark.tick + seconds(1)));
    CHECK_FALSE(tick_is_new(mark, mark.tick));
    CHECK_FALSE(tick_is_new(mark, mark.tick - seconds(1)));
}

TEST_CASE("the schedules section: defaults and mistakes named by key") {
    const auto s = from_config({{"every", "30s"}, {"job", "ping"}});
    CHECK(s.queue == "default");
    CHECK(s.max_retries == 3);
    CHECK(s.priority == 0);
    CHECK(s.catch_up == CatchUp::latest);
    CHECK(s.payload == json::object());
    CHECK(from_config({{"cron", "@daily"}, {"job", "x"}, {"catch_up", "all"}}).catch_up ==
          CatchUp::all);

    CHECK_THAT(config_error({{"s", {{"job", "x"}}}}), Contains("schedules.s: needs cron"));
    CHECK_THAT(config_error({{"s", {{"job", "x"}, {"cron", "@daily"}, {"every", "1m"}}}}),
               Contains("has both cron and every"));
    CHECK_THAT(config_error({{"s", {{"job", "x"}, {"cron", "61 * * * *"}}}}),
               Contains("schedules.s.cron:"));
    CHECK_THAT(config_error({{"s", {{"job", "x"}, {"every", "10ms"}}}}),
               Contains("schedules.s.every: must be 1s or longer"));
    CHECK_THAT(config_error({{"s", {{"job", "x"}, {"cron", "@daily"}, {"timezone", "Mars/Base"}}}}),
               Contains("schedules.s.timezone:"));
    CHECK_THAT(config_error({{"s", {{"job", "x"}, {"every", "1m"}, {"timezone", "UTC"}}}}),
               Contains("applies to cron only"));
    CHECK_THAT(config_error({{"s", {{"every", "1m"}}}}), Contains("schedules.s.job: missing"));
    CHECK_THAT(config_error({{"s", {{"job", "x"}, {"every", "1m"}, {"catch_up", "some"}}}}),
               Contains("schedules.s.catch_up: expected \"none\", \"latest\" or \"all\""));
    CHECK_THAT(config_error({{"s", {{"job", "x"}, {"every", "1m"}, {"payload", "text"}}}}),
               Contains("schedules.s.payload"));
    CHECK_THAT(config_error({{"s", {{"job", "x"}, {"every", "1m"}, {"priority", 1001}}}}),
               Contains("schedules.s.priority"));
    CHECK_THAT(config_error({{"s", {{"job", "x"}, {"every", "1m"}, {"color", "red"}}}}),
               Contains("schedules.s.color"));
    CHECK_THAT(config_error({{"a@b", {{"job", "x"}, {"every", "1m"}}}}), Contains("without '@'"));
    CHECK_THAT(config_error({{std::string(201, 'n'), {{"job", "x"}, {"every", "1m"}}}}),
               Contains("at most 200 bytes"));
    CHECK_THAT(config_error("daily"), Contains("schedules"));
}

TEST_CASE("a schedule without a queue uses the config's default queue", "[redis]") {
    auto config =
        parse_config(json{{"queue", {{"driver", "redis"}, {"redis", {{"queue", "jobs"}}}}},
                          {"schedules", {{"s", {{"every", "1m"}, {"job", "x"}}}}}},
                     "/", "q.json");
    REQUIRE(config.schedules.size() == 1);
    CHECK(config.schedules.front().queue == "jobs");
}
