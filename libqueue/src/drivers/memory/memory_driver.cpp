// The memory driver: one process, jobs in a JobStore behind one mutex. Pushes signal a condition
// variable so an idle worker wakes at once instead of polling.
#include "drivers/memory/memory_driver.hpp"

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <set>

#include "drivers/memory/job_store.hpp"
#include "drivers/memory/memory_stats.hpp"
#include "libqueue/errors.hpp"

namespace libqueue {

namespace {

using memory::JobStore;
using memory::StoredJob;

class MemoryDriver final : public QueueDriver {
  public:
    explicit MemoryDriver(bool keep_completed) : keep_completed_(keep_completed) {}

    std::string name() const override { return "memory"; }

    Capabilities capabilities() const override {
        Capabilities caps;
        caps.shared_between_processes = false;
        caps.persistent = false;
        return caps;
    }

    TimePoint now() override { return system_now(); }

    std::vector<PushResult> store_batch(const std::vector<NewJob>& jobs) override {
        std::vector<PushResult> results;
        results.reserve(jobs.size());
        {
            std::lock_guard lock(mutex_);
            check_ids_unused(jobs);
            const TimePoint now = this->now();
            for (const auto& job : jobs) results.push_back(store(job, now));
            ++generation_;
        }
        pushed_.notify_all();
        return results;
    }

    std::vector<Job> claim(const ClaimRequest& request) override {
        std::vector<Job> claimed;
        std::lock_guard lock(mutex_);
        const TimePoint now = this->now();
        for (const auto& queue : request.queues) {
            if (claimed.size() >= request.limit)
                break;
            for (const auto& id : store_.due(queue, now, request.limit - claimed.size())) {
                store_.update(id, [&](Job& job) {
                    job.status = Status::processing;
                    ++job.attempts;
                    job.available_at = now;
                    job.reserved_by = claim_token(request, claimed.size());
                });
                claimed.push_back(store_.find(id)->job);
            }
        }
        return claimed;
    }

    bool heartbeat(const Claim& claim) override {
        std::lock_guard lock(mutex_);
        if (!holds(claim))
            return false;
        store_.update(claim.id, [&](Job& job) { job.available_at = now(); });
        return true;
    }

    bool complete(const Claim& claim, Milliseconds ran_for) override {
        std::lock_guard lock(mutex_);
        return complete_held(claim, ran_for, now());
    }

    // One lock for the whole batch; each entry applies as complete() would, in order.
    std::vector<bool> complete_batch(const std::vector<Completion>& completions) override {
        std::vector<bool> applied;
        applied.reserve(completions.size());
        if (completions.empty())
            return applied;
        std::lock_guard lock(mutex_);
        const TimePoint now = this->now();
        for (const auto& c : completions) applied.push_back(complete_held(c.claim, c.ran_for, now));
        return applied;
    }

    bool release(const Claim& claim, Milliseconds delay, const std::string& error) override {
        {
            std::lock_guard lock(mutex_);
            if (!holds(claim))
                return false;
            ++totals_for(store_.find(claim.id)->job).retries;
            store_.update(claim.id, [&](Job& job) {
                job.status = Status::pending;
                job.available_at = now() + delay;
                job.last_error = error;
                job.reserved_by.reset();
            });
            ++generation_;
        }
        pushed_.notify_all();
        return true;
    }

    bool put_back(const Claim& claim) override {
        {
            std::lock_guard lock(mutex_);
            if (!holds(claim))
                return false;
            store_.update(claim.id, [&](Job& job) {
                job.status = Status::pending;
                job.attempts = std::max(0, job.attempts - 1);
                job.available_at = now();
                job.reserved_by.reset();
            });
            ++generation_;
        }
        pushed_.notify_all();
        return true;
    }

    bool fail(const Claim& claim, const std::string& error) override {
        std::lock_guard lock(mutex_);
        if (!holds(claim))
            return false;
        bury(claim.id, error, now());
        return true;
    }

    std::optional<Job> find(const std::string& id) override {
        std::lock_guard lock(mutex_);
        const auto* record = store_.find(id);
        if (!record)
            return std::nullopt;
        return record->job;
    }

