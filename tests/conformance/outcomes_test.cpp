// The outcomes of a claim: heartbeat, complete, release, put back, fail; and their fencing.
#include <nlohmann/json.hpp>

#include "fixture.hpp"

using namespace conformance;

TEST_CASE("complete: completed, finished now, no longer reserved", "[outcome][complete]") {
    DriverFixture f;
    auto& d = f.driver();

    const auto id = push(d, a_job("work").payload(R"({"keep": "me"})"));
    Job running = claim_one(d);
    const TimePoint before = d.now();
    CHECK(d.complete(claim_of(running), 1234ms));
    const TimePoint after = d.now();

    Job job = stored(d, id);
    CHECK(job.status == Status::completed);
    CHECK(job.available_at == running.available_at);  // unchanged by complete
    CHECK(nlohmann::json::parse(job.payload) == nlohmann::json{{"keep", "me"}});
    CHECK(job.name == "work");
    CHECK_TIME_WITHIN(job.finished_at, before, after);
    CHECK_FALSE(job.reserved_by.has_value());
    CHECK(job.attempts == 1);
    CHECK_FALSE(job.last_error.has_value());
    CHECK(claim(d).empty());
    CHECK(d.size("default") == 0);

    auto stats = queue_stats(d, "default");
    CHECK(stats.counts.completed == 1);
    CHECK(stats.totals.completed == 1);
    CHECK(stats.totals.processing_ms == 1234);
}

TEST_CASE("complete with keep_completed false deletes the job", "[outcome][complete]") {
    DriverFixture f([](libqueue::Config& config) { config.keep_completed = false; });
    auto& d = f.driver();

    const auto id = push(d, a_job("work"));
    const auto other = push(d, a_job("work").queue("other"));
    CHECK(d.complete(claim_of(claim_one(d)), 10ms));
    CHECK_FALSE(d.find(id).has_value());
    CHECK(stored(d, other).status == Status::pending);

    libqueue::ListFilter completed;
    completed.status = Status::completed;
    CHECK(d.list(completed).empty());
    auto stats = queue_stats(d, "default");
    CHECK(stats.counts.completed == 0);
    CHECK(stats.totals.completed == 1);  // the counters survive the row
    CHECK(stats.totals.processing_ms == 10);
}

TEST_CASE("fail: a dead letter, finished now, with the error", "[outcome][fail]") {
    DriverFixture f;
    auto& d = f.driver();

    const auto id = push(d, a_job("work").payload(R"({"keep": "me"})"));
    Job running = claim_one(d);
    const TimePoint before = d.now();
    CHECK(d.fail(claim_of(running), "exploded: disk full"));
    const TimePoint after = d.now();

    Job job = stored(d, id);
    CHECK(job.status == Status::failed);
    CHECK(job.available_at == running.available_at);  // unchanged by fail
    CHECK(nlohmann::json::parse(job.payload) == nlohmann::json{{"keep", "me"}});
    CHECK_TIME_WITHIN(job.finished_at, before, after);
    CHECK(job.last_error == "exploded: disk full");
    CHECK_FALSE(job.reserved_by.has_value());
    CHECK(job.attempts == 1);
    CHECK(claim(d).empty());
    CHECK(d.size("default") == 0);

    auto stats = queue_stats(d, "default");
    CHECK(stats.counts.failed == 1);
    CHECK(stats.totals.dead == 1);
    CHECK(stats.totals.completed == 0);
}

TEST_CASE("release: pending again after the delay, with the error", "[outcome][release]") {
    DriverFixture f;
    REQUIRE_CAPABILITY(f, delayed_jobs);
    auto& d = f.driver();

    const auto id = push(d, a_job("work"));
    Job running = claim_one(d);
    const TimePoint before = d.now();
    CHECK(d.release(claim_of(running), 300ms, "temporary glitch"));
    const TimePoint after = d.now();

    Job job = stored(d, id);
    CHECK(job.status == Status::pending);
    CHECK_TIME_WITHIN(job.available_at, before + 300ms, after + 300ms);
    CHECK(job.last_error == "temporary glitch");
    CHECK_FALSE(job.reserved_by.has_value());
    CHECK_FALSE(job.finished_at.has_value());
    CHECK(job.attempts == 1);
    CHECK(d.size("default") == 1);
    CHECK(queue_stats(d, "default").totals.retries == 1);

    REQUIRE(job.available_at.has_value());
    auto early = claim(d);
    const TimePoint checked = d.now();
    INFO("claimed at " << show(checked) << ", due " << show(job.available_at));
    CHECK((early.empty() || checked >= *job.available_at));

    wait_until(d, *job.available_at + 1ms);
    Job again = claim_one(d);
    CHECK(again.id == id);
    CHECK(again.attempts == 2);
    CHECK(again.reserved_by != running.reserved_by);

    // Without a delay it is due at once.
    CHECK(d.release(claim_of(again), 0ms, "once more"));
    Job third = claim_one(d);
    CHECK(third.id == id);
    CHECK(third.attempts == 3);
    CHECK(queue_stats(d, "default").totals.retries == 2);
}

