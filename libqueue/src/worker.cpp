#include "libqueue/worker.hpp"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <list>
#include <mutex>
#include <thread>

#include "exec/claim_keeper.hpp"

namespace libqueue {

namespace {

using Clock = std::chrono::steady_clock;

constexpr Milliseconds first_error_backoff{100};
constexpr Milliseconds last_error_backoff{5'000};
// The longest single wait_for_jobs call: bounds how long stop() and our own retries due soon wait
// on a driver that just sleeps, without claiming more often than idle_sleep.
constexpr Milliseconds wait_slice{100};

}  // namespace

// Slots are threads that each run one job at a time. A free slot with nothing handed to it claims
// for every free slot at once (one claim in flight at a time) and starts the first job itself, so
// a job starts the moment a slot frees. When nothing is due, one free slot waits in
// driver.wait_for_jobs. A keeper thread heartbeats running jobs and recovers stale ones.
struct Worker::State {
    struct Running {
        Job job;
        std::stop_source stop;
    };

    QueueDriver& driver;
    const JobExecutor& executor;
    WorkerOptions options;
    WorkerCallbacks user;       // what the caller passed
    WorkerCallbacks callbacks;  // the caller's, serialized, plus our bookkeeping
    Metrics* metrics;
    std::string worker_id;

    std::mutex mutex;
    std::condition_variable changed;
    // run() waits here, apart from the slots, so the busy path never wakes it.
    std::condition_variable stopped;
    std::mutex callback_mutex;  // callbacks never run concurrently
    std::deque<Job> ready;      // claimed, not started yet
    std::list<Running> running;
    unsigned pausing = 0;  // slots in their delay between jobs
    bool claiming = false;
    bool waiting_on_driver = false;
    Clock::time_point next_claim_at{};
    Milliseconds error_backoff{0};
    std::uint64_t taken = 0;  // toward max_jobs: started and not given back
    bool stopping = false;
    bool stop_pending = false;  // stop() before or during run()
    Clock::time_point stopping_since{};
    Clock::time_point started_at{};
    WorkerSummary summary;

    State(QueueDriver& d, const JobExecutor& e, WorkerOptions o, WorkerCallbacks c, Metrics* m)
        : driver(d), executor(e), options(std::move(o)), user(std::move(c)), metrics(m) {
        options.concurrency = std::max(options.concurrency, 1u);
        worker_id = options.worker_id.empty() ? default_worker_id() : options.worker_id;
        wrap_callbacks();
    }

    template <class Fn, class... Args>
    void call_user(const Fn& fn, const Args&... args) {
        if (!fn)
            return;
        std::lock_guard lock(callback_mutex);
        try {
            fn(args...);
        } catch (...) {
            // A throwing callback must not take a job's outcome or the worker down with it.
        }
    }

    void wrap_callbacks() {
        callbacks.on_job_start = [this](const Job& job) { call_user(user.on_job_start, job); };
        callbacks.on_job_complete = [this](const Job& job, Milliseconds ran_for) {
            count(&WorkerSummary::completed);
            call_user(user.on_job_complete, job, ran_for);
        };
        callbacks.on_job_retry = [this](const Job& job, const Outcome& o, Milliseconds in) {
            {
                // Our own retry is due then: claim again at that time even with a long idle_sleep.
                std::lock_guard lock(mutex);
                ++summary.retried;
                next_claim_at = std::min(next_claim_at, Clock::now() + in);
            }
            call_user(user.on_job_retry, job, o, in);
        };
        callbacks.on_job_dead = [this](const Job& job, const Outcome& o) {
            count(&WorkerSummary::dead);
            call_user(user.on_job_dead, job, o);
        };
        callbacks.on_job_put_back = [this](const Job& job) {
            given_back(&WorkerSummary::put_back);
            call_user(user.on_job_put_back, job);
        };
        callbacks.on_claim_lost = [this](const Job& job) {
            given_back(&WorkerSummary::claims_lost);
            call_user(user.on_claim_lost, job);
        };
        callbacks.on_worker_error = [this](const std::exception& e) {
            call_user(user.on_worker_error, e);
        };
        callbacks.on_recovered = [this](const std::vector<Job>& jobs) {
            call_user(user.on_recovered, jobs);
        };
    }

    void count(std::uint64_t WorkerSummary::*counter) {
        std::lock_guard lock(mutex);
        ++(summary.*counter);
    }

    // A job that did not finish here does not count toward max_jobs.
    void given_back(std::uint64_t WorkerSummary::*counter) {
        std::lock_guard lock(mutex);
        ++(summary.*counter);
        if (taken > 0)
            --taken;
    }

