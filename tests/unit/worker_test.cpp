// The worker loop against the real memory driver. Durations are short (retry base 10ms) so the
// suite stays fast; assertions on time leave room for a loaded machine.
#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include "libqueue/errors.hpp"
#include "libqueue/registry.hpp"
#include "libqueue/worker.hpp"

using namespace libqueue;
using namespace std::chrono_literals;

namespace {

std::unique_ptr<QueueDriver> memory_driver() {
    Config config;
    config.driver = "memory";
    return create_driver(config);
}

WorkerOptions fast_options() {
    WorkerOptions options;
    options.idle_sleep = 20ms;
    options.retry = RetrySettings{10ms, 40ms};
    options.stale_after = 3s;
    options.shutdown_grace = 1s;
    options.worker_id = "test-worker";
    return options;
}

NewJob job_named(std::string name, int max_retries = 3) {
    NewJob job;
    job.name = std::move(name);
    job.max_retries = max_retries;
    return job;
}

double seconds_since(std::chrono::steady_clock::time_point t) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

// Waits (bounded) until `done` holds; the worker runs on another thread meanwhile.
template <class Pred>
bool eventually(Pred done, std::chrono::milliseconds limit = 3s) {
    const auto end = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < end) {
        if (done())
            return true;
        std::this_thread::sleep_for(5ms);
    }
    return done();
}

// Forwards to a real driver, failing chosen calls with UnavailableError: the only way to see
// how the worker rides out a backend that goes away (no server is involved, nothing is mocked
// beyond the injected failure).
class FlakyDriver : public QueueDriver {
  public:
    explicit FlakyDriver(QueueDriver& inner) : inner_(inner) {}
    std::atomic<int> claim_failures{0};
    std::atomic<int> complete_failures{0};
    std::atomic<bool> corrupt{false};  // every call that reads the store throws DataError
    std::atomic<std::size_t> largest_completion_batch{0};

    std::vector<std::size_t> claim_limits() const {  // every claim's limit, in order
        std::lock_guard lock(limits_mutex_);
        return limits_;
    }
    std::size_t claims() const { return claim_limits().size(); }
    std::size_t largest_claim() const {
        const auto limits = claim_limits();
        return limits.empty() ? 0 : *std::max_element(limits.begin(), limits.end());
    }

    std::string name() const override { return "flaky"; }
    Capabilities capabilities() const override { return inner_.capabilities(); }
    TimePoint now() override { return inner_.now(); }
    PushResult store_one(const NewJob& j) override { return inner_.push(j); }
    std::vector<PushResult> store_batch(const std::vector<NewJob>& j) override {
        return inner_.push_batch(j);
    }
    std::vector<Job> claim(const ClaimRequest& r) override {
        if (corrupt)
            throw DataError("flaky: jobs.json: line 1, column 1: not JSON");
        {
            std::lock_guard lock(limits_mutex_);
            limits_.push_back(r.limit);
        }
        if (claim_failures > 0) {
            --claim_failures;
            throw UnavailableError("flaky: connection refused");
        }
        return inner_.claim(r);
    }
    bool heartbeat(const Claim& c) override { return inner_.heartbeat(c); }
    bool complete(const Claim& c, Milliseconds d) override {
        if (complete_failures > 0) {
            --complete_failures;
            throw UnavailableError("flaky: connection reset");
        }
        return inner_.complete(c, d);
    }
    std::vector<bool> complete_batch(const std::vector<Completion>& batch) override {
        largest_completion_batch = std::max(largest_completion_batch.load(), batch.size());
        return QueueDriver::complete_batch(batch);  // complete() each, failures included
    }
    bool release(const Claim& c, Milliseconds d, const std::string& e) override {
        return inner_.release(c, d, e);
    }
    bool put_back(const Claim& c, Milliseconds delay) override { return inner_.put_back(c, delay); }
    bool fail(const Claim& c, const std::string& e) override { return inner_.fail(c, e); }
    std::optional<Job> find(const std::string& id) override { return inner_.find(id); }
    std::vector<Job> list(const ListFilter& f) override { return inner_.list(f); }
    std::uint64_t size(const std::string& q) override { return inner_.size(q); }
    std::uint64_t clear(const std::string& q) override { return inner_.clear(q); }
    bool cancel(const std::string& id) override { return inner_.cancel(id); }
    bool retry_dead(const std::string& id) override { return inner_.retry_dead(id); }
    std::uint64_t retry_dead_matching(const ListFilter& f) override {
        return inner_.retry_dead_matching(f);
    }
    std::uint64_t clear_dead(const ListFilter& f) override { return inner_.clear_dead(f); }
    std::vector<Job> recover_stale(Milliseconds s, bool d) override {
        if (corrupt)
            throw DataError("flaky: jobs.json: line 1, column 1: not JSON");
        return inner_.recover_stale(s, d);
    }
    std::uint64_t prune(Milliseconds o, std::size_t l, const PruneScope& s) override {
        return inner_.prune(o, l, s);
    }
    Stats stats() override { return inner_.stats(); }
    void wait_for_jobs(const std::vector<std::string>& q, Milliseconds t) override {
        inner_.wait_for_jobs(q, t);
    }