TEST_CASE("put back: pending at once, the attempt not counted", "[outcome][put_back]") {
    DriverFixture f;
    auto& d = f.driver();

    const auto id = push(d, a_job("work"));
    Job running = claim_one(d);
    REQUIRE(running.attempts == 1);
    const TimePoint before = d.now();
    CHECK(d.put_back(claim_of(running), Milliseconds{0}));
    const TimePoint after = d.now();

    Job job = stored(d, id);
    CHECK(job.status == Status::pending);
    CHECK(job.attempts == 0);
    CHECK_TIME_WITHIN(job.available_at, before, after);
    CHECK_FALSE(job.reserved_by.has_value());
    CHECK_FALSE(job.finished_at.has_value());

    Job again = claim_one(d);
    CHECK(again.id == id);
    CHECK(again.attempts == 1);

    // After a real retry the count goes back by one only.
    REQUIRE(d.release(claim_of(again), 0ms, "retry"));
    Job second = claim_one(d);
    REQUIRE(second.attempts == 2);
    CHECK(d.put_back(claim_of(second), Milliseconds{0}));
    CHECK(stored(d, id).attempts == 1);
    auto stats = queue_stats(d, "default");
    CHECK(stats.totals.retries == 1);
    CHECK(stats.totals.dead == 0);
}

TEST_CASE("heartbeat keeps a live job from being recovered", "[outcome][heartbeat]") {
    DriverFixture f;
    auto& d = f.driver();

    const auto id = push(d, a_job("long.running"));
    Job running = claim_one(d);
    let_time_pass(d, 250ms);

    // Without a heartbeat it would be stale now.
    CHECK(contains_id(d.recover_stale(150ms, true), id));

    const TimePoint before = d.now();
    CHECK(d.heartbeat(claim_of(running)));
    const TimePoint after = d.now();
    Job job = stored(d, id);
    CHECK(job.status == Status::processing);
    CHECK_TIME_WITHIN(job.available_at, before, after);
    CHECK(job.reserved_by == running.reserved_by);
    CHECK(job.attempts == 1);

    auto recovered = d.recover_stale(150ms, false);
    const TimePoint checked = d.now();
    REQUIRE(job.available_at.has_value());
    if (checked < *job.available_at + 150ms)
        CHECK_FALSE(contains_id(recovered, id));
    if (!contains_id(recovered, id)) {
        CHECK(stored(d, id).status == Status::processing);
        CHECK(d.complete(claim_of(running), 1ms));
        CHECK(stored(d, id).status == Status::completed);
    }
}

TEST_CASE("a recovered job's old claim token is fenced off", "[outcome][fencing]") {
    DriverFixture f;
    auto& d = f.driver();

    const auto id = push(d, a_job("work").max_retries(5));
    Job first = claim_one(d, {"default"}, "worker-a");
    let_time_pass(d, 60ms);
    REQUIRE(contains_id(d.recover_stale(20ms, false), id));
    Job second = claim_one(d, {"default"}, "worker-b");
    REQUIRE(second.id == id);
    REQUIRE(second.reserved_by != first.reserved_by);

    const auto totals_before = queue_stats(d, "default").totals;
    const Claim old = claim_of(first);
    CHECK_FALSE(d.heartbeat(old));
    CHECK_FALSE(d.complete(old, 5ms));
    CHECK_FALSE(d.release(old, 0ms, "stale worker says retry"));
    CHECK_FALSE(d.put_back(old, Milliseconds{0}));
    CHECK_FALSE(d.fail(old, "stale worker says dead"));

    Job job = stored(d, id);
    CHECK(job.status == Status::processing);
    CHECK(job.reserved_by == second.reserved_by);
    CHECK(job.attempts == 2);
    CHECK(job.available_at == second.available_at);
    CHECK_FALSE(job.last_error.has_value());
    CHECK_FALSE(job.finished_at.has_value());
    const auto totals_after = queue_stats(d, "default").totals;
    CHECK(totals_after.completed == totals_before.completed);
    CHECK(totals_after.dead == totals_before.dead);
    CHECK(totals_after.retries == totals_before.retries);
    CHECK(totals_after.processing_ms == totals_before.processing_ms);

    // The current holder still settles it; after that, its token is spent too.
    CHECK(d.complete(claim_of(second), 5ms));
    CHECK_FALSE(d.heartbeat(claim_of(second)));
    CHECK_FALSE(d.fail(claim_of(second), "late"));
    CHECK_FALSE(d.complete(claim_of(second), 5ms));
    CHECK(stored(d, id).status == Status::completed);
    CHECK(queue_stats(d, "default").totals.completed == 1);
}

