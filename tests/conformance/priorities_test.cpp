// Priorities within a queue: higher first among due jobs, then the claim order of equals; kept
// through every way back to pending; never a reason to take a job that is not due.
#include <algorithm>
#include <random>

#include "fixture.hpp"
#include "libqueue/errors.hpp"

using namespace conformance;

namespace {

std::vector<std::string> drain(QueueDriver& d, const std::string& queue = "default",
                               std::size_t limit = 1) {
    std::vector<std::string> order;
    for (;;) {
        auto claimed = claim(d, {queue}, limit);
        if (claimed.empty())
            return order;
        for (const auto& job : claimed) order.push_back(job.id);
        REQUIRE(order.size() < 10'000);
    }
}

// The stored jobs of `queue` in the order claims must take them (libqueue::claim_order_before).
std::vector<std::string> expected_order(QueueDriver& d) {
    auto rows = all_jobs(d);
    std::sort(rows.begin(), rows.end(), libqueue::claim_order_before);
    return ids_of(rows);
}

}  // namespace

TEST_CASE("a job's priority is stored and shown", "[priorities]") {
    DriverFixture f;
    auto& d = f.driver();
    const auto plain = push(d, a_job());
    const auto urgent = push(d, a_job().priority(7));
    const auto top = push(d, a_job().priority(libqueue::max_priority));
    CHECK(stored(d, plain).priority == 0);
    CHECK(stored(d, urgent).priority == 7);
    CHECK(stored(d, top).priority == libqueue::max_priority);
    auto listed = d.list({});
    REQUIRE(listed.size() == 3);
    for (const auto& job : listed) CHECK(job.priority == stored(d, job.id).priority);
    CHECK_THROWS_AS(d.push(a_job().priority(-1)), libqueue::DataError);
    CHECK_THROWS_AS(d.push(a_job().priority(libqueue::max_priority + 1)), libqueue::DataError);
    CHECK(d.list({}).size() == 3);
}

TEST_CASE("claims take the highest priority due job first, then the oldest due", "[priorities]") {
    DriverFixture f;
    REQUIRE_CAPABILITY(f, delayed_jobs);
    auto& d = f.driver();
    const TimePoint base = d.now() - 60s;

    SECTION("priority beats age") {
        const auto old_plain = push(d, a_job().run_at(base));
        const auto young_urgent = push(d, a_job().priority(5).run_at(base + 30s));
        const auto older_urgent = push(d, a_job().priority(5).run_at(base + 10s));
        const auto most_urgent = push(d, a_job().priority(9).run_at(base + 50s));
        CHECK(drain(d) ==
              std::vector<std::string>{most_urgent, older_urgent, young_urgent, old_plain});
    }
    SECTION("a mix of priorities, due times and batches, one at a time and in batches") {
        std::mt19937 random{11};
        const int levels[] = {0, 0, 0, 1, 2, 50, 1000};
        for (int round = 0; round < 4; ++round) {
            std::vector<NewJob> batch;
            for (int i = 0; i < 15; ++i) {
                batch.push_back(
                    a_job().priority(levels[random() % 7]).run_at(base + (random() % 5) * 1s));
            }
            d.push_batch(batch);
            let_time_pass(d, 2ms);
        }
        const auto order = expected_order(d);
        REQUIRE(order.size() == 60);
        SECTION("one at a time") {
            CHECK(drain(d) == order);
        }
        SECTION("seven at a time") {
            CHECK(drain(d, "default", 7) == order);
        }
    }
    SECTION("a delayed job of high priority waits; lower due jobs run meanwhile") {
        const auto later = push(d, a_job().priority(100).delay(1h));
        const auto plain = push(d, a_job().run_at(base));
        const auto some = push(d, a_job().priority(3).run_at(base));
        CHECK(drain(d, "default", 5) == std::vector<std::string>{some, plain});
        CHECK(stored(d, later).status == Status::pending);
        CHECK(d.size("default") == 1);
    }
    SECTION("priorities order jobs within a queue, not across the queues of a claim") {
        const auto low_urgent = push(d, a_job().queue("low").priority(1000).run_at(base));
        const auto high_plain = push(d, a_job().queue("high").run_at(base + 20s));
        CHECK(claim_one(d, {"high", "low"}).id == high_plain);
        CHECK(claim_one(d, {"high", "low"}).id == low_urgent);
    }
}

TEST_CASE("a job keeps its priority back in pending", "[priorities]") {
    DriverFixture f;
    REQUIRE_CAPABILITY(f, delayed_jobs);
    auto& d = f.driver();
    const TimePoint base = d.now() - 60s;
    const auto urgent = push(d, a_job().priority(4).max_retries(1).run_at(base + 30s));

    SECTION("released for a retry") {
        auto job = claim_one(d);
        REQUIRE(d.release(claim_of(job), Milliseconds(0), "boom"));
    }
    SECTION("put back at shutdown") {
        auto job = claim_one(d);
        REQUIRE(d.put_back(claim_of(job), Milliseconds{0}));
    }
    SECTION("recovered from a lost worker") {
        claim_one(d);
        let_time_pass(d, 50ms);
        REQUIRE(d.recover_stale(Milliseconds(20), false).size() == 1);
    }
    SECTION("a dead letter retried") {
        auto job = claim_one(d);
        REQUIRE(d.fail(claim_of(job), "dead"));
        REQUIRE(d.retry_dead(urgent));
    }
    // Older, plain jobs pushed after: the urgent job must still come first.
    const auto plain = push(d, a_job().run_at(base));
    CHECK(stored(d, urgent).priority == 4);
    CHECK(stored(d, urgent).status == Status::pending);
    CHECK(drain(d) == std::vector<std::string>{urgent, plain});
}

TEST_CASE("priorities survive another driver object", "[priorities]") {
    DriverFixture f;
    REQUIRE_CAPABILITY(f, shared_between_processes);
    auto& d = f.driver();
    const auto plain = push(d, a_job());
    const auto urgent = push(d, a_job().priority(2));
    auto other = f.open_another();
    CHECK(stored(*other, urgent).priority == 2);
    CHECK(drain(*other) == std::vector<std::string>{urgent, plain});
}
