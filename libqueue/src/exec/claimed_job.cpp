// run_claimed_job (declared in worker.hpp): run one claimed job, then record its outcome on the
// same claim. The outcome is recorded at least once: a backend that is down is retried.
#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "exec/backend_backoff.hpp"
#include "exec/claimed_job.hpp"
#include "exec/output_capture.hpp"
#include "libqueue/backoff.hpp"
#include "libqueue/cancels.hpp"
#include "libqueue/errors.hpp"
#include "libqueue/text.hpp"
#include "libqueue/worker.hpp"

namespace libqueue {

namespace {

using Clock = std::chrono::steady_clock;

// Once the worker is shutting down, recording gives up after this many more tries; the job then
// stays processing and stale recovery hands it out again (at least once, never lost).
constexpr int tries_after_stop = 3;

// An outcome the backend refuses as bad data (not a lost connection) is tried this many times,
// then the job is failed with a last_error saying why, so its slot is freed and its claim let go.
constexpr int tries_for_bad_data = 3;

enum class Recorded { yes, refused, gave_up, rejected };

bool is_bad_data(const std::exception& e) {
    const auto* error = dynamic_cast<const Error*>(&e);
    return error != nullptr && error->kind() == ErrorKind::data;
}

// Sleeps `d`, or less when `stop` is requested (unless it already was).
void pause(Milliseconds d, const std::stop_token& stop) {
    if (stop.stop_requested()) {
        std::this_thread::sleep_for(d);
        return;
    }
    std::mutex mutex;
    std::condition_variable_any cv;
    std::unique_lock lock(mutex);
    cv.wait_for(lock, stop, d, [] { return false; });
}

template <class Op>
Recorded record(Op op, const WorkerCallbacks& callbacks, const std::stop_token& stop) {
    exec::BackendBackoff backoff;
    int tries_left = tries_after_stop;
    int bad_data_tries_left = tries_for_bad_data;
    while (true) {
        try {
            return op() ? Recorded::yes : Recorded::refused;
        } catch (const std::exception& e) {
            if (callbacks.on_worker_error)
                callbacks.on_worker_error(e);
            if (is_bad_data(e) && --bad_data_tries_left <= 0)
                return Recorded::rejected;
            if (stop.stop_requested() && tries_left-- <= 0)
                return Recorded::gave_up;
        }
        pause(backoff.next(), stop);
    }
}

Outcome execute_safely(const JobExecutor& executor, const Job& job, std::stop_token stop) {
    try {
        return executor.execute(job, std::move(stop));
    } catch (const DataError& e) {
        return Outcome::bad_data(e.what());
    } catch (const std::exception& e) {
        return Outcome::failure(e.what());
    } catch (...) {
        return Outcome::failure("the handler threw a non-standard exception");
    }
}

}  // namespace

Outcome run_claimed_job(QueueDriver& driver, const JobExecutor& executor, const Job& job,
                        const RetrySettings& retry, const WorkerCallbacks& callbacks,
                        Metrics* metrics, std::stop_token stop) {
    return exec::run_claimed_job(driver, executor, job, retry, callbacks, metrics, std::move(stop),
                                 {});
}

Outcome exec::run_claimed_job(QueueDriver& driver, const JobExecutor& executor, const Job& job,
                              const RetrySettings& retry, const WorkerCallbacks& callbacks,
                              Metrics* metrics, std::stop_token stop,
                              const CompleteLater& complete_later, const AttemptLogging* logging,
                              const std::atomic<CancelMode>* cancel) {
    if (metrics)
        metrics->started();
    if (callbacks.on_job_start)
        callbacks.on_job_start(job);
    const auto started = Clock::now();
    AttemptLog attempt_log;
    attempt_log.job_id = job.id;
    attempt_log.attempt = job.attempts;
    attempt_log.worker = logging ? logging->worker : "";
    attempt_log.started_at = system_now();
    // A log that cannot be written costs no outcome: the error is reported and the job goes on.
    auto store_log = [&](const AttemptLog& log) {
        try {
            driver.put_attempt_logs({log});
        } catch (const std::exception& e) {
            if (callbacks.on_worker_error)
                callbacks.on_worker_error(e);
        }
    };
    std::optional<OutputCapture> capture;
    if (logging) {
        capture.emplace(logging->max_bytes, started);
        // A live copy for `q log --follow`; losing one only delays what a follower sees.
        capture->on_publish(
            [&] {
                AttemptLog live = attempt_log;
                capture->fill(live);
                store_log(live);
            },
            logging->publish_every);
    }
    // A row the driver could not read in full is not run on a guess: it goes dead saying why.
    Outcome outcome = [&] {
        if (job.unreadable)
            return Outcome::bad_data("q cannot read this job: " + *job.unreadable);
        CaptureScope scope(capture ? &*capture : nullptr);
        return execute_safely(executor, job, stop);
    }();
    // The error text is the handler's (its stderr, its exception): any bytes at all.
    outcome.error = valid_utf8(outcome.error);
    // An operator's cancel decides how a stopped attempt ends; one that completed anyway did its
    // work, and says so.
    const CancelMode cancelled = cancel != nullptr ? cancel->load() : CancelMode::none;
    if (cancelled != CancelMode::none && outcome.kind != Outcome::Kind::success) {
        outcome = cancelled == CancelMode::retry
                      ? Outcome::failure(cancelled_by_operator, outcome.exit_status)
                      : Outcome::bad_data(cancelled_by_operator, outcome.exit_status);
    }
    const auto took = Clock::now() - started;
    // The attempt's log as it ended, or nullopt when none is kept.
    auto final_log = [&](AttemptOutcome how) -> std::optional<AttemptLog> {
        if (!capture)
            return std::nullopt;
        AttemptLog log = attempt_log;
        log.ended_at = system_now();
        log.outcome = how;
        log.exit_status = outcome.exit_status;
        if (how != AttemptOutcome::completed)
            log.error = outcome.error;
        capture->fill(log);
        return log;
    };
    // Outcomes other than a batched completion: the log goes first, so that whoever sees the
    // job move on finds how its attempt ended.
    auto write_log = [&](AttemptOutcome how) {
        if (auto log = final_log(how))
            store_log(*log);
    };
    const auto ran_for = std::chrono::duration_cast<Milliseconds>(took);
    if (metrics && !job.unreadable)
        metrics->ran(job.queue, std::chrono::duration_cast<std::chrono::microseconds>(took));
    const Claim claim = claim_of(job);

    auto recorded = Recorded::yes;
    auto dead = [&] {
        write_log(AttemptOutcome::dead);
        recorded = record([&] { return driver.fail(claim, outcome.error); }, callbacks, stop);
        if (recorded != Recorded::yes)
            return;
        if (metrics)
            metrics->dead(job.name);
        if (callbacks.on_job_dead)
            callbacks.on_job_dead(job, outcome);
    };
    switch (outcome.kind) {
        case Outcome::Kind::success:
            if (complete_later) {
                complete_later(job, ran_for, final_log(AttemptOutcome::completed));
                return outcome;
            }
            recorded = record(
                [&, log = final_log(AttemptOutcome::completed)] {
                    return log ? driver.complete_batch({Completion{claim, ran_for, log}}).front()
                               : driver.complete(claim, ran_for);
                },
                callbacks, stop);
            if (recorded != Recorded::yes)
                break;
            if (metrics)
                metrics->completed(job.name, ran_for);
            if (callbacks.on_job_complete)
                callbacks.on_job_complete(job, ran_for);
            break;
        case Outcome::Kind::failure:
            if (cancelled == CancelMode::retry || has_attempts_left(job)) {
                // A retry the operator asked for runs again at once, attempts left or not.
                const Milliseconds delay = cancelled == CancelMode::retry
                                               ? Milliseconds{0}
                                               : backoff_delay(retry, std::max(job.attempts, 1));
                write_log(AttemptOutcome::retried);
                recorded = record([&] { return driver.release(claim, delay, outcome.error); },
                                  callbacks, stop);
                if (recorded != Recorded::yes)
                    break;
                if (metrics)
                    metrics->retried(job.name);
                if (callbacks.on_job_retry)
                    callbacks.on_job_retry(job, outcome, delay);
            } else {
                dead();
            }
            break;
        case Outcome::Kind::bad_data:
            dead();
            break;
        case Outcome::Kind::interrupted:
            write_log(AttemptOutcome::interrupted);
            recorded =
                record([&] { return driver.put_back(claim, Milliseconds{0}); }, callbacks, stop);
            if (recorded != Recorded::yes)
                break;
            if (metrics)
                metrics->put_back();
            if (callbacks.on_job_put_back)
                callbacks.on_job_put_back(job);
            break;
    }
    if (recorded == Recorded::rejected) {
        // The backend will not store this outcome: end the job with a reason it can store.
        const std::string why =
            "q could not store this job's outcome: the backend refused it as bad data";
        recorded = record([&] { return driver.fail(claim, why); }, callbacks, stop);
        if (recorded == Recorded::yes) {
            if (metrics)
                metrics->dead(job.name);
            if (callbacks.on_job_dead)
                callbacks.on_job_dead(job, Outcome::bad_data(why));
            return outcome;
        }
    }
    if (recorded != Recorded::yes && metrics)
        metrics->put_back();  // no longer ours to count
    if (recorded == Recorded::refused && callbacks.on_claim_lost)
        callbacks.on_claim_lost(job);
    return outcome;
}

}  // namespace libqueue