  private:
    QueueDriver& inner_;
    mutable std::mutex limits_mutex_;
    std::vector<std::size_t> limits_;
};

}  // namespace

TEST_CASE("jobs run and complete; stop_when_empty ends the run", "[worker]") {
    auto driver = memory_driver();
    Handlers handlers;
    std::atomic<int> runs{0};
    handlers.on("ok", [&](const Job& job) {
        CHECK(job.status == Status::processing);
        CHECK(job.attempts == 1);
        ++runs;
    });
    std::vector<std::string> ids;
    for (int i = 0; i < 5; ++i) ids.push_back(driver->push(job_named("ok")).id);

    auto options = fast_options();
    options.stop_when_empty = true;
    std::vector<std::string> started, completed;
    WorkerCallbacks callbacks;
    callbacks.on_job_start = [&](const Job& job) { started.push_back(job.id); };
    callbacks.on_job_complete = [&](const Job& job, Milliseconds) { completed.push_back(job.id); };
    const auto summary = Worker(*driver, handlers, options, callbacks).run();

    CHECK(runs == 5);
    CHECK(summary.completed == 5);
    CHECK(summary.finished() == 5);
    CHECK(summary.stop_reason == "empty");
    // Oldest due first, one slot. Pushed within one millisecond, they are ordered by id, which is
    // time-ordered across milliseconds.
    std::sort(ids.begin(), ids.end());
    CHECK(started == ids);
    CHECK(completed == ids);
    for (const auto& id : ids) {
        const auto job = driver->find(id);
        REQUIRE(job);
        CHECK(job->status == Status::completed);
        CHECK_FALSE(job->reserved_by);
    }
}

TEST_CASE("a failing job is retried with backoff, then goes dead", "[worker][retry]") {
    auto driver = memory_driver();
    Handlers handlers;
    handlers.on("flaky", [](const Job&) { throw std::runtime_error("upstream 503"); });
    const auto id = driver->push(job_named("flaky", 2)).id;

    auto options = fast_options();
    options.max_jobs = 3;  // 1 + max_retries runs
    std::vector<Milliseconds> retry_in;
    std::vector<int> attempts_seen;
    int dead = 0;
    WorkerCallbacks callbacks;
    callbacks.on_job_start = [&](const Job& job) { attempts_seen.push_back(job.attempts); };
    callbacks.on_job_retry = [&](const Job&, const Outcome& o, Milliseconds in) {
        CHECK(o.error == "upstream 503");
        retry_in.push_back(in);
    };
    callbacks.on_job_dead = [&](const Job&, const Outcome& o) {
        CHECK(o.kind == Outcome::Kind::failure);
        ++dead;
    };
    const auto summary = Worker(*driver, handlers, options, callbacks).run();

    CHECK(summary.retried == 2);
    CHECK(summary.dead == 1);
    CHECK(summary.stop_reason == "max_jobs");
    CHECK(attempts_seen == std::vector<int>{1, 2, 3});
    REQUIRE(retry_in.size() == 2);
    CHECK(retry_in[0] >= 8ms);  // 10ms +-20%
    CHECK(retry_in[0] <= 12ms);
    CHECK(retry_in[1] >= 16ms);  // 20ms +-20%
    CHECK(retry_in[1] <= 24ms);
    CHECK(dead == 1);
    const auto job = driver->find(id);
    CHECK(job->status == Status::failed);
    CHECK(job->attempts == 3);
    CHECK(job->last_error == "upstream 503");
}

