// recover_stale (dry run, back to pending, dead when out of attempts) and prune.
#include <map>

#include "fixture.hpp"

using namespace conformance;

namespace {

const Job* find_in(const std::vector<Job>& jobs, const std::string& id) {
    for (const auto& job : jobs) {
        if (job.id == id)
            return &job;
    }
    return nullptr;
}

}  // namespace

TEST_CASE(
    "recover_stale returns stale jobs to pending, or to the dead letters when out of attempts",
    "[recover]") {
    DriverFixture f;
    auto& d = f.driver();

    const auto keep = push(d, a_job("retryable").queue("r1").max_retries(3));
    const auto doomed = push(d, a_job("last.chance").queue("r2").max_retries(0));
    const auto fresh = push(d, a_job("fresh").queue("r3"));
    const auto waiting = push(d, a_job("waiting").queue("r4"));
    Job keep_run = claim_one(d, {"r1"}, "lost-worker");
    Job doomed_run = claim_one(d, {"r2"}, "lost-worker");
    let_time_pass(d, 250ms);
    Job fresh_run = claim_one(d, {"r3"}, "live-worker");

    // The fresh claim is stale too only if the machine stalled for the whole window.
    auto fresh_may_be_stale = [&] { return d.now() >= *fresh_run.available_at + 150ms; };

    SECTION("a dry run lists them and changes nothing") {
        auto listed = d.recover_stale(150ms, true);
        CHECK(contains_id(listed, keep));
        CHECK(contains_id(listed, doomed));
        CHECK_FALSE(contains_id(listed, waiting));
        if (!fresh_may_be_stale())
            CHECK_FALSE(contains_id(listed, fresh));
        for (const auto& [id, run] : {std::pair{keep, keep_run}, std::pair{doomed, doomed_run}}) {
            Job job = stored(d, id);
            CHECK(job.status == Status::processing);
            CHECK(job.reserved_by == run.reserved_by);
            CHECK(job.available_at == run.available_at);
            CHECK(job.attempts == 1);
        }
        CHECK(d.recover_stale(150ms, true).size() == listed.size());
    }
    SECTION("recovery") {
        const TimePoint before = d.now();
        auto recovered = d.recover_stale(150ms, false);
        const TimePoint after = d.now();

        // Returned as they were before recovery.
        const Job* keep_before = find_in(recovered, keep);
        const Job* doomed_before = find_in(recovered, doomed);
        REQUIRE(keep_before != nullptr);
        REQUIRE(doomed_before != nullptr);
        CHECK(keep_before->status == Status::processing);
        CHECK(keep_before->reserved_by == keep_run.reserved_by);
        CHECK(doomed_before->status == Status::processing);
        CHECK_FALSE(contains_id(recovered, waiting));

        Job kept = stored(d, keep);
        CHECK(kept.status == Status::pending);
        CHECK(kept.attempts == 1);  // the lost run used up an attempt
        CHECK_TIME_WITHIN(kept.available_at, before, after);
        CHECK_FALSE(kept.reserved_by.has_value());
        CHECK_FALSE(kept.finished_at.has_value());

        Job dead = stored(d, doomed);
        CHECK(dead.status == Status::failed);
        CHECK(dead.last_error == "worker lost");
        CHECK(dead.attempts == 1);
        CHECK_TIME_WITHIN(dead.finished_at, before, after);
        CHECK_FALSE(dead.reserved_by.has_value());
        // Every lost run is a failed attempt: a retry where one is left, else dead.
        CHECK(queue_stats(d, "r2").totals.dead == 1);
        CHECK(queue_stats(d, "r2").totals.retries == 0);
        CHECK(queue_stats(d, "r1").totals.dead == 0);
        CHECK(queue_stats(d, "r1").totals.retries == 1);

        if (!contains_id(recovered, fresh)) {
            CHECK(stored(d, fresh).status == Status::processing);
            CHECK(d.complete(claim_of(fresh_run), 1ms));
        }
        CHECK_FALSE(d.complete(claim_of(keep_run), 1ms));  // the lost worker's token is void

        auto again = d.recover_stale(150ms, false);
        CHECK_FALSE(contains_id(again, keep));
        CHECK_FALSE(contains_id(again, doomed));

        Job rerun = claim_one(d, {"r1"});
        CHECK(rerun.id == keep);
        CHECK(rerun.attempts == 2);
    }
}

