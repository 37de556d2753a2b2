#include "harness/soak.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <exception>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <pqxx/pqxx>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "harness/common.hpp"
#include "libqueue/handler.hpp"
#include "libqueue/job.hpp"
#include "libqueue/worker.hpp"

namespace bench {

using namespace libqueue;
using json = nlohmann::json;

namespace {

// The process's resident memory now (peak_rss_kb, which q_bench reports, only ever grows).
long rss_kb() {
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line))
        if (line.rfind("VmRSS:", 0) == 0)
            return std::stol(line.substr(6));
    return -1;
}

std::uintmax_t file_size_or_zero(const std::filesystem::path& path) {
    std::error_code error;
    auto size = std::filesystem::file_size(path, error);
    return error ? 0 : size;
}

// Bytes of the jobs table, its indexes and q's side tables with theirs (PostgreSQL); of the
// database file and its WAL, which hold all of them (SQLite); null elsewhere.
json store_sizes(Backend& backend) {
    if (backend.is_sqlite()) {
        auto db = backend.sqlite_path();
        return {{"table_bytes", file_size_or_zero(db) + file_size_or_zero(db.string() + "-wal")},
                {"index_bytes", nullptr},
                {"side_bytes", nullptr}};
    }
    if (backend.is_postgres()) {
        pqxx::connection db(Backend::postgres_dsn());
        pqxx::read_transaction tx(db);
        const auto& table = backend.postgres_table();
        // Also whether a vacuum is working on the jobs table, and how many dead row versions
        // wait for one: what to set a growing table's slow stretches beside.
        auto row = tx.exec_params1(
            "SELECT pg_table_size(quote_ident($1)), pg_indexes_size(quote_ident($1)), "
            "(SELECT coalesce(sum(pg_total_relation_size(oid)), 0) FROM pg_class WHERE relkind = "
            "'r' AND starts_with(relname, $1 || '_q_'))::int8, "
            "EXISTS (SELECT FROM pg_stat_progress_vacuum WHERE relid = quote_ident($1)::regclass), "
            "(SELECT n_dead_tup FROM pg_stat_user_tables WHERE relid = quote_ident($1)::regclass)",
            table);
        return {{"table_bytes", row[0].as<long long>()},
                {"index_bytes", row[1].as<long long>()},
                {"side_bytes", row[2].as<long long>()},
                {"vacuuming", row[3].as<bool>()},
                {"dead_rows", row[4].is_null() ? 0 : row[4].as<long long>()}};
    }
    return {{"table_bytes", nullptr}, {"index_bytes", nullptr}, {"side_bytes", nullptr}};
}

// Runs `body` on a thread until stop() is called or it throws; the error is kept for the
// figure to rethrow, so a failing helper ends the run with its message instead of the process.
// stop() raises the flag `body` gets and calls `interrupt` (for a body that waits on something
// else), then joins.
class Helper {
  public:
    template <class Body>
    explicit Helper(Body body, std::function<void()> interrupt = {})
        : interrupt_(std::move(interrupt)), thread_([this, body] {
              try {
                  body(stopping_);
                  returned_ = true;
              } catch (...) {
                  error_ = std::current_exception();
                  failed_ = true;
              }
          }) {}
    Helper(const Helper&) = delete;
    Helper& operator=(const Helper&) = delete;
    ~Helper() { stop(); }
    void stop() {
        stopping_ = true;
        if (interrupt_)
            interrupt_();
        if (thread_.joinable())
            thread_.join();
    }
    void rethrow_if_failed() {
        if (failed_) {
            stop();
            std::rethrow_exception(error_);
        }
    }
    // Whether `body` has returned (not thrown) without being asked to stop.
    bool returned_early() const { return returned_ && !stopping_; }

  private:
    std::function<void()> interrupt_;
    std::atomic<bool> stopping_{false};
    std::atomic<bool> failed_{false};
    std::atomic<bool> returned_{false};
    std::exception_ptr error_;
    std::thread thread_;
};