TEST_CASE("a job that succeeds on a later attempt completes", "[worker][retry]") {
    auto driver = memory_driver();
    Handlers handlers;
    handlers.on("third-time", [](const Job& job) {
        if (job.attempts < 3)
            throw std::runtime_error("not yet");
    });
    const auto id = driver->push(job_named("third-time", 5)).id;
    auto options = fast_options();
    options.max_jobs = 3;

    const auto summary = Worker(*driver, handlers, options).run();

    CHECK(summary.retried == 2);
    CHECK(summary.completed == 1);
    CHECK(driver->find(id)->status == Status::completed);
    CHECK(driver->find(id)->attempts == 3);
}

TEST_CASE("bad data and unknown job names go dead at once", "[worker]") {
    auto driver = memory_driver();
    Handlers handlers;
    handlers.on("strict", [](const Job&) { throw DataError("payload: width missing"); });
    const auto bad = driver->push(job_named("strict", 5)).id;
    const auto unknown = driver->push(job_named("mystery", 5)).id;
    auto options = fast_options();
    options.stop_when_empty = true;

    const auto summary = Worker(*driver, handlers, options).run();

    CHECK(summary.dead == 2);
    CHECK(summary.retried == 0);
    const auto bad_job = driver->find(bad);
    CHECK(bad_job->status == Status::failed);
    CHECK(bad_job->attempts == 1);
    CHECK(bad_job->last_error == "payload: width missing");
    const auto unknown_job = driver->find(unknown);
    CHECK(unknown_job->status == Status::failed);
    CHECK(unknown_job->last_error == "no handler for job name 'mystery'");
}

TEST_CASE("concurrency N runs N jobs at once", "[worker][concurrency]") {
    auto driver = memory_driver();
    Handlers handlers;
    std::mutex mutex;
    std::condition_variable all_in;
    int inside = 0;
    int most_inside = 0;
    handlers.on("together", [&](const Job&) {
        std::unique_lock lock(mutex);
        most_inside = std::max(most_inside, ++inside);
        all_in.notify_all();
        // Each job waits until all four run at once (bounded, so a failure cannot hang).
        all_in.wait_for(lock, 3s, [&] { return most_inside >= 4; });
        --inside;
    });
    for (int i = 0; i < 8; ++i) driver->push(job_named("together"));
    auto options = fast_options();
    options.concurrency = 4;
    options.stop_when_empty = true;
    const auto start = std::chrono::steady_clock::now();

    const auto summary = Worker(*driver, handlers, options).run();

    CHECK(most_inside == 4);
    CHECK(summary.completed == 8);
    CHECK(seconds_since(start) < 2.0);
}

TEST_CASE("max_jobs stops after that many, also with several slots", "[worker]") {
    auto driver = memory_driver();
    Handlers handlers;
    handlers.on("ok", [](const Job&) { std::this_thread::sleep_for(5ms); });
    for (int i = 0; i < 10; ++i) driver->push(job_named("ok"));
    auto options = fast_options();
    options.max_jobs = 3;
    options.concurrency = GENERATE(1u, 2u, 4u);

    const auto summary = Worker(*driver, handlers, options).run();

    CHECK(summary.completed == 3);
    CHECK(summary.stop_reason == "max_jobs");
    CHECK(driver->size("default") == 7);
    CHECK(driver->stats().queues.front().counts.processing == 0);
}

TEST_CASE("stop_when_empty does not wait for a job due later", "[worker]") {
    auto driver = memory_driver();
    Handlers handlers;
    handlers.on("ok", [](const Job&) {});
    driver->push(job_named("ok"));
    auto later = job_named("ok");
    later.delay = 1h;
    const auto later_id = driver->push(later).id;
    auto options = fast_options();
    options.stop_when_empty = true;
    options.idle_sleep = 5s;  // must not matter
    const auto start = std::chrono::steady_clock::now();

    const auto summary = Worker(*driver, handlers, options).run();

    CHECK(summary.completed == 1);
    CHECK(summary.stop_reason == "empty");
    CHECK(seconds_since(start) < 1.0);
    CHECK(driver->find(later_id)->status == Status::pending);
}

