// The redis driver's figures: enqueue one by one and in batches, draining by claim(100) with
// complete_batch vs one complete() per job, jobs processed per second by an in-process worker
// with a no-op handler at concurrency 1 and 8, and push -> start latency. No figure is asserted.
//   eval "$(scripts/redis-start)"; build/tests/bench/redis_bench [JOBS [SECTION]]
// SECTION (enqueue, drain, process or latency) runs only that part.
// Uses its own key prefix on $Q_TEST_REDIS_URL and clears its queues afterwards (the totals
// stay, under q_bench_PID).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <fmt/core.h>
#include <unistd.h>

#include "libqueue/driver.hpp"
#include "libqueue/handler.hpp"
#include "libqueue/registry.hpp"
#include "libqueue/worker.hpp"

using namespace libqueue;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

std::unique_ptr<QueueDriver> make_driver(const std::string& url, const std::string& prefix) {
    Config config;
    config.driver = "redis";
    config.driver_sections["redis"] = {{"url", url}, {"prefix", prefix}};
    config.keep_completed = false;  // a busy queue's usual setting; keeps the server small
    return create_driver(config);
}

NewJob noop_job(const std::string& queue) {
    NewJob job;
    job.name = "noop";
    job.queue = queue;
    job.payload = R"({"n":1})";
    return job;
}

void enqueue_one_by_one(QueueDriver& driver, std::size_t jobs) {
    auto start = Clock::now();
    for (std::size_t i = 0; i < jobs; ++i) driver.push(noop_job("one_by_one"));
    auto s = seconds_since(start);
    fmt::print("enqueue one by one   {:>7} jobs  {:>9.0f} jobs/s  ({:.1f} us per push)\n", jobs,
               double(jobs) / s, s * 1e6 / double(jobs));
    driver.clear("one_by_one");
}

void enqueue_batches(QueueDriver& driver, std::size_t jobs, std::size_t batch_size) {
    std::vector<NewJob> batch(batch_size, noop_job("batched"));
    auto start = Clock::now();
    for (std::size_t done = 0; done < jobs; done += batch_size) driver.push_batch(batch);
    auto s = seconds_since(start);
    fmt::print("enqueue batches of {:<5} {:>5} jobs  {:>9.0f} jobs/s\n", batch_size, jobs,
               double(jobs) / s);
    driver.clear("batched");
}

void process(QueueDriver& driver, std::size_t jobs, unsigned concurrency) {
    const std::string queue = "process_" + std::to_string(concurrency);
    std::vector<NewJob> batch(1000, noop_job(queue));
    for (std::size_t done = 0; done < jobs; done += batch.size()) driver.push_batch(batch);

    Handlers handlers;
    handlers.on("noop", [](const Job&) {});
    WorkerOptions options;
    options.queues = {queue};
    options.concurrency = concurrency;
    options.stop_when_empty = true;
    Worker worker(driver, handlers, options);
    auto start = Clock::now();
    auto summary = worker.run();
    auto s = seconds_since(start);
    fmt::print("process, concurrency {:<2} {:>5} jobs  {:>9.0f} jobs/s  ({} completed)\n",
               concurrency, jobs, double(summary.completed) / s, summary.completed);
}

// How a busy worker's loop drains a queue: claim 100 at a time, then record the outcomes either
// with complete_batch (one round trip per claim) or with one complete() per job. Returns jobs/s.
double drain(QueueDriver& driver, std::size_t jobs, bool batched) {
    const std::string queue = batched ? "drain_batched" : "drain_each";
    std::vector<NewJob> batch(1000, noop_job(queue));
    for (std::size_t done = 0; done < jobs; done += batch.size()) driver.push_batch(batch);

    const ClaimRequest request{{queue}, "redis-bench", 100};
    std::size_t completed = 0;
    auto start = Clock::now();
    for (;;) {
        auto claimed = driver.claim(request);
        if (claimed.empty())
            break;
        if (batched) {
            std::vector<Completion> completions;
            completions.reserve(claimed.size());
            for (const auto& job : claimed) {
                completions.push_back({{job.id, *job.reserved_by}, Milliseconds{0}});
            }
            for (bool applied : driver.complete_batch(completions)) completed += applied ? 1 : 0;
        } else {
            for (const auto& job : claimed) {
                completed += driver.complete({job.id, *job.reserved_by}, Milliseconds{0}) ? 1 : 0;
            }
        }
    }
    auto s = seconds_since(start);
    double rate = double(completed) / s;
    fmt::print("drain, claim 100 + {:<14} {:>5} jobs  {:>9.0f} jobs/s  ({} completed)\n",
               batched ? "complete_batch" : "complete each", jobs, rate, completed);
    return rate;
}

