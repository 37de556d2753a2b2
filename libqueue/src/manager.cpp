#include "libqueue/manager.hpp"

#include <algorithm>

#include "exec/claim_keeper.hpp"
#include "libqueue/errors.hpp"
#include "libqueue/registry.hpp"

namespace libqueue {

namespace {

// One worker id per process, as the Dart queue system's worker ids name a process.
const std::string& process_worker_id() {
    static const std::string id = default_worker_id();
    return id;
}

}  // namespace

Manager::Manager(Config config)
    : mode_(dispatch_mode(config.driver)),
      config_(std::move(config)),
      handlers_(handlers_from_config(config_)),
      driver_(create_driver(config_)) {}

Manager::Manager(std::unique_ptr<QueueDriver> driver, Config config)
    : config_(std::move(config)),
      handlers_(handlers_from_config(config_)),
      driver_(std::move(driver)) {
    if (!driver_)
        throw UsageError("Manager: no driver given");
}

Manager::~Manager() = default;

QueueDriver& Manager::driver() {
    return *driver_;
}
Handlers& Manager::handlers() {
    return handlers_;
}
const Config& Manager::config() const {
    return config_;
}

// Run at dispatch, a job counts as queued once it has run (a refused one never was).
Dispatched Manager::counted_run(RanJob ran) {
    metrics_.queued(ran.job.name);
    return Dispatched::run(std::move(ran));
}

Dispatched Manager::dispatch(NewJob job) {
    if (runs_at_dispatch())
        return counted_run(run_now(job, handlers_, &metrics_));
    PushResult result = driver_->push(job);
    if (result.created)
        metrics_.queued(job.name);
    return Dispatched::stored(result);
}

Dispatched Manager::dispatch(const QueueJob& job, const DispatchOptions& options) {
    NewJob new_job;
    new_job.name = job.job_name();
    new_job.queue = options.queue;
    new_job.payload = job.to_json().dump();
    new_job.max_retries = job.max_retries();
    new_job.run_at = options.run_at;
    new_job.delay = options.delay;
    new_job.unique_key = options.unique_key;
    new_job.priority = options.priority;
    return dispatch(std::move(new_job));
}

std::vector<Dispatched> Manager::dispatch_batch(std::vector<NewJob> jobs) {
    std::vector<Dispatched> dispatched;
    dispatched.reserve(jobs.size());
    if (runs_at_dispatch()) {
        for (auto& one : run_now_batch(jobs, handlers_, &metrics_)) {
            dispatched.push_back(counted_run(std::move(one)));
        }
        return dispatched;
    }
    auto results = driver_->push_batch(jobs);
    for (std::size_t i = 0; i < results.size() && i < jobs.size(); ++i) {
        if (results[i].created)
            metrics_.queued(jobs[i].name);
        dispatched.push_back(Dispatched::stored(results[i]));
    }
    return dispatched;
}

bool Manager::process_one(const std::vector<std::string>& queues) {
    auto jobs = driver_->claim(ClaimRequest{queues, process_worker_id(), 1});
    if (jobs.empty())
        return false;
    const Job& job = jobs.front();
    // A long job keeps its claim alive like a worker's does.
    std::stop_source lost;
    auto& keeper = exec::shared_claim_keeper();
    const auto kept = keeper.add(*driver_, claim_of(job),
                                 std::max(config_.stale_after / 3, Milliseconds{1}), lost, nullptr);
    try {
        run_claimed_job(*driver_, handlers_, job, config_.retry, {}, &metrics_, lost.get_token());
    } catch (...) {
        keeper.remove(kept);
        throw;
    }
    keeper.remove(kept);
    return true;
}

WorkerOptions Manager::default_worker_options() const {
    return worker_options_from(config_);
}

WorkerSummary Manager::work(WorkerCallbacks callbacks) {
    return work(default_worker_options(), std::move(callbacks));
}

WorkerSummary Manager::work(WorkerOptions options, WorkerCallbacks callbacks) {
    if (runs_at_dispatch())
        require_stored_jobs(config_.driver);
    Worker worker(*driver_, handlers_, std::move(options), std::move(callbacks), &metrics_);
    return worker.run();
}

MetricsSnapshot Manager::metrics() const {
    return metrics_.snapshot();
}

void Manager::reset_metrics() {
    metrics_.reset();
}

}  // namespace libqueue