    void begin_stop_locked(const char* reason) {
        if (!stopping) {
            stopping = true;
            stopping_since = Clock::now();
            summary.stop_reason = reason;
        }
        changed.notify_all();
        stopped.notify_all();
    }

    std::optional<Clock::time_point> max_time_deadline() const {
        if (!options.max_time)
            return std::nullopt;
        return started_at + *options.max_time;
    }

    void backend_failed_locked(const std::exception& e, std::unique_lock<std::mutex>& lock) {
        error_backoff = error_backoff.count() == 0
                            ? first_error_backoff
                            : std::min(error_backoff * 2, last_error_backoff);
        next_claim_at = Clock::now() + error_backoff;
        lock.unlock();
        callbacks.on_worker_error(e);
        lock.lock();
    }

    void slot() {
        std::unique_lock lock(mutex);
        while (true) {
            if (!ready.empty()) {
                Job job = std::move(ready.front());
                ready.pop_front();
                if (stopping) {
                    give_back_unstarted(job, lock);
                } else {
                    run_job(std::move(job), lock);
                }
                continue;
            }
            if (stopping)
                return;
            const auto now = Clock::now();
            if (const auto deadline = max_time_deadline(); deadline && now >= *deadline) {
                begin_stop_locked("max_time");
                continue;
            }
            if (claiming) {
                changed.wait(lock);
                continue;
            }
            if (now < next_claim_at) {
                // While the backend is failing, do not ask it when jobs are due either.
                if (waiting_on_driver || error_backoff.count() > 0) {
                    changed.wait_until(lock, wake_time(next_claim_at));
                } else {
                    wait_on_driver(lock, now);
                }
                continue;
            }
            claim(lock);
        }
    }

    Clock::time_point wake_time(Clock::time_point t) const {
        const auto deadline = max_time_deadline();
        return deadline ? std::min(t, *deadline) : t;
    }

    void wait_on_driver(std::unique_lock<std::mutex>& lock, Clock::time_point now) {
        const auto wait =
            std::min(std::chrono::ceil<Milliseconds>(wake_time(next_claim_at) - now), wait_slice);
        waiting_on_driver = true;
        lock.unlock();
        bool woken_early = false;
        std::optional<std::exception_ptr> error;
        try {
            driver.wait_for_jobs(options.queues, wait);
            woken_early = Clock::now() - now < wait - Milliseconds{1};
        } catch (...) {
            error = std::current_exception();
        }
        lock.lock();
        waiting_on_driver = false;
        if (error) {
            try {
                std::rethrow_exception(*error);
            } catch (const std::exception& e) {
                backend_failed_locked(e, lock);
            } catch (...) {
            }
        } else if (woken_early) {
            next_claim_at = Clock::now();  // a push may have made a job due
        }
        changed.notify_all();
    }

    void claim(std::unique_lock<std::mutex>& lock) {
        std::size_t limit = options.concurrency - running.size() - pausing;  // >= 1: we are free
        if (options.max_jobs) {
            limit = std::min<std::size_t>(limit,
                                          *options.max_jobs - std::min(taken, *options.max_jobs));
            if (limit == 0) {
                if (running.empty()) {
                    begin_stop_locked("max_jobs");
                } else {
                    changed.wait(lock);  // a running job may yet be given back
                }
                return;
            }
        }
        claiming = true;
        lock.unlock();
        std::vector<Job> jobs;
        std::optional<std::exception_ptr> error;
        try {
            jobs = driver.claim(ClaimRequest{options.queues, worker_id, limit});
        } catch (...) {
            error = std::current_exception();
        }
        lock.lock();
        claiming = false;
        changed.notify_all();
        if (error) {
            try {
                std::rethrow_exception(*error);
            } catch (const std::exception& e) {
                backend_failed_locked(e, lock);
            } catch (...) {
            }
            return;
        }
        error_backoff = Milliseconds{0};
        taken += jobs.size();
        // Fewer than asked: nothing more is due now, so poll again only after idle_sleep.
        if (jobs.size() < limit)
            next_claim_at = Clock::now() + options.idle_sleep;
        if (jobs.empty() && options.stop_when_empty && running.empty() && ready.empty()) {
            begin_stop_locked("empty");
            return;
        }
        for (auto& job : jobs) ready.push_back(std::move(job));
    }

