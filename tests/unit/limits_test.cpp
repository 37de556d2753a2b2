// Job limits without a backend: the rate text, starts spread at the rate (a backlog held and
// coming back, late returns, bursts), places for concurrency (freed when a job leaves, checked
// when old, taken again by a re-claimed job), a damaged state starting over, and the config keys.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <random>

#include "libqueue/config.hpp"
#include "libqueue/errors.hpp"
#include "libqueue/limits.hpp"

using namespace libqueue;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;
using nlohmann::json;

namespace {

TimePoint at(std::int64_t ms) {
    return TimePoint(Milliseconds(ms));
}

Claim claim(int n) {
    return Claim{"job-" + std::to_string(n), "token-" + std::to_string(n)};
}

JobLimits rate_of(std::uint32_t count, Milliseconds per, std::uint32_t burst = 1) {
    JobLimits limits;
    limits.rate = Rate{count, per};
    limits.burst = burst;
    return limits;
}

JobLimits places(std::uint32_t n) {
    JobLimits limits;
    limits.concurrency = n;
    return limits;
}

// Every admission goes through the record's text, as it does in a backend.
Admission ask(std::string& record, const JobLimits& limits, const Claim& c, TimePoint now,
              const std::set<std::string>& gone = {}, bool verified = false) {
    auto state = LimitState::parse(record.empty() ? std::nullopt : std::optional(record));
    const auto admission = admit(state, limits, c, now, gone, verified);
    record = state.dump();
    return admission;
}

// The most starts within any window of `width`.
std::size_t most_in_window(std::vector<std::int64_t> starts, std::int64_t width) {
    std::sort(starts.begin(), starts.end());
    std::size_t most = 0;
    for (std::size_t i = 0, j = 0; j < starts.size(); ++j) {
        while (starts[j] - starts[i] >= width) ++i;
        most = std::max(most, j - i + 1);
    }
    return most;
}

}  // namespace