TEST_CASE("stop_when_empty waits for its own running jobs", "[worker]") {
    auto driver = memory_driver();
    Handlers handlers;
    handlers.on("slow", [](const Job&) { std::this_thread::sleep_for(200ms); });
    handlers.on("fast", [](const Job&) {});
    driver->push(job_named("slow"));
    driver->push(job_named("fast"));
    auto options = fast_options();
    options.concurrency = 2;
    options.stop_when_empty = true;

    const auto summary = Worker(*driver, handlers, options).run();

    CHECK(summary.completed == 2);
    CHECK(summary.stop_reason == "empty");
}

TEST_CASE("stop() gives running jobs the grace period, then puts them back", "[worker][stop]") {
    auto driver = memory_driver();
    Handlers handlers;
    std::atomic<int> running{0};
    handlers.on_outcome("patient", [&](const Job&, std::stop_token stop) {
        ++running;
        std::mutex mutex;
        std::condition_variable_any cv;
        std::unique_lock lock(mutex);
        cv.wait_for(lock, stop, 10s, [] { return false; });
        return stop.stop_requested() ? Outcome::interrupted() : Outcome::success();
    });
    std::atomic<bool> quick_started{false};
    handlers.on("quick", [&](const Job&) {
        quick_started = true;
        std::this_thread::sleep_for(100ms);
    });
    const auto a = driver->push(job_named("patient")).id;
    const auto b = driver->push(job_named("patient")).id;
    const auto c = driver->push(job_named("quick")).id;
    auto options = fast_options();
    options.concurrency = 3;
    options.shutdown_grace = 300ms;
    std::vector<std::string> put_back;
    WorkerCallbacks callbacks;
    callbacks.on_job_put_back = [&](const Job& job) { put_back.push_back(job.id); };
    Worker worker(*driver, handlers, options, callbacks);

    WorkerSummary summary;
    std::jthread runner([&] { summary = worker.run(); });
    // All three started (on a loaded machine the quick one can still be waiting for its slot,
    // and a job that never started is put back at once).
    REQUIRE(eventually([&] { return running == 2 && quick_started; }));
    const auto stop_at = std::chrono::steady_clock::now();
    worker.stop();
    runner.join();

    const double took = seconds_since(stop_at);
    CHECK(took >= 0.25);  // the grace period was given
    CHECK(took < 2.0);
    CHECK(summary.stop_reason == "stopped");
    CHECK(summary.put_back == 2);
    CHECK(summary.completed == 1);  // the quick one finished within the grace period
    CHECK(put_back.size() == 2);
    for (const auto& id : {a, b}) {
        const auto job = driver->find(id);
        CHECK(job->status == Status::pending);
        CHECK(job->attempts == 0);  // a graceful put back does not use up an attempt
        CHECK_FALSE(job->reserved_by);
    }
    CHECK(driver->find(c)->status == Status::completed);
}

TEST_CASE("stop() on an idle worker returns promptly; stop() before run() too", "[worker][stop]") {
    auto driver = memory_driver();
    Handlers handlers;
    auto options = fast_options();
    options.idle_sleep = 10s;
    Worker worker(*driver, handlers, options);

    WorkerSummary summary;
    std::jthread runner([&] { summary = worker.run(); });
    std::this_thread::sleep_for(100ms);
    const auto stop_at = std::chrono::steady_clock::now();
    worker.stop();
    runner.join();
    CHECK(seconds_since(stop_at) < 0.5);
    CHECK(summary.stop_reason == "stopped");

    Worker early(*driver, handlers, options);
    early.stop();
    CHECK(early.run().stop_reason == "stopped");
}

TEST_CASE("max_time ends the run", "[worker]") {
    auto driver = memory_driver();
    Handlers handlers;
    auto options = fast_options();
    options.idle_sleep = 10s;
    options.max_time = 200ms;
    const auto start = std::chrono::steady_clock::now();

    const auto summary = Worker(*driver, handlers, options).run();

    CHECK(summary.stop_reason == "max_time");
    CHECK(seconds_since(start) >= 0.19);
    CHECK(seconds_since(start) < 1.0);
}

