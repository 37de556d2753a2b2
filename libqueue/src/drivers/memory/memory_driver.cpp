// The memory driver: one process, jobs in a QueueState behind one mutex. Pushes signal a condition
// variable so an idle worker wakes at once instead of polling.
#include "drivers/memory/memory_driver.hpp"

#include <algorithm>
#include <condition_variable>
#include <map>
#include <mutex>
#include <type_traits>

#include "drivers/memory/queue_state.hpp"
#include "drivers/push_tick.hpp"
#include "libqueue/errors.hpp"

namespace libqueue {

namespace {

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
        return changing_claimables([&] { return state_.store_batch(jobs, now()); });
    }

    PushResult store_tick(const NewJob& job, const ScheduleTick& tick) override {
        return changing_claimables([&] {
            auto& marks = records_[schedule_record_kind];
            const auto found = marks.find(tick.schedule);
            return push_tick_step(
                found == marks.end() ? std::nullopt : std::optional(found->second.value), job, tick,
                {[&] { return state_.find(job.id).has_value(); },
                 [&] { return state_.store_batch({job}, now()).front(); },
                 [&](const std::string& value) {
                     marks[tick.schedule] = Record{tick.schedule, value, now()};
                 }});
        });
    }

    std::vector<Job> claim(const ClaimRequest& request) override {
        std::lock_guard lock(mutex_);
        return state_.claim(request, now());
    }

    bool heartbeat(const Claim& claim) override {
        std::lock_guard lock(mutex_);
        return state_.heartbeat(claim, now());
    }

    bool complete(const Claim& claim, Milliseconds ran_for) override {
        std::lock_guard lock(mutex_);
        return state_.complete(claim, ran_for, now(), keep_completed_);
    }

    // One lock for the whole batch; each entry applies as complete() would, in order.
    std::vector<bool> complete_batch(const std::vector<Completion>& completions) override {
        std::vector<bool> applied;
        applied.reserve(completions.size());
        std::lock_guard lock(mutex_);
        const TimePoint now = this->now();
        for (const auto& c : completions) {
            applied.push_back(state_.complete(c.claim, c.ran_for, now, keep_completed_));
            if (applied.back() && c.log)
                attempt_logs_[c.log->job_id][c.log->attempt] =
                    StoredLog{now, attempt_log_body(*c.log)};
        }
        return applied;
    }

    bool release(const Claim& claim, Milliseconds delay, const std::string& error) override {
        return changing_claimables([&] { return state_.release(claim, delay, error, now()); });
    }

    bool put_back(const Claim& claim, Milliseconds delay) override {
        return changing_claimables([&] { return state_.put_back(claim, now() + delay); });
    }

    bool fail(const Claim& claim, const std::string& error) override {
        std::lock_guard lock(mutex_);
        return state_.fail(claim, error, now());
    }

    std::optional<Job> find(const std::string& id) override {
        std::lock_guard lock(mutex_);
        return state_.find(id);
    }

    std::vector<Job> list(const ListFilter& filter) override {
        std::lock_guard lock(mutex_);
        return state_.list(filter);
    }

    std::uint64_t size(const std::string& queue) override {
        std::lock_guard lock(mutex_);
        return state_.size(queue);
    }

    std::uint64_t clear(const std::string& queue) override {
        std::lock_guard lock(mutex_);
        return state_.clear(queue);
    }

    bool cancel(const std::string& id) override {
        std::lock_guard lock(mutex_);
        return state_.cancel(id, now());
    }

    bool retry_dead(const std::string& id) override {
        return changing_claimables([&] { return state_.retry_dead(id, now()); });
    }

    std::uint64_t retry_dead_matching(const ListFilter& filter) override {
        return changing_claimables([&] { return state_.retry_dead_matching(filter, now()); });
    }

    std::uint64_t clear_dead(const ListFilter& filter) override {
        std::lock_guard lock(mutex_);
        return state_.clear_dead(filter);
    }

    std::vector<Job> recover_stale(Milliseconds stale_after, bool dry_run) override {
        return changing_claimables(
            [&] { return state_.recover_stale(stale_after, dry_run, now()); });
    }

