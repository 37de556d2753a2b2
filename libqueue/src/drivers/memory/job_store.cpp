#include "drivers/memory/job_store.hpp"

namespace libqueue::memory {

namespace {

bool holds_unique_key(Status status) {
    return status == Status::pending || status == Status::processing;
}

}  // namespace

const StoredJob* JobStore::find(const std::string& id) const {
    auto it = jobs_.find(id);
    return it == jobs_.end() ? nullptr : &it->second;
}

const StoredJob* JobStore::holder_of(const std::string& unique_key) const {
    auto it = unique_holders_.find(unique_key);
    return it == unique_holders_.end() ? nullptr : find(it->second);
}

void JobStore::insert(StoredJob record) {
    auto [it, inserted] = jobs_.emplace(record.job.id, std::move(record));
    if (inserted)
        index(it->second);
}

void JobStore::erase(const std::string& id) {
    auto it = jobs_.find(id);
    if (it == jobs_.end())
        return;
    unindex(it->second);
    jobs_.erase(it);
}

std::vector<std::string> JobStore::due(const std::string& queue, TimePoint now,
                                       std::size_t limit) const {
    std::vector<std::string> ids;
    auto it = pending_.find(queue);
    if (it == pending_.end())
        return ids;
    for (const auto& [priority, level] : it->second) {
        for (const auto& [available_at, created_at, id] : level) {
            if (ids.size() >= limit)
                return ids;
            if (available_at > now)
                break;  // the rest of this level is delayed: on to the next one
            ids.push_back(id);
        }
    }
    return ids;
}

std::optional<TimePoint> JobStore::next_due(const std::string& queue) const {
    auto it = pending_.find(queue);
    if (it == pending_.end())
        return std::nullopt;
    std::optional<TimePoint> next;
    for (const auto& [priority, level] : it->second) {
        auto first = std::get<0>(*level.begin());
        if (!next || first < *next)
            next = first;
    }
    return next;
}

std::uint64_t JobStore::pending_count(const std::string& queue) const {
    auto it = pending_.find(queue);
    if (it == pending_.end())
        return 0;
    std::uint64_t count = 0;
    for (const auto& [priority, level] : it->second) count += level.size();
    return count;
}

std::vector<std::string> JobStore::reserved_before(TimePoint cutoff) const {
    std::vector<std::string> ids;
    for (const auto& [reserved_at, id] : processing_) {
        if (reserved_at >= cutoff)
            break;
        ids.push_back(id);
    }
    return ids;
}

std::vector<std::string> JobStore::finished_before(TimePoint cutoff, std::size_t limit) const {
    std::vector<std::string> ids;
    for (const auto& [finished_at, id] : finished_) {
        if (finished_at >= cutoff || (limit != 0 && ids.size() >= limit))
            break;
        ids.push_back(id);
    }
    return ids;
}

JobStore::DueKey JobStore::due_key(const Job& job) {
    return {job.available_at.value_or(TimePoint::min()), job.created_at, job.id};
}

void JobStore::index(const StoredJob& record) {
    const Job& job = record.job;
    switch (job.status) {
        case Status::pending:
            pending_[job.queue][job.priority].insert(due_key(job));
            break;
        case Status::processing:
            processing_.emplace(job.available_at.value_or(TimePoint::min()), job.id);
            break;
        case Status::completed:
        case Status::failed:
            finished_.emplace(job.finished_at.value_or(TimePoint::min()), job.id);
            break;
    }
    // A dead letter retried while another job took its key does not take the key back.
    if (record.unique_key && holds_unique_key(job.status)) {
        unique_holders_.try_emplace(*record.unique_key, job.id);
    }
}

void JobStore::unindex(const StoredJob& record) {
    const Job& job = record.job;
    switch (job.status) {
        case Status::pending: {
            auto it = pending_.find(job.queue);
            if (it != pending_.end()) {
                auto level = it->second.find(job.priority);
                if (level != it->second.end()) {
                    level->second.erase(due_key(job));
                    if (level->second.empty())
                        it->second.erase(level);
                }
                if (it->second.empty())
                    pending_.erase(it);
            }
            break;
        }
        case Status::processing:
            processing_.erase({job.available_at.value_or(TimePoint::min()), job.id});
            break;
        case Status::completed:
        case Status::failed:
            finished_.erase({job.finished_at.value_or(TimePoint::min()), job.id});
            break;
    }
    if (record.unique_key) {
        auto it = unique_holders_.find(*record.unique_key);
        if (it != unique_holders_.end() && it->second == job.id)
            unique_holders_.erase(it);
    }
}

}  // namespace libqueue::memory