TEST_CASE("max_time stops a worker whose slots are all busy", "[worker]") {
    auto driver = memory_driver();
    Handlers handlers;
    handlers.on_outcome("endless", [](const Job&, std::stop_token stop) {
        std::mutex mutex;
        std::condition_variable_any cv;
        std::unique_lock lock(mutex);
        cv.wait_for(lock, stop, 10s, [] { return false; });
        return Outcome::interrupted();
    });
    const auto id = driver->push(job_named("endless")).id;
    auto options = fast_options();
    options.max_time = 200ms;
    options.shutdown_grace = 100ms;
    const auto start = std::chrono::steady_clock::now();

    const auto summary = Worker(*driver, handlers, options).run();

    CHECK(summary.stop_reason == "max_time");
    CHECK(summary.put_back == 1);
    CHECK(seconds_since(start) >= 0.29);
    CHECK(seconds_since(start) < 1.5);
    CHECK(driver->find(id)->status == Status::pending);
    CHECK(driver->find(id)->attempts == 0);
}

TEST_CASE("delay pauses each slot between jobs", "[worker]") {
    auto driver = memory_driver();
    Handlers handlers;
    handlers.on("ok", [](const Job&) {});
    for (int i = 0; i < 3; ++i) driver->push(job_named("ok"));
    auto options = fast_options();
    options.delay = 100ms;
    options.stop_when_empty = true;
    const auto start = std::chrono::steady_clock::now();

    const auto summary = Worker(*driver, handlers, options).run();

    CHECK(summary.completed == 3);
    CHECK(seconds_since(start) >= 0.2);
}

TEST_CASE("queues are served in strict priority", "[worker]") {
    auto driver = memory_driver();
    Handlers handlers;
    std::vector<std::string> order;
    handlers.on("job", [&](const Job& job) { order.push_back(job.queue); });
    for (const char* queue : {"low", "high", "low", "high"}) {
        auto job = job_named("job");
        job.queue = queue;
        driver->push(job);
    }
    auto options = fast_options();
    options.queues = {"high", "low"};
    options.stop_when_empty = true;

    Worker(*driver, handlers, options).run();

    CHECK(order == std::vector<std::string>{"high", "high", "low", "low"});
}

TEST_CASE("heartbeats keep a long job from being recovered", "[worker][stale]") {
    auto driver = memory_driver();
    Handlers handlers;
    handlers.on("long", [](const Job&) { std::this_thread::sleep_for(900ms); });
    const auto id = driver->push(job_named("long")).id;
    auto options = fast_options();
    options.stale_after = 300ms;  // heartbeat every 100ms
    options.stop_when_empty = true;

    // Another "worker" recovering stale jobs all the while.
    std::atomic<bool> done{false};
    std::atomic<int> recovered{0};
    std::jthread other([&] {
        while (!done) {
            recovered += int(driver->recover_stale(300ms, false).size());
            std::this_thread::sleep_for(20ms);
        }
    });
    const auto summary = Worker(*driver, handlers, options).run();
    done = true;

    CHECK(recovered == 0);
    CHECK(summary.completed == 1);
    CHECK(summary.claims_lost == 0);
    CHECK(driver->find(id)->status == Status::completed);
}

TEST_CASE("the worker recovers stale jobs of a worker that died", "[worker][stale]") {
    auto driver = memory_driver();
    Handlers handlers;
    handlers.on("ok", [](const Job&) {});
    const auto id = driver->push(job_named("ok")).id;
    // A worker claims it and dies without a word.
    REQUIRE(driver->claim(ClaimRequest{{"default"}, "dead-worker", 1}).size() == 1);
    std::this_thread::sleep_for(150ms);

    auto options = fast_options();
    options.stale_after = 100ms;
    options.stop_when_empty = true;  // recovery comes before the first claim
    std::vector<std::string> recovered;
    WorkerCallbacks callbacks;
    callbacks.on_recovered = [&](const std::vector<Job>& jobs) {
        for (const auto& job : jobs) recovered.push_back(job.id);
    };
    const auto summary = Worker(*driver, handlers, options, callbacks).run();

    CHECK(recovered == std::vector<std::string>{id});
    CHECK(summary.completed == 1);
    const auto job = driver->find(id);
    CHECK(job->status == Status::completed);
    CHECK(job->attempts == 2);  // the lost run counts
}