TEST_CASE("jobs claimed ahead get their attempt back when recovered, and never go dead for it",
          "[recover][ahead]") {
    DriverFixture f;
    auto& d = f.driver();
    std::vector<std::string> ids;
    for (int i = 0; i < 5; ++i) ids.push_back(push(d, a_job("ahead").queue("ah").max_retries(0)));

    // Two jobs for free slots, three held ahead of a slot.
    libqueue::ClaimRequest request{{"ah"}, "lost-worker", 5, 3};
    auto claimed = d.claim(request);
    REQUIRE(claimed.size() == 5);
    for (std::size_t i = 0; i < claimed.size(); ++i) {
        INFO("job " << i);
        CHECK(claimed[i].attempts == 1);
        REQUIRE(claimed[i].reserved_by.has_value());
        CHECK(libqueue::claimed_ahead(*claimed[i].reserved_by) == (i >= 2));
    }
    let_time_pass(d, 250ms);
    auto recovered = d.recover_stale(150ms, false);
    CHECK(recovered.size() == 5);

    for (std::size_t i = 0; i < claimed.size(); ++i) {
        INFO("job " << i);
        Job job = stored(d, claimed[i].id);
        if (i < 2) {
            // Run for a free slot: the lost run used the only attempt.
            CHECK(job.status == Status::failed);
            CHECK(job.last_error == "worker lost");
            CHECK(job.attempts == 1);
        } else {
            CHECK(job.status == Status::pending);
            CHECK(job.attempts == 0);
            CHECK_FALSE(job.reserved_by.has_value());
        }
    }
    // Given back is not a failed attempt: no retries counted for them.
    CHECK(queue_stats(d, "ah").totals.retries == 0);
    CHECK(queue_stats(d, "ah").totals.dead == 2);

    // They run with their one attempt intact.
    auto again = d.claim(libqueue::ClaimRequest{{"ah"}, "rescuer", 5, 0});
    REQUIRE(again.size() == 3);
    for (const auto& job : again) {
        CHECK(job.attempts == 1);
        CHECK_FALSE(libqueue::claimed_ahead(*job.reserved_by));
        CHECK(d.complete(claim_of(job), 1ms));
    }
}

// Each driver spells "out of attempts ⇒ dead" in its own language (C++, SQL, Lua): every copy
// must agree with stale_outcome(), the rule in C++, at and around each boundary.
TEST_CASE("recover_stale decides every stale job as stale_outcome() does", "[recover][rule]") {
    DriverFixture f;
    auto& d = f.driver();
    struct Case {
        std::string queue;
        int max_retries;
        int runs;  // claims so far, the last one lost
        bool ahead;
    };
    std::vector<Case> cases;
    for (int max_retries = 0; max_retries <= 3; ++max_retries) {
        for (int runs = 1; runs <= max_retries + 2; ++runs) {
            for (bool ahead : {false, true}) {
                cases.push_back({"rule" + std::to_string(cases.size()), max_retries, runs, ahead});
            }
        }
    }
    std::map<std::string, Case> by_id;
    for (const auto& c : cases) {
        const auto id = push(d, a_job("rule").queue(c.queue).max_retries(c.max_retries));
        by_id.emplace(id, c);
        for (int run = 1; run <= c.runs; ++run) {
            const bool last = run == c.runs;
            libqueue::ClaimRequest request{{c.queue}, "lost-worker", 1, last && c.ahead ? 1u : 0u};
            auto claimed = d.claim(request);
            REQUIRE(claimed.size() == 1);
            REQUIRE(claimed.front().attempts == run);
            if (!last)
                REQUIRE(d.release(claim_of(claimed.front()), 0ms, "failed run"));
        }
    }
    let_time_pass(d, 250ms);
    auto recovered = d.recover_stale(150ms, false);
    REQUIRE(recovered.size() == cases.size());
    for (const auto& before : recovered) {
        const Case& c = by_id.at(before.id);
        INFO("max_retries " << c.max_retries << ", attempts " << before.attempts
                            << (c.ahead ? ", claimed ahead" : ""));
        Job after = stored(d, before.id);
        switch (libqueue::stale_outcome(before)) {
            case libqueue::StaleOutcome::dead:
                CHECK(after.status == Status::failed);
                CHECK(after.last_error == "worker lost");
                CHECK(after.attempts == before.attempts);
                break;
            case libqueue::StaleOutcome::retry:
                CHECK(after.status == Status::pending);
                CHECK(after.attempts == before.attempts);
                break;
            case libqueue::StaleOutcome::give_back:
                CHECK(after.status == Status::pending);
                CHECK(after.attempts == before.attempts - 1);
                break;
        }
    }
}