// Sleeps up to `total`, in short steps so that a stop is seen soon.
void sleep_unless_stopping(const std::atomic<bool>& stopping, std::chrono::milliseconds total) {
    const auto until = Clock::now() + total;
    while (!stopping && Clock::now() < until)
        std::this_thread::sleep_for(
            std::min<Clock::duration>(std::chrono::milliseconds(50), until - Clock::now()));
}

}  // namespace

json soak(Backend& backend, const SoakOptions& options) {
    const std::size_t segment = std::max<std::size_t>(1, options.jobs / options.segments);
    auto worker_driver = backend.open();
    if (!options.table_options.empty())
        backend.set_table_options(options.table_options);

    std::atomic<std::size_t> ran{0};
    std::mutex marks_mutex;
    std::vector<Clock::time_point> marks;  // when the worker ran each segment's last job
    Handlers handlers;
    handlers.on("noop", [&](const Job&) {
        if (++ran % segment == 0) {
            std::lock_guard lock(marks_mutex);
            marks.push_back(Clock::now());
        }
    });
    WorkerOptions worker_options;
    worker_options.concurrency = options.concurrency;
    worker_options.logs.enabled = true;
    worker_options.idle_sleep = Milliseconds(50);
    Worker worker(*worker_driver, handlers, worker_options);

    const auto start = Clock::now();
    Helper worker_thread([&](const std::atomic<bool>&) { worker.run(); }, [&] { worker.stop(); });

    // Due jobs kept `ahead` of the worker: the table grows by completions, not by a backlog.
    std::atomic<std::size_t> pushed{0};
    Helper pusher([&](const std::atomic<bool>& stopping) {
        auto driver = backend.open();
        std::vector<NewJob> batch(1000, noop_job());
        while (!stopping && pushed < options.jobs) {
            if (pushed - std::min<std::size_t>(pushed, ran) >= options.ahead) {
                std::this_thread::sleep_for(std::chrono::milliseconds(2));
                continue;
            }
            batch.resize(std::min<std::size_t>(1000, options.jobs - pushed));
            driver->push_batch(batch);
            pushed += batch.size();
        }
    });

    std::atomic<std::size_t> delayed_pushed{0};
    Helper delayed_pusher([&](const std::atomic<bool>& stopping) {
        if (options.delayed_per_s == 0)
            return;
        auto driver = backend.open();
        // A tenth of a second's worth at a time, due in an hour: the worker's claims pass over
        // them as they would in use.
        NewJob later = noop_job();
        later.name = "later";
        later.delay = Milliseconds(3'600'000);
        std::vector<NewJob> batch(std::max(1u, options.delayed_per_s / 10), later);
        auto next = Clock::now();
        while (!stopping) {
            driver->push_batch(batch);
            delayed_pushed += batch.size();
            next += std::chrono::milliseconds(100);
            std::this_thread::sleep_until(next);
        }
    });

    std::mutex prunes_mutex;
    json prunes = json::array();
    Helper pruner([&](const std::atomic<bool>& stopping) {
        auto driver = backend.open();
        const Milliseconds keep(std::chrono::seconds(options.keep_s));
        constexpr std::size_t prune_batch = 500;
        for (;;) {
            sleep_unless_stopping(stopping, std::chrono::seconds(options.prune_every_s));
            if (stopping)
                return;
            auto t0 = Clock::now();
            std::uint64_t deleted = 0;
            for (;;) {
                auto n = driver->prune(keep, prune_batch, PruneScope{});
                deleted += n;
                if (n < prune_batch || stopping)
                    break;
            }
            auto logs_deleted = driver->prune_attempt_logs(keep);
            std::lock_guard lock(prunes_mutex);
            prunes.push_back({{"at_s", seconds_between(start, t0)},
                              {"completed", ran.load()},
                              {"deleted", deleted},
                              {"logs_deleted", logs_deleted},
                              {"ms", ms_between(t0, Clock::now())}});
        }
    });

    json samples = json::array();
    auto next_sample = start;
    while (ran < options.jobs) {
        worker_thread.rethrow_if_failed();
        pusher.rethrow_if_failed();
        delayed_pusher.rethrow_if_failed();
        pruner.rethrow_if_failed();
        // A worker that returns on its own would leave this loop waiting for jobs nobody runs.
        if (worker_thread.returned_early())
            throw std::runtime_error("the worker stopped after " + std::to_string(ran.load()) +
                                     " jobs");
        if (Clock::now() >= next_sample) {
            next_sample += std::chrono::seconds(options.sample_every_s);
            auto t0 = Clock::now();
            auto stats = backend.open()->stats();
            double stats_ms = ms_between(t0, Clock::now());
            json sample = store_sizes(backend);
            sample["at_s"] = seconds_between(start, t0);
            sample["completed"] = ran.load();
            sample["rss_kb"] = rss_kb();
            sample["stats_ms"] = stats_ms;
            // Due jobs near 0 mean the pusher, not the worker, set the pace.
            std::uint64_t due = 0, processing = 0;
            for (const auto& queue : stats.queues) {
                due += queue.counts.due;
                processing += queue.counts.processing;
            }
            sample["pushed"] = pushed.load();
            sample["due"] = due;
            sample["processing"] = processing;
            samples.push_back(std::move(sample));
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    const auto end = Clock::now();
    pruner.stop();
    delayed_pusher.stop();
    pusher.stop();
    worker_thread.stop();
    worker_thread.rethrow_if_failed();

    // stats() again with the worker and the helpers stopped: what it costs on a store of this
    // size when nothing else competes for the machine.
    std::vector<double> idle_stats_ms;
    for (int i = 0; i < 5; ++i) {
        auto t0 = Clock::now();
        (void)backend.open()->stats();
        idle_stats_ms.push_back(ms_between(t0, Clock::now()));
    }

    json segments = json::array();
    std::vector<double> rates;
    {
        std::lock_guard lock(marks_mutex);
        auto from = start;
        for (std::size_t i = 0; i < marks.size(); ++i) {
            double rate = double(segment) / seconds_between(from, marks[i]);
            rates.push_back(rate);
            segments.push_back({{"completed", (i + 1) * segment}, {"jobs_per_s", rate}});
            from = marks[i];
        }
    }
    std::vector<double> stats_ms;
    long rss_min = -1, rss_max = -1;
    long long table_max = 0, index_max = 0, side_max = 0;
    for (const auto& s : samples) {
        stats_ms.push_back(s["stats_ms"].get<double>());
        // Memory from the end of the first segment on: before it the process is still filling
        // its pools.
        if (s["completed"].get<std::size_t>() >= segment) {
            long rss = s["rss_kb"].get<long>();
            rss_min = rss_min < 0 ? rss : std::min(rss_min, rss);
            rss_max = std::max(rss_max, rss);
        }
        auto bigger = [&](const char* key, long long& max) {
            if (s[key].is_number())
                max = std::max(max, s[key].get<long long>());
        };
        bigger("table_bytes", table_max);
        bigger("index_bytes", index_max);
        bigger("side_bytes", side_max);
    }
    return {{"jobs", options.jobs},
            {"concurrency", options.concurrency},
            {"delayed_per_s", options.delayed_per_s},
            {"delayed_pushed", delayed_pushed.load()},
            {"prune_every_s", options.prune_every_s},
            {"keep_s", options.keep_s},
            {"table_options", options.table_options},
            {"seconds", seconds_between(start, end)},
            {"jobs_per_s", double(options.jobs) / seconds_between(start, end)},
            {"segments", segments},
            {"last_to_first", rates.size() >= 2 ? rates.back() / rates.front() : 1.0},
            {"rss_kb_min", rss_min},
            {"rss_kb_max", rss_max},
            {"table_bytes_max", table_max},
            {"index_bytes_max", index_max},
            {"side_bytes_max", side_max},
            {"stats_ms_median", percentile(stats_ms, 0.5)},
            {"stats_ms_max",
             stats_ms.empty() ? 0 : *std::max_element(stats_ms.begin(), stats_ms.end())},
            {"idle_stats_ms_median", percentile(idle_stats_ms, 0.5)},
            {"samples", samples},
            {"prunes", prunes}};
}

}  // namespace bench
