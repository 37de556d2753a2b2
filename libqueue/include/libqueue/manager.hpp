// The Dart queue system's QueueManager: dispatch, dispatch batch, process one, run a worker,
// metrics.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "libqueue/config.hpp"
#include "libqueue/driver.hpp"
#include "libqueue/handler.hpp"
#include "libqueue/metrics.hpp"
#include "libqueue/registry.hpp"
#include "libqueue/worker.hpp"

namespace libqueue {

struct DispatchOptions {
    std::string queue = "default";
    Milliseconds delay{0};
    std::optional<TimePoint> run_at;
    std::optional<std::string> unique_key;
    int priority = 0;  // 0..max_priority, higher claimed first (NewJob::priority)
};

// What dispatch did. Queue mode: the job is stored (created false: its unique_key matched a
// pending or processing job, whose id this is). Run-at-dispatch mode (the sync driver): the job
// has run already, and `ran` says how it ended (run_now).
struct Dispatched {
    std::string id;
    bool created = true;
    std::optional<RanJob> ran;

    static Dispatched stored(const PushResult& result) { return {result.id, result.created, {}}; }
    static Dispatched run(RanJob ran) {
        std::string id = ran.job.id;
        return {std::move(id), true, std::move(ran)};
    }
};

class Manager {
  public:
    // Builds the configured driver through the registry; the config's command handlers are
    // registered. Throws what create_driver throws.
    explicit Manager(Config config);
    // Uses a driver the caller built.
    Manager(std::unique_ptr<QueueDriver> driver, Config config = {});
    ~Manager();

    QueueDriver& driver();
    Handlers& handlers();
    const Config& config() const;

    Dispatched dispatch(NewJob job);
    Dispatched dispatch(const QueueJob& job, const DispatchOptions& options = {});
    // All or none: every job is validated before any is stored (or, run at dispatch, run).
    std::vector<Dispatched> dispatch_batch(std::vector<NewJob> jobs);

    // Claims one due job from `queues`, runs it, records the outcome. False when none was due.
    bool process_one(const std::vector<std::string>& queues = {"default"});

    // A worker with this manager's driver, handlers and metrics, run with the config's options
    // (default_worker_options()) or with `options` exactly as given. UsageError when jobs run
    // at dispatch (sync): there would never be anything to claim.
    WorkerSummary work(WorkerCallbacks callbacks = {});
    WorkerSummary work(WorkerOptions options, WorkerCallbacks callbacks = {});
    // worker_options_from(this manager's config): start from these to change a few.
    WorkerOptions default_worker_options() const;

    MetricsSnapshot metrics() const;
    void reset_metrics();

  private:
    bool runs_at_dispatch() const { return mode_ == DispatchMode::run_at_dispatch; }
    Dispatched counted_run(RanJob ran);

    DispatchMode mode_ = DispatchMode::queue;
    Config config_;
    Handlers handlers_;
    std::unique_ptr<QueueDriver> driver_;
    Metrics metrics_;
};

}  // namespace libqueue
