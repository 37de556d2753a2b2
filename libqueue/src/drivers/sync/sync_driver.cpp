// The sync driver: no queue. push runs the job at once in the caller's process with the
// context's executor, up to 1 + max_retries attempts back to back (no backoff wait: a CI step
// must not hang for minutes), and reports how it ended in PushResult::ran. Nothing is stored,
// so the storage methods answer "nothing" and the dead-letter ones refuse.
#include "drivers/sync/sync_driver.hpp"

#include "libqueue/errors.hpp"
#include "libqueue/handler.hpp"

namespace libqueue {

namespace {

[[noreturn]] void stores_nothing(const std::string& what) {
    throw UsageError("the sync driver stores no jobs (" + what +
                     "): push runs each job at once; use a storing driver for a queue");
}

class SyncDriver final : public QueueDriver {
  public:
    explicit SyncDriver(JobExecutor* executor) : executor_(executor) {}

    std::string name() const override { return "sync"; }
    Capabilities capabilities() const override {
        Capabilities c;
        c.stores_jobs = false;
        c.delayed_jobs = false;
        c.shared_between_processes = false;
        c.persistent = false;
        return c;
    }
    TimePoint now() override { return system_now(); }

  protected:
    PushResult store_one(const NewJob& job) override {
        check(job);
        return run(job);
    }

    std::vector<PushResult> store_batch(const std::vector<NewJob>& jobs) override {
        for (const auto& job : jobs) check(job);
        std::vector<PushResult> results;
        results.reserve(jobs.size());
        for (const auto& job : jobs) results.push_back(run(job));
        return results;
    }

  public:
    std::vector<Job> claim(const ClaimRequest&) override { return {}; }
    bool heartbeat(const Claim&) override { return false; }
    bool complete(const Claim&, Milliseconds) override { return false; }
    bool release(const Claim&, Milliseconds, const std::string&) override { return false; }
    bool put_back(const Claim&) override { return false; }
    bool fail(const Claim&, const std::string&) override { return false; }

    std::optional<Job> find(const std::string&) override { return std::nullopt; }
    std::vector<Job> list(const ListFilter&) override { return {}; }
    std::uint64_t size(const std::string&) override { return 0; }
    std::uint64_t clear(const std::string&) override { return 0; }
    bool cancel(const std::string&) override { stores_nothing("nothing to cancel"); }
    bool retry_dead(const std::string&) override { stores_nothing("no dead letters"); }
    std::uint64_t retry_dead_matching(const ListFilter&) override {
        stores_nothing("no dead letters");
    }
    std::uint64_t clear_dead(const ListFilter&) override { stores_nothing("no dead letters"); }
    std::vector<Job> recover_stale(Milliseconds, bool) override { return {}; }
    std::uint64_t prune(Milliseconds, std::size_t) override { return 0; }
    Stats stats() override { return Stats{system_now(), {}}; }

  private:
    void check(const NewJob& job) const {
        if (job.delay > Milliseconds(0) || (job.run_at && *job.run_at > system_now())) {
            throw UsageError("the sync driver cannot delay a job: it runs at push");
        }
        if (!executor_) {
            throw UsageError("the sync driver was created without handlers to run jobs with");
        }
    }

    PushResult run(const NewJob& request) const {
        Job job;
        job.id = request.id.empty() ? new_job_id() : request.id;
        job.name = request.name;
        job.queue = request.queue;
        job.max_retries = request.max_retries;
        job.payload = request.payload;
        job.created_at = system_now();

        PushResult result;
        result.id = job.id;
        while (true) {
            job.status = Status::processing;
            job.attempts++;
            job.available_at = system_now();
            Outcome outcome = executor_->execute(job, std::stop_token{});
            result.exit_status = outcome.exit_status;
            if (outcome.kind == Outcome::Kind::success) {
                result.exit_status = outcome.exit_status.value_or(0);
                job.status = Status::completed;
                break;
            }
            job.last_error = outcome.error;
            // bad data and an interrupted run are not retried: nothing would come of it here.
            bool retry = outcome.kind == Outcome::Kind::failure && has_attempts_left(job);
            if (!retry) {
                job.status = Status::failed;
                break;
            }
        }
        job.finished_at = system_now();
        result.ran = std::move(job);
        return result;
    }

    JobExecutor* executor_;
};

}  // namespace

std::unique_ptr<QueueDriver> make_sync_driver(const DriverContext& context) {
    if (context.section.is_object() && !context.section.empty()) {
        throw ConfigError("queue.sync: the sync driver takes no settings");
    }
    return std::make_unique<SyncDriver>(context.executor);
}

}  // namespace libqueue
