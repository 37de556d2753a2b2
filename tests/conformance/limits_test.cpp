// Job limits on every storing driver: what they are built on (put back with a delay, a record
// changed atomically by several threads and driver objects at once), then two real Workers, each
// on its own driver object as two processes would be, holding a rate within 10% and a
// concurrency exactly, and a place left by a lost worker freed.
#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>

#include "fixture.hpp"
#include "libqueue/limits.hpp"
#include "libqueue/worker.hpp"

using namespace conformance;

namespace {

// Two workers share the backend through their own driver objects where the driver allows it.
struct TwoWorkers {
    TwoWorkers(DriverFixture& f, const libqueue::Handlers& handlers,
               const std::map<std::string, libqueue::JobLimits>& limits, unsigned concurrency) {
        if (f.caps().shared_between_processes)
            other = f.open_another();
        for (QueueDriver* d : {&f.driver(), other ? other.get() : &f.driver()}) {
            libqueue::WorkerOptions options;
            options.concurrency = concurrency;
            options.idle_sleep = 50ms;
            options.announce = false;
            options.limits = limits;
            workers.push_back(std::make_unique<libqueue::Worker>(*d, handlers, options));
        }
        for (auto& w : workers) threads.emplace_back([&w] { w->run(); });
    }
    ~TwoWorkers() {
        for (auto& w : workers) w->stop();
        for (auto& t : threads) t.join();
    }
    std::unique_ptr<QueueDriver> other;
    std::vector<std::unique_ptr<libqueue::Worker>> workers;
    std::vector<std::thread> threads;
};

std::size_t most_within(std::vector<std::chrono::steady_clock::time_point> starts,
                        std::chrono::milliseconds width) {
    std::sort(starts.begin(), starts.end());
    std::size_t most = 0;
    for (std::size_t i = 0, j = 0; j < starts.size(); ++j) {
        while (starts[j] - starts[i] >= width) ++i;
        most = std::max(most, j - i + 1);
    }
    return most;
}

}  // namespace

TEST_CASE("put back with a delay: pending, its attempt given back, due after the delay",
          "[limits]") {
    DriverFixture f;
    REQUIRE_CAPABILITY(f, delayed_jobs);
    auto& d = f.driver();
    const auto id = push(d, a_job());
    const auto running = claim_one(d);
    const auto before = d.now();
    REQUIRE(d.put_back(claim_of(running), 600ms));
    const auto job = stored(d, id);
    CHECK(job.status == Status::pending);
    CHECK(job.attempts == 0);
    CHECK_FALSE(job.reserved_by);
    CHECK_TIME_WITHIN(std::optional(job.available_at), before + 600ms, d.now() + 600ms);
    CHECK(claim(d).empty());
    let_time_pass(d, 700ms);
    CHECK(claim_one(d).id == id);
    // Only under its claim, as every outcome.
    CHECK_FALSE(d.put_back(claim_of(running), 100ms));
}

TEST_CASE("change_record reads and replaces a record atomically", "[limits]") {
    DriverFixture f;
    auto& d = f.driver();
    // Missing, created, removed.
    std::optional<std::string> seen = "unset";
    d.change_record("conf", "k", [&](const std::optional<std::string>& value, TimePoint) {
        seen = value;
        return std::optional<std::string>("1");
    });
    CHECK_FALSE(seen);
    d.change_record("conf", "k", [&](const std::optional<std::string>& value, TimePoint now) {
        seen = value;
        CHECK(now > TimePoint{});
        return std::nullopt;
    });
    CHECK(seen == "1");
    CHECK(d.records("conf").empty());

    // Counters incremented from four threads over two driver objects: no increment lost.
    auto other = f.caps().shared_between_processes ? f.open_another() : nullptr;
    const int per_thread = f.driver_name() == "file" ? 25 : 60;
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        QueueDriver& on = (t % 2 == 1 && other) ? *other : d;
        threads.emplace_back([&on, per_thread] {
            for (int i = 0; i < per_thread; ++i) {
                on.change_record("conf", "counter",
                                 [](const std::optional<std::string>& value, TimePoint) {
                                     const int n = value ? std::stoi(*value) : 0;
                                     return std::optional(std::to_string(n + 1));
                                 });
            }
        });
    }
    for (auto& t : threads) t.join();
    const auto records = d.records("conf");
    REQUIRE(records.size() == 1);
    CHECK(records[0].value == std::to_string(4 * per_thread));
}

