#include "exec/completion_writer.hpp"

#include "exec/backend_backoff.hpp"

#include <algorithm>
#include <chrono>

namespace libqueue::exec {

namespace {

// Once finishing, a failing backend gets this many more tries before the rest is left to stale
// recovery (the same patience run_claimed_job has for single outcomes).
constexpr int tries_when_finishing = 3;

}  // namespace

CompletionWriter::CompletionWriter(QueueDriver& driver, const WorkerCallbacks& callbacks,
                                   Metrics* metrics)
    : driver_(driver), callbacks_(callbacks), metrics_(metrics), thread_([this] { loop(); }) {}

CompletionWriter::~CompletionWriter() {
    finish();
}

void CompletionWriter::submit(const Job& job, Milliseconds ran_for, std::optional<AttemptLog> log,
                              std::function<void()> written) {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return waiting_.size() < max_waiting || finishing_; });
    waiting_.push_back(Pending{job, ran_for, std::move(log), std::move(written)});
    changed_.notify_all();
}

void CompletionWriter::finish() {
    {
        std::lock_guard lock(mutex_);
        finishing_ = true;
        changed_.notify_all();
    }
    if (thread_.joinable())
        thread_.join();
}

void CompletionWriter::loop() {
    std::vector<Pending> batch;
    while (true) {
        {
            std::unique_lock lock(mutex_);
            changed_.wait(lock, [&] { return !waiting_.empty() || finishing_; });
            if (waiting_.empty())
                return;  // finishing, and everything is written
            const std::size_t n = std::min(waiting_.size(), max_batch);
            batch.assign(std::make_move_iterator(waiting_.begin()),
                         std::make_move_iterator(waiting_.begin() + static_cast<long>(n)));
            waiting_.erase(waiting_.begin(), waiting_.begin() + static_cast<long>(n));
            changed_.notify_all();  // room for submitters held back
        }
        write(batch);
        batch.clear();
    }
}

void CompletionWriter::write(std::vector<Pending>& batch) {
    std::vector<Completion> completions;
    completions.reserve(batch.size());
    // The logs move: each is written once, with this batch or never (a retry reuses completions).
    for (auto& p : batch) completions.push_back({claim_of(p.job), p.ran_for, std::move(p.log)});

    BackendBackoff backoff;
    int tries_left = tries_when_finishing;
    while (true) {
        try {
            const auto applied = driver_.complete_batch(completions);
            report(batch, applied);
            return;
        } catch (const std::exception& e) {
            if (callbacks_.on_worker_error)
                callbacks_.on_worker_error(e);
        }
        std::unique_lock lock(mutex_);
        if (finishing_ && tries_left-- <= 0)
            break;
        // The full backoff even when finishing: a backend that is down gets a few spaced tries.
        changed_.wait_for(lock, backoff.next(), [] { return false; });
    }
    // Given up: the jobs stay processing and come back through stale recovery.
    for (auto& p : batch) {
        if (metrics_)
            metrics_->put_back();  // no longer ours to count
        if (p.written)
            p.written();
    }
}

void CompletionWriter::report(const std::vector<Pending>& batch, const std::vector<bool>& applied) {
    for (std::size_t i = 0; i < batch.size(); ++i) {
        const Pending& p = batch[i];
        if (i < applied.size() && applied[i]) {
            if (metrics_)
                metrics_->completed(p.job.name, p.ran_for);
            if (callbacks_.on_job_complete)
                callbacks_.on_job_complete(p.job, p.ran_for);
        } else {
            if (metrics_)
                metrics_->put_back();
            if (callbacks_.on_claim_lost)
                callbacks_.on_claim_lost(p.job);
        }
        if (p.written)
            p.written();
    }
}

}  // namespace libqueue::exec
