// Paused queues on every storing driver: paused and resumed, a pause --for ending by itself,
// seen by another process, and a real Worker that claims nothing from a paused queue while it
// works the others, then takes the paused queue's jobs once it is resumed.
#include <atomic>
#include <thread>

#include "fixture.hpp"
#include "libqueue/errors.hpp"
#include "libqueue/pauses.hpp"
#include "libqueue/worker.hpp"

using namespace conformance;

namespace {

std::vector<std::string> queues_of(const std::vector<libqueue::Pause>& pauses) {
    std::vector<std::string> out;
    for (const auto& p : pauses) out.push_back(p.queue);
    return out;
}

}  // namespace

TEST_CASE("queues are paused, listed and resumed; a pause for a while ends", "[pauses]") {
    DriverFixture f;
    auto& d = f.driver();
    CHECK(libqueue::paused_queues(d).empty());
    libqueue::pause_queue(d, "emails", std::nullopt, "ops@host");
    libqueue::pause_queue(d, "reports", 500ms, "ops@host");
    const auto pauses = libqueue::paused_queues(d);
    CHECK(queues_of(pauses) == std::vector<std::string>{"emails", "reports"});
    CHECK_FALSE(pauses[0].until);
    CHECK(pauses[0].by == "ops@host");
    REQUIRE(pauses[1].until);
    CHECK(*pauses[1].until > d.now());
    CHECK(eventually([&] { return libqueue::paused_queues(d).size() == 1; }, 5s));
    CHECK(queues_of(libqueue::paused_queues(d)) == std::vector<std::string>{"emails"});
    CHECK(libqueue::resume_queue(d, "emails"));
    CHECK_FALSE(libqueue::resume_queue(d, "emails"));
    CHECK(libqueue::paused_queues(d).empty());
    CHECK_THROWS_AS(libqueue::pause_queue(d, "", std::nullopt, "x"), libqueue::DataError);
}

TEST_CASE("another process sees a pause", "[pauses]") {
    DriverFixture f;
    REQUIRE_CAPABILITY(f, shared_between_processes);
    libqueue::pause_queue(f.driver(), "emails", std::nullopt, "ops@host");
    auto other = f.open_another();
    CHECK(queues_of(libqueue::paused_queues(*other)) == std::vector<std::string>{"emails"});
    CHECK(libqueue::resume_queue(*other, "emails"));
    CHECK(libqueue::paused_queues(f.driver()).empty());
}

TEST_CASE("a Worker claims nothing from a paused queue until it is resumed", "[pauses]") {
    DriverFixture f;
    auto& d = f.driver();
    std::atomic<int> ran_paused{0};
    std::atomic<int> ran_open{0};
    libqueue::Handlers handlers;
    handlers.on("in-paused", [&](const Job&) { ++ran_paused; });
    handlers.on("in-open", [&](const Job&) { ++ran_open; });
    libqueue::pause_queue(d, "held", std::nullopt, "ops@host");
    push(d, a_job("in-paused").queue("held"));
    push(d, a_job("in-open").queue("open"));

    libqueue::WorkerOptions options;
    options.queues = {"held", "open"};
    options.idle_sleep = 50ms;
    options.announce = false;
    libqueue::Worker worker(d, handlers, options);
    std::thread runner([&] { worker.run(); });
    CHECK(eventually([&] { return ran_open == 1; }));
    // Several pause refreshes and claims later, the paused queue's job is still waiting.
    std::this_thread::sleep_for(libqueue::worker_pause_refresh * 2);
    CHECK(ran_paused == 0);
    CHECK(d.size("held") == 1);

    CHECK(libqueue::resume_queue(d, "held"));
    CHECK(eventually([&] { return ran_paused == 1; }));
    worker.stop();
    runner.join();
}