TEST_CASE("a rate limit holds across two workers within 10%", "[limits]") {
    DriverFixture f;
    REQUIRE_CAPABILITY(f, delayed_jobs);
    auto& d = f.driver();
    std::mutex mutex;
    std::vector<std::chrono::steady_clock::time_point> starts;
    libqueue::Handlers handlers;
    handlers.on("api", [&](const Job&) {
        std::lock_guard lock(mutex);
        starts.push_back(std::chrono::steady_clock::now());
    });
    handlers.on("free", [](const Job&) {});
    constexpr int jobs = 40;
    std::vector<NewJob> batch;
    for (int i = 0; i < jobs; ++i) batch.push_back(a_job("api"));
    for (int i = 0; i < 20; ++i) batch.push_back(a_job("free"));  // not limited, not delayed
    d.push_batch(batch);
    libqueue::JobLimits limits;
    limits.rate = libqueue::Rate{20, 1'000ms};  // one start every 50ms
    {
        TwoWorkers two(f, handlers, {{"api", limits}}, 2);
        REQUIRE(eventually(
            [&] {
                std::lock_guard lock(mutex);
                return starts.size() == jobs;
            },
            20s));
    }
    std::lock_guard lock(mutex);
    std::sort(starts.begin(), starts.end());
    const double span_s = std::chrono::duration<double>(starts.back() - starts.front()).count();
    const double rate = (jobs - 1) / span_s;
    INFO("starts per second: " << rate << " over " << span_s << "s");
    CHECK(rate <= 22.0);
    // Below the limit by more than wake-ups explain: jobs held back past their turn. A loaded
    // machine wakes the workers late (17.6 seen with the whole suite running beside the file
    // driver), so this side has more room than the limit's.
    CHECK(rate >= 16.0);
    CHECK(most_within(starts, 1'000ms) <= 21);
    CHECK(d.size("default") == 0);
    for (const auto& job : all_jobs(d)) CHECK(job.status != Status::failed);
}

TEST_CASE("a concurrency limit holds across two workers", "[limits]") {
    DriverFixture f;
    REQUIRE_CAPABILITY(f, delayed_jobs);
    auto& d = f.driver();
    std::atomic<int> now_running{0};
    std::atomic<int> most{0};
    std::atomic<int> done{0};
    libqueue::Handlers handlers;
    handlers.on("scarce", [&](const Job&) {
        const int n = ++now_running;
        int seen = most.load();
        while (n > seen && !most.compare_exchange_weak(seen, n)) {
        }
        std::this_thread::sleep_for(60ms);
        --now_running;
        ++done;
    });
    constexpr int jobs = 16;
    std::vector<NewJob> batch;
    for (int i = 0; i < jobs; ++i) batch.push_back(a_job("scarce"));
    d.push_batch(batch);
    libqueue::JobLimits limits;
    limits.concurrency = 2;
    {
        TwoWorkers two(f, handlers, {{"scarce", limits}}, 3);
        REQUIRE(eventually([&] { return done == jobs; }, 30s));
    }
    CHECK(most == 2);
    // Every place was given back.
    const auto records = d.records(libqueue::limit_record_kind);
    REQUIRE(records.size() == 1);
    CHECK(libqueue::LimitState::parse(records[0].value).running.empty());
    for (const auto& job : all_jobs(d)) CHECK(job.status != Status::failed);
}

TEST_CASE("a place held by a job no longer running is freed", "[limits]") {
    DriverFixture f;
    auto& d = f.driver();
    // A worker was lost while job "gone" ran under the only place; it ran long ago and its row
    // has since been recovered and finished.
    libqueue::LimitState state;
    state.running.push_back({"gone", "host:1:lost", d.now() - 10min});
    d.put_record(libqueue::limit_record_kind, "scarce", state.dump());
    std::atomic<int> ran{0};
    libqueue::Handlers handlers;
    handlers.on("scarce", [&](const Job&) { ++ran; });
    push(d, a_job("scarce"));
    libqueue::JobLimits limits;
    limits.concurrency = 1;
    libqueue::WorkerOptions options;
    options.idle_sleep = 50ms;
    options.announce = false;
    options.limits = {{"scarce", limits}};
    libqueue::Worker worker(d, handlers, options);
    std::thread runner([&] { worker.run(); });
    CHECK(eventually([&] { return ran == 1; }));
    worker.stop();
    runner.join();
}