TEST_CASE("recover_stale leaves jobs alone that are younger than stale_after", "[recover]") {
    DriverFixture f;
    auto& d = f.driver();
    const auto id = push(d, a_job());
    Job running = claim_one(d);
    CHECK(d.recover_stale(1h, false).empty());
    CHECK(d.recover_stale(1h, true).empty());
    CHECK(stored(d, id).status == Status::processing);
    CHECK(d.complete(claim_of(running), 1ms));
}

TEST_CASE("prune deletes completed and failed jobs finished before the cutoff", "[prune]") {
    DriverFixture f;
    auto& d = f.driver();

    const auto old_done = push(d, a_job("p"));
    REQUIRE(d.complete(claim_of(claim_one(d)), 1ms));
    const auto old_dead = push(d, a_job("p"));
    REQUIRE(d.fail(claim_of(claim_one(d)), "x"));
    let_time_pass(d, 200ms);
    const auto new_done = push(d, a_job("p"));
    REQUIRE(d.complete(claim_of(claim_one(d)), 1ms));
    const auto running_id = push(d, a_job("p"));
    Job running = claim_one(d);
    const auto waiting = push(d, a_job("p"));

    CHECK(d.prune(100ms, 100, {}) == 2);
    CHECK_FALSE(d.find(old_done).has_value());
    CHECK_FALSE(d.find(old_dead).has_value());
    CHECK(stored(d, new_done).status == Status::completed);
    CHECK(stored(d, running_id).status == Status::processing);
    CHECK(stored(d, waiting).status == Status::pending);
    CHECK(d.prune(1h, 100, {}) == 0);

    auto stats = queue_stats(d, "default");
    CHECK(stats.totals.completed == 2);  // counters survive pruning
    CHECK(stats.totals.dead == 1);
    CHECK(d.complete(claim_of(running), 1ms));
}

TEST_CASE("prune narrowed to one status or one queue takes only those", "[prune]") {
    DriverFixture f;
    auto& d = f.driver();

    const auto done = push(d, a_job("p"));
    REQUIRE(d.complete(claim_of(claim_one(d)), 1ms));
    const auto dead = push(d, a_job("p"));
    REQUIRE(d.fail(claim_of(claim_one(d)), "x"));
    const auto other_done = push(d, a_job("p").queue("other"));
    REQUIRE(d.complete(claim_of(claim_one(d, {"other"})), 1ms));
    const auto other_dead = push(d, a_job("p").queue("other"));
    REQUIRE(d.fail(claim_of(claim_one(d, {"other"})), "x"));
    const auto waiting = push(d, a_job("p"));
    let_time_pass(d, 50ms);

    CHECK(d.prune(20ms, 100, {.status = Status::failed, .queue = "other"}) == 1);
    CHECK_FALSE(d.find(other_dead).has_value());
    CHECK(d.prune(20ms, 100, {.status = Status::pending, .queue = {}}) ==
          0);  // never unfinished jobs
    CHECK(d.prune(20ms, 100, {.status = Status::completed, .queue = {}}) == 2);
    CHECK_FALSE(d.find(done).has_value());
    CHECK_FALSE(d.find(other_done).has_value());
    CHECK(d.prune(20ms, 100, {.status = {}, .queue = "other"}) == 0);
    CHECK(stored(d, dead).status == Status::failed);
    CHECK(d.prune(20ms, 100, {.status = {}, .queue = "default"}) == 1);
    CHECK_FALSE(d.find(dead).has_value());
    CHECK(stored(d, waiting).status == Status::pending);
}

TEST_CASE("prune deletes at most `limit` jobs per call", "[prune]") {
    DriverFixture f;
    auto& d = f.driver();

    for (int i = 0; i < 5; ++i) {
        push(d, a_job("p"));
        REQUIRE(d.complete(claim_of(claim_one(d)), 1ms));
    }
    let_time_pass(d, 50ms);
    CHECK(d.prune(20ms, 2, {}) == 2);
    CHECK(d.prune(20ms, 2, {}) == 2);
    CHECK(d.prune(20ms, 2, {}) == 1);
    CHECK(d.prune(20ms, 2, {}) == 0);
    CHECK(all_jobs(d).empty());
}
