// The worker registry on every storing driver: a running Worker is listed with what it runs,
// goes from the list when it stops, a silent one shows as lost, and a long-lost one is removed.
#include <thread>

#include "fixture.hpp"
#include "libqueue/worker.hpp"
#include "libqueue/worker_registry.hpp"

using namespace conformance;

namespace {

libqueue::WorkerRecord record_named(const std::string& id, Milliseconds stale_after) {
    libqueue::WorkerRecord w;
    w.id = id;
    w.host = "host-a";
    w.pid = 4242;
    w.queues = {"default", "mail"};
    w.concurrency = 3;
    w.started_at = libqueue::system_now();
    w.stale_after = stale_after;
    w.completed = 7;
    w.retried = 2;
    w.dead = 1;
    w.running = {"job-1", "job-2"};
    w.run_time["default"].observe(std::chrono::microseconds(20'000));
    w.run_time["default"].observe(std::chrono::microseconds(400'000'000));
    return w;
}

}  // namespace

TEST_CASE("an announced worker is listed as it announced itself", "[workers]") {
    DriverFixture f;
    REQUIRE_CAPABILITY(f, shared_between_processes);
    libqueue::announce_worker(f.driver(), record_named("host-a:4242:AAAA", 60s));
    auto other = f.open_another();
    const auto workers = libqueue::list_workers(*other);
    REQUIRE(workers.size() == 1);
    const auto& w = workers[0];
    CHECK(w.id == "host-a:4242:AAAA");
    CHECK(w.host == "host-a");
    CHECK(w.pid == 4242);
    CHECK(w.queues == std::vector<std::string>{"default", "mail"});
    CHECK(w.concurrency == 3);
    CHECK(w.completed == 7);
    CHECK(w.retried == 2);
    CHECK(w.dead == 1);
    CHECK(w.running == std::vector<std::string>{"job-1", "job-2"});
    REQUIRE(w.run_time.size() == 1);
    CHECK(w.run_time.at("default").count == 2);
    CHECK(w.run_time.at("default").in_bucket[4] == 1);  // 10ms..25ms; the other above 5m
    CHECK_FALSE(w.lost);
    CHECK(w.state() == "working");

    libqueue::forget_worker(*other, "host-a:4242:AAAA");
    CHECK(libqueue::list_workers(f.driver()).empty());
}

TEST_CASE("a worker unseen for its stale_after is lost, and removed once lost long enough",
          "[workers]") {
    DriverFixture f;
    auto& d = f.driver();
    libqueue::announce_worker(d, record_named("quiet", 100ms));
    libqueue::announce_worker(d, record_named("alive", 60s));
    std::this_thread::sleep_for(400ms);
    auto workers = libqueue::list_workers(d);
    REQUIRE(workers.size() == 2);
    for (const auto& w : workers) {
        INFO(w.id);
        CHECK(w.lost == (w.id == "quiet"));
        CHECK(w.state() == (w.id == "quiet" ? "lost" : "working"));
    }
    // Kept a day by default; with no time kept, the next listing removes it for good.
    workers = libqueue::list_workers(d, Milliseconds{0});
    REQUIRE(workers.size() == 1);
    CHECK(workers[0].id == "alive");
    CHECK(d.records("worker").size() == 1);
}

TEST_CASE("records that are not a worker's are skipped", "[workers]") {
    DriverFixture f;
    auto& d = f.driver();
    d.put_record("worker", "garbage", "not json");
    d.put_record("worker", "partial", R"({"host": "h"})");
    libqueue::announce_worker(d, record_named("real", 60s));
    const auto workers = libqueue::list_workers(d);
    REQUIRE(workers.size() == 1);
    CHECK(workers[0].id == "real");
}

TEST_CASE("a running Worker lists itself with its job, and leaves when it stops", "[workers]") {
    DriverFixture f;
    auto& d = f.driver();
    std::atomic<bool> release{false};
    libqueue::Handlers handlers;
    handlers.on("hold", [&](const Job&) {
        while (!release) std::this_thread::sleep_for(5ms);
    });
    const std::string id = push(d, a_job("hold"));
    libqueue::WorkerOptions options;
    options.worker_id = "conformance:1:WKR1";
    options.concurrency = 2;
    options.idle_sleep = 20ms;
    options.stale_after = 600ms;  // refreshed every 200ms
    libqueue::Worker worker(d, handlers, options);
    std::thread runner([&] { worker.run(); });

    const bool listed = eventually([&] {
        const auto workers = libqueue::list_workers(d);
        return workers.size() == 1 && workers[0].running == std::vector<std::string>{id};
    });
    CHECK(listed);
    const auto workers = libqueue::list_workers(d);
    REQUIRE(workers.size() == 1);
    CHECK(workers[0].id == "conformance:1:WKR1");
    CHECK(workers[0].concurrency == 2);
    CHECK(workers[0].queues == std::vector<std::string>{"default"});
    CHECK(workers[0].state() == "working");

    release = true;
    CHECK(eventually([&] {
        const auto now = libqueue::list_workers(d);
        return now.size() == 1 && now[0].completed == 1 && now[0].running.empty();
    }));
    worker.stop();
    runner.join();
    CHECK(libqueue::list_workers(d).empty());
}
