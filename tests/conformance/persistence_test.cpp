// Persistence: another driver object on the same store, or the same store after a restart, sees
// every job as it was, the totals, and honours claims made before.
#include <nlohmann/json.hpp>

#include "fixture.hpp"

using namespace conformance;

namespace {

void check_same_job(const Job& expected, const Job& actual) {
    INFO("job " << expected.id);
    CHECK(actual.id == expected.id);
    CHECK(actual.name == expected.name);
    CHECK(actual.queue == expected.queue);
    CHECK(actual.status == expected.status);
    CHECK(actual.attempts == expected.attempts);
    CHECK(actual.max_retries == expected.max_retries);
    CHECK(nlohmann::json::parse(actual.payload) == nlohmann::json::parse(expected.payload));
    CHECK(actual.last_error == expected.last_error);
    CHECK(actual.created_at == expected.created_at);
    CHECK(actual.available_at == expected.available_at);
    CHECK(actual.finished_at == expected.finished_at);
    CHECK(actual.reserved_by == expected.reserved_by);
}

void check_same_jobs(const std::vector<Job>& expected, const std::vector<Job>& actual) {
    REQUIRE(ids_of(actual) == ids_of(expected));
    for (std::size_t i = 0; i < expected.size(); ++i) check_same_job(expected[i], actual[i]);
}

void check_same_totals(const libqueue::Stats& expected, const libqueue::Stats& actual) {
    REQUIRE(actual.queues.size() == expected.queues.size());
    for (std::size_t i = 0; i < expected.queues.size(); ++i) {
        const auto& e = expected.queues[i];
        const auto& a = actual.queues[i];
        INFO("queue " << e.queue);
        CHECK(a.queue == e.queue);
        CHECK(a.counts.processing == e.counts.processing);
        CHECK(a.counts.completed == e.counts.completed);
        CHECK(a.counts.failed == e.counts.failed);
        CHECK(a.counts.due + a.counts.delayed == e.counts.due + e.counts.delayed);
        CHECK(a.totals.pushed == e.totals.pushed);
        CHECK(a.totals.completed == e.totals.completed);
        CHECK(a.totals.dead == e.totals.dead);
        CHECK(a.totals.retries == e.totals.retries);
        CHECK(a.totals.processing_ms == e.totals.processing_ms);
    }
}

}  // namespace

TEST_CASE("a persistent store keeps jobs, totals and claims across driver objects",
          "[persistent]") {
    DriverFixture f;
    REQUIRE_CAPABILITY(f, persistent);
    auto& d = f.driver();

    push(d, a_job("waiting").payload(R"({"keep": [1, 2, 3]})").max_retries(7));
    if (f.caps().delayed_jobs)
        push(d, a_job("later").delay(1h));
    push(d, a_job("running").queue("run"));
    Job running = claim_one(d, {"run"});
    push(d, a_job("dead").queue("dead"));
    REQUIRE(d.release(claim_of(claim_one(d, {"dead"})), 0ms, "retry once"));
    REQUIRE(d.fail(claim_of(claim_one(d, {"dead"})), "gone"));
    push(d, a_job("done").queue("done"));
    REQUIRE(d.complete(claim_of(claim_one(d, {"done"})), 50ms));

    const auto jobs = all_jobs(d);
    const auto stats = d.stats();

    SECTION("a second driver side by side") {
        auto other = f.open_another();
        check_same_jobs(jobs, all_jobs(*other));
        check_same_totals(stats, other->stats());
        CHECK(other->size("default") == d.size("default"));

        // A claim made through one driver object is settled through the other.
        CHECK(other->complete(claim_of(running), 5ms));
        CHECK(stored(d, running.id).status == Status::completed);
        CHECK(queue_stats(d, "run").totals.completed == 1);

        // Pushes through either are seen by both.
        const auto id = push(*other, a_job("from.other"));
        CHECK(stored(d, id).name == "from.other");
    }
    SECTION("after a restart") {
        f.close();
        f.reopen();
        auto& again = f.driver();
        check_same_jobs(jobs, all_jobs(again));
        check_same_totals(stats, again.stats());
        CHECK(again.complete(claim_of(running), 5ms));
        CHECK(stored(again, running.id).status == Status::completed);
    }
}
