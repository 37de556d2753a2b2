// Cancelling a running job on every storing driver: a real Worker stops the job's handler when a
// request for its claim arrives (from another process where the driver is shared), and records
// the job dead, or pending again for --retry; a request for another claim stops nothing.
#include <atomic>
#include <thread>

#include "fixture.hpp"
#include "libqueue/cancels.hpp"
#include "libqueue/worker.hpp"

using namespace conformance;
using libqueue::Outcome;

namespace {

// A handler that runs until it is stopped, except on the attempts it is told to complete.
struct StoppableHandler {
    std::atomic<int> started{0};
    std::atomic<int> stopped{0};
    int complete_from_attempt = 1'000;

    libqueue::Handlers handlers() {
        libqueue::Handlers h;
        h.on_outcome("long", [this](const Job& job, std::stop_token stop) -> Outcome {
            ++started;
            if (job.attempts >= complete_from_attempt)
                return Outcome::success();
            while (!stop.stop_requested()) std::this_thread::sleep_for(10ms);
            ++stopped;
            return Outcome::interrupted();
        });
        return h;
    }
};

libqueue::WorkerOptions cancel_worker() {
    libqueue::WorkerOptions options;
    options.idle_sleep = 50ms;
    options.announce = false;
    return options;
}

// Where the operator's request comes from: another process's connection when the driver is
// shared, else the same one.
libqueue::QueueDriver& operator_side(DriverFixture& f, std::unique_ptr<QueueDriver>& other) {
    if (f.caps().shared_between_processes) {
        other = f.open_another();
        return *other;
    }
    return f.driver();
}

}  // namespace

TEST_CASE("a running job whose cancel is requested is stopped and ends dead", "[cancel]") {
    DriverFixture f;
    auto& d = f.driver();
    StoppableHandler handler;
    const auto handlers = handler.handlers();
    const auto id = push(d, a_job("long").max_retries(3));
    libqueue::Worker worker(d, handlers, cancel_worker());
    std::thread runner([&] { worker.run(); });
    REQUIRE(eventually([&] { return handler.started == 1; }));

    std::unique_ptr<QueueDriver> other;
    auto& ops = operator_side(f, other);
    const auto running = stored(ops, id);
    REQUIRE(running.status == Status::processing);
    libqueue::request_cancel(ops, {id, running.reserved_by.value_or(""), false, "ops@host", {}});
    CHECK(eventually([&] { return stored(ops, id).status == Status::failed; }, 5s));
    CHECK(handler.stopped == 1);
    const auto dead = stored(ops, id);
    CHECK(dead.last_error == std::string(libqueue::cancelled_by_operator));
    CHECK(dead.attempts == 1);  // attempts left did not bring it back
    // The worker marked the request taken (before it stopped the job); the asker removes it.
    const auto request = libqueue::cancel_request(ops, id);
    REQUIRE(request);
    CHECK(request->taken);
    CHECK(request->by == "ops@host");
    libqueue::forget_cancel(ops, id);
    CHECK_FALSE(libqueue::cancel_request(ops, id));
    worker.stop();
    runner.join();
    CHECK(handler.started == 1);
}

TEST_CASE("a cancel with retry puts the running job back to run again at once", "[cancel]") {
    DriverFixture f;
    auto& d = f.driver();
    StoppableHandler handler;
    handler.complete_from_attempt = 2;
    const auto handlers = handler.handlers();
    // No retries left: an operator's retry runs it again all the same.
    const auto id = push(d, a_job("long").max_retries(0));
    libqueue::Worker worker(d, handlers, cancel_worker());
    std::thread runner([&] { worker.run(); });
    REQUIRE(eventually([&] { return handler.started == 1; }));

    std::unique_ptr<QueueDriver> other;
    auto& ops = operator_side(f, other);
    libqueue::request_cancel(ops,
                             {id, stored(ops, id).reserved_by.value_or(""), true, "ops@host", {}});
    CHECK(eventually([&] { return handler.started == 2; }, 5s));
    CHECK(eventually([&] {
        const auto job = ops.find(id);
        return !job || job->status == Status::completed;
    }));
    CHECK(handler.stopped == 1);
    worker.stop();
    runner.join();
}

TEST_CASE("a cancel request for another claim stops nothing", "[cancel]") {
    DriverFixture f;
    auto& d = f.driver();
    StoppableHandler handler;
    const auto handlers = handler.handlers();
    const auto id = push(d, a_job("long"));
    libqueue::Worker worker(d, handlers, cancel_worker());
    std::thread runner([&] { worker.run(); });
    REQUIRE(eventually([&] { return handler.started == 1; }));

    // An earlier attempt's claim: a request left over from it must not stop this one.
    libqueue::request_cancel(d, {id, "an-earlier-claim", false, "ops@host", {}});
    std::this_thread::sleep_for(libqueue::worker_cancel_refresh * 2 + 500ms);
    CHECK(handler.stopped == 0);
    CHECK(stored(d, id).status == Status::processing);
    REQUIRE(libqueue::cancel_requests(d).size() == 1);
    CHECK(libqueue::cancel_requests(d)[0].token == "an-earlier-claim");
    libqueue::forget_cancel(d, id);
    CHECK(libqueue::cancel_requests(d).empty());
    worker.stop();  // the shutdown interrupts it: put back, not dead
    runner.join();
    CHECK(stored(d, id).status == Status::pending);
}