    std::vector<Job> list(const ListFilter& filter) override {
        std::lock_guard lock(mutex_);
        std::vector<Job> found;
        for (const auto* record : matching(filter)) found.push_back(record->job);
        return found;
    }

    std::uint64_t size(const std::string& queue) override {
        std::lock_guard lock(mutex_);
        return store_.pending_count(queue);
    }

    std::uint64_t clear(const std::string& queue) override {
        std::lock_guard lock(mutex_);
        std::vector<std::string> doomed;
        for (const auto& [id, record] : store_.jobs()) {
            if (record.job.queue == queue && record.job.status != Status::processing) {
                doomed.push_back(id);
            }
        }
        for (const auto& id : doomed) store_.erase(id);
        return doomed.size();
    }

    bool cancel(const std::string& id) override {
        std::lock_guard lock(mutex_);
        const auto* record = store_.find(id);
        if (!record || record->job.status != Status::pending)
            return false;
        bury(id, "cancelled", now());
        return true;
    }

    bool retry_dead(const std::string& id) override {
        {
            std::lock_guard lock(mutex_);
            const auto* record = store_.find(id);
            if (!record || record->job.status != Status::failed)
                return false;
            revive(id, now());
            ++generation_;
        }
        pushed_.notify_all();
        return true;
    }

    std::uint64_t retry_dead_matching(const ListFilter& filter) override {
        std::uint64_t retried = 0;
        {
            std::lock_guard lock(mutex_);
            const TimePoint now = this->now();
            for (const auto& id : dead_letter_ids(filter)) {
                revive(id, now);
                ++retried;
            }
            generation_ += retried;
        }
        if (retried != 0)
            pushed_.notify_all();
        return retried;
    }

    std::uint64_t clear_dead(const ListFilter& filter) override {
        std::lock_guard lock(mutex_);
        auto ids = dead_letter_ids(filter);
        for (const auto& id : ids) store_.erase(id);
        return ids.size();
    }

    std::vector<Job> recover_stale(Milliseconds stale_after, bool dry_run) override {
        std::vector<Job> recovered;
        {
            std::lock_guard lock(mutex_);
            const TimePoint now = this->now();
            for (const auto& id : store_.reserved_before(now - stale_after)) {
                const Job before = store_.find(id)->job;
                recovered.push_back(before);
                if (dry_run)
                    continue;
                // The lost run was a failed attempt (a retry, or dead when it was the last),
                // unless the job was claimed ahead.
                const StaleOutcome outcome = stale_outcome(before);
                if (outcome == StaleOutcome::dead) {
                    bury(id, "worker lost", now);
                } else {
                    if (outcome == StaleOutcome::retry)
                        ++totals_for(before).retries;
                    store_.update(id, [&](Job& job) {
                        job.status = Status::pending;
                        if (outcome == StaleOutcome::give_back)
                            job.attempts = std::max(job.attempts - 1, 0);
                        job.available_at = now;
                        job.reserved_by.reset();
                    });
                    ++generation_;
                }
            }
        }
        pushed_.notify_all();
        return recovered;
    }

    std::uint64_t prune(Milliseconds older_than, std::size_t limit) override {
        std::lock_guard lock(mutex_);
        auto ids = store_.finished_before(now() - older_than, limit);
        for (const auto& id : ids) store_.erase(id);
        return ids.size();
    }

    Stats stats() override {
        std::lock_guard lock(mutex_);
        return memory::build_stats(store_, totals_, now());
    }

    void wait_for_jobs(const std::vector<std::string>& queues, Milliseconds timeout) override {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        std::unique_lock lock(mutex_);
        const auto generation = generation_;
        while (generation_ == generation) {
            // A delayed job becoming due is no push, so wake for the earliest one ourselves.
            std::optional<TimePoint> next;
            for (const auto& queue : queues) {
                auto due = store_.next_due(queue);
                if (due && (!next || *due < *next))
                    next = due;
            }
            auto wake = deadline;
            if (next) {
                const auto until_due = *next - now();
                if (until_due <= Milliseconds(0))
                    return;
                wake = std::min(wake, std::chrono::steady_clock::now() + until_due);
            }
            if (std::chrono::steady_clock::now() >= deadline)
                return;
            pushed_.wait_until(lock, wake);
        }
    }

