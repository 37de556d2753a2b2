// stats: counts by state (due and delayed by the driver's clock), totals, oldest due age, by name.
#include <algorithm>

#include "fixture.hpp"

using namespace conformance;

TEST_CASE("stats count every state, keep totals, and break both down by name", "[stats]") {
    DriverFixture f;
    REQUIRE_CAPABILITY(f, delayed_jobs);
    auto& d = f.driver();

    // While each of these runs it is the only due job of "st", so the claims are unambiguous.
    const auto z1 = push(d, a_job("z").queue("st"));
    REQUIRE(d.release(claim_of(claim_one(d, {"st"})), 0ms, "first try failed"));
    REQUIRE(d.fail(claim_of(claim_one(d, {"st"})), "second try failed"));
    const auto z2 = push(d, a_job("z").queue("st"));
    REQUIRE(d.complete(claim_of(claim_one(d, {"st"})), 100ms));
    const auto y_running = push(d, a_job("y").queue("st"));
    REQUIRE(claim_one(d, {"st"}).id == y_running);
    const TimePoint oldest = d.now() - 5s;
    push(d, a_job("x").queue("st").run_at(oldest));
    push(d, a_job("y").queue("st").run_at(oldest + 4s));
    push(d, a_job("x").queue("st").delay(1h));
    push(d, a_job("x").queue("st2"));
    push(d, a_job("w").queue("st3").delay(1h));
    REQUIRE(stored(d, z1).status == Status::failed);
    REQUIRE(stored(d, z2).status == Status::completed);

    const TimePoint before = d.now();
    auto stats = d.stats();
    const TimePoint after = d.now();
    CHECK_TIME_WITHIN(std::optional(stats.now), before, after);

    std::vector<std::string> names;
    for (const auto& queue : stats.queues) names.push_back(queue.queue);
    CHECK(names == std::vector<std::string>{"st", "st2", "st3"});

    auto st = queue_stats(d, "st");
    CHECK(st.counts.due == 2);
    CHECK(st.counts.delayed == 1);
    CHECK(st.counts.processing == 1);
    CHECK(st.counts.completed == 1);
    CHECK(st.counts.failed == 1);
    CHECK(st.totals.pushed == 6);
    CHECK(st.totals.completed == 1);
    CHECK(st.totals.dead == 1);
    CHECK(st.totals.retries == 1);
    CHECK(st.totals.processing_ms == 100);

    REQUIRE(st.oldest_due_age.has_value());
    const auto expected_age = stats.now - oldest;
    INFO("oldest_due_age " << st.oldest_due_age->count() << "ms, expected about "
                           << expected_age.count() << "ms");
    CHECK(std::abs((*st.oldest_due_age - expected_age).count()) <= kClockSlack.count() * 5);

    REQUIRE(st.by_name.count("x") == 1);
    REQUIRE(st.by_name.count("y") == 1);
    REQUIRE(st.by_name.count("z") == 1);
    CHECK(st.by_name["x"].due == 1);
    CHECK(st.by_name["x"].delayed == 1);
    CHECK(st.by_name["x"].processing == 0);
    CHECK(st.by_name["y"].due == 1);
    CHECK(st.by_name["y"].processing == 1);
    CHECK(st.by_name["z"].completed == 1);
    CHECK(st.by_name["z"].failed == 1);
    CHECK(st.by_name["z"].due == 0);

    REQUIRE(st.totals_by_name.count("z") == 1);
    CHECK(st.totals_by_name["z"].pushed == 2);
    CHECK(st.totals_by_name["z"].completed == 1);
    CHECK(st.totals_by_name["z"].dead == 1);
    CHECK(st.totals_by_name["z"].retries == 1);
    CHECK(st.totals_by_name["z"].processing_ms == 100);
    CHECK(st.totals_by_name["x"].pushed == 2);
    CHECK(st.totals_by_name["y"].pushed == 2);
    CHECK(st.totals_by_name["y"].completed == 0);

    auto st2 = queue_stats(d, "st2");
    CHECK(st2.counts.due == 1);
    CHECK(st2.counts.delayed == 0);
    CHECK(st2.totals.pushed == 1);
    CHECK(st2.oldest_due_age.has_value());

    auto st3 = queue_stats(d, "st3");
    CHECK(st3.counts.due == 0);
    CHECK(st3.counts.delayed == 1);
    CHECK_FALSE(st3.oldest_due_age.has_value());
}

TEST_CASE("stats see a delayed job become due by the driver's clock", "[stats][delayed]") {
    DriverFixture f;
    REQUIRE_CAPABILITY(f, delayed_jobs);
    auto& d = f.driver();

    const auto id = push(d, a_job().delay(300ms));
    const TimePoint due = *stored(d, id).available_at;
    auto early = d.stats();
    REQUIRE(early.queues.size() == 1);
    if (early.now < due) {
        CHECK(early.queues[0].counts.delayed == 1);
        CHECK(early.queues[0].counts.due == 0);
        CHECK_FALSE(early.queues[0].oldest_due_age.has_value());
    }
    wait_until(d, due + 1ms);
    auto q = queue_stats(d, "default");
    CHECK(q.counts.due == 1);
    CHECK(q.counts.delayed == 0);
    REQUIRE(q.oldest_due_age.has_value());
    CHECK(q.oldest_due_age->count() >= 0);
}