TEST_CASE("an outcome refused by the driver is a lost claim, counted, no crash", "[worker]") {
    auto driver = memory_driver();
    Handlers handlers;
    std::atomic<int> runs{0};
    handlers.on("stolen", [&](const Job&) {
        // While it runs, its claim is recovered (as if this worker had frozen past stale_after).
        if (++runs == 1) {
            std::this_thread::sleep_for(5ms);
            REQUIRE(driver->recover_stale(1ms, false).size() == 1);
        }
    });
    const auto id = driver->push(job_named("stolen")).id;
    auto options = fast_options();
    options.stop_when_empty = true;
    std::vector<std::string> lost;
    WorkerCallbacks callbacks;
    callbacks.on_claim_lost = [&](const Job& job) { lost.push_back(job.id); };

    const auto summary = Worker(*driver, handlers, options, callbacks).run();

    CHECK(lost == std::vector<std::string>{id});
    CHECK(summary.claims_lost == 1);
    CHECK(runs == 2);  // recovered, so it ran again and completed
    CHECK(summary.completed == 1);
    CHECK(driver->find(id)->status == Status::completed);
}

TEST_CASE("a refused heartbeat asks the job to stop", "[worker][stale]") {
    auto driver = memory_driver();
    Handlers handlers;
    std::atomic<int> runs{0};
    std::atomic<bool> was_stopped{false};
    handlers.on_outcome("stolen", [&](const Job&, std::stop_token stop) {
        if (++runs > 1)
            return Outcome::success();
        std::this_thread::sleep_for(5ms);
        REQUIRE(driver->recover_stale(1ms, false).size() == 1);
        std::mutex mutex;
        std::condition_variable_any cv;
        std::unique_lock lock(mutex);
        was_stopped = cv.wait_for(lock, stop, 3s, [] { return false; }) || stop.stop_requested();
        return Outcome::interrupted();
    });
    driver->push(job_named("stolen"));
    auto options = fast_options();
    options.stale_after = 150ms;  // heartbeat after 50ms
    options.stop_when_empty = true;
    options.concurrency = 2;

    const auto summary = Worker(*driver, handlers, options).run();

    CHECK(was_stopped);
    CHECK(summary.claims_lost == 1);
    CHECK(summary.put_back == 0);
    CHECK(summary.completed == 1);
}

TEST_CASE("backend errors are reported and ridden out", "[worker][errors]") {
    auto memory = memory_driver();
    FlakyDriver driver(*memory);
    Handlers handlers;
    handlers.on("ok", [](const Job&) {});
    const auto id = driver.push(job_named("ok")).id;
    driver.claim_failures = 2;     // 100ms + 200ms of backoff
    driver.complete_failures = 2;  // the outcome is retried until recorded
    auto options = fast_options();
    options.stop_when_empty = true;
    std::vector<std::string> errors;
    WorkerCallbacks callbacks;
    callbacks.on_worker_error = [&](const std::exception& e) { errors.push_back(e.what()); };
    const auto start = std::chrono::steady_clock::now();

    const auto summary = Worker(driver, handlers, options, callbacks).run();

    CHECK(errors == std::vector<std::string>{"flaky: connection refused",
                                             "flaky: connection refused", "flaky: connection reset",
                                             "flaky: connection reset"});
    CHECK(summary.completed == 1);
    CHECK(driver.find(id)->status == Status::completed);
    CHECK(seconds_since(start) >= 0.55);  // 100 + 200 (claim) + 100 + 200 (complete)
    CHECK(seconds_since(start) < 3.0);
}

