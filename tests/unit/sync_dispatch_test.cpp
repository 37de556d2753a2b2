// The sync driver's dispatch mode: Manager::dispatch and run_now run each job at once, back to
// back without backoff, and the storage interface keeps nothing of it.
#include <catch2/catch.hpp>
#include <chrono>
#include <mutex>

#include "libqueue/errors.hpp"
#include "libqueue/manager.hpp"
#include "libqueue/registry.hpp"

using namespace libqueue;
using namespace std::chrono_literals;

namespace {

// Fails the first `failures` runs with exit status 3, then succeeds.
class FlakyExecutor : public JobExecutor {
  public:
    explicit FlakyExecutor(int failures) : failures_(failures) {}
    Outcome execute(const Job& job, std::stop_token) const override {
        std::lock_guard lock(mutex_);
        attempts_seen.push_back(job.attempts);
        if (int(attempts_seen.size()) <= failures_)
            return Outcome::failure("boom", 3);
        return Outcome::success();
    }
    mutable std::vector<int> attempts_seen;

  private:
    int failures_;
    mutable std::mutex mutex_;
};

NewJob job_named(std::string name, int max_retries = 0) {
    NewJob job;
    job.name = std::move(name);
    job.max_retries = max_retries;
    return job;
}

ErrorKind kind_thrown(const std::function<void()>& call) {
    try {
        call();
    } catch (const Error& e) {
        return e.kind();
    }
    FAIL("nothing was thrown");
    return ErrorKind::internal;
}

Config sync_config() {
    Config config;
    config.driver = "sync";
    config.retry = RetrySettings{30s, 1h};  // never waited for: attempts run back to back
    return config;
}

}  // namespace

TEST_CASE("run_now retries back to back and reports how the job ended", "[sync]") {
    FlakyExecutor flaky(2);
    const auto started = std::chrono::steady_clock::now();
    auto ran = run_now(job_named("email", 3), flaky);
    CHECK(std::chrono::steady_clock::now() - started < 5s);
    CHECK(ran.job.status == Status::completed);
    CHECK(ran.job.attempts == 3);
    CHECK(ran.job.finished_at.has_value());
    CHECK(ran.exit_status == 0);
    CHECK(flaky.attempts_seen == std::vector<int>{1, 2, 3});

    FlakyExecutor failing(100);
    auto dead = run_now(job_named("email", 1), failing);
    CHECK(dead.job.status == Status::failed);
    CHECK(dead.job.attempts == 2);
    CHECK(dead.job.last_error == "boom");
    CHECK(dead.exit_status == 3);
}

TEST_CASE("run_now refuses a delayed or invalid job before running anything", "[sync]") {
    FlakyExecutor executor(0);
    auto delayed = job_named("email");
    delayed.delay = 1s;
    CHECK(kind_thrown([&] { run_now(delayed, executor); }) == ErrorKind::usage);
    auto bad = job_named("email");
    bad.payload = "{not json";
    CHECK(kind_thrown([&] { run_now(bad, executor); }) == ErrorKind::data);
    CHECK(kind_thrown([&] {
              run_now_batch({job_named("a"), delayed}, executor);
          }) == ErrorKind::usage);
    CHECK(executor.attempts_seen.empty());
}

TEST_CASE("a sync Manager runs each dispatched job and stores none", "[sync][manager]") {
    Manager manager(sync_config());
    int runs = 0;
    manager.handlers().on("count", [&](const Job&) { ++runs; });
    auto dispatched = manager.dispatch(job_named("count"));
    REQUIRE(dispatched.ran.has_value());
    CHECK(dispatched.ran->job.status == Status::completed);
    CHECK(dispatched.id == dispatched.ran->job.id);
    CHECK(runs == 1);
    CHECK(manager.driver().size("default") == 0);
    CHECK_FALSE(manager.driver().find(dispatched.id).has_value());

    auto batch = manager.dispatch_batch({job_named("count"), job_named("count")});
    CHECK(batch.size() == 2);
    CHECK(runs == 3);
    const auto metrics = manager.metrics();
    CHECK(metrics.total_queued == 3);
    CHECK(metrics.total_completed == 3);

    CHECK(kind_thrown([&] { manager.work(); }) == ErrorKind::usage);
    CHECK_FALSE(manager.process_one());
}

TEST_CASE("a queue Manager stores dispatched jobs and runs none", "[sync][manager]") {
    Config config;
    config.driver = "memory";
    Manager manager(config);
    int runs = 0;
    manager.handlers().on("count", [&](const Job&) { ++runs; });
    auto dispatched = manager.dispatch(job_named("count"));
    CHECK_FALSE(dispatched.ran.has_value());
    CHECK(runs == 0);
    CHECK(manager.driver().size("default") == 1);
    CHECK(dispatch_mode("sync") == DispatchMode::run_at_dispatch);
    CHECK(dispatch_mode("memory") == DispatchMode::queue);
}
