// The postgres driver's figures (not a test): enqueue one by one and in batches, jobs processed
// per second by an in-process worker with a no-op handler at concurrency 1 and 8, push -> start
// latency into an idle worker, a drain by claims of 100 completed in one batch or one by one, the
// claim rate with 1M rows in the table (with q's indexes and with the kronix_jobs index alone),
// and claims while a long transaction holds back vacuum.
//   eval "$(scripts/pg-start)"; build/tests/bench/postgres_bench [--rows N]
//       [--skip-big | --only-big | --only-drain]
// Works on tables of its own (q_bench_PID*) in $Q_TEST_PG_DSN and drops them at the end.
#include <fmt/core.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <map>
#include <mutex>
#include <pqxx/pqxx>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "libqueue/handler.hpp"
#include "libqueue/registry.hpp"
#include "libqueue/worker.hpp"

using namespace libqueue;
using Clock = std::chrono::steady_clock;

namespace {

std::string dsn;
std::string table_prefix;

double seconds_since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

std::unique_ptr<QueueDriver> open_driver(const std::string& table, bool keep_completed = true) {
    Config config;
    config.driver = "postgres";
    config.driver_sections["postgres"] = {{"dsn", dsn}, {"table", table}};
    config.keep_completed = keep_completed;
    return create_driver(config);
}

void sql(const std::string& statement) {
    pqxx::connection db(dsn);
    pqxx::nontransaction tx(db);
    tx.exec(statement);
}

NewJob noop(const std::string& queue = "default") {
    NewJob job;
    job.name = "noop";
    job.queue = queue;
    job.payload = R"({"n":1})";
    return job;
}

void fill(QueueDriver& driver, std::size_t jobs, const std::string& queue = "default") {
    std::vector<NewJob> batch(std::min<std::size_t>(jobs, 5000), noop(queue));
    for (std::size_t done = 0; done < jobs; done += batch.size()) {
        if (jobs - done < batch.size())
            batch.resize(jobs - done);
        driver.push_batch(batch);
    }
}

void enqueue(std::size_t one_by_one, std::size_t batched) {
    auto driver = open_driver(table_prefix + "_push");
    driver->clear("default");
    auto start = Clock::now();
    for (std::size_t i = 0; i < one_by_one; ++i) driver->push(noop());
    auto s = seconds_since(start);
    fmt::print("enqueue one by one            {:>7} jobs  {:>8.0f} jobs/s  ({:.0f} us a push)\n",
               one_by_one, double(one_by_one) / s, s * 1e6 / double(one_by_one));
    for (std::size_t size : {10, 100, 500, 1000}) {
        std::vector<NewJob> batch(size, noop());
        start = Clock::now();
        for (std::size_t done = 0; done < batched; done += size) driver->push_batch(batch);
        s = seconds_since(start);
        fmt::print("enqueue batches of {:<5}      {:>7} jobs  {:>8.0f} jobs/s\n", size, batched,
                   double(batched) / s);
    }
    NewJob keyed = noop();
    start = Clock::now();
    for (std::size_t i = 0; i < one_by_one; ++i) {
        keyed.unique_key = "key-" + std::to_string(i);
        driver->push(keyed);
    }
    s = seconds_since(start);
    fmt::print("enqueue one by one, unique key {:>6} jobs  {:>8.0f} jobs/s\n", one_by_one,
               double(one_by_one) / s);
}

void process(std::size_t jobs, unsigned concurrency, bool keep_completed) {
    auto table = table_prefix + "_work";
    auto driver = open_driver(table, keep_completed);
    driver->clear("default");
    fill(*driver, jobs);
    sql("VACUUM ANALYZE \"" + table + "\"");

    Handlers handlers;
    handlers.on("noop", [](const Job&) {});
    WorkerOptions options;
    options.concurrency = concurrency;
    options.stop_when_empty = true;
    options.idle_sleep = Milliseconds(50);
    Worker worker(*driver, handlers, options);
    auto start = Clock::now();
    auto summary = worker.run();
    auto s = seconds_since(start);
    fmt::print("process, no-op, concurrency {}, {:<9} {:>6} jobs  {:>8.0f} jobs/s\n", concurrency,
               keep_completed ? "kept" : "deleted", summary.completed,
               double(summary.completed) / s);
}

// push -> start: a worker waits (LISTEN) on an empty queue; each push is timed to the moment the
// handler starts.
void latency(std::size_t samples) {
    auto table = table_prefix + "_latency";
    auto driver = open_driver(table);
    auto pusher = open_driver(table);  // another driver object, as another process would be
    driver->clear("default");

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
    WorkerOptions options;
    options.idle_sleep = Milliseconds(1000);  // polling would give ~500ms; NOTIFY should win
    Worker worker(*driver, handlers, options);
    std::thread runner([&] { worker.run(); });
    std::this_thread::sleep_for(std::chrono::milliseconds(300));  // let it go idle

    std::vector<double> ms;
    for (std::size_t i = 0; i < samples; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        auto before = Clock::now();
        auto id = pusher->push(noop()).id;
        std::unique_lock lock(mutex);
        started.wait_for(lock, std::chrono::seconds(5), [&] { return start_times.count(id); });
        if (start_times.count(id)) {
            ms.push_back(
                std::chrono::duration<double, std::milli>(start_times[id] - before).count());
        }
    }
    worker.stop();
    runner.join();
    std::sort(ms.begin(), ms.end());
    auto pct = [&](double p) { return ms[std::min(ms.size() - 1, std::size_t(p * ms.size()))]; };
    fmt::print(
        "push -> start, idle worker    {:>7} pushes p50 {:.1f} ms  p99 {:.1f} ms  max {:.1f} ms\n",
        ms.size(), pct(0.50), pct(0.99), ms.back());
}

// Drains `jobs` pushed jobs by claims of 100, completing each claim's jobs with one
// complete_batch or with complete() per job. Returns jobs/s.
double drain(std::size_t jobs, bool batched) {
    auto table = table_prefix + "_drain";
    auto driver = open_driver(table);
    driver->clear("default");
    fill(*driver, jobs);
    sql("VACUUM ANALYZE \"" + table + "\"");

    ClaimRequest request;
    request.worker_id = "bench";
    request.limit = 100;
    std::size_t done = 0;
    auto start = Clock::now();
    for (;;) {
        auto claimed = driver->claim(request);
        if (claimed.empty())
            break;
        if (batched) {
            std::vector<Completion> batch;
            batch.reserve(claimed.size());
            for (const auto& job : claimed)
                batch.push_back({{job.id, *job.reserved_by}, Milliseconds(0)});
            for (bool applied : driver->complete_batch(batch)) done += applied ? 1 : 0;
        } else {
            for (const auto& job : claimed)
                done += driver->complete({job.id, *job.reserved_by}, Milliseconds(0)) ? 1 : 0;
        }
    }
    double rate = double(done) / seconds_since(start);
    fmt::print("drain, claim 100 + {:<14} {:>6} jobs  {:>8.0f} jobs/s\n",
               batched ? "complete_batch" : "complete each", done, rate);
    return rate;
}

// Both drains twice, alternating, so a noisy neighbour hurts both alike; the better of each.
void drain_figure(std::size_t jobs) {
    double each = 0, batch = 0;
    for (int round = 0; round < 2; ++round) {
        each = std::max(each, drain(jobs, false));
        batch = std::max(batch, drain(jobs, true));
    }
    fmt::print("drain, complete_batch / complete each: {:.2f}x\n", batch / each);
}

// Claims (and completes, as a worker would) `count` jobs, `limit` at a time, on one connection.
double claim_rate(QueueDriver& driver, std::size_t count, std::size_t limit) {
    ClaimRequest request;
    request.worker_id = "bench";
    request.limit = limit;
    auto start = Clock::now();
    std::size_t done = 0;
    while (done < count) {
        auto jobs = driver.claim(request);
        if (jobs.empty())
            break;
        for (const auto& job : jobs) driver.complete({job.id, *job.reserved_by}, Milliseconds(0));
        done += jobs.size();
    }
    return double(done) / seconds_since(start);
}

// What one claim's pick costs on the server: EXPLAIN ANALYZE of the claim's SELECT ... FOR UPDATE
// SKIP LOCKED (in a transaction rolled back), so commit latency (fsync) does not hide it.
struct PickCost {
    double ms = 0;
    long long buffers = 0;
};

PickCost pick_cost(const std::string& table, std::size_t limit) {
    pqxx::connection db(dsn);
    pqxx::work tx(db);
    PickCost best{1e9, 0};
    for (int i = 0; i < 5; ++i) {  // the best of five: the machine is shared
        auto row = tx.exec1(
            "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) SELECT id, available_at FROM \"" + table +
            "\" WHERE queue = 'default' AND status = 'pending' AND available_at <= now() ORDER BY "
            "available_at, created_at, id LIMIT " +
            std::to_string(limit) + " FOR UPDATE SKIP LOCKED");
        auto plan = nlohmann::json::parse(row[0].as<std::string>())[0];
        double ms = plan["Execution Time"].get<double>();
        if (ms < best.ms) {
            best.ms = ms;
            best.buffers = plan["Plan"]["Shared Hit Blocks"].get<long long>() +
                           plan["Plan"]["Shared Read Blocks"].get<long long>();
        }
    }
    tx.abort();
    return best;
}

void print_pick(const std::string& what, const std::string& table) {
    auto one = pick_cost(table, 1);
    auto fifty = pick_cost(table, 50);
    fmt::print("  {:<44} pick 1: {:>8.3f} ms {:>6} buffers   pick 50: {:>8.3f} ms {:>6} buffers\n",
               what, one.ms, one.buffers, fifty.ms, fifty.buffers);
}

void big_table(std::size_t rows) {
    auto table = table_prefix + "_big";
    auto driver = open_driver(table);
    auto start = Clock::now();
    fill(*driver, rows);
    fmt::print("filled {} pending rows in {:.1f}s ({:.0f} jobs/s, batches of 5000)\n", rows,
               seconds_since(start), double(rows) / seconds_since(start));
    sql("VACUUM ANALYZE \"" + table + "\"");

    fmt::print("claim with {} rows in the table:\n", rows);
    print_pick("q's indexes (seed's + partial claim order)", table);
    fmt::print("  claim + complete, 1 a time   {:>8.0f} jobs/s (two commits a job)\n",
               claim_rate(*driver, 2000, 1));
    fmt::print("  claim + complete, 50 a time  {:>8.0f} jobs/s\n", claim_rate(*driver, 20000, 50));

    sql("DROP INDEX \"idx_" + table + "_q_due\"");
    sql("VACUUM ANALYZE \"" + table + "\"");
    print_pick("the seed's index alone", table);
    fmt::print("  claim + complete, 1 a time   {:>8.0f} jobs/s\n", claim_rate(*driver, 2000, 1));
    fmt::print("  claim + complete, 50 a time  {:>8.0f} jobs/s\n", claim_rate(*driver, 20000, 50));
    sql("CREATE INDEX \"idx_" + table + "_q_due\" ON \"" + table +
        "\" (queue, available_at, created_at, id) WHERE status = 'pending'");

    // A transaction that keeps an old snapshot open: vacuum cannot remove the row versions that
    // every claim and complete leaves behind, so each pick wades through more of them.
    sql("VACUUM ANALYZE \"" + table + "\"");
    print_pick("before the long transaction", table);
    pqxx::connection holder_db(dsn);
    pqxx::work holder(holder_db);
    holder.exec("SELECT txid_current()");
    for (int round = 1; round <= 3; ++round) {
        double rate = claim_rate(*driver, 20000, 50);
        print_pick(fmt::format("long transaction, {:>6} more jobs", round * 20000), table);
        fmt::print("  (claim + complete, 50 a time, during that round: {:.0f} jobs/s)\n", rate);
    }
    holder.abort();
    sql("VACUUM \"" + table + "\"");
    print_pick("transaction ended, after VACUUM", table);
}

}  // namespace

