// The worker's variant of run_claimed_job (worker.hpp): a success is handed to `complete_later`
// (the CompletionWriter, which records it in a batch and then calls the callbacks) instead of
// being recorded before returning. Other outcomes are recorded here as usual.
#pragma once

#include <functional>
#include <stop_token>

#include "libqueue/worker.hpp"

namespace libqueue::exec {

using CompleteLater = std::function<void(const Job&, Milliseconds ran_for)>;

Outcome run_claimed_job(QueueDriver& driver, const JobExecutor& executor, const Job& job,
                        const RetrySettings& retry, const WorkerCallbacks& callbacks,
                        Metrics* metrics, std::stop_token stop,
                        const CompleteLater& complete_later);

}  // namespace libqueue::exec
