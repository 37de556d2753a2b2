#include "harness/figures.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include <pqxx/pqxx>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include "drivers/sqlite/connection.hpp"
#include "drivers/sqlite/statements.hpp"
#include "harness/common.hpp"
#include "libqueue/handler.hpp"
#include "libqueue/job.hpp"
#include "libqueue/worker.hpp"

namespace bench {

using namespace libqueue;
using json = nlohmann::json;

namespace {

void fill(QueueDriver& driver, std::size_t jobs, std::size_t batch = 5000) {
    std::vector<NewJob> chunk(std::min(jobs, batch), noop_job());
    for (std::size_t done = 0; done < jobs; done += chunk.size()) {
        if (jobs - done < chunk.size())
            chunk.resize(jobs - done);
        driver.push_batch(chunk);
    }
}

// Stops a helper thread and joins it when the figure returns or throws: a thread still joinable
// when destroyed would end the process instead of the figure's error being reported.
class JoinOnExit {
  public:
    JoinOnExit(std::thread& thread, std::function<void()> stop)
        : thread_(thread), stop_(std::move(stop)) {}
    JoinOnExit(const JoinOnExit&) = delete;
    JoinOnExit& operator=(const JoinOnExit&) = delete;
    ~JoinOnExit() { now(); }
    void now() {
        if (thread_.joinable()) {
            stop_();
            thread_.join();
        }
    }

