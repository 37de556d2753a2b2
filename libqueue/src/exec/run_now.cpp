// run_now (declared in worker.hpp): the sync dispatch mode. The job goes through the same claim,
// run and record path a worker uses, on a store of its own that lives for this one job.
#include "drivers/memory/memory_driver.hpp"
#include "libqueue/errors.hpp"
#include "libqueue/worker.hpp"

namespace libqueue {

namespace {

void refuse_delay(const NewJob& job) {
    if (job.delay > Milliseconds(0) || (job.run_at && *job.run_at > system_now())) {
        throw UsageError("the sync driver cannot delay a job: it runs at push");
    }
}

RanJob run_valid(const NewJob& request, const JobExecutor& executor, Metrics* metrics) {
    Config config;
    config.driver = "memory";
    config.keep_completed = true;  // the finished row is what this returns
    auto store = make_memory_driver(DriverContext{config, config.section("memory")});
    const auto pushed = store->push(request);

    const RetrySettings back_to_back{Milliseconds(0), Milliseconds(0)};
    const ClaimRequest next{{request.queue}, default_worker_id(), 1};
    std::optional<int> exit_status;
    // Each pass is one attempt; the store's job ends completed or failed (no longer claimable)
    // after at most 1 + max_retries of them.
    for (auto claimed = store->claim(next); !claimed.empty(); claimed = store->claim(next)) {
        const Outcome outcome =
            run_claimed_job(*store, executor, claimed.front(), back_to_back, {}, metrics);
        exit_status = outcome.exit_status;
        if (outcome.kind == Outcome::Kind::success)
            exit_status = exit_status.value_or(0);
        if (outcome.kind == Outcome::Kind::interrupted)
            break;
    }
    return RanJob{*store->find(pushed.id), exit_status};
}

}  // namespace

RanJob run_now(const NewJob& job, const JobExecutor& executor, Metrics* metrics) {
    validate_new_job(job);
    refuse_delay(job);
    return run_valid(job, executor, metrics);
}

std::vector<RanJob> run_now_batch(const std::vector<NewJob>& jobs, const JobExecutor& executor,
                                  Metrics* metrics) {
    validate_new_jobs(jobs);
    for (const auto& job : jobs) refuse_delay(job);
    std::vector<RanJob> ran;
    ran.reserve(jobs.size());
    for (const auto& job : jobs) ran.push_back(run_valid(job, executor, metrics));
    return ran;
}

}  // namespace libqueue
