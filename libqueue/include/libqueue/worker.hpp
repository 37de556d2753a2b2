// The worker loop: claim due jobs, run each with its handler, record the outcome on the same claim.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "libqueue/config.hpp"
#include "libqueue/driver.hpp"
#include "libqueue/handler.hpp"
#include "libqueue/metrics.hpp"
#include "libqueue/scheduler.hpp"

namespace libqueue {

struct WorkerOptions {
    std::vector<std::string> queues{"default"};  // strict priority
    unsigned concurrency = 1;                    // jobs run at once
    std::optional<std::uint64_t> max_jobs;       // stop after finishing this many
    std::optional<Milliseconds> max_time;        // stop claiming after this long
    Milliseconds idle_sleep{1'000};              // longest wait between polls when nothing is due
    Milliseconds delay{0};                       // pause after each job (the Dart worker.delay)
    // Jobs claimed beyond the free slots (at most max_prefetch). Unset: adaptive, as many as the
    // slots would finish within a few milliseconds at the recent run time, none for slow jobs.
    // 0 never holds a job no slot is free for (fair sharing between workers of long jobs).
    std::optional<unsigned> prefetch;
    // Exit once nothing is due and our own jobs have finished: jobs this worker released for a
    // retry keep it running until they ran here again (or another worker took them); jobs
    // pushed with a delay do not.
    bool stop_when_empty = false;
    Milliseconds stale_after{300'000};  // heartbeat every third of it; recover others' stale jobs
    RetrySettings retry;
    Milliseconds shutdown_grace{30'000};  // after stop(): how long running jobs may finish
    std::string worker_id;                // empty: default_worker_id()
    // Keep a record of this worker in the backend while it runs (worker_registry.hpp), for
    // `q workers`; drivers that keep no records (sync) are skipped silently.
    bool announce = true;
    // The attempt logs (queue.logs): kept where the driver can keep them.
    LogSettings logs;
    // The schedules (schedule.hpp); the worker runs a scheduler for those of its queues.
    std::vector<Schedule> schedules;
    // Limits by job name (limits.hpp), shared with every worker of the backend.
    std::map<std::string, JobLimits> limits;
};

// The options the config sets (queue.worker.*, queue.retry, queue.stale_after); the rest default.
WorkerOptions worker_options_from(const Config& config);

// How often a worker heartbeats its running jobs when jobs go stale after `stale_after`.
inline Milliseconds heartbeat_interval(Milliseconds stale_after) {
    return std::max(stale_after / 3, Milliseconds{1});
}

// The shortest timeout under which recovery cannot take back a live job: two heartbeats, so one
// late heartbeat (a busy backend) is not mistaken for a dead worker.
inline Milliseconds shortest_safe_stale_timeout(Milliseconds stale_after) {
    return heartbeat_interval(stale_after) * 2;
}

// A Worker calls these from its threads, one call at a time (never concurrently). A callback may
// call Worker::stop(); exceptions it throws are swallowed.
struct WorkerCallbacks {
    std::function<void(const Job&)> on_job_start;
    std::function<void(const Job&, Milliseconds ran_for)> on_job_complete;
    std::function<void(const Job&, const Outcome&, Milliseconds retry_in)> on_job_retry;
    std::function<void(const Job&, const Outcome&)> on_job_dead;
    std::function<void(const Job&)> on_job_put_back;
    // Its name's limits held the job back: it is pending again, due in `wait`.
    std::function<void(const Job&, Milliseconds wait)> on_job_held;
    // The outcome was refused: the claim had been recovered (stale) and is someone else's now.
    std::function<void(const Job&)> on_claim_lost;
    // An error outside any job (backend down, ...). The worker keeps going, backing off.
    std::function<void(const std::exception&)> on_worker_error;
    // Stale jobs this worker recovered from others.
    std::function<void(const std::vector<Job>&)> on_recovered;
    // Jobs this worker's scheduler pushed for schedules' ticks.
    std::function<void(const std::vector<EnqueuedTick>&)> on_ticks_enqueued;
};

struct WorkerSummary {
    std::uint64_t completed = 0;
    std::uint64_t retried = 0;
    std::uint64_t dead = 0;
    std::uint64_t put_back = 0;
    std::uint64_t held = 0;  // put back for their name's limits, not started
    std::uint64_t claims_lost = 0;
    Milliseconds elapsed{0};
    std::string stop_reason;  // "empty", "max_jobs", "max_time", "stopped", "error"

    std::uint64_t finished() const { return completed + retried + dead; }
};

// What a running worker has done so far (Worker::progress).
struct WorkerProgress {
    WorkerSummary so_far;     // stop_reason empty while it runs; elapsed since run() began
    std::size_t running = 0;  // jobs claimed and not yet finished (started or waiting to start)
    bool stopping = false;
};

// Runs one claimed job and records its outcome (complete / release with backoff / fail / put
// back). Used by the worker, Manager::process_one and `q run`.
Outcome run_claimed_job(QueueDriver& driver, const JobExecutor& executor, const Job& job,
                        const RetrySettings& retry, const WorkerCallbacks& callbacks,
                        Metrics* metrics, std::stop_token stop = {});

// A job run at once, in this process, instead of queued: what dispatch does for a driver whose
// registry entry says DispatchMode::run_at_dispatch (sync).
struct RanJob {
    Job job;  // completed or failed (or pending, if the run was interrupted): attempts, last_error
    std::optional<int> exit_status;  // the handler's last (commands: exit code or 128+signal)
};

// Runs `job` through run_claimed_job on a private in-memory store: up to 1 + max_retries attempts
// back to back, without backoff (a CI step must not wait minutes between attempts); bad data is
// not retried. Throws DataError for an invalid job and UsageError for a delayed one, having run
// nothing.
RanJob run_now(const NewJob& job, const JobExecutor& executor, Metrics* metrics = nullptr);
// Every job checked first (validate_new_jobs, no delays), then each run in turn.
std::vector<RanJob> run_now_batch(const std::vector<NewJob>& jobs, const JobExecutor& executor,
                                  Metrics* metrics = nullptr);

class Worker {
  public:
    Worker(QueueDriver& driver, const JobExecutor& executor, WorkerOptions options,
           WorkerCallbacks callbacks = {}, Metrics* metrics = nullptr);
    ~Worker();
    Worker(const Worker&) = delete;
    Worker& operator=(const Worker&) = delete;

    // Blocks until a stop condition holds or stop() is called. Errors that retrying cannot fix
    // (DataError such as a corrupt queue file, ConfigError, UsageError) stop the worker like
    // stop() does and are then rethrown; transient ones (a backend away) are reported to
    // on_worker_error and retried with backoff.
    //
    // Jobs are claimed in batches when they run fast: beyond its free slots the worker claims
    // what its slots finish in about 20 ms at the recent run time (at most 256); claims waiting
    // to start are heartbeated like running ones, and put back on stop. Completions are
    // recorded in batches too (complete_batch) by a writer thread; on_job_complete runs once a
    // completion is written.
    WorkerSummary run();

    // Stop claiming; running jobs get shutdown_grace to finish, then are interrupted and put back.
    // Safe to call from any thread (not from a signal handler: use a signal-watching thread).
    void stop();

    // The counts so far, taken under the lock every slot takes between jobs: that it returns at
    // all shows the worker is not wedged, which is what a service manager's watchdog asks.
    // Safe to call from any thread, during run().
    WorkerProgress progress() const;

  private:
    struct State;
    std::unique_ptr<State> state_;
};

}  // namespace libqueue
