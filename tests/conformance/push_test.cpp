// push, delayed push, push_batch, unique_key; and what a driver that stores nothing still keeps.
#include <nlohmann/json.hpp>
#include <set>

#include "fixture.hpp"
#include "libqueue/errors.hpp"

using namespace conformance;
using nlohmann::json;

TEST_CASE("the driver is the one the config names", "[driver]") {
    DriverFixture f;
    CHECK(f.driver().name() == f.driver_name());
}

TEST_CASE("a fresh store is empty", "[driver]") {
    DriverFixture f;
    auto& d = f.driver();
    auto stats = d.stats();
    CHECK(stats.queues.empty());
    CHECK(d.size("default") == 0);
    CHECK(all_jobs(d).empty());
    CHECK_FALSE(d.find(libqueue::new_job_id()).has_value());
}

TEST_CASE("push stores a pending job with attempts 0, due now", "[push]") {
    DriverFixture f;
    auto& d = f.driver();

    const auto payload = R"({"to": "a@example.org", "tags": [1, 2, {"x": null}]})";
    const TimePoint before = d.now();
    auto result = d.push(a_job("mail.send").queue("mail").payload(payload).max_retries(5));
    const TimePoint after = d.now();

    CHECK(result.created);
    REQUIRE_FALSE(result.id.empty());
    Job job = stored(d, result.id);
    CHECK(job.id == result.id);
    CHECK(job.name == "mail.send");
    CHECK(job.queue == "mail");
    CHECK(job.status == Status::pending);
    CHECK(job.attempts == 0);
    CHECK(job.max_retries == 5);
    CHECK(json::parse(job.payload) == json::parse(payload));
    CHECK_FALSE(job.last_error.has_value());
    CHECK_FALSE(job.finished_at.has_value());
    CHECK_FALSE(job.reserved_by.has_value());
    CHECK_TIME_WITHIN(std::optional(job.created_at), before, after);
    CHECK_TIME_WITHIN(job.available_at, before, after);
    CHECK(d.size("mail") == 1);
    CHECK(d.size("default") == 0);
}

TEST_CASE("push gives every job its own id, or keeps the one given", "[push]") {
    DriverFixture f;
    auto& d = f.driver();

    std::set<std::string> ids;
    for (int i = 0; i < 100; ++i) ids.insert(push(d, a_job("many")));
    CHECK(ids.size() == 100);
    CHECK(d.size("default") == 100);

    const std::string chosen = libqueue::new_job_id();
    CHECK(push(d, a_job("chosen").id(chosen)) == chosen);
    CHECK(stored(d, chosen).name == "chosen");
    CHECK_THROWS_AS(d.push(a_job("again").id(chosen)), libqueue::Error);
    CHECK(stored(d, chosen).name == "chosen");
}

TEST_CASE("push keeps the attempts a job already used (an import), in a batch too", "[push]") {
    DriverFixture f;
    auto& d = f.driver();

    const auto one = push(d, a_job("moved").attempts(2).max_retries(3));
    CHECK(stored(d, one).attempts == 2);
    d.push_batch({a_job("moved").id("batch-a").attempts(1), a_job("moved").id("batch-b")});
    CHECK(stored(d, "batch-a").attempts == 1);
    CHECK(stored(d, "batch-b").attempts == 0);
    // The next claim counts on from there; one run is left of 1 + max_retries.
    auto claimed = d.claim(libqueue::ClaimRequest{{"default"}, "w", 3, 0});
    REQUIRE(claimed.size() == 3);
    for (const auto& job : claimed) {
        CHECK(job.attempts == (job.id == one ? 3 : job.id == "batch-a" ? 2 : 1));
    }
    CHECK_THROWS_AS(d.push(a_job("moved").attempts(-1)), libqueue::DataError);
}

