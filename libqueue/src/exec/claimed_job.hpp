// The worker's variant of run_claimed_job (worker.hpp): a success is handed to `complete_later`
// (the CompletionWriter, which records it in a batch and then calls the callbacks) instead of
// being recorded before returning. Other outcomes are recorded here as usual. With `logging`,
// the attempt's log (attempt_log.hpp) is kept and written with its outcome. With `cancel` set
// before `stop` is requested, an operator cancelled the attempt (cancels.hpp): unless it completed
// anyway, it ends dead (or pending again at once) with last_error "cancelled by operator".
#pragma once

#include <atomic>
#include <functional>
#include <optional>
#include <stop_token>

#include "libqueue/attempt_log.hpp"
#include "libqueue/worker.hpp"

namespace libqueue::exec {

using CompleteLater =
    std::function<void(const Job&, Milliseconds ran_for, std::optional<AttemptLog> log)>;

// What an operator asked of a running attempt.
enum class CancelMode { none, dead, retry };

struct AttemptLogging {
    std::string worker;     // the worker id the logs name
    std::size_t max_bytes;  // queue.logs.max_bytes
    // How often a running attempt's new output is written, for `q log --follow`.
    Milliseconds publish_every{1'000};
};

Outcome run_claimed_job(QueueDriver& driver, const JobExecutor& executor, const Job& job,
                        const RetrySettings& retry, const WorkerCallbacks& callbacks,
                        Metrics* metrics, std::stop_token stop, const CompleteLater& complete_later,
                        const AttemptLogging* logging = nullptr,
                        const std::atomic<CancelMode>* cancel = nullptr);

}  // namespace libqueue::exec
