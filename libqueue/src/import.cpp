#include "libqueue/import.hpp"

#include "libqueue/errors.hpp"

namespace libqueue {

NewJob moved_job(const Job& job) {
    if (job.status == Status::completed)
        throw DataError("completed: nothing left to run");
    if (job.status == Status::failed) {
        throw DataError(
            "a dead letter: not moved (revive it where it is with q dlq retry, or push it anew)");
    }
    NewJob moved;
    moved.id = job.id;
    moved.name = job.name;
    moved.queue = job.queue;
    moved.payload = job.payload;
    moved.max_retries = job.max_retries;
    moved.attempts = job.attempts;
    moved.priority = job.priority;
    if (job.status == Status::pending && job.available_at)
        moved.run_at = *job.available_at;
    validate_new_job(moved);
    return moved;
}

ImportPlan plan_import(const FileInspection& inspection) {
    ImportPlan plan;
    for (const auto& entry : inspection.jobs) {
        try {
            plan.jobs.push_back(moved_job(entry.job));
            plan.entries.push_back(entry.entry);
        } catch (const DataError& e) {
            plan.skipped.push_back({entry.entry, entry.job.id, e.what()});
        }
    }
    for (const auto& problem : inspection.problems) {
        plan.skipped.push_back({problem.entry, "", problem.error});
    }
    return plan;
}

}  // namespace libqueue