TEST_CASE("push refuses an invalid job and stores nothing", "[push]") {
    DriverFixture f;
    auto& d = f.driver();

    SECTION("empty name") {
        CHECK_THROWS_AS(d.push(a_job("")), libqueue::DataError);
    }
    SECTION("empty queue") {
        CHECK_THROWS_AS(d.push(a_job().queue("")), libqueue::DataError);
    }
    SECTION("payload that is not JSON") {
        CHECK_THROWS_AS(d.push(a_job().payload("{not json")), libqueue::DataError);
    }
    SECTION("negative max_retries") {
        CHECK_THROWS_AS(d.push(a_job().max_retries(-1)), libqueue::DataError);
    }
    CHECK(all_jobs(d).empty());
    CHECK(d.stats().queues.empty());
}

TEST_CASE("a delayed job is not claimable before it is due", "[push][delayed]") {
    DriverFixture f;
    REQUIRE_CAPABILITY(f, delayed_jobs);
    auto& d = f.driver();

    SECTION("delay: due that long after now, claimable once due") {
        const TimePoint before = d.now();
        const auto id = push(d, a_job().delay(300ms));
        const TimePoint after = d.now();
        Job job = stored(d, id);
        CHECK(job.status == Status::pending);
        CHECK_TIME_WITHIN(job.available_at, before + 300ms, after + 300ms);
        REQUIRE(job.available_at.has_value());
        const TimePoint due = *job.available_at;

        auto early = claim(d);
        const TimePoint checked = d.now();
        INFO("claimed at " << show(checked) << ", due " << show(due));
        CHECK((early.empty() || checked >= due));
        CHECK(d.size("default") == 1);

        wait_until(d, due + 1ms);
        Job claimed = claim_one(d);
        CHECK(claimed.id == id);
        CHECK(claimed.attempts == 1);
    }
    SECTION("run_at in the future: due then, exactly") {
        const TimePoint when = d.now() + 1h;
        const auto id = push(d, a_job().run_at(when));
        CHECK(stored(d, id).available_at == when);
        CHECK(claim(d).empty());
        CHECK(d.size("default") == 1);
        CHECK(stored(d, id).status == Status::pending);
    }
    SECTION("run_at in the past: due at once") {
        const TimePoint when = d.now() - 1min;
        const auto id = push(d, a_job().run_at(when));
        CHECK(stored(d, id).available_at == when);
        CHECK(claim_one(d).id == id);
    }
}

namespace {

// Checks that push_batch created each job of `batch` as given, pending, under distinct ids;
// returns the stored jobs in batch order.
std::vector<Job> stored_as_pushed(QueueDriver& d, const std::vector<NewJob>& batch,
                                  const std::vector<libqueue::PushResult>& results) {
    REQUIRE(results.size() == batch.size());
    std::vector<Job> jobs;
    std::set<std::string> ids;
    for (std::size_t i = 0; i < results.size(); ++i) {
        CHECK(results[i].created);
        ids.insert(results[i].id);
        Job job = stored(d, results[i].id);
        CHECK(job.name == batch[i].name);
        CHECK(job.queue == batch[i].queue);
        CHECK(job.max_retries == batch[i].max_retries);
        CHECK(json::parse(job.payload) == json::parse(batch[i].payload));
        CHECK(job.status == Status::pending);
        CHECK(job.attempts == 0);
        jobs.push_back(std::move(job));
    }
    CHECK(ids.size() == batch.size());
    return jobs;
}

}  // namespace