    std::uint64_t prune(Milliseconds older_than, std::size_t limit,
                        const PruneScope& scope) override {
        std::lock_guard lock(mutex_);
        return state_.prune(older_than, limit, scope, now());
    }

    Stats stats() override {
        std::lock_guard lock(mutex_);
        return state_.stats(now());
    }

    void wait_for_jobs(const std::vector<std::string>& queues, Milliseconds timeout) override {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        std::unique_lock lock(mutex_);
        const auto generation = generation_;
        while (generation_ == generation) {
            // A delayed job becoming due is no push, so wake for the earliest one ourselves.
            auto wake = deadline;
            if (auto next = state_.next_due(queues)) {
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

    void put_record(const std::string& kind, const std::string& key,
                    const std::string& value) override {
        std::lock_guard lock(mutex_);
        records_[kind][key] = Record{key, value, now()};
    }

    std::vector<Record> records(const std::string& kind) override {
        std::lock_guard lock(mutex_);
        std::vector<Record> out;
        if (const auto found = records_.find(kind); found != records_.end()) {
            for (const auto& entry : found->second) out.push_back(entry.second);
        }
        return out;
    }

    void change_record(const std::string& kind, const std::string& key,
                       const RecordChange& change) override {
        std::lock_guard lock(mutex_);
        auto& of_kind = records_[kind];
        const auto found = of_kind.find(key);
        const auto value =
            found == of_kind.end() ? std::nullopt : std::optional(found->second.value);
        const auto at = now();
        if (auto changed = change(value, at)) {
            of_kind[key] = Record{key, std::move(*changed), at};
        } else if (found != of_kind.end()) {
            of_kind.erase(found);
        }
    }

    std::uint64_t remove_records(const std::string& kind,
                                 const std::vector<std::string>& keys) override {
        std::lock_guard lock(mutex_);
        std::uint64_t removed = 0;
        auto& of_kind = records_[kind];
        for (const auto& key : keys) removed += of_kind.erase(key);
        return removed;
    }

    void put_attempt_logs(const std::vector<AttemptLog>& logs) override {
        std::lock_guard lock(mutex_);
        for (const auto& log : logs) {
            attempt_logs_[log.job_id][log.attempt] = StoredLog{now(), attempt_log_body(log)};
        }
    }

    std::vector<AttemptLog> attempt_logs(const std::string& job_id) override {
        std::lock_guard lock(mutex_);
        std::map<int, std::string> bodies;
        if (const auto found = attempt_logs_.find(job_id); found != attempt_logs_.end()) {
            for (const auto& [attempt, stored] : found->second) bodies[attempt] = stored.body;
        }
        return attempt_logs_from_bodies(job_id, bodies);
    }

    std::uint64_t prune_attempt_logs(Milliseconds older_than) override {
        std::lock_guard lock(mutex_);
        const auto cutoff = now() - older_than;
        std::uint64_t removed = 0;
        for (auto job = attempt_logs_.begin(); job != attempt_logs_.end();) {
            removed += std::erase_if(job->second,
                                     [&](const auto& entry) { return entry.second.at < cutoff; });
            job = job->second.empty() ? attempt_logs_.erase(job) : std::next(job);
        }
        return removed;
    }

  private:
    struct StoredLog {
        TimePoint at;
        std::string body;
    };

    // An operation that may make jobs claimable: waiting workers wake after it.
    template <class Operation>
    std::invoke_result_t<Operation&> changing_claimables(Operation operation) {
        auto result = [&] {
            std::lock_guard lock(mutex_);
            auto r = operation();
            ++generation_;
            return r;
        }();
        pushed_.notify_all();
        return result;
    }

    const bool keep_completed_;
    std::mutex mutex_;
    std::condition_variable pushed_;
    std::uint64_t generation_ = 0;  // bumped whenever a job may have become claimable
    memory::QueueState state_;
    std::map<std::string, std::map<std::string, Record>> records_;  // by kind, then key
    std::map<std::string, std::map<int, StoredLog>> attempt_logs_;  // by job id, then attempt
};

}  // namespace

std::vector<ConfigKey> memory_section_keys() {
    return {{"", "object", "{}",
             "The memory driver: jobs live in the process that pushed them, so only q run uses "
             "it. It takes no settings; the section must be empty.",
             ""}};
}

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