TEST_CASE("rates are written COUNT/DURATION", "[limits]") {
    CHECK(parse_rate("100/1m").count == 100);
    CHECK(parse_rate("100/1m").per == Milliseconds(60'000));
    CHECK(parse_rate("100/1m").interval() == Milliseconds(600));
    CHECK(parse_rate("5/s").per == Milliseconds(1'000));
    CHECK(parse_rate("1/250ms").interval() == Milliseconds(250));
    CHECK(parse_rate("3/2h").per == Milliseconds(7'200'000));
    CHECK(parse_rate("1/366d").per == Milliseconds(366LL * 24 * 3'600'000));
    CHECK(parse_rate("5000/1s").interval() == Milliseconds(1));  // never below a millisecond
    CHECK(format_rate(parse_rate("100/1m")) == "100/1m");
    for (const char* bad : {"", "/1s", "0/1s", "-1/1s", "x/1s", "10", "10/", "10/0s", "10/1parsec",
                            "1.5/1s", "10/-1s", "99999999999/1s", "1/367d"}) {
        INFO(bad);
        CHECK_THROWS_WITH(parse_rate(bad), StartsWith("bad rate '" + std::string(bad) + "'"));
    }
}

TEST_CASE("a rate spreads starts: held jobs reserve the next start times", "[limits]") {
    std::string record;
    const auto limits = rate_of(10, Milliseconds(1'000));  // one start every 100ms
    CHECK(ask(record, limits, claim(1), at(0)).kind == Admission::Kind::start);
    // Three more at once: each reserves the next free start time.
    for (int n = 2; n <= 4; ++n) {
        const auto a = ask(record, limits, claim(n), at(0));
        CHECK(a.kind == Admission::Kind::wait);
        CHECK(a.wait == Milliseconds(100 * (n - 1)));
    }
    // They come back at their times and start; a newcomer meanwhile waits behind them.
    CHECK(ask(record, limits, claim(2), at(100)).kind == Admission::Kind::start);
    CHECK(ask(record, limits, claim(5), at(150)).wait == Milliseconds(250));
    CHECK(ask(record, limits, claim(3), at(200)).kind == Admission::Kind::start);
    CHECK(ask(record, limits, claim(4), at(305)).kind == Admission::Kind::start);  // a bit late
    CHECK(ask(record, limits, claim(5), at(400)).kind == Admission::Kind::start);
    // Quiet since: the next starts at once.
    CHECK(ask(record, limits, claim(6), at(5'000)).kind == Admission::Kind::start);
    CHECK(ask(record, limits, claim(7), at(5'001)).wait == Milliseconds(99));
}

TEST_CASE("a start time nobody comes back for is given up, not saved for a burst", "[limits]") {
    std::string record;
    const auto limits = rate_of(10, Milliseconds(1'000));
    CHECK(ask(record, limits, claim(1), at(0)).kind == Admission::Kind::start);
    for (int n = 2; n <= 6; ++n) ask(record, limits, claim(n), at(0));  // reserve 100..500
    // Those jobs were cancelled; ten seconds later one job starts, the next waits its interval.
    CHECK(ask(record, limits, claim(7), at(10'000)).kind == Admission::Kind::start);
    CHECK(ask(record, limits, claim(8), at(10'000)).kind == Admission::Kind::wait);
}

TEST_CASE("burst lets that many start at once after a quiet spell", "[limits]") {
    std::string record;
    const auto limits = rate_of(10, Milliseconds(1'000), 3);
    for (int n = 1; n <= 3; ++n)
        CHECK(ask(record, limits, claim(n), at(0)).kind == Admission::Kind::start);
    const auto fourth = ask(record, limits, claim(4), at(0));
    CHECK(fourth.kind == Admission::Kind::wait);
    CHECK(fourth.wait == Milliseconds(100));
}

TEST_CASE("a reserved time used late spaces the start after it", "[limits]") {
    std::string record;
    const auto limits = rate_of(10, Milliseconds(1'000));  // one start every 100ms
    CHECK(ask(record, limits, claim(1), at(0)).kind == Admission::Kind::start);
    CHECK(ask(record, limits, claim(2), at(0)).wait == Milliseconds(100));
    CHECK(ask(record, limits, claim(3), at(0)).wait == Milliseconds(200));
    // The job for 100 comes 80ms late and starts at once; the one for 200 is on time, and its
    // worker holds it until 100ms after that late start.
    const auto late = ask(record, limits, claim(2), at(180));
    CHECK(late.kind == Admission::Kind::start);
    CHECK(late.wait == Milliseconds(0));
    const auto next = ask(record, limits, claim(3), at(200));
    CHECK(next.kind == Admission::Kind::start);
    CHECK(next.wait == Milliseconds(80));
    // A spacing from another clock (hours ahead) starts over instead of holding jobs for hours.
    auto state = LimitState::parse(record);
    state.started_tat = at(10'000'000);
    record = state.dump();
    CHECK(ask(record, limits, claim(4), at(20'000)).wait == Milliseconds(0));
}

TEST_CASE("a backlog held and coming back runs at the rate, never above it", "[limits]") {
    // 300 jobs of a 20/1s name, claimed at random moments by workers that come back up to `late`
    // ms late (400: a machine busy enough to be seconds behind now and then): the starts keep to
    // the rate in every window and use at least 90% of it.
    for (const std::int64_t late : {30, 150, 400}) {
        for (const std::uint32_t burst : {1u, 5u}) {
            INFO("burst " << burst << ", up to " << late << "ms late");
            std::string record;
            const auto limits = rate_of(20, Milliseconds(1'000), burst);
            std::mt19937 random(burst);
            std::multimap<std::int64_t, int> arrivals;  // when each job is claimed (again)
            for (int n = 0; n < 300; ++n) arrivals.emplace(random() % 200, n);
            std::vector<std::int64_t> starts;
            std::size_t holds = 0;
            while (!arrivals.empty()) {
                const auto [when, n] = *arrivals.begin();
                arrivals.erase(arrivals.begin());
                const auto a = ask(record, limits, claim(n), at(when));
                if (a.kind == Admission::Kind::start) {
                    starts.push_back(when + a.wait.count());  // its worker holds it that long
                } else {
                    ++holds;
                    arrivals.emplace(when + a.wait.count() + std::int64_t(random() % late), n);
                }
            }
            REQUIRE(starts.size() == 300);
            CHECK(most_in_window(starts, 1'000) <= 20 + burst);
            std::sort(starts.begin(), starts.end());
            const double span_s = (starts.back() - starts.front()) / 1000.0;
            CHECK(300 / span_s >= 0.9 * 20);
            CHECK(holds < 3 * 300);  // each job comes back a few times at most, not every interval
        }
    }
}

TEST_CASE("concurrency: places taken and freed, turns spread by the run time", "[limits]") {
    std::string record;
    const auto limits = places(2);
    CHECK(ask(record, limits, claim(1), at(0)).kind == Admission::Kind::start);
    CHECK(ask(record, limits, claim(2), at(0)).kind == Admission::Kind::start);
    const auto third = ask(record, limits, claim(3), at(10));
    CHECK(third.kind == Admission::Kind::wait);
    const auto fourth = ask(record, limits, claim(4), at(10));
    CHECK(fourth.wait > third.wait);  // turns are spread, not all at once

    auto state = LimitState::parse(record);
    leave(state, claim(1), Milliseconds(400));
    record = state.dump();
    CHECK(LimitState::parse(record).average_run_ms == 400);
    CHECK(ask(record, limits, claim(3), at(420)).kind == Admission::Kind::start);
    CHECK(ask(record, limits, claim(5), at(430)).kind == Admission::Kind::wait);
    // With a known run time the turns are run time / places apart.
    const auto a = ask(record, limits, claim(6), at(430));
    const auto b = ask(record, limits, claim(7), at(430));
    CHECK((b.wait - a.wait) == Milliseconds(200));
}

TEST_CASE("a re-claimed job does not hold its old place twice", "[limits]") {
    std::string record;
    const auto limits = places(1);
    CHECK(ask(record, limits, Claim{"j", "old"}, at(0)).kind == Admission::Kind::start);
    // Recovered and claimed again under a new token: its old place is its own.
    CHECK(ask(record, limits, Claim{"j", "new"}, at(50)).kind == Admission::Kind::start);
    CHECK(LimitState::parse(record).running.size() == 1);
}

TEST_CASE("an old place is checked before anyone waits on it", "[limits]") {
    std::string record;
    const auto limits = places(1);
    CHECK(ask(record, limits, claim(1), at(0)).kind == Admission::Kind::start);
    // Young: just wait.
    CHECK(ask(record, limits, claim(2), at(1'000)).kind == Admission::Kind::wait);
    // Old: the caller is asked to check it; nothing changes until it answers.
    const auto before = record;
    const auto check = ask(record, limits, claim(2), at(60'000));
    CHECK(check.kind == Admission::Kind::verify);
    REQUIRE(check.suspects.size() == 1);
    CHECK(check.suspects[0].token == claim(1).token);
    // Its job is gone: the place is freed and taken.
    CHECK(ask(record, limits, claim(2), at(60'000), {claim(1).token}, true).kind ==
          Admission::Kind::start);
    // Still running (checked, nothing gone): wait.
    CHECK(ask(record, limits, claim(3), at(200'000), {}, true).kind == Admission::Kind::wait);
    (void)before;
}

TEST_CASE("rate and concurrency together", "[limits]") {
    std::string record;
    JobLimits limits = rate_of(10, Milliseconds(1'000));
    limits.concurrency = 1;
    CHECK(ask(record, limits, claim(1), at(0)).kind == Admission::Kind::start);
    // No place: waits, and takes no start time.
    CHECK(ask(record, limits, claim(2), at(500)).kind == Admission::Kind::wait);
    auto state = LimitState::parse(record);
    leave(state, claim(1), Milliseconds(600));
    record = state.dump();
    CHECK(ask(record, limits, claim(2), at(700)).kind == Admission::Kind::start);
}

TEST_CASE("a damaged limit record starts over", "[limits]") {
    for (const char* text :
         {"", "nonsense", "[]", "{\"running\": 5}", "{\"reserved\": -3}",
          "{\"reserved\": 4294967295}", "{\"running\": [{\"id\": 1}]}",
          "{\"next_start\": \"soon\"}", "{\"next_start\": -9223372036854775808}",
          "{\"next_turn\": 9223372036854775807}", "{\"average_run_ms\": 1e308}",
          "{\"running\": [{\"id\": \"a\", \"token\": \"b\", \"since\": -9223372036854775807}]}"}) {
        INFO(text);
        std::string record = text;
        CHECK(ask(record, places(1), claim(1), at(0)).kind == Admission::Kind::start);
        CHECK(LimitState::parse(record).running.size() == 1);
    }
}

TEST_CASE("handlers.NAME.rate, .burst and .concurrency in the config", "[limits]") {
    auto parse = [](const std::string& handler) {
        return parse_config(
            json::parse(R"({"handlers": {"api": {"command": ["true"], )" + handler + "}}}"), "/",
            "q.json");
    };
    const auto config = parse(R"("rate": "100/1m", "burst": 5, "concurrency": 2)");
    const auto& limits = config.handlers.at("api").limits;
    REQUIRE(limits.rate);
    CHECK(limits.rate->count == 100);
    CHECK(limits.burst == 5);
    CHECK(limits.concurrency == 2u);
    CHECK(redacted_json(config)["handlers"]["api"]["rate"] == "100/1m");
    CHECK_THROWS_AS(parse(R"("rate": "fast")"), ConfigError);
    CHECK_THROWS_WITH(parse(R"("rate": "fast")"),
                      StartsWith("q.json: handlers.api.rate: bad rate"));
    CHECK_THROWS_WITH(parse(R"("rate": 100)"), StartsWith("q.json: handlers.api.rate"));
    CHECK_THROWS_WITH(parse(R"("concurrency": 0)"), StartsWith("q.json: handlers.api.concurrency"));
    CHECK_THROWS_WITH(parse(R"("concurrency": 1.5)"),
                      StartsWith("q.json: handlers.api.concurrency"));
    CHECK_THROWS_WITH(parse(R"("burst": 3)"), Contains("needs a rate"));
}
