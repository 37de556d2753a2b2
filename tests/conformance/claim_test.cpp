// claim: order within a queue, strict priority across queues, limit, and the claimed row.
#include <algorithm>
#include <random>
#include <set>
#include <tuple>

#include "fixture.hpp"

using namespace conformance;

namespace {

// Claims one job at a time until none is due; returns the ids in claim order.
std::vector<std::string> drain(QueueDriver& d, const std::vector<std::string>& queues) {
    std::vector<std::string> order;
    for (;;) {
        auto claimed = claim(d, queues);
        if (claimed.empty())
            return order;
        REQUIRE(claimed.size() == 1);
        order.push_back(claimed.front().id);
        REQUIRE(order.size() < 10'000);  // a driver handing out jobs twice would loop forever
    }
}

// `count` fresh ids in descending order, so id order is the opposite of push order.
std::vector<std::string> descending_ids(std::size_t count) {
    std::vector<std::string> ids;
    for (std::size_t i = 0; i < count; ++i) ids.push_back(libqueue::new_job_id());
    std::sort(ids.rbegin(), ids.rend());
    return ids;
}

}  // namespace

TEST_CASE("nothing to claim: an empty answer", "[claim]") {
    DriverFixture f;
    auto& d = f.driver();
    CHECK(claim(d).empty());
    const auto elsewhere = push(d, a_job().queue("other"));
    CHECK(claim(d, {"default"}, 10).empty());
    CHECK(stored(d, elsewhere).status == Status::pending);
}

TEST_CASE("claim marks jobs processing with a fresh claim token", "[claim]") {
    DriverFixture f;
    REQUIRE_CAPABILITY(f, delayed_jobs);
    auto& d = f.driver();

    const TimePoint base = d.now() - 10s;
    std::vector<std::string> ids;
    for (int i = 0; i < 5; ++i) ids.push_back(push(d, a_job().run_at(base + i * 1s)));

    const TimePoint before = d.now();
    auto first = claim(d, {"default"}, 3, "conf-worker-1");
    const TimePoint after = d.now();
    REQUIRE(first.size() == 3);
    CHECK(std::set<std::string>{ids[0], ids[1], ids[2]} ==
          std::set<std::string>{first[0].id, first[1].id, first[2].id});

    std::set<std::string> tokens;
    for (const auto& job : first) {
        INFO("job " << job.id);
        CHECK(job.status == Status::processing);
        CHECK(job.attempts == 1);
        CHECK_TIME_WITHIN(job.available_at, before, after);
        REQUIRE(job.reserved_by.has_value());
        CHECK(job.reserved_by->rfind("conf-worker-1", 0) == 0);  // the token names its worker
        tokens.insert(*job.reserved_by);

        Job row = stored(d, job.id);
        CHECK(row.status == Status::processing);
        CHECK(row.attempts == 1);
        CHECK(row.reserved_by == job.reserved_by);
        CHECK(row.available_at == job.available_at);
        CHECK_FALSE(row.finished_at.has_value());
    }
    CHECK(tokens.size() == 3);
    CHECK(d.size("default") == 2);

    auto rest = claim(d, {"default"}, 3, "conf-worker-2");
    REQUIRE(rest.size() == 2);
    CHECK(std::set<std::string>{ids[3], ids[4]} == std::set<std::string>{rest[0].id, rest[1].id});
    for (const auto& job : rest) CHECK(job.reserved_by->rfind("conf-worker-2", 0) == 0);
    CHECK(claim(d, {"default"}, 3).empty());
    CHECK(d.size("default") == 0);
}

TEST_CASE("claim order within a queue: available_at, then created_at, then id", "[claim][order]") {
    DriverFixture f;
    REQUIRE_CAPABILITY(f, delayed_jobs);
    auto& d = f.driver();

    SECTION("available_at first") {
        const TimePoint base = d.now() - 10s;
        // Pushed newest-due first, and with ids against due order, so neither can pass for it.
        auto ids = descending_ids(3);
        const auto late = push(d, a_job().id(ids[2]).run_at(base + 3s));
        const auto early = push(d, a_job().id(ids[1]).run_at(base + 1s));
        const auto middle = push(d, a_job().id(ids[0]).run_at(base + 2s));
        CHECK(drain(d, {"default"}) == std::vector<std::string>{early, middle, late});
    }
    SECTION("created_at breaks a tie of available_at") {
        const TimePoint due = d.now() - 5s;
        auto ids = descending_ids(3);  // id order is the reverse of creation order
        std::vector<std::string> pushed;
        for (const auto& id : ids) {
            pushed.push_back(push(d, a_job().id(id).run_at(due)));
            let_time_pass(d, 3ms);
        }
        for (std::size_t i = 1; i < pushed.size(); ++i) {
            REQUIRE(stored(d, pushed[i - 1]).created_at < stored(d, pushed[i]).created_at);
        }
        CHECK(drain(d, {"default"}) == pushed);
    }
    SECTION("id breaks a tie of available_at and created_at") {
        // One batch: created_at is equal or increasing; either way the stored columns decide.
        const TimePoint due = d.now() - 5s;
        auto ids = descending_ids(8);
        std::shuffle(ids.begin(), ids.end(), std::mt19937{42});
        std::vector<NewJob> batch;
        for (const auto& id : ids) batch.push_back(a_job().id(id).run_at(due));
        d.push_batch(batch);

        auto rows = all_jobs(d);
        REQUIRE(rows.size() == ids.size());
        std::sort(rows.begin(), rows.end(), [](const Job& a, const Job& b) {
            return std::tie(*a.available_at, a.created_at, a.id) <
                   std::tie(*b.available_at, b.created_at, b.id);
        });
        CHECK(drain(d, {"default"}) == ids_of(rows));
    }
    SECTION("a mix of due times, creation times and ids") {
        const TimePoint base = d.now() - 20s;
        std::mt19937 random{7};
        for (int round = 0; round < 3; ++round) {
            std::vector<NewJob> batch;
            for (int i = 0; i < 10; ++i) {
                batch.push_back(a_job().run_at(base + (random() % 4) * 1s));
            }
            d.push_batch(batch);
            let_time_pass(d, 2ms);
        }
        auto rows = all_jobs(d);
        REQUIRE(rows.size() == 30);
        std::sort(rows.begin(), rows.end(), [](const Job& a, const Job& b) {
            return std::tie(*a.available_at, a.created_at, a.id) <
                   std::tie(*b.available_at, b.created_at, b.id);
        });
        CHECK(drain(d, {"default"}) == ids_of(rows));
    }
}

TEST_CASE("queues in a claim are strict priority", "[claim][priority]") {
    DriverFixture f;
    REQUIRE_CAPABILITY(f, delayed_jobs);
    auto& d = f.driver();

    // The low queue's jobs are older: age alone must not win over priority.
    const TimePoint base = d.now() - 60s;
    const auto low1 = push(d, a_job().queue("low").run_at(base));
    const auto low2 = push(d, a_job().queue("low").run_at(base + 1s));
    const auto mid1 = push(d, a_job().queue("mid").run_at(base + 5s));
    const auto high1 = push(d, a_job().queue("high").run_at(base + 10s));
    const auto high2 = push(d, a_job().queue("high").run_at(base + 11s));
    push(d, a_job().queue("unlisted").run_at(base - 10s));

    SECTION("one at a time") {
        CHECK(drain(d, {"high", "mid", "low"}) ==
              std::vector<std::string>{high1, high2, mid1, low1, low2});
        CHECK(d.size("unlisted") == 1);
    }
    SECTION("several at once: the first queue's due jobs, then maybe the next ones in order") {
        // "Up to limit": a driver may stop at the end of a queue, but never skip ahead of one.
        const std::vector<std::string> order{high1, high2, mid1, low1, low2};
        auto first = claim(d, {"high", "mid", "low"}, 3);
        REQUIRE(first.size() >= 2);
        REQUIRE(first.size() <= 3);
        auto got = ids_of(first);
        std::sort(got.begin(), got.end());
        std::vector<std::string> prefix(order.begin(), order.begin() + long(first.size()));
        std::sort(prefix.begin(), prefix.end());
        CHECK(got == prefix);
        auto rest = drain(d, {"high", "mid", "low"});
        CHECK(rest == std::vector<std::string>(order.begin() + long(first.size()), order.end()));
    }
    SECTION("a delayed job does not hold back a lower queue") {
        const auto later = push(d, a_job().queue("first").delay(1h));
        auto got = claim_one(d, {"first", "low"});
        CHECK(got.id == low1);
        CHECK(stored(d, later).status == Status::pending);
    }
    SECTION("the order of queues is the caller's, not the names'") {
        CHECK(claim_one(d, {"low", "high"}).id == low1);
        CHECK(claim_one(d, {"mid", "low", "high"}).id == mid1);
    }
}