TEST_CASE("the worker updates Metrics", "[worker][metrics]") {
    auto driver = memory_driver();
    Handlers handlers;
    handlers.on("ok", [](const Job&) {});
    handlers.on("bad", [](const Job&) { throw DataError("no"); });
    for (int i = 0; i < 3; ++i) driver->push(job_named("ok"));
    driver->push(job_named("bad"));
    auto options = fast_options();
    options.stop_when_empty = true;
    Metrics metrics;

    Worker(*driver, handlers, options, {}, &metrics).run();

    const auto snapshot = metrics.snapshot();
    CHECK(snapshot.total_completed == 3);
    CHECK(snapshot.total_failed == 1);
    CHECK(snapshot.currently_processing == 0);
    CHECK(snapshot.success_rate == Approx(0.75));
    CHECK(snapshot.completed_by_name.at("ok") == 3);
    CHECK(snapshot.failed_by_name.at("bad") == 1);
}

TEST_CASE("run_claimed_job records one claimed job's outcome", "[worker]") {
    auto driver = memory_driver();
    Handlers handlers;
    handlers.on("fails", [](const Job&) { throw std::runtime_error("nope"); });
    const auto id = driver->push(job_named("fails", 1)).id;
    Metrics metrics;

    auto claimed = driver->claim(ClaimRequest{{"default"}, "manual", 1});
    REQUIRE(claimed.size() == 1);
    auto outcome =
        run_claimed_job(*driver, handlers, claimed[0], RetrySettings{10ms, 10ms}, {}, &metrics);
    CHECK(outcome.kind == Outcome::Kind::failure);
    CHECK(driver->find(id)->status == Status::pending);  // attempt 1 of 2: retry
    CHECK(metrics.snapshot().total_retried == 1);

    std::this_thread::sleep_for(20ms);
    claimed = driver->claim(ClaimRequest{{"default"}, "manual", 1});
    REQUIRE(claimed.size() == 1);
    run_claimed_job(*driver, handlers, claimed[0], RetrySettings{10ms, 10ms}, {}, &metrics);
    CHECK(driver->find(id)->status == Status::failed);  // attempts 2 > max_retries 1: dead
    CHECK(metrics.snapshot().total_failed == 1);
    CHECK(metrics.snapshot().currently_processing == 0);
}

TEST_CASE("fast jobs are claimed ahead and completed in batches, each exactly once",
          "[worker][batch]") {
    auto memory = memory_driver();
    FlakyDriver driver(*memory);
    Handlers handlers;
    std::mutex mutex;
    std::map<std::string, int> runs;
    handlers.on("fast", [&](const Job& job) {
        std::lock_guard lock(mutex);
        ++runs[job.id];
    });
    std::vector<NewJob> jobs(2000, job_named("fast"));
    driver.push_batch(jobs);
    auto options = fast_options();
    options.stop_when_empty = true;

    const auto summary = Worker(driver, handlers, options).run();

    CHECK(summary.completed == 2000);
    CHECK(runs.size() == 2000);
    CHECK(std::all_of(runs.begin(), runs.end(), [](const auto& r) { return r.second == 1; }));
    CHECK(driver.size("default") == 0);
    CHECK(memory->stats().queues.at(0).counts.completed == 2000);
    // One slot, yet far fewer claims than jobs: it claimed ahead, up to the cap.
    CHECK(driver.claims() < 100);
    CHECK(driver.largest_claim() > 1);
    CHECK(driver.largest_claim() <= 256);
    CHECK(driver.largest_completion_batch > 1);
}

TEST_CASE("right after a wake-up a worker claims a few ahead, then the rest of the burst in full",
          "[worker][batch]") {
    auto memory = memory_driver();
    FlakyDriver driver(*memory);
    Handlers handlers;
    std::atomic<int> ran{0};
    handlers.on("fast", [&](const Job&) { ++ran; });
    auto options = fast_options();
    options.idle_sleep = 10s;  // so that only a push ends the worker's wait early
    Worker worker(driver, handlers, options);
    std::jthread runner([&] { worker.run(); });
    struct StopOnExit {  // before the runner is joined, also when a REQUIRE fails
        Worker& worker;
        ~StopOnExit() { worker.stop(); }
    } stop_on_exit{worker};
    driver.push_batch(std::vector<NewJob>(50, job_named("fast")));  // the jobs' run time, learnt
    REQUIRE(eventually([&] { return ran == 50; }));

    // On a loaded machine the worker may not be back in its wait when a burst comes, and then
    // claims it as a busy worker would: one of a few bursts must show the wake-up's claim.
    bool seen = false;
    for (int burst = 1; burst <= 3 && !seen; ++burst) {
        std::this_thread::sleep_for(50ms);  // the worker is back in its wait
        const auto before = driver.claim_limits().size();
        driver.push_batch(std::vector<NewJob>(300, job_named("fast")));
        REQUIRE(eventually([&] { return ran == 50 + 300 * burst; }));
        const auto limits = driver.claim_limits();
        REQUIRE(limits.size() >= before + 2);
        seen =
            limits[before] <= 1 + 8 && std::any_of(limits.begin() + long(before) + 1, limits.end(),
                                                   [](std::size_t limit) { return limit > 1 + 8; });
    }
    CHECK(seen);
}

