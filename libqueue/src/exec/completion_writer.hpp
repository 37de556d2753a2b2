// Records completions in batches (group commit): a finished job is handed over and its slot moves
// on at once; one background thread writes everything handed over since its last write with
// QueueDriver::complete_batch. An idle worker writes each completion the moment it arrives; a
// busy one writes one batch per round trip instead of one per job, which is what lets fast jobs
// run at the backend's batch speed rather than its commit latency.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "libqueue/driver.hpp"
#include "libqueue/metrics.hpp"
#include "libqueue/worker.hpp"

namespace libqueue::exec {

class CompletionWriter {
  public:
    // `callbacks` (on_job_complete, on_claim_lost, on_worker_error) and `metrics` (may be null) are
    // used from the writer's thread once a completion is written, and must outlive the writer.
    CompletionWriter(QueueDriver& driver, const WorkerCallbacks& callbacks, Metrics* metrics);
    ~CompletionWriter();  // finish()
    CompletionWriter(const CompletionWriter&) = delete;
    CompletionWriter& operator=(const CompletionWriter&) = delete;

    // Queues the completion of a job that succeeded. `written` runs once the outcome is recorded,
    // refused or given up on (it releases what kept the claim alive meanwhile). Blocks only while
    // max_waiting completions are already queued, so a slow backend slows the slots down
    // instead of piling up finished jobs in memory.
    // `log`, when kept, is written with the completion.
    void submit(const Job& job, Milliseconds ran_for, std::optional<AttemptLog> log,
                std::function<void()> written);

    // Writes everything queued and stops the thread. While the backend fails it is retried a few
    // times; then the rest stays processing and stale recovery hands it out again (at least once).
    void finish();

  private:
    struct Pending {
        Job job;
        Milliseconds ran_for;
        std::optional<AttemptLog> log;
        std::function<void()> written;
    };

    void loop();
    void write(std::vector<Pending>& batch);
    void report(const std::vector<Pending>& batch, const std::vector<bool>& applied);

    static constexpr std::size_t max_batch = 512;
    static constexpr std::size_t max_waiting = 2048;

    QueueDriver& driver_;
    const WorkerCallbacks& callbacks_;
    Metrics* metrics_;

    std::mutex mutex_;
    std::condition_variable changed_;
    std::vector<Pending> waiting_;
    bool finishing_ = false;
    std::thread thread_;
};

}  // namespace libqueue::exec
