#include "libqueue/worker.hpp"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>
#include <utility>

#include "exec/backend_backoff.hpp"
#include "exec/claim_keeper.hpp"
#include "exec/claimed_job.hpp"
#include "exec/completion_writer.hpp"
#include "exec/limit_gate.hpp"
#include "exec/periodic_task.hpp"
#include "libqueue/cancels.hpp"
#include "libqueue/errors.hpp"
#include "libqueue/pauses.hpp"
#include "libqueue/worker_registry.hpp"

namespace libqueue {

namespace {

using Clock = std::chrono::steady_clock;

// The longest single wait_for_jobs call: bounds how long stop() and our own retries due soon wait
// on a driver that just sleeps, without claiming more often than idle_sleep.
constexpr Milliseconds wait_slice{100};

// How often a long-running worker removes attempt logs past queue.logs.keep (q prune does it
// for those who run short-lived workers from cron).
constexpr Milliseconds log_prune_interval{3'600'000};
// Claiming ahead: a worker whose recent jobs were short claims, beyond its free slots, as many
// jobs as its slots would finish within this window (never more than max_claim per claim), so
// fast jobs cost one claim per batch instead of one per job, while a job never waits behind a
// slow one for much longer than the window.
constexpr std::chrono::microseconds claim_ahead_window{20'000};
constexpr std::size_t max_claim = 256;
// ...except right after a wake-up, when the push that woke the worker most likely added one job:
// a claim carries a token for every job it may take, and each costs (a Redis claim of 256 took the
// server twice as long as one of 9), so the first claim asks for a few beyond the free slots. A
// larger burst is taken by the next claim, which follows at once when this one comes back full.
constexpr std::size_t claim_ahead_after_wake = 8;
// A retry of our own that nobody claimed this long after it was due was taken by another worker
// (or cancelled): it no longer keeps a stop_when_empty worker running.
constexpr Milliseconds own_retry_slack{2'000};
// How often a worker looks for such a job once it is due (until own_retry_slack has passed).
constexpr Milliseconds own_retry_poll{20};
// How long a job waits when its limits could not be read (the backend failed): its turn is unknown.
constexpr Milliseconds limits_unknown_wait{1'000};

// Errors no retry can fix (a corrupt queue file, a config the backend rejects): the worker stops
// and run() throws them, instead of backing off forever.
bool is_permanent(const std::exception& e) {
    const auto* error = dynamic_cast<const Error*>(&e);
    return error != nullptr &&
           (error->kind() == ErrorKind::data || error->kind() == ErrorKind::config ||
            error->kind() == ErrorKind::usage);
}

}  // namespace

// Slots are threads that each run one job at a time. A free slot with nothing handed to it claims
// for every free slot at once (one claim in flight at a time) and starts the first job itself, so
// a job starts the moment a slot frees. When nothing is due, one free slot waits in
// driver.wait_for_jobs. A keeper thread heartbeats running jobs; another recovers stale ones.
struct Worker::State {
    // A claimed job, from the claim until its outcome is recorded: its claim is kept alive (the
    // keeper entry) all along, also while it waits in `ready` and while its completion is queued.
    struct Running {
        Job job;
        std::stop_source stop;
        std::uint64_t kept = 0;  // the ClaimKeeper entry
        // Set (before `stop` is requested) when an operator cancels it; shared with the slot that
        // runs it.
        std::unique_ptr<std::atomic<exec::CancelMode>> cancel =
            std::make_unique<std::atomic<exec::CancelMode>>(exec::CancelMode::none);
    };

    QueueDriver& driver;
    const JobExecutor& executor;
    WorkerOptions options;
    WorkerCallbacks user;       // what the caller passed
    WorkerCallbacks callbacks;  // the caller's, serialized, plus our bookkeeping
    Metrics* metrics;
    std::string worker_id;

    mutable std::mutex mutex;
    std::condition_variable changed;
    // run() waits here, apart from the slots, so the busy path never wakes it.
    std::condition_variable stopped;
    std::mutex callback_mutex;  // callbacks never run concurrently
    std::deque<Running> ready;  // claimed, not started yet
    std::list<Running> running;
    unsigned pausing = 0;  // slots in their delay between jobs
    bool claiming = false;
    bool waiting_on_driver = false;
    bool woken = false;  // the driver's last wait ended early, and no claim has followed yet
    Clock::time_point next_claim_at{};
    exec::BackendBackoff error_backoff;
    bool backend_failing = false;  // since the last claim that failed, until one succeeds
    std::uint64_t taken = 0;       // toward max_jobs: started and not given back
    bool stopping = false;
    bool stop_pending = false;  // stop() before or during run()
    Clock::time_point stopping_since{};
    Clock::time_point started_at{};
    TimePoint started_wall{};       // started_at on the wall clock, for the worker's record
    bool announce_failing = false;  // the last record refresh failed (said once, not each time)
    WorkerSummary summary;
    std::exception_ptr fatal;  // a permanent error: run() rethrows it
    // Recent run time per job (exponential average, microseconds; < 0 until a job has run).
    double average_run_us = -1;
    // Jobs this worker released for a retry (with stop_when_empty) or held back for their
    // limits, by when they are due (steady clock): the worker claims again then, and with
    // stop_when_empty stays until they have run here.
    std::map<std::string, Clock::time_point> own_retries;
    exec::CompletionWriter* writer = nullptr;
    std::optional<exec::AttemptLogging> logging;  // set by run() when logs are kept
    std::set<std::string> paused;                 // queues paused now (pauses.hpp)
    bool pauses_failing = false;                  // the last read of the pauses failed (said once)
    std::optional<Scheduler> scheduler;           // the schedules of our queues, if any
    std::optional<exec::LimitGate> gate;          // when some job name has limits
    bool scheduling_failing = false;              // the last scheduler pass failed (said once)

    State(QueueDriver& d, const JobExecutor& e, WorkerOptions o, WorkerCallbacks c, Metrics* m)
        : driver(d), executor(e), options(std::move(o)), user(std::move(c)), metrics(m) {
        options.concurrency = std::max(options.concurrency, 1u);
        worker_id = options.worker_id.empty() ? default_worker_id() : options.worker_id;
        if (!options.limits.empty())
            gate.emplace(driver, options.limits);
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
                const auto due = Clock::now() + in;
                next_claim_at = std::min(next_claim_at, due);
                if (options.stop_when_empty)
                    own_retries[job.id] = due;
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
        callbacks.on_job_held = [this](const Job& job, Milliseconds wait) {
            {
                // Its turn: claim again then (even with a long idle_sleep), and with
                // stop_when_empty stay until it ran.
                std::lock_guard lock(mutex);
                ++summary.held;
                if (taken > 0)
                    --taken;
                const auto due = Clock::now() + wait;
                next_claim_at = std::min(next_claim_at, due);
                own_retries[job.id] = due;
            }
            call_user(user.on_job_held, job, wait);
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
        callbacks.on_ticks_enqueued = [this](const std::vector<EnqueuedTick>& ticks) {
            call_user(user.on_ticks_enqueued, ticks);
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

    // A claim or wait failed: stop on a permanent error, else back off. Called with `lock` held
    // and returns with it held; it is released while the caller's on_worker_error runs.
    void backend_failed(const std::exception& e, std::unique_lock<std::mutex>& lock) {
        if (is_permanent(e)) {
            if (!fatal)
                fatal = std::current_exception();
            begin_stop_locked("error");
            return;
        }
        backend_failing = true;
        next_claim_at = Clock::now() + error_backoff.next();
        lock.unlock();
        callbacks.on_worker_error(e);
        lock.lock();
    }

    // The same, for an error caught while `lock` was released (rethrown, so that a permanent
    // one is kept as the worker's fatal error).
    void backend_failed(const std::exception_ptr& error, std::unique_lock<std::mutex>& lock) {
        try {
            std::rethrow_exception(error);
        } catch (const std::exception& e) {
            backend_failed(e, lock);
        } catch (...) {
        }
    }

    void slot() {
        std::unique_lock lock(mutex);
        while (true) {
            if (!ready.empty()) {
                auto entry = running.insert(running.end(), std::move(ready.front()));
                ready.pop_front();
                if (stopping) {
                    give_back_unstarted(entry, lock);
                } else {
                    run_job(entry, lock);
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
                if (waiting_on_driver || backend_failing) {
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
            backend_failed(*error, lock);
        } else if (woken_early) {
            next_claim_at = Clock::now();  // a push may have made a job due
            woken = true;
        }
        changed.notify_all();
    }

    void claim(std::unique_lock<std::mutex>& lock) {
        const std::size_t free_slots = options.concurrency - running.size() - pausing;  // >= 1
        std::size_t limit = free_slots + claim_ahead(std::exchange(woken, false));
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
        // A paused queue is skipped; with every queue paused there is nothing to claim.
        std::vector<std::string> queues;
        for (const auto& queue : options.queues) {
            if (!paused.contains(queue))
                queues.push_back(queue);
        }
        lock.unlock();
        std::vector<Job> jobs;
        std::optional<std::exception_ptr> error;
        try {
            // Jobs beyond the free slots wait here: marked, so that a crash gives them back
            // without using up an attempt of theirs.
            const std::size_t ahead = limit > free_slots ? limit - free_slots : 0;
            const auto asked = Clock::now();
            if (!queues.empty()) {
                jobs = driver.claim(ClaimRequest{queues, worker_id, limit, ahead});
                if (metrics)
                    metrics->claimed(jobs.size(),
                                     std::chrono::duration_cast<std::chrono::microseconds>(
                                         Clock::now() - asked));
            }
        } catch (...) {
            error = std::current_exception();
        }
        lock.lock();
        claiming = false;
        changed.notify_all();
        if (error) {
            backend_failed(*error, lock);
            return;
        }
        error_backoff.reset();
        backend_failing = false;
        taken += jobs.size();
        for (const auto& job : jobs) own_retries.erase(job.id);
        const auto now = Clock::now();
        std::erase_if(own_retries, [&](const auto& r) { return r.second + own_retry_slack < now; });
        // Fewer than asked: nothing more is due now, so poll again only after idle_sleep, or
        // when a retry of our own is due.
        if (jobs.size() < limit) {
            next_claim_at = now + options.idle_sleep;
            // One that is due and was not claimed just now has been taken elsewhere, or the
            // backend's clock is a little behind: look again soon, not at once.
            for (const auto& [id, due] : own_retries)
                next_claim_at = std::min(next_claim_at, due > now ? due : now + own_retry_poll);
        }
        if (jobs.empty() && options.stop_when_empty && running.empty() && ready.empty() &&
            own_retries.empty()) {
            begin_stop_locked("empty");
            return;
        }
        for (auto& job : jobs) {
            Running entry{std::move(job), {}, 0};  // not cancelled
            entry.kept = current_keeper->add(driver, claim_of(entry.job), heartbeat_interval(),
                                             entry.stop, callbacks.on_worker_error);
            ready.push_back(std::move(entry));
        }
    }

    // How many jobs to claim beyond the free slots: options.prefetch, or else what the slots
    // would finish within claim_ahead_window at the recent run time, beyond the jobs they run
    // now. Nothing ahead until a job has run, or when jobs take longer; a few at most right after
    // a wake-up.
    std::size_t claim_ahead(bool after_wake) const {
        if (options.prefetch)
            return std::min<std::size_t>(*options.prefetch, max_prefetch);
        if (average_run_us < 0 || average_run_us >= claim_ahead_window.count())
            return 0;
        const double per_slot = claim_ahead_window.count() / std::max(average_run_us, 1.0);
        const double finished = std::min(per_slot * options.concurrency, double(max_claim));
        const auto ahead =
            static_cast<std::size_t>(std::max(finished - double(options.concurrency), 0.0));
        return after_wake ? std::min(ahead, claim_ahead_after_wake) : ahead;
    }

    void note_run_time(Clock::duration took) {
        const double us = static_cast<double>(
            std::chrono::duration_cast<std::chrono::microseconds>(took).count());
        average_run_us = average_run_us < 0 ? us : 0.8 * average_run_us + 0.2 * us;
    }

    void run_job(std::list<Running>::iterator entry, std::unique_lock<std::mutex>& lock) {
        lock.unlock();
        exec::ClaimKeeper* keeper = current_keeper;
        const std::uint64_t kept = entry->kept;
        const bool limited = gate && gate->limits(entry->job.name);
        if (limited) {
            const auto admission = limits_admission(entry->job);
            if (admission.kind != Admission::Kind::start) {
                put_back_unstarted(entry, lock, admission.wait, [&](const Job& job) {
                    callbacks.on_job_held(job, admission.wait);
                });
                return;
            }
            if (admission.wait.count() > 0 && !wait_to_start(admission.wait, lock)) {
                leave_limits(entry->job, std::nullopt);
                put_back_unstarted(entry, lock, Milliseconds{0}, callbacks.on_job_put_back);
                return;
            }
        }
        bool handed_over = false;
        // A success goes to the writer, which records it with others and then lets the claim go.
        const exec::CompleteLater complete_later = [&](const Job& job, Milliseconds ran_for,
                                                       std::optional<AttemptLog> log) {
            handed_over = true;
            writer->submit(job, ran_for, std::move(log), [keeper, kept] { keeper->remove(kept); });
        };
        const auto started = Clock::now();
        try {
            exec::run_claimed_job(driver, executor, entry->job, options.retry, callbacks, metrics,
                                  entry->stop.get_token(), complete_later,
                                  logging ? &*logging : nullptr, entry->cancel.get());
        } catch (const std::exception& e) {
            callbacks.on_worker_error(e);
        } catch (...) {
        }
        const auto took = Clock::now() - started;
        if (limited)
            leave_limits(entry->job, std::chrono::duration_cast<Milliseconds>(took));
        if (!handed_over)
            keeper->remove(kept);
        lock.lock();
        note_run_time(took);
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

    // Whether the job's name's limits let it start (after a wait) or hold it back (limits.hpp).
    Admission limits_admission(const Job& job) {
        try {
            return gate->enter(job);
        } catch (const std::exception& e) {
            // Unknown whether it may start: it waits rather than risk going over the limit.
            callbacks.on_worker_error(e);
            return Admission{Admission::Kind::wait, limits_unknown_wait, {}};
        }
    }

    // A job given its start `wait` from now keeps its slot until then. False: the worker is
    // stopping, and the job goes back unstarted. Called with `lock` released; returns with it
    // released.
    bool wait_to_start(Milliseconds wait, std::unique_lock<std::mutex>& lock) {
        lock.lock();
        const bool stopped_meanwhile = changed.wait_for(lock, wait, [&] { return stopping; });
        lock.unlock();
        return !stopped_meanwhile;
    }

    // A place not given back is freed by the next worker that finds it stale (limits.hpp).
    void leave_limits(const Job& job, std::optional<Milliseconds> ran_for) {
        try {
            gate->leave(job, ran_for);
        } catch (const std::exception& e) {
            callbacks.on_worker_error(e);
        }
    }

    void give_back_unstarted(std::list<Running>::iterator entry,
                             std::unique_lock<std::mutex>& lock) {
        lock.unlock();
        put_back_unstarted(entry, lock, Milliseconds{0}, callbacks.on_job_put_back);
    }

    // Puts a claimed job that did not start back to pending, due after `delay` (given_back is
    // told when it went back), and lets its entry go. Called with `lock` released; returns with
    // it held.
    void put_back_unstarted(std::list<Running>::iterator entry, std::unique_lock<std::mutex>& lock,
                            Milliseconds delay, const std::function<void(const Job&)>& given_back) {
        const Job& job = entry->job;
        try {
            if (driver.put_back(claim_of(job), delay)) {
                given_back(job);
            } else {
                callbacks.on_claim_lost(job);
            }
        } catch (const std::exception& e) {
            callbacks.on_worker_error(e);  // stays processing: stale recovery hands it out again
        }
        current_keeper->remove(entry->kept);
        lock.lock();
        running.erase(entry);
        changed.notify_all();
        if (stopping && running.empty())
            stopped.notify_all();
    }

    Milliseconds heartbeat_interval() const {
        return libqueue::heartbeat_interval(options.stale_after);
    }

    void recover_stale() {
        try {
            auto recovered = driver.recover_stale(options.stale_after, false);
            if (!recovered.empty())
                callbacks.on_recovered(recovered);
        } catch (const std::exception& e) {
            if (is_permanent(e)) {
                std::unique_lock lock(mutex);
                backend_failed(e, lock);
                return;
            }
            callbacks.on_worker_error(e);
        }
    }

    // Stores or refreshes this worker's record (worker_registry.hpp) with what it does now.
    void announce() {
        WorkerRecord record;
        {
            std::lock_guard lock(mutex);
            record.id = worker_id;
            record.queues = options.queues;
            record.concurrency = options.concurrency;
            record.started_at = started_wall;
            record.stale_after = options.stale_after;
            record.completed = summary.completed;
            record.retried = summary.retried;
            record.dead = summary.dead;
            for (const auto& entry : running) record.running.push_back(entry.job.id);
            record.stopping = stopping;
        }
        if (metrics) {
            auto by_queue = metrics->snapshot().run_time_by_queue;
            for (const auto& queue : options.queues) {
                if (auto found = by_queue.find(queue); found != by_queue.end())
                    record.run_time.emplace(queue, found->second);
            }
        }
        std::array<char, 256> host{};
        if (gethostname(host.data(), host.size() - 1) == 0)
            record.host = host.data();
        record.pid = getpid();
        try {
            announce_worker(driver, record);
            announce_failing = false;
        } catch (const UsageError&) {
            // A driver that keeps no records (sync): nothing to list the worker in.
        } catch (const std::exception& e) {
            if (!announce_failing)
                callbacks.on_worker_error(e);
            announce_failing = true;
        }
    }

    // A worker that stops cleanly leaves no record behind; one that cannot remove it (the
    // backend is down) shows as lost until the record expires.
    void withdraw() {
        try {
            forget_worker(driver, worker_id);
        } catch (const UsageError&) {
        } catch (const std::exception& e) {
            callbacks.on_worker_error(e);
        }
    }

    // Removes the records of workers lost long ago (list_workers does it on the way).
    void tidy_worker_records() {
        try {
            (void)list_workers(driver);
        } catch (const std::exception&) {
            // Housekeeping only: the announce that follows reports a failing backend.
        }
    }

    // Carries out the operators' cancel requests (cancels.hpp) for the claims this worker holds:
    // read only while it holds any, so an idle worker costs the backend nothing for them.
    void check_cancels() {
        {
            std::lock_guard lock(mutex);
            if (running.empty() && ready.empty())
                return;
        }
        std::vector<CancelRequest> requests;
        try {
            requests = cancel_requests(driver);
        } catch (const std::exception&) {
            return;  // the next read tries again; a failing backend is reported by the claims
        }
        std::erase_if(requests, [](const CancelRequest& r) { return r.taken; });
        if (requests.empty())
            return;
        std::vector<std::pair<CancelRequest, std::stop_source>> to_stop;
        {
            std::lock_guard lock(mutex);
            auto match = [&](Running& entry) {
                for (const auto& request : requests) {
                    if (request.job_id != entry.job.id ||
                        request.token != entry.job.reserved_by.value_or("") ||
                        entry.cancel->load() != exec::CancelMode::none)
                        continue;
                    entry.cancel->store(request.retry ? exec::CancelMode::retry
                                                      : exec::CancelMode::dead);
                    to_stop.emplace_back(request, entry.stop);
                }
            };
            for (auto& entry : running) match(entry);
            for (auto& entry : ready) match(entry);
        }
        for (auto& [request, stop] : to_stop) {
            // Marked before the job stops, so the asker never sees the claim end unmarked.
            request.taken = true;
            try {
                request_cancel(driver, request);
            } catch (const std::exception& e) {
                callbacks.on_worker_error(e);
            }
            stop.request_stop();  // the command runner: SIGTERM, SIGKILL after its grace
        }
    }

    // One pass of the scheduler; a failed one is said once and done again at the next.
    void run_schedules() {
        try {
            auto enqueued = scheduler->run_once(driver.now());
            scheduling_failing = false;
            if (!enqueued.empty())
                callbacks.on_ticks_enqueued(enqueued);
        } catch (const std::exception& e) {
            if (!scheduling_failing)
                callbacks.on_worker_error(e);
            scheduling_failing = true;
        }
    }

    // Reads which of our queues are paused; a failed read keeps the last answer.
    void refresh_pauses() {
        std::set<std::string> now_paused;
        try {
            for (const auto& pause : paused_queues(driver)) now_paused.insert(pause.queue);
            pauses_failing = false;
        } catch (const std::exception& e) {
            if (!pauses_failing)
                callbacks.on_worker_error(e);
            pauses_failing = true;
            return;
        }
        std::lock_guard lock(mutex);
        const bool resumed = std::any_of(paused.begin(), paused.end(), [&](const auto& queue) {
            return !now_paused.contains(queue);
        });
        paused = std::move(now_paused);
        if (resumed) {
            next_claim_at = Clock::now();  // claim at once from a queue that is back
            changed.notify_all();
        }
    }

    // Logs are kept when the config asks and the driver can keep them (a driver of an
    // application's own may not: it is then run without).
    void start_logging() {
        logging.reset();
        if (!options.logs.enabled)
            return;
        try {
            (void)driver.attempt_logs("");
        } catch (const UsageError&) {
            return;
        } catch (const std::exception& e) {
            callbacks.on_worker_error(e);  // a backend down now: keep logs when it is back
        }
        logging = exec::AttemptLogging{worker_id, options.logs.max_bytes};
    }

    // Logs older than queue.logs.keep go; every worker tries, hourly (the delete is idempotent).
    void prune_logs() {
        if (!logging)
            return;
        try {
            (void)driver.prune_attempt_logs(options.logs.keep);
        } catch (const std::exception& e) {
            callbacks.on_worker_error(e);
        }
    }

    exec::ClaimKeeper* current_keeper = nullptr;
};

WorkerOptions worker_options_from(const Config& config) {
    WorkerOptions options;
    options.concurrency = std::max(config.worker.concurrency, 1u);
    options.prefetch = config.worker.prefetch;
    options.max_jobs = config.worker.max_jobs;
    options.max_time = config.worker.timeout;
    options.delay = config.worker.delay;
    options.stale_after = config.stale_after;
    options.retry = config.retry;
    options.logs = config.logs;
    options.schedules = config.schedules;
    for (const auto& [name, spec] : config.handlers) {
        if (spec.limits.any())
            options.limits.emplace(name, spec.limits);
    }
    return options;
}

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

WorkerProgress Worker::progress() const {
    const State& s = *state_;
    std::lock_guard lock(s.mutex);
    WorkerProgress out;
    out.so_far = s.summary;
    out.so_far.elapsed = std::chrono::duration_cast<Milliseconds>(Clock::now() - s.started_at);
    out.running = s.running.size() + s.ready.size();
    out.stopping = s.stopping;
    return out;
}

WorkerSummary Worker::run() {
    State& s = *state_;
    exec::ClaimKeeper keeper;
    exec::CompletionWriter writer(s.driver, s.callbacks, s.metrics);
    {
        std::lock_guard lock(s.mutex);
        s.summary = WorkerSummary{};
        s.fatal = nullptr;
        s.writer = &writer;
        s.started_at = Clock::now();
        s.started_wall = system_now();
        s.announce_failing = false;
        s.next_claim_at = s.started_at;
        s.error_backoff.reset();
        s.backend_failing = false;
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
    std::optional<exec::PeriodicTask> recovery;
    recovery.emplace(s.options.stale_after / 2, [&s] { s.recover_stale(); });
    s.refresh_pauses();
    std::optional<exec::PeriodicTask> pause_watch;
    pause_watch.emplace(worker_pause_refresh, [&s] { s.refresh_pauses(); });
    std::optional<exec::PeriodicTask> cancel_watch;
    cancel_watch.emplace(worker_cancel_refresh, [&s] { s.check_cancels(); });
    std::optional<exec::PeriodicTask> scheduling;
    if (auto ours = schedules_of_queues(s.options.schedules, s.options.queues); !ours.empty()) {
        s.scheduler.emplace(s.driver, std::move(ours), s.started_wall);
        s.run_schedules();
        scheduling.emplace(scheduler_period, [&s] { s.run_schedules(); });
    }
    s.start_logging();
    std::optional<exec::PeriodicTask> log_pruning;
    if (s.logging)
        log_pruning.emplace(log_prune_interval, [&s] { s.prune_logs(); });
    // The worker's record, refreshed at least as often as its heartbeats, so that it is lost
    // only after stale_after.
    std::optional<exec::PeriodicTask> announcing;
    if (s.options.announce) {
        s.tidy_worker_records();
        s.announce();
        announcing.emplace(std::min(s.heartbeat_interval(), worker_refresh_most),
                           [&s] { s.announce(); });
    }

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
    recovery.reset();
    scheduling.reset();
    log_pruning.reset();
    pause_watch.reset();
    if (announcing) {
        announcing.reset();
        s.withdraw();
    }
    writer.finish();  // before the keeper: it lets each claim go once its completion is written
    keeper.shutdown();

    std::lock_guard lock(s.mutex);
    s.current_keeper = nullptr;
    s.writer = nullptr;
    s.stop_pending = false;
    s.summary.elapsed = std::chrono::duration_cast<Milliseconds>(Clock::now() - s.started_at);
    if (s.fatal)
        std::rethrow_exception(s.fatal);
    return s.summary;
}

}  // namespace libqueue