TEST_CASE("a slow job is not claimed ahead of", "[worker][batch]") {
    auto memory = memory_driver();
    FlakyDriver driver(*memory);
    Handlers handlers;
    handlers.on("slow", [](const Job&) { std::this_thread::sleep_for(30ms); });
    for (int i = 0; i < 4; ++i) driver.push(job_named("slow"));
    auto options = fast_options();
    options.stop_when_empty = true;

    const auto summary = Worker(driver, handlers, options).run();

    CHECK(summary.completed == 4);
    CHECK(driver.largest_claim() == 1);  // jobs longer than the window: one per free slot
}

TEST_CASE("prefetch sets how many jobs are claimed beyond the free slots", "[worker][batch]") {
    auto memory = memory_driver();
    FlakyDriver driver(*memory);
    Handlers handlers;
    handlers.on("fast", [](const Job&) {});
    for (int i = 0; i < 40; ++i) driver.push(job_named("fast"));
    auto options = fast_options();
    options.stop_when_empty = true;
    options.concurrency = 2;

    SECTION("a number: slots plus that many, also before any job has run") {
        options.prefetch = 5;
        CHECK(Worker(driver, handlers, options).run().completed == 40);
        CHECK(driver.largest_claim() == 7);
    }
    SECTION("0: never more than the free slots, however fast the jobs") {
        options.prefetch = 0;
        CHECK(Worker(driver, handlers, options).run().completed == 40);
        CHECK(driver.largest_claim() <= 2);
    }
    SECTION("beyond max_prefetch: capped") {
        options.prefetch = 100'000;
        CHECK(Worker(driver, handlers, options).run().completed == 40);
        CHECK(driver.largest_claim() == 2 + max_prefetch);
    }
}

TEST_CASE("a permanent backend error stops the worker and is rethrown", "[worker][errors]") {
    auto memory = memory_driver();
    FlakyDriver driver(*memory);
    Handlers handlers;
    int ran = 0;
    handlers.on("ok", [&](const Job&) { ++ran; });
    driver.push(job_named("ok"));
    driver.corrupt = true;
    auto options = fast_options();
    std::vector<std::string> errors;
    WorkerCallbacks callbacks;
    callbacks.on_worker_error = [&](const std::exception& e) { errors.push_back(e.what()); };
    const auto start = std::chrono::steady_clock::now();

    Worker worker(driver, handlers, options, callbacks);
    CHECK_THROWS_AS(worker.run(), DataError);

    CHECK(seconds_since(start) < 2.0);  // no backing off forever on an error retries cannot fix
    CHECK(ran == 0);
    CHECK(errors.empty());  // thrown, not reported as a passing hiccup
}

TEST_CASE("stop_when_empty stays for its own retries until they ran", "[worker][retry]") {
    auto driver = memory_driver();
    Handlers handlers;
    handlers.on("second-time", [](const Job& job) {
        if (job.attempts < 2)
            throw std::runtime_error("not yet");
    });
    const auto id = driver->push(job_named("second-time", 3)).id;
    auto options = fast_options();
    options.retry = RetrySettings{300ms, 300ms};  // due well after the first empty claim
    options.stop_when_empty = true;

    const auto summary = Worker(*driver, handlers, options).run();

    CHECK(summary.retried == 1);
    CHECK(summary.completed == 1);
    CHECK(summary.stop_reason == "empty");
    CHECK(driver->find(id)->status == Status::completed);
}