    void run_job(Job job, std::unique_lock<std::mutex>& lock) {
        auto entry = running.insert(running.end(), Running{std::move(job), {}});
        lock.unlock();
        exec::ClaimKeeper* keeper = current_keeper;
        const std::uint64_t kept =
            keeper->add(driver, Claim{entry->job.id, entry->job.reserved_by.value_or("")},
                        heartbeat_interval(), entry->stop, callbacks.on_worker_error);
        try {
            run_claimed_job(driver, executor, entry->job, options.retry, callbacks, metrics,
                            entry->stop.get_token());
        } catch (const std::exception& e) {
            callbacks.on_worker_error(e);
        } catch (...) {
        }
        keeper->remove(kept);
        lock.lock();
        running.erase(entry);
        // Whether anything is left: with stop_when_empty, the last job out claims again at once.
        if (options.stop_when_empty)
            next_claim_at = Clock::now();
        changed.notify_all();
        if (stopping && running.empty())
            stopped.notify_all();
        if (options.delay.count() > 0 && !stopping) {
            ++pausing;
            changed.wait_for(lock, options.delay, [&] { return stopping; });
            --pausing;
        }
    }

    void give_back_unstarted(const Job& job, std::unique_lock<std::mutex>& lock) {
        lock.unlock();
        try {
            if (driver.put_back(Claim{job.id, job.reserved_by.value_or("")})) {
                callbacks.on_job_put_back(job);
            } else {
                callbacks.on_claim_lost(job);
            }
        } catch (const std::exception& e) {
            callbacks.on_worker_error(e);  // stays processing: stale recovery hands it out again
        }
        lock.lock();
    }

    Milliseconds heartbeat_interval() const {
        return std::max(options.stale_after / 3, Milliseconds{1});
    }

    void recover_stale() {
        try {
            auto recovered = driver.recover_stale(options.stale_after, false);
            if (!recovered.empty())
                callbacks.on_recovered(recovered);
        } catch (const std::exception& e) {
            callbacks.on_worker_error(e);
        }
    }

    exec::ClaimKeeper* current_keeper = nullptr;
};

Worker::Worker(QueueDriver& driver, const JobExecutor& executor, WorkerOptions options,
               WorkerCallbacks callbacks, Metrics* metrics)
    : state_(std::make_unique<State>(driver, executor, std::move(options), std::move(callbacks),
                                     metrics)) {}

Worker::~Worker() = default;

void Worker::stop() {
    std::lock_guard lock(state_->mutex);
    state_->stop_pending = true;
    state_->begin_stop_locked("stopped");
}

WorkerSummary Worker::run() {
    State& s = *state_;
    exec::ClaimKeeper keeper;
    {
        std::lock_guard lock(s.mutex);
        s.summary = WorkerSummary{};
        s.started_at = Clock::now();
        s.next_claim_at = s.started_at;
        s.error_backoff = Milliseconds{0};
        s.taken = 0;
        s.current_keeper = &keeper;
        s.stopping = false;
        if (s.stop_pending)
            s.begin_stop_locked("stopped");
    }
    // Recover before the first claim, so a run with stop_when_empty also does what dead workers
    // left behind; then every stale_after/2.
    if (!s.stopping)
        s.recover_stale();
    keeper.every(std::max(s.options.stale_after / 2, Milliseconds{1}), [&s] { s.recover_stale(); });

    std::vector<std::jthread> slots;
    for (unsigned i = 0; i < s.options.concurrency; ++i) slots.emplace_back([&s] { s.slot(); });

    {
        // Running jobs get shutdown_grace once the worker stops (max_jobs and empty stop with
        // none running), then are asked to stop and are put back.
        std::unique_lock lock(s.mutex);
        // max_time is also enforced here: every slot may be busy with a long job.
        if (const auto deadline = s.max_time_deadline()) {
            if (!s.stopped.wait_until(lock, *deadline, [&] { return s.stopping; })) {
                s.begin_stop_locked("max_time");
            }
        }
        s.stopped.wait(lock, [&] { return s.stopping; });
        const auto grace_end = s.stopping_since + s.options.shutdown_grace;
        s.stopped.wait_until(lock, grace_end, [&] { return s.running.empty(); });
        for (auto& job : s.running) job.stop.request_stop();
    }
    slots.clear();  // joins
    keeper.shutdown();

    std::lock_guard lock(s.mutex);
    s.current_keeper = nullptr;
    s.stop_pending = false;
    s.summary.elapsed = std::chrono::duration_cast<Milliseconds>(Clock::now() - s.started_at);
    return s.summary;
}

}  // namespace libqueue