int main(int argc, char** argv) {
    const char* env = std::getenv("Q_TEST_PG_DSN");
    if (env == nullptr || *env == '\0') {
        fmt::print(stderr, "postgres_bench: set Q_TEST_PG_DSN (eval \"$(scripts/pg-start)\")\n");
        return 77;
    }
    dsn = env;
    table_prefix = "q_bench_" + std::to_string(getpid());
    std::size_t rows = 1'000'000;
    bool big = true;
    bool small = true;
    bool drains = true;
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        if (arg == "--rows" && i + 1 < argc)
            rows = std::stoul(argv[++i]);
        if (arg == "--skip-big")
            big = false;
        if (arg == "--only-big")
            small = drains = false;
        if (arg == "--only-drain")
            small = big = false;
    }
    try {
        if (small) {
            enqueue(2000, 20000);
            for (unsigned concurrency : {1u, 8u}) process(10000, concurrency, true);
            process(10000, 8, false);
            latency(200);
        }
        if (drains)
            drain_figure(20000);
        if (big)
            big_table(rows);
    } catch (const std::exception& e) {
        fmt::print(stderr, "postgres_bench: {}\n", e.what());
    }
    for (const char* suffix : {"_push", "_work", "_latency", "_drain", "_big"}) {
        auto t = table_prefix + suffix;
        sql("DROP TABLE IF EXISTS \"" + t + "\", \"" + t + "_q_unique\", \"" + t +
            "_q_totals\", \"" + t + "_q_records\", \"" + t + "_q_logs\", \"" + t +
            "_q_log_groups\", \"" + t + "_q_meta\"");
    }
    return 0;
}