  private:
    std::thread& thread_;
    std::function<void()> stop_;
};

// What a push -> start figure reports of its samples (ms) and of the pushes never seen to start.
json latency_summary(const std::vector<double>& ms, std::size_t lost) {
    return {{"samples", ms.size()},
            {"timed_out", lost},
            {"p50_ms", percentile(ms, 0.50)},
            {"p99_ms", percentile(ms, 0.99)},
            {"max_ms", ms.empty() ? 0.0 : *std::max_element(ms.begin(), ms.end())}};
}

}  // namespace

json enqueue(Backend& backend, std::size_t one_by_one, std::size_t bulk, std::size_t batch) {
    auto driver = backend.open();
    json result = {{"one_by_one_jobs", one_by_one}, {"bulk_jobs", bulk}, {"batch", batch}};

    auto start = Clock::now();
    for (std::size_t i = 0; i < one_by_one; ++i) driver->push(noop_job());
    double s = seconds_since(start);
    result["one_by_one_jobs_per_s"] = double(one_by_one) / s;
    result["push_us"] = s * 1e6 / double(one_by_one);
    driver->clear("default");

    std::vector<NewJob> chunk(batch, noop_job());
    start = Clock::now();
    for (std::size_t done = 0; done < bulk; done += batch) {
        if (bulk - done < chunk.size())
            chunk.resize(bulk - done);
        driver->push_batch(chunk);
    }
    s = seconds_since(start);
    result["bulk_jobs_per_s"] = double(bulk) / s;
    return result;
}

json sqlite_ceiling(Backend& backend, std::size_t one_by_one, std::size_t bulk, std::size_t batch) {
    // The database as enqueue() leaves it before its bulk part: q made it, pushed one_by_one
    // jobs and cleared them. The first of them is the row every inserted row copies.
    struct Sample {
        std::string name, queue, payload, created_at, available_at;
        int max_retries = 0;
        int attempts = 0;
    } row;
    {
        auto driver = backend.open();
        for (std::size_t i = 0; i < std::max<std::size_t>(one_by_one, 1); ++i)
            driver->push(noop_job());
        SQLite::Database db(backend.sqlite_path().string(), SQLite::OPEN_READWRITE);
        SQLite::Statement read(db,
                               "SELECT name, queue, payload, created_at, available_at, "
                               "max_retries, attempts FROM kronix_jobs LIMIT 1");
        if (!read.executeStep())
            throw std::runtime_error("the job q pushed is not in the database");
        row = {read.getColumn(0).getString(), read.getColumn(1).getString(),
               read.getColumn(2).getString(), read.getColumn(3).getString(),
               read.getColumn(4).getString(), read.getColumn(5).getInt(),
               read.getColumn(6).getInt()};
        driver->clear("default");
    }
    std::vector<std::string> ids(bulk);
    for (auto& id : ids) id = new_job_id();

    // A connection as the driver opens one: its pragmas, the backend's synchronous level.
    sqlite::Connection connection(backend.sqlite_path(), backend.sqlite_synchronous());
    SQLite::Database& db = connection.db();
    SQLite::Statement many(db, sqlite::sql::kInsertMany);
    SQLite::Statement one(db, sqlite::sql::kInsert);
    auto bind_row = [&](SQLite::Statement& insert, int row_in_statement, const std::string& id) {
        const int at = row_in_statement * sqlite::sql::kInsertParams;
        insert.bindNoCopy(at + 1, id);
        insert.bindNoCopy(at + 2, row.name);
        insert.bindNoCopy(at + 3, row.queue);
        insert.bind(at + 4, row.max_retries);
        insert.bindNoCopy(at + 5, row.payload);
        insert.bindNoCopy(at + 6, row.created_at);
        insert.bindNoCopy(at + 7, row.available_at);
        insert.bind(at + 8, row.attempts);
    };
    const auto rows_per_insert = std::size_t(sqlite::sql::kInsertRows);
    auto start = Clock::now();
    for (std::size_t done = 0; done < bulk;) {
        const std::size_t end = std::min(bulk, done + batch);
        db.exec("BEGIN IMMEDIATE");
        for (; end - done >= rows_per_insert; done += rows_per_insert) {
            for (std::size_t i = 0; i < rows_per_insert; ++i) bind_row(many, int(i), ids[done + i]);
            many.exec();
            many.reset();
        }
        for (; done < end; ++done) {
            bind_row(one, 0, ids[done]);
            one.exec();
            one.reset();
        }
        db.exec("COMMIT");
    }
    double s = seconds_since(start);
    if (std::size_t(db.execAndGet("SELECT count(*) FROM kronix_jobs").getInt64()) != bulk)
        throw std::runtime_error("the database does not hold the rows inserted");
    return {{"bulk_jobs", bulk}, {"batch", batch}, {"bulk_jobs_per_s", double(bulk) / s}};
}

json drain(Backend& backend, std::size_t jobs, unsigned concurrency, bool logs,
           unsigned limit_concurrency) {
    auto driver = backend.open();
    fill(*driver, jobs, std::min<std::size_t>(jobs, 1000));
    backend.analyze();

    Handlers handlers;
    handlers.on("noop", [](const Job&) {});
    WorkerOptions options;
    options.concurrency = concurrency;
    options.stop_when_empty = true;
    options.logs.enabled = logs;
    if (limit_concurrency > 0) {
        JobLimits limits;
        limits.concurrency = limit_concurrency;
        options.limits = {{"noop", limits}};
    }
    Worker worker(*driver, handlers, options);
    auto start = Clock::now();
    auto summary = worker.run();
    double s = seconds_since(start);
    return {{"jobs", jobs},
            {"concurrency", concurrency},
            {"logs", logs},
            {"limit_concurrency", limit_concurrency},
            {"completed", summary.completed},
            {"held", summary.held},
            {"seconds", s},
            {"jobs_per_s", double(summary.completed) / s}};
}

json latency(Backend& backend, std::size_t samples, unsigned gap_ms, unsigned background_per_s) {
    auto driver = backend.open();
    auto pusher = backend.open();  // another driver object, as another process would use

    std::mutex mutex;
    std::condition_variable started;
    std::map<std::string, Clock::time_point> start_times;
    Handlers handlers;
    handlers.on("noop", [&](const Job& job) {
        auto now = Clock::now();
        std::lock_guard lock(mutex);
        start_times[job.id] = now;
        started.notify_all();
    });
    handlers.on("background", [](const Job&) {});
    WorkerOptions options;
    options.idle_sleep = Milliseconds(1000);  // the CLI's default: wake-ups must do better
    Worker worker(*driver, handlers, options);
    std::thread runner([&] { worker.run(); });
    JoinOnExit stop_runner(runner, [&] { worker.stop(); });

    // The load: no-op jobs pushed one at a time from a third connection, evenly spread, into the
    // same queue and worker as the timed ones.
    std::atomic<bool> loading{background_per_s > 0};
    std::atomic<std::size_t> background_pushed{0};
    std::thread background([&] {
        if (!loading)
            return;
        auto loader = backend.open();
        NewJob job = noop_job();
        job.name = "background";
        const auto every = std::chrono::nanoseconds(1'000'000'000 / background_per_s);
        auto next = Clock::now();
        while (loading) {
            loader->push(job);
            ++background_pushed;
            next += every;
            std::this_thread::sleep_until(next);
        }
    });
    JoinOnExit stop_background(background, [&] { loading = false; });
    std::this_thread::sleep_for(std::chrono::milliseconds(300));  // idle or loaded by now

    std::vector<double> ms;
    std::size_t lost = 0;
    const auto sampling = Clock::now();
    for (std::size_t i = 0; i < samples; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(gap_ms));
        auto before = Clock::now();
        auto id = pusher->push(noop_job()).id;
        std::unique_lock lock(mutex);
        if (started.wait_for(lock, std::chrono::seconds(5),
                             [&] { return start_times.count(id) > 0; })) {
            ms.push_back(ms_between(before, start_times[id]));
        } else {
            ++lost;
        }
    }
    const double sampled_s = seconds_since(sampling);
    const std::size_t pushed_during = background_pushed;
    stop_background.now();
    stop_runner.now();
    json result = latency_summary(ms, lost);
    result["background_per_s"] = background_per_s;
    result["background_pushed_per_s"] = double(pushed_during) / (sampled_s + 0.3);
    return result;
}

json postgres_latency_floor(Backend& backend, std::size_t samples, unsigned gap_ms) {
    {
        // q makes the table (its indexes, triggers and side tables) on its first write.
        auto driver = backend.open();
        driver->push(noop_job());
        driver->clear("default");
    }
    const std::string table = "\"" + backend.postgres_table() + "\"";
    const std::string channel = backend.postgres_table() + "_floor";

    // The listener claims on its own connection, right after the notification: no thread in
    // between, one round trip. A token per claim, as q's fencing needs.
    pqxx::connection listener(Backend::postgres_dsn());
    listener.prepare("claim", "UPDATE " + table +
                                  " SET status = 'processing', attempts = attempts + 1, "
                                  "available_at = now(), reserved_by = $1 WHERE id = (SELECT id "
                                  "FROM " +
                                  table +
                                  " WHERE queue = 'default' AND status = 'pending' AND "
                                  "available_at <= now() ORDER BY available_at, created_at, id "
                                  "LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING id");
    listener.prepare("complete", "UPDATE " + table +
                                     " SET status = 'completed', finished_at = now(), "
                                     "reserved_by = NULL WHERE id = $1 AND reserved_by = $2");
    pqxx::nontransaction(listener).exec("LISTEN \"" + channel + "\"");

    pqxx::connection pusher(Backend::postgres_dsn());
    pusher.prepare("push", "WITH ins AS (INSERT INTO " + table +
                               " (id, name, queue, status, attempts, max_retries, payload, "
                               "created_at, available_at) VALUES ($1, 'noop', 'default', "
                               "'pending', 0, 3, '{\"n\":1}', now(), now()) RETURNING queue) "
                               "SELECT pg_notify($2, queue) FROM ins");

    std::mutex mutex;
    std::condition_variable claimed;
    std::map<std::string, Clock::time_point> claim_times;
    std::atomic<bool> running{true};
    std::exception_ptr failure;
    std::thread waiter([&] {
        try {
            std::size_t tokens = 0;
            while (running) {
                if (listener.await_notification(0, 200'000) == 0)
                    continue;
                for (;;) {  // every job due now, as a worker's claims would take them
                    const std::string token = "floor:" + std::to_string(++tokens);
                    pqxx::nontransaction tx(listener);
                    auto rows = tx.exec_prepared("claim", token);
                    if (rows.empty())
                        break;
                    const auto now = Clock::now();
                    const auto id = rows[0][0].as<std::string>();
                    {
                        std::lock_guard lock(mutex);
                        claim_times[id] = now;
                    }
                    claimed.notify_all();
                    tx.exec_prepared("complete", id, token);
                }
            }
        } catch (...) {
            std::lock_guard lock(mutex);
            failure = std::current_exception();
            claimed.notify_all();
        }
    });
    JoinOnExit stop_waiter(waiter, [&] { running = false; });
    std::this_thread::sleep_for(std::chrono::milliseconds(300));

    std::vector<double> ms;
    std::size_t lost = 0;
    for (std::size_t i = 0; i < samples; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(gap_ms));
        const std::string id = new_job_id();  // made before the clock starts
        const auto before = Clock::now();
        pqxx::nontransaction(pusher).exec_prepared("push", id, channel);
        std::unique_lock lock(mutex);
        if (claimed.wait_for(lock, std::chrono::seconds(5),
                             [&] { return failure || claim_times.count(id) > 0; }) &&
            !failure) {
            ms.push_back(ms_between(before, claim_times[id]));
        } else {
            ++lost;
        }
        if (failure)
            break;
    }
    stop_waiter.now();
    if (failure)
        std::rethrow_exception(failure);
    return latency_summary(ms, lost);
}

json claim(Backend& backend, std::size_t pending, std::size_t claims, unsigned runs) {
    auto driver = backend.open();
    const bool refill = pending <= 2 * claims;
    if (!refill) {
        fill(*driver, pending);
        backend.analyze();
    }
    ClaimRequest request;
    request.worker_id = "bench";
    request.limit = 1;

    json rates = json::array();
    json cycles = json::array();
    for (unsigned run = 0; run < runs; ++run) {
        if (refill) {
            driver->clear("default");
            fill(*driver, pending);
            backend.analyze();
        }
        Clock::duration in_claim{};
        std::size_t done = 0;
        auto start = Clock::now();
        while (done < claims) {
            auto before = Clock::now();
            auto jobs = driver->claim(request);
            in_claim += Clock::now() - before;
            if (jobs.empty())
                break;
            for (const auto& job : jobs) driver->complete({job.id, *job.reserved_by}, {});
            done += jobs.size();
        }
        double total = seconds_since(start);
        rates.push_back(double(done) / std::chrono::duration<double>(in_claim).count());
        cycles.push_back(double(done) / total);
    }
    return {{"pending", pending},
            {"claims", claims},
            {"claim_per_s", rates},
            {"claim_complete_per_s", cycles}};
}

json complete(Backend& backend, std::size_t jobs, std::size_t limit, unsigned runs) {
    auto driver = backend.open();
    ClaimRequest request;
    request.worker_id = "bench";
    request.limit = limit;

    // Claims and completes every job of a fresh store; returns jobs per second.
    auto drain_with = [&](bool batched) {
        driver->clear("default");
        fill(*driver, jobs);
        backend.analyze();
        std::size_t done = 0;
        std::vector<Completion> batch;
        auto start = Clock::now();
        while (true) {
            auto claimed = driver->claim(request);
            if (claimed.empty())
                break;
            batch.clear();
            for (const auto& job : claimed) {
                Claim claim{job.id, *job.reserved_by};
                if (batched) {
                    batch.push_back({claim, Milliseconds{1}});
                } else if (driver->complete(claim, Milliseconds{1})) {
                    ++done;
                }
            }
            if (batched) {
                for (bool applied : driver->complete_batch(batch)) done += applied ? 1 : 0;
            }
        }
        return double(done) / seconds_since(start);
    };

    json one_by_one = json::array();
    json batched = json::array();
    for (unsigned run = 0; run < runs; ++run) {
        one_by_one.push_back(drain_with(false));
        batched.push_back(drain_with(true));
    }
    auto median = [](json rates) {
        std::vector<double> values = rates.get<std::vector<double>>();
        return percentile(values, 0.5);
    };
    return {{"jobs", jobs},
            {"limit", limit},
            {"one_by_one_jobs_per_s", one_by_one},
            {"batch_jobs_per_s", batched},
            {"batch_speedup", median(batched) / median(one_by_one)}};
}

}  // namespace bench
