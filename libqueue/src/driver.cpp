#include "libqueue/driver.hpp"

#include <algorithm>
#include <thread>
#include <tuple>

#include "libqueue/errors.hpp"

namespace libqueue {

std::string claim_token(const ClaimRequest& request, std::size_t index) {
    std::string token = new_claim_token(request.worker_id);
    if (index + request.ahead >= request.limit)
        token += claim_ahead_mark;
    return token;
}

bool claimed_ahead(std::string_view token) {
    return token.ends_with(claim_ahead_mark);
}

StaleOutcome stale_outcome(const Job& job) {
    if (job.reserved_by && claimed_ahead(*job.reserved_by))
        return StaleOutcome::give_back;
    return has_attempts_left(job) ? StaleOutcome::retry : StaleOutcome::dead;
}

std::vector<Status> prune_statuses(const PruneScope& scope) {
    std::vector<Status> statuses;
    for (const auto status : {Status::completed, Status::failed}) {
        if (!scope.status || *scope.status == status)
            statuses.push_back(status);
    }
    return statuses;
}

bool in_prune_scope(const Job& job, const PruneScope& scope) {
    const auto statuses = prune_statuses(scope);
    if (std::find(statuses.begin(), statuses.end(), job.status) == statuses.end())
        return false;
    return !scope.queue || job.queue == *scope.queue;
}

bool matches(const Job& job, const ListFilter& filter) {
    if (filter.status && job.status != *filter.status)
        return false;
    if (filter.queue && job.queue != *filter.queue)
        return false;
    if (filter.name && job.name != *filter.name)
        return false;
    if (filter.finished_before && !(job.finished_at && *job.finished_at < *filter.finished_before))
        return false;
    return !filter.after || comes_after(filter.order, *filter.after, job);
}

ListPosition list_position(const Job& job) {
    return {job.created_at, job.id};
}

bool listed_before(const ListPosition& a, const ListPosition& b) {
    return std::tie(a.created_at, a.id) < std::tie(b.created_at, b.id);
}

bool listed_before(const Job& a, const Job& b) {
    return listed_before(list_position(a), list_position(b));
}

bool comes_after(ListOrder order, const ListPosition& position, const Job& job) {
    if (order == ListOrder::id)
        return position.id < job.id;
    return listed_before(position, list_position(job));
}

PushResult QueueDriver::push(const NewJob& job) {
    validate_new_job(job);
    return store_one(job);
}

PushResult QueueDriver::push_tick(const NewJob& job, const ScheduleTick& tick) {
    validate_new_job(job);
    validate_label("schedule name", tick.schedule);
    return store_tick(job, tick);
}

std::vector<PushResult> QueueDriver::push_batch(const std::vector<NewJob>& jobs) {
    if (jobs.empty())
        return {};
    validate_new_jobs(jobs);
    return store_batch(jobs);
}

std::vector<bool> QueueDriver::heartbeat_batch(const std::vector<Claim>& claims) {
    std::vector<bool> kept;
    kept.reserve(claims.size());
    for (const auto& claim : claims) kept.push_back(heartbeat(claim));
    return kept;
}

std::vector<bool> QueueDriver::complete_batch(const std::vector<Completion>& completions) {
    std::vector<bool> applied;
    applied.reserve(completions.size());
    std::vector<AttemptLog> logs;
    for (const auto& c : completions) {
        applied.push_back(complete(c.claim, c.ran_for));
        if (applied.back() && c.log)
            logs.push_back(*c.log);
    }
    if (!logs.empty())
        put_attempt_logs(logs);
    return applied;
}

std::vector<std::string> QueueDriver::ids_with_prefix(const std::string& prefix,
                                                      std::size_t limit) {
    constexpr std::size_t page_size = 1000;
    std::vector<std::string> ids;
    ListFilter filter;
    filter.limit = page_size;
    filter.order = ListOrder::id;  // one index step per page, whatever the store holds
    for (;;) {
        const auto page = list(filter);
        for (const auto& job : page) {
            if (job.id.compare(0, prefix.size(), prefix) == 0)
                ids.push_back(job.id);
        }
        if (page.size() < page_size || (limit != 0 && ids.size() >= limit))
            break;
        filter.after = list_position(page.back());
    }
    std::sort(ids.begin(), ids.end());
    if (limit != 0 && ids.size() > limit)
        ids.resize(limit);
    return ids;
}

void QueueDriver::wait_for_jobs(const std::vector<std::string>&, Milliseconds timeout) {
    std::this_thread::sleep_for(timeout);
}

Claim claim_of(const Job& job) {
    return Claim{job.id, job.reserved_by.value_or("")};
}

namespace {

[[noreturn]] void no_records(const QueueDriver& driver) {
    throw UsageError("the " + driver.name() +
                     " driver keeps no records beyond one process (workers, pauses, schedules)");
}

[[noreturn]] void no_logs(const QueueDriver& driver) {
    throw UsageError("the " + driver.name() + " driver keeps no job logs");
}

}  // namespace

void QueueDriver::put_record(const std::string&, const std::string&, const std::string&) {
    no_records(*this);
}

void QueueDriver::change_record(const std::string&, const std::string&, const RecordChange&) {
    no_records(*this);
}

PushResult QueueDriver::store_tick(const NewJob&, const ScheduleTick&) {
    no_records(*this);
}

std::vector<Record> QueueDriver::records(const std::string&) {
    no_records(*this);
}

std::vector<Record> records_if_kept(QueueDriver& driver, const std::string& kind) {
    try {
        return driver.records(kind);
    } catch (const UsageError&) {
        return {};
    }
}

std::uint64_t QueueDriver::remove_records(const std::string&, const std::vector<std::string>&) {
    no_records(*this);
}

void QueueDriver::put_attempt_logs(const std::vector<AttemptLog>&) {
    no_logs(*this);
}

std::vector<AttemptLog> QueueDriver::attempt_logs(const std::string&) {
    no_logs(*this);
}

std::uint64_t QueueDriver::prune_attempt_logs(Milliseconds) {
    no_logs(*this);
}

}  // namespace libqueue
