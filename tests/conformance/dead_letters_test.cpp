// Dead letters: list, retry one, retry matching, clear (older than).
#include <set>

#include "fixture.hpp"

using namespace conformance;

namespace {

// Pushes `job`, claims it (it must be the only due job of its queue) and fails it.
std::string dead_letter(QueueDriver& d, const NewJob& job, const std::string& error) {
    const auto id = push(d, job);
    Job running = claim_one(d, {job.queue});
    REQUIRE(running.id == id);
    REQUIRE(d.fail(claim_of(running), error));
    return id;
}

libqueue::ListFilter dead_letters() {
    libqueue::ListFilter filter;
    filter.status = Status::failed;
    filter.limit = 0;
    return filter;
}

std::set<std::string> id_set(const std::vector<Job>& jobs) {
    auto ids = ids_of(jobs);
    return {ids.begin(), ids.end()};
}

}  // namespace

TEST_CASE("dead letters are listed, retried and cleared", "[dead]") {
    DriverFixture f;
    auto& d = f.driver();

    const auto a1 = dead_letter(d, a_job("a").queue("dl"), "boom a1");
    const auto a2 = dead_letter(d, a_job("a").queue("dl"), "boom a2");
    const auto b1 = dead_letter(d, a_job("b").queue("dl"), "boom b1");
    const auto c1 = dead_letter(d, a_job("a").queue("other"), "boom c1");
    const auto done = push(d, a_job("a").queue("dl"));
    REQUIRE(d.complete(claim_of(claim_one(d, {"dl"})), 1ms));
    const auto waiting = push(d, a_job("a").queue("dl"));

    SECTION("list") {
        auto dead = d.list(dead_letters());
        CHECK(id_set(dead) == std::set<std::string>{a1, a2, b1, c1});
        for (const auto& job : dead) {
            CHECK(job.status == Status::failed);
            CHECK(job.last_error.has_value());
            CHECK(job.finished_at.has_value());
        }
        auto in_dl = dead_letters();
        in_dl.queue = "dl";
        CHECK(id_set(d.list(in_dl)) == std::set<std::string>{a1, a2, b1});
    }
    SECTION("retry one: pending, attempts 0, due now, the error cleared") {
        const TimePoint before = d.now();
        CHECK(d.retry_dead(b1));
        const TimePoint after = d.now();
        Job job = stored(d, b1);
        CHECK(job.status == Status::pending);
        CHECK(job.attempts == 0);
        CHECK_TIME_WITHIN(job.available_at, before, after);
        CHECK_FALSE(job.finished_at.has_value());
        CHECK_FALSE(job.reserved_by.has_value());
        CHECK_FALSE(job.last_error.has_value());  // as the Dart driver's retryDeadLetter does
        CHECK(d.size("dl") == 2);

        CHECK_FALSE(d.retry_dead(b1));  // pending now
        CHECK_FALSE(d.retry_dead(done));
        CHECK_FALSE(d.retry_dead(waiting));
        CHECK_FALSE(d.retry_dead(libqueue::new_job_id()));
        CHECK(stored(d, done).status == Status::completed);

        // Claim order puts the older waiting job first; the retried one follows with attempt 1.
        auto claimed = claim(d, {"dl"}, 2);
        REQUIRE(claimed.size() == 2);
        for (const auto& running : claimed) CHECK(running.attempts == 1);
        CHECK(id_set(claimed) == std::set<std::string>{b1, waiting});
    }
    SECTION("retry matching a filter") {
        auto by_name = dead_letters();
        by_name.queue = "dl";
        by_name.name = "a";
        CHECK(d.retry_dead_matching(by_name) == 2);
        CHECK(stored(d, a1).status == Status::pending);
        CHECK(stored(d, a2).status == Status::pending);
        CHECK(stored(d, a1).attempts == 0);
        CHECK_FALSE(stored(d, a1).last_error.has_value());
        CHECK(stored(d, b1).status == Status::failed);
        CHECK(stored(d, b1).last_error == "boom b1");
        CHECK(stored(d, c1).status == Status::failed);
        CHECK(stored(d, done).status == Status::completed);
        CHECK(d.retry_dead_matching(by_name) == 0);

        // The status in the filter is forced to failed: completed jobs never come back.
        libqueue::ListFilter anything;
        anything.status = Status::completed;
        anything.limit = 1;
        CHECK(d.retry_dead_matching(anything) == 1);
        CHECK(stored(d, done).status == Status::completed);
        anything.limit = 0;
        CHECK(d.retry_dead_matching(anything) == 1);
        CHECK(d.list(dead_letters()).empty());
        CHECK(stored(d, done).status == Status::completed);
        CHECK(d.size("dl") == 4);
        CHECK(d.size("other") == 1);
    }
    SECTION("clear all dead letters of a queue") {
        auto in_dl = dead_letters();
        in_dl.queue = "dl";
        CHECK(d.clear_dead(in_dl) == 3);
        CHECK_FALSE(d.find(a1).has_value());
        CHECK_FALSE(d.find(b1).has_value());
        CHECK(stored(d, c1).status == Status::failed);
        CHECK(stored(d, done).status == Status::completed);
        CHECK(stored(d, waiting).status == Status::pending);
        CHECK(d.clear_dead(in_dl) == 0);
    }
    SECTION("clear with a limit") {
        auto limited = dead_letters();
        limited.limit = 3;
        CHECK(d.clear_dead(limited) == 3);
        CHECK(d.list(dead_letters()).size() == 1);
        CHECK(d.clear_dead(limited) == 1);
        CHECK(d.list(dead_letters()).empty());
        CHECK(stored(d, done).status == Status::completed);
    }
}

TEST_CASE("clear_dead with finished_before keeps recent dead letters", "[dead]") {
    DriverFixture f;
    auto& d = f.driver();

    const auto old_dead = dead_letter(d, a_job("x"), "old");
    const auto old_done = push(d, a_job("x"));
    REQUIRE(d.complete(claim_of(claim_one(d)), 1ms));
    let_time_pass(d, 60ms);
    const TimePoint cutoff = d.now();
    let_time_pass(d, 20ms);
    const auto new_dead = dead_letter(d, a_job("x"), "new");

    libqueue::ListFilter older;
    older.finished_before = cutoff;
    older.limit = 0;
    CHECK(d.clear_dead(older) == 1);
    CHECK_FALSE(d.find(old_dead).has_value());
    CHECK(stored(d, old_done).status == Status::completed);  // not a dead letter
    CHECK(stored(d, new_dead).status == Status::failed);

    auto stats = queue_stats(d, "default");
    CHECK(stats.counts.failed == 1);
    CHECK(stats.totals.dead == 2);  // counters survive clearing
}
