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
#include "libqueue/worker.hpp"

namespace libqueue {

struct DispatchOptions {
    std::string queue = "default";
    Milliseconds delay{0};
    std::optional<TimePoint> run_at;
    std::optional<std::string> unique_key;
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

    PushResult dispatch(NewJob job);
    PushResult dispatch(const QueueJob& job, const DispatchOptions& options = {});
    // All or none.
    std::vector<PushResult> dispatch_batch(std::vector<NewJob> jobs);

    // Claims one due job from `queues`, runs it, records the outcome. False when none was due.
    bool process_one(const std::vector<std::string>& queues = {"default"});

    // A worker with this manager's driver, handlers and metrics, run with the config's options
    // (default_worker_options()) or with `options` exactly as given.
    WorkerSummary work(WorkerCallbacks callbacks = {});
    WorkerSummary work(WorkerOptions options, WorkerCallbacks callbacks = {});
    // worker_options_from(this manager's config): start from these to change a few.
    WorkerOptions default_worker_options() const;

    MetricsSnapshot metrics() const;
    void reset_metrics();

  private:
    Config config_;
    Handlers handlers_;
    std::unique_ptr<QueueDriver> driver_;
    Metrics metrics_;
};

}  // namespace libqueue
