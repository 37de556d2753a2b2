#include "drivers/memory/queue_state.hpp"

#include <algorithm>
#include <set>

#include "libqueue/errors.hpp"

namespace libqueue::memory {

std::vector<PushResult> QueueState::store_batch(const std::vector<NewJob>& jobs, TimePoint now) {
    std::set<std::string> batch_ids;
    for (const auto& job : jobs) {
        if (job.id.empty())
            continue;
        if (jobs_.contains(job.id) || !batch_ids.insert(job.id).second) {
            throw DataError("job id '" + job.id + "' already exists");
        }
    }
    std::vector<PushResult> results;
    results.reserve(jobs.size());
    for (const auto& new_job : jobs) {
        if (new_job.unique_key) {
            if (const auto* holder = jobs_.holder_of(*new_job.unique_key)) {
                results.push_back({holder->job.id, false});
                continue;
            }
        }
        StoredJob record;
        Job& job = record.job;
        job.id = new_job.id.empty() ? new_job_id() : new_job.id;
        job.name = new_job.name;
        job.queue = new_job.queue;
        job.payload = new_job.payload;
        job.max_retries = new_job.max_retries;
        job.attempts = new_job.attempts;
        job.priority = new_job.priority;
        job.created_at = now;
        job.available_at = new_job.run_at.value_or(now + new_job.delay);
        record.unique_key = new_job.unique_key;
        ++totals_[job.queue][job.name].pushed;
        results.push_back({job.id, true});
        jobs_.insert(std::move(record));
    }
    return results;
}

std::vector<Job> QueueState::claim(const ClaimRequest& request, TimePoint now) {
    std::vector<Job> claimed;
    for (const auto& queue : request.queues) {
        if (claimed.size() >= request.limit)
            break;
        for (const auto& id : jobs_.due(queue, now, request.limit - claimed.size())) {
            jobs_.update(id, [&](Job& job) {
                job.status = Status::processing;
                ++job.attempts;
                job.available_at = now;
                job.reserved_by = claim_token(request, claimed.size());
            });
            claimed.push_back(jobs_.find(id)->job);
        }
    }
    return claimed;
}

bool QueueState::heartbeat(const Claim& claim, TimePoint now) {
    if (!holds(claim))
        return false;
    jobs_.update(claim.id, [&](Job& job) { job.available_at = now; });
    return true;
}

bool QueueState::complete(const Claim& claim, Milliseconds ran_for, TimePoint now,
                          bool keep_completed) {
    if (!holds(claim))
        return false;
    auto& totals = totals_for(claim.id);
    ++totals.completed;
    totals.processing_ms +=
        static_cast<std::uint64_t>(std::max<Milliseconds::rep>(0, ran_for.count()));
    if (!keep_completed) {
        jobs_.erase(claim.id);
        return true;
    }
    jobs_.update(claim.id, [&](Job& job) {
        job.status = Status::completed;
        job.finished_at = now;
        job.reserved_by.reset();
    });
    return true;
}

bool QueueState::release(const Claim& claim, Milliseconds delay, const std::string& error,
                         TimePoint now) {
    if (!holds(claim))
        return false;
    ++totals_for(claim.id).retries;
    jobs_.update(claim.id, [&](Job& job) {
        job.status = Status::pending;
        job.available_at = now + delay;
        job.last_error = error;
        job.reserved_by.reset();
    });
    return true;
}

bool QueueState::put_back(const Claim& claim, TimePoint due) {
    if (!holds(claim))
        return false;
    jobs_.update(claim.id, [&](Job& job) {
        job.status = Status::pending;
        job.attempts = std::max(0, job.attempts - 1);
        job.available_at = due;
        job.reserved_by.reset();
    });
    return true;
}

bool QueueState::fail(const Claim& claim, const std::string& error, TimePoint now) {
    if (!holds(claim))
        return false;
    bury(claim.id, error, now);
    return true;
}

std::optional<Job> QueueState::find(const std::string& id) const {
    const auto* record = jobs_.find(id);
    if (!record)
        return std::nullopt;
    return record->job;
}

std::vector<Job> QueueState::list(const ListFilter& filter) const {
    std::vector<Job> found;
    for (const auto& id : matching_ids(filter)) found.push_back(jobs_.find(id)->job);
    return found;
}

std::uint64_t QueueState::clear(const std::string& queue) {
    std::vector<std::string> doomed;
    for (const auto& [id, record] : jobs_.jobs()) {
        if (record.job.queue == queue && record.job.status != Status::processing)
            doomed.push_back(id);
    }
    for (const auto& id : doomed) jobs_.erase(id);
    return doomed.size();
}

bool QueueState::cancel(const std::string& id, TimePoint now) {
    const auto* record = jobs_.find(id);
    if (!record || record->job.status != Status::pending)
        return false;
    bury(id, "cancelled", now);
    return true;
}

bool QueueState::retry_dead(const std::string& id, TimePoint now) {
    const auto* record = jobs_.find(id);
    if (!record || record->job.status != Status::failed)
        return false;
    revive(id, now);
    return true;
}

std::uint64_t QueueState::retry_dead_matching(const ListFilter& filter, TimePoint now) {
    ListFilter dead = filter;
    dead.status = Status::failed;
    auto ids = matching_ids(dead);
    for (const auto& id : ids) revive(id, now);
    return ids.size();
}

std::uint64_t QueueState::clear_dead(const ListFilter& filter) {
    ListFilter dead = filter;
    dead.status = Status::failed;
    auto ids = matching_ids(dead);
    for (const auto& id : ids) jobs_.erase(id);
    return ids.size();
}

std::vector<Job> QueueState::recover_stale(Milliseconds stale_after, bool dry_run, TimePoint now) {
    std::vector<Job> recovered;
    for (const auto& id : jobs_.reserved_before(now - stale_after)) {
        const Job before = jobs_.find(id)->job;
        recovered.push_back(before);
        if (dry_run)
            continue;
        // The lost run was a failed attempt (a retry, or dead when it was the last), unless the
        // job was claimed ahead.
        const StaleOutcome outcome = stale_outcome(before);
        if (outcome == StaleOutcome::dead) {
            bury(id, "worker lost", now);
            continue;
        }
        if (outcome == StaleOutcome::retry)
            ++totals_for(id).retries;
        jobs_.update(id, [&](Job& job) {
            job.status = Status::pending;
            if (outcome == StaleOutcome::give_back)
                job.attempts = std::max(job.attempts - 1, 0);
            job.available_at = now;
            job.reserved_by.reset();
        });
    }
    return recovered;
}

std::uint64_t QueueState::prune(Milliseconds older_than, std::size_t limit, const PruneScope& scope,
                                TimePoint now) {
    const bool everything = !scope.status && !scope.queue;
    std::uint64_t removed = 0;
    for (const auto& id : jobs_.finished_before(now - older_than, everything ? limit : 0)) {
        if (limit != 0 && removed >= limit)
            break;
        if (!everything && !in_prune_scope(jobs_.find(id)->job, scope))
            continue;
        jobs_.erase(id);
        ++removed;
    }
    return removed;
}

Stats QueueState::stats(TimePoint now) const {
    StatsBuilder stats(now);
    for (const auto& [id, record] : jobs_.jobs()) stats.count(record.job);
    for (const auto& [queue, by_name] : totals_) {
        for (const auto& [name, name_totals] : by_name) stats.add_totals(queue, name, name_totals);
    }
    return std::move(stats).finish();
}

std::optional<TimePoint> QueueState::next_due(const std::vector<std::string>& queues) const {
    std::optional<TimePoint> next;
    for (const auto& queue : queues) {
        auto due = jobs_.next_due(queue);
        if (due && (!next || *due < *next))
            next = due;
    }
    return next;
}

bool QueueState::holds(const Claim& claim) const {
    const auto* record = jobs_.find(claim.id);
    return record && record->job.status == Status::processing &&
           record->job.reserved_by == claim.token;
}

// Into the dead letters: fail, cancel, and a stale job out of attempts.
void QueueState::bury(const std::string& id, const std::string& error, TimePoint now) {
    ++totals_for(id).dead;
    jobs_.update(id, [&](Job& job) {
        job.status = Status::failed;
        job.finished_at = now;
        job.last_error = error;
        job.reserved_by.reset();
    });
}

void QueueState::revive(const std::string& id, TimePoint now) {
    jobs_.update(id, [&](Job& job) {
        job.status = Status::pending;
        job.attempts = 0;
        job.available_at = now;
        job.finished_at.reset();
        job.reserved_by.reset();
        job.last_error.reset();
    });
}

// In filter.order after filter.after, up to filter.limit: list()'s order and paging.
std::vector<std::string> QueueState::matching_ids(const ListFilter& filter) const {
    if (filter.order == ListOrder::id)
        return matching_ids_by_id(filter);
    std::vector<const Job*> found;
    for (const auto& [id, record] : jobs_.jobs()) {
        if (matches(record.job, filter))
            found.push_back(&record.job);
    }
    const auto by_list_order = [](const Job* a, const Job* b) { return listed_before(*a, *b); };
    auto end = found.end();
    if (filter.limit != 0 && filter.limit < found.size())
        end = found.begin() + std::ptrdiff_t(filter.limit);
    std::partial_sort(found.begin(), end, found.end(), by_list_order);
    std::vector<std::string> ids;
    for (auto it = found.begin(); it != end; ++it) ids.push_back((*it)->id);
    return ids;
}

// The store is a map by id: a page starts where the previous one ended, without a sort.
std::vector<std::string> QueueState::matching_ids_by_id(const ListFilter& filter) const {
    const auto& jobs = jobs_.jobs();
    auto it = filter.after ? jobs.upper_bound(filter.after->id) : jobs.begin();
    std::vector<std::string> ids;
    for (; it != jobs.end() && (filter.limit == 0 || ids.size() < filter.limit); ++it) {
        if (matches(it->second.job, filter))
            ids.push_back(it->first);
    }
    return ids;
}

Totals& QueueState::totals_for(const std::string& id) {
    const Job& job = jobs_.find(id)->job;
    return totals_[job.queue][job.name];
}

}  // namespace libqueue::memory