  private:
    // Caller holds mutex_.
    void check_ids_unused(const std::vector<NewJob>& jobs) const {
        std::set<std::string> batch_ids;
        for (const auto& job : jobs) {
            if (job.id.empty())
                continue;
            if (store_.contains(job.id) || !batch_ids.insert(job.id).second) {
                throw DataError("job id '" + job.id + "' already exists");
            }
        }
    }

    PushResult store(const NewJob& new_job, TimePoint now) {
        PushResult result;
        if (new_job.unique_key) {
            if (const auto* holder = store_.holder_of(*new_job.unique_key)) {
                result.id = holder->job.id;
                result.created = false;
                return result;
            }
        }
        StoredJob record;
        Job& job = record.job;
        job.id = new_job.id.empty() ? new_job_id() : new_job.id;
        job.name = new_job.name;
        job.queue = new_job.queue;
        job.payload = new_job.payload;
        job.max_retries = new_job.max_retries;
        job.created_at = now;
        job.available_at = new_job.run_at.value_or(now + new_job.delay);
        record.unique_key = new_job.unique_key;
        ++totals_for(job).pushed;
        result.id = job.id;
        store_.insert(std::move(record));
        return result;
    }

    bool holds(const Claim& claim) const {
        const auto* record = store_.find(claim.id);
        return record && record->job.status == Status::processing &&
               record->job.reserved_by == claim.token;
    }

    // complete, with mutex_ held.
    bool complete_held(const Claim& claim, Milliseconds ran_for, TimePoint now) {
        if (!holds(claim))
            return false;
        auto& totals = totals_for(store_.find(claim.id)->job);
        ++totals.completed;
        totals.processing_ms +=
            static_cast<std::uint64_t>(std::max<Milliseconds::rep>(0, ran_for.count()));
        if (!keep_completed_) {
            store_.erase(claim.id);
            return true;
        }
        store_.update(claim.id, [&](Job& job) {
            job.status = Status::completed;
            job.finished_at = now;
            job.reserved_by.reset();
        });
        return true;
    }

    // Into the dead letters: fail, cancel, and a stale job out of attempts.
    void bury(const std::string& id, const std::string& error, TimePoint now) {
        ++totals_for(store_.find(id)->job).dead;
        store_.update(id, [&](Job& job) {
            job.status = Status::failed;
            job.finished_at = now;
            job.last_error = error;
            job.reserved_by.reset();
        });
    }

    void revive(const std::string& id, TimePoint now) {
        store_.update(id, [&](Job& job) {
            job.status = Status::pending;
            job.attempts = 0;
            job.available_at = now;
            job.finished_at.reset();
            job.reserved_by.reset();
        });
    }

    std::vector<const StoredJob*> matching(const ListFilter& filter) const {
        std::vector<const StoredJob*> found;
        const auto& jobs = store_.jobs();
        auto it = filter.after_id.empty() ? jobs.begin() : jobs.upper_bound(filter.after_id);
        for (; it != jobs.end(); ++it) {
            if (filter.limit != 0 && found.size() >= filter.limit)
                break;
            if (matches(it->second.job, filter))
                found.push_back(&it->second);
        }
        return found;
    }

    std::vector<std::string> dead_letter_ids(ListFilter filter) const {
        filter.status = Status::failed;
        std::vector<std::string> ids;
        for (const auto* record : matching(filter)) ids.push_back(record->job.id);
        return ids;
    }

    Totals& totals_for(const Job& job) { return totals_[job.queue][job.name]; }

    const bool keep_completed_;
    std::mutex mutex_;
    std::condition_variable pushed_;
    std::uint64_t generation_ = 0;  // bumped whenever a job may have become claimable
    JobStore store_;
    memory::TotalsBook totals_;
};

}  // namespace

nlohmann::json check_memory_section(const ConfigChecker& check, const nlohmann::json& section) {
    check.require_object(section, "queue.memory");
    if (!section.empty())
        check.fail("queue.memory", "the memory driver takes no settings");
    return section;
}

std::unique_ptr<QueueDriver> make_memory_driver(const DriverContext& context) {
    return std::make_unique<MemoryDriver>(context.config.keep_completed);
}

}  // namespace libqueue