TEST_CASE("push_batch stores every job or none", "[push][batch]") {
    DriverFixture f;
    auto& d = f.driver();

    SECTION("an invalid job in the middle stores nothing") {
        std::vector<NewJob> batch{a_job("first"), a_job("second"), a_job("bad").payload("{oops"),
                                  a_job("fourth")};
        CHECK_THROWS_AS(d.push_batch(batch), libqueue::DataError);
        batch[2] = a_job("");
        CHECK_THROWS_AS(d.push_batch(batch), libqueue::DataError);
        CHECK(all_jobs(d).empty());
        CHECK(d.size("default") == 0);
        CHECK(d.stats().queues.empty());
    }
    SECTION("valid jobs are all stored, in one call") {
        std::vector<NewJob> batch{a_job("a").queue("q1"), a_job("b").queue("q2").payload("[1]"),
                                  a_job("c").queue("q1").max_retries(0)};
        stored_as_pushed(d, batch, d.push_batch(batch));
        CHECK(d.size("q1") == 2);
        CHECK(d.size("q2") == 1);
    }
    SECTION("a large batch keeps each job's fields, in order") {
        // Long enough that a driver inserting many rows per statement has full groups and a
        // remainder; a keyed and a delayed job sit inside a group's range.
        std::vector<NewJob> batch;
        for (int i = 0; i < 100; ++i) {
            JobSpec job = a_job("job" + std::to_string(i));
            job.queue(i % 3 ? "q1" : "q2").payload(R"({"i":)" + std::to_string(i) + "}");
            if (i == 40)
                job.unique_key("in-a-group");
            if (i == 50)
                job.delay(1h);
            batch.push_back(job);
        }
        const auto jobs = stored_as_pushed(d, batch, d.push_batch(batch));
        for (std::size_t i = 0; i < jobs.size(); ++i) {
            CHECK(jobs[i].created_at <= jobs[i].available_at);
            CHECK((jobs[i].available_at >= jobs[i].created_at + 1h) == (i == 50));
        }
        CHECK(d.size("q1") + d.size("q2") == batch.size());
        CHECK_FALSE(d.push(a_job("again").queue("q1").unique_key("in-a-group")).created);
    }
    SECTION("a taken id anywhere in a large batch stores nothing and names the id") {
        const auto taken = push(d, a_job("first"));
        std::vector<NewJob> batch(70, a_job("many"));
        batch[45] = a_job("clash").id(taken);
        try {
            d.push_batch(batch);
            FAIL("push_batch accepted an id that exists");
        } catch (const libqueue::DataError& e) {
            CHECK_THAT(e.what(), Catch::Matchers::Contains(taken));
        }
        CHECK(d.size("default") == 1);
    }
    SECTION("unique keys apply in order within a batch") {
        auto results = d.push_batch({a_job("k").unique_key("same"), a_job("k").unique_key("same"),
                                     a_job("k").unique_key("other")});
        REQUIRE(results.size() == 3);
        CHECK(results[0].created);
        CHECK_FALSE(results[1].created);
        CHECK(results[1].id == results[0].id);
        CHECK(results[2].created);
        CHECK(results[2].id != results[0].id);
        CHECK(d.size("default") == 2);
    }
}

TEST_CASE("unique_key returns the keyed job while it is pending or processing", "[push][unique]") {
    DriverFixture f;
    auto& d = f.driver();

    auto first = d.push(a_job("report").unique_key("daily-report").payload(R"({"day": 1})"));
    REQUIRE(first.created);
    auto again = d.push(a_job("report").unique_key("daily-report").payload(R"({"day": 2})"));
    CHECK_FALSE(again.created);
    CHECK(again.id == first.id);
    CHECK(d.size("default") == 1);
    CHECK(json::parse(stored(d, first.id).payload) == json{{"day", 1}});

    // Another key is another job (in another queue, so the claims below stay unambiguous).
    CHECK(d.push(a_job("report").queue("elsewhere").unique_key("weekly-report")).created);

    Job running = claim_one(d);
    REQUIRE(running.id == first.id);
    auto while_processing = d.push(a_job("report").unique_key("daily-report"));
    CHECK_FALSE(while_processing.created);
    CHECK(while_processing.id == first.id);
    CHECK(d.size("default") == 0);

    SECTION("a completed job frees its key") {
        REQUIRE(d.complete(claim_of(running), 1ms));
        auto next = d.push(a_job("report").unique_key("daily-report"));
        CHECK(next.created);
        CHECK(next.id != first.id);
        CHECK(d.size("default") == 1);
    }
    SECTION("a dead job frees its key") {
        REQUIRE(d.fail(claim_of(running), "broken"));
        auto next = d.push(a_job("report").unique_key("daily-report"));
        CHECK(next.created);
        CHECK(next.id != first.id);
    }
    SECTION("a released job keeps its key") {
        REQUIRE(d.release(claim_of(running), 0ms, "retry"));
        auto next = d.push(a_job("report").unique_key("daily-report"));
        CHECK_FALSE(next.created);
        CHECK(next.id == first.id);
    }
}
