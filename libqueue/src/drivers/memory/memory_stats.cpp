#include "drivers/memory/memory_stats.hpp"

namespace libqueue::memory {

namespace {

void count(StateCounts& counts, const Job& job, TimePoint now) {
    switch (job.status) {
        case Status::pending:
            if (!job.available_at || *job.available_at <= now) {
                ++counts.due;
            } else {
                ++counts.delayed;
            }
            break;
        case Status::processing:
            ++counts.processing;
            break;
        case Status::completed:
            ++counts.completed;
            break;
        case Status::failed:
            ++counts.failed;
            break;
    }
}

void add(Totals& sum, const Totals& more) {
    sum.pushed += more.pushed;
    sum.completed += more.completed;
    sum.dead += more.dead;
    sum.retries += more.retries;
    sum.processing_ms += more.processing_ms;
}

}  // namespace

Stats build_stats(const JobStore& store, const TotalsBook& totals, TimePoint now) {
    std::map<std::string, QueueStats> by_queue;  // sorted by queue name, as Stats promises
    auto queue_stats = [&](const std::string& queue) -> QueueStats& {
        auto& stats = by_queue[queue];
        stats.queue = queue;
        return stats;
    };

    for (const auto& [id, record] : store.jobs()) {
        const Job& job = record.job;
        auto& stats = queue_stats(job.queue);
        count(stats.counts, job, now);
        count(stats.by_name[job.name], job, now);
        bool due = job.status == Status::pending && (!job.available_at || *job.available_at <= now);
        if (due) {
            auto age = now - job.available_at.value_or(job.created_at);
            if (!stats.oldest_due_age || age > *stats.oldest_due_age)
                stats.oldest_due_age = age;
        }
    }
    for (const auto& [queue, by_name] : totals) {
        auto& stats = queue_stats(queue);
        for (const auto& [name, name_totals] : by_name) {
            add(stats.totals, name_totals);
            stats.totals_by_name[name] = name_totals;
        }
    }

    Stats stats;
    stats.now = now;
    for (auto& [queue, queue_stats_entry] : by_queue)
        stats.queues.push_back(std::move(queue_stats_entry));
    return stats;
}

}  // namespace libqueue::memory