// An idle worker (blocked in wait_for_jobs), jobs pushed one at a time: the time from just
// before push() to the handler starting, so it includes the push itself.
void latency(QueueDriver& driver, std::size_t samples) {
    const std::string queue = "latency";
    std::mutex mutex;
    std::vector<double> waits_ms;
    std::atomic<std::size_t> seen{0};
    Handlers handlers;
    handlers.on("stamp", [&](const Job& job) {
        auto now = Clock::now().time_since_epoch().count();
        auto pushed = std::stoll(Handlers::parse_payload(job).at("t").dump());
        std::lock_guard lock(mutex);
        waits_ms.push_back(double(now - pushed) / 1e6);
        ++seen;
    });
    WorkerOptions options;
    options.queues = {queue};
    options.concurrency = 1;
    options.idle_sleep = std::chrono::milliseconds(1000);
    Worker worker(driver, handlers, options);
    std::thread runner([&] { worker.run(); });
    std::this_thread::sleep_for(std::chrono::milliseconds(300));  // the worker is idle now

    for (std::size_t i = 0; i < samples; ++i) {
        NewJob job = noop_job(queue);
        job.name = "stamp";
        job.payload = fmt::format(R"({{"t":{}}})", Clock::now().time_since_epoch().count());
        driver.push(job);
        // Wait until it ran, then a pause, so every push finds the worker idle and blocked.
        auto deadline = Clock::now() + std::chrono::seconds(5);
        while (seen.load() <= i && Clock::now() < deadline) {
            std::this_thread::sleep_for(std::chrono::microseconds(200));
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    worker.stop();
    runner.join();

    std::sort(waits_ms.begin(), waits_ms.end());
    if (waits_ms.empty()) {
        fmt::print("push -> start latency: no samples\n");
        return;
    }
    auto at = [&](double q) { return waits_ms[std::size_t(q * double(waits_ms.size() - 1))]; };
    fmt::print(
        "push -> start latency  {:>5} samples  p50 {:.2f} ms  p99 {:.2f} ms  max {:.2f} ms\n",
        waits_ms.size(), at(0.50), at(0.99), waits_ms.back());
}

}  // namespace

int main(int argc, char* argv[]) {
    const char* url = std::getenv("Q_TEST_REDIS_URL");
    if (url == nullptr || *url == '\0') {
        std::cerr << "redis_bench: set Q_TEST_REDIS_URL (eval \"$(scripts/redis-start)\")\n";
        return 77;
    }
    std::size_t jobs = argc > 1 ? std::stoul(argv[1]) : 20'000;
    const std::string only = argc > 2 ? argv[2] : "";
    auto section = [&](const char* name) { return only.empty() || only == name; };
    auto prefix = "q_bench_" + std::to_string(::getpid());
    auto driver = make_driver(url, prefix);
    try {
        fmt::print("redis driver at {} ({} jobs per run)\n", url, jobs);
        if (section("enqueue")) {
            enqueue_one_by_one(*driver, std::min<std::size_t>(jobs, 10'000));
            enqueue_batches(*driver, jobs, 100);
            enqueue_batches(*driver, jobs, 1000);
        }
        if (section("drain")) {
            auto each = drain(*driver, jobs, false);
            auto batched = drain(*driver, jobs, true);
            fmt::print("drain, complete_batch / complete each: {:.2f}x\n", batched / each);
        }
        if (section("process")) {
            process(*driver, jobs, 1);
            process(*driver, jobs, 8);
        }
        if (section("latency"))
            latency(*driver, 200);
    } catch (const std::exception& e) {
        std::cerr << "redis_bench: " << e.what() << "\n";
        return 1;
    }
    for (const auto& queue : {"one_by_one", "batched", "drain_each", "drain_batched", "process_1",
                              "process_8", "latency"}) {
        driver->clear(queue);
    }
    return 0;
}