TEST_CASE("outcomes on jobs that are not processing, or with a wrong token, change nothing",
          "[outcome][fencing]") {
    DriverFixture f;
    auto& d = f.driver();

    const auto pending = push(d, a_job("idle"));
    const Claim forged{pending, libqueue::new_claim_token("forger")};
    CHECK_FALSE(d.heartbeat(forged));
    CHECK_FALSE(d.complete(forged, 1ms));
    CHECK_FALSE(d.release(forged, 0ms, "x"));
    CHECK_FALSE(d.put_back(forged, Milliseconds{0}));
    CHECK_FALSE(d.fail(forged, "x"));
    Job job = stored(d, pending);
    CHECK(job.status == Status::pending);
    CHECK(job.attempts == 0);
    CHECK_FALSE(job.last_error.has_value());

    Job running = claim_one(d);
    const Claim wrong{running.id, *running.reserved_by + "x"};
    CHECK_FALSE(d.complete(wrong, 1ms));
    CHECK_FALSE(d.fail(wrong, "x"));
    CHECK(stored(d, running.id).status == Status::processing);

    const Claim unknown{libqueue::new_job_id(), *running.reserved_by};
    CHECK_FALSE(d.complete(unknown, 1ms));
    CHECK_FALSE(d.heartbeat(unknown));
}

TEST_CASE("complete_batch completes each claimed job and refuses the rest, one by one",
          "[outcome][complete][batch]") {
    DriverFixture f;
    auto& d = f.driver();

    for (int i = 0; i < 5; ++i) push(d, a_job("work"));
    const auto pending = push(d, a_job("later").queue("other"));
    const auto running = claim(d, {"default"}, 5);
    REQUIRE(running.size() == 5);

    std::vector<libqueue::Completion> batch;
    for (const auto& job : running) batch.push_back({claim_of(job), 10ms});
    batch[1].claim.token += "x";  // not our claim: refused, the job stays processing
    batch.push_back({Claim{pending, libqueue::new_claim_token("forger")}, 1ms});  // not claimed
    batch.push_back({Claim{libqueue::new_job_id(), "nobody"}, 1ms});              // no such job

    const TimePoint before = d.now();
    const auto applied = d.complete_batch(batch);
    const TimePoint after = d.now();
    REQUIRE(applied.size() == batch.size());
    CHECK(applied == std::vector<bool>{true, false, true, true, true, false, false});

    for (std::size_t i : {0u, 2u, 3u, 4u}) {
        Job job = stored(d, running[i].id);
        CHECK(job.status == Status::completed);
        CHECK_FALSE(job.reserved_by.has_value());
        CHECK_TIME_WITHIN(job.finished_at, before, after);
    }
    CHECK(stored(d, running[1].id).status == Status::processing);
    CHECK(stored(d, pending).status == Status::pending);
    CHECK(d.complete_batch({}).empty());

    auto stats = queue_stats(d, "default");
    CHECK(stats.counts.completed == 4);
    CHECK(stats.counts.processing == 1);
    CHECK(stats.totals.completed == 4);
    CHECK(stats.totals.processing_ms == 40);
}

// Batches as large as a busy worker sends, several times over: a driver may take another path
// for them (PostgreSQL plans large batches with their values, small ones once).
TEST_CASE("complete_batch applies large batches, round after round", "[outcome][complete][batch]") {
    DriverFixture f;
    auto& d = f.driver();
    constexpr std::size_t kBatch = 80;
    for (int round = 0; round < 3; ++round) {
        for (std::size_t i = 0; i < kBatch; ++i) push(d, a_job("work"));
        const auto running = claim(d, {"default"}, kBatch);
        REQUIRE(running.size() == kBatch);
        std::vector<libqueue::Completion> batch;
        for (const auto& job : running) batch.push_back({claim_of(job), 2ms});
        batch[7].claim.token += "x";  // not our claim: refused, the job stays processing
        const auto applied = d.complete_batch(batch);
        REQUIRE(applied.size() == kBatch);
        for (std::size_t i = 0; i < kBatch; ++i) {
            CHECK(applied[i] == (i != 7));
            CHECK(stored(d, running[i].id).status ==
                  (i == 7 ? Status::processing : Status::completed));
        }
    }
    auto stats = queue_stats(d, "default");
    CHECK(stats.counts.completed == 3 * (kBatch - 1));
    CHECK(stats.counts.processing == 3);
    CHECK(stats.totals.completed == 3 * (kBatch - 1));
    CHECK(stats.totals.processing_ms == 2 * 3 * (kBatch - 1));
}

TEST_CASE("complete_batch with keep_completed false deletes the jobs it completes",
          "[outcome][complete][batch]") {
    DriverFixture f([](libqueue::Config& config) { config.keep_completed = false; });
    auto& d = f.driver();

    for (int i = 0; i < 3; ++i) push(d, a_job("work"));
    const auto running = claim(d, {"default"}, 3);
    REQUIRE(running.size() == 3);
    std::vector<libqueue::Completion> batch;
    for (const auto& job : running) batch.push_back({claim_of(job), 5ms});
    CHECK(d.complete_batch(batch) == std::vector<bool>{true, true, true});
    for (const auto& job : running) CHECK_FALSE(d.find(job.id).has_value());
    auto stats = queue_stats(d, "default");
    CHECK(stats.totals.completed == 3);
    CHECK(stats.totals.processing_ms == 15);
}
