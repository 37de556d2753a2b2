#include "libqueue/stats.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "libqueue/text.hpp"

namespace libqueue {

namespace {

void add(StateCounts& into, const StateCounts& more) {
    into.due += more.due;
    into.delayed += more.delayed;
    into.processing += more.processing;
    into.completed += more.completed;
    into.failed += more.failed;
}

void add(Totals& into, const Totals& more) {
    into.pushed += more.pushed;
    into.completed += more.completed;
    into.dead += more.dead;
    into.retries += more.retries;
    into.processing_ms += more.processing_ms;
    into.timed += more.timed;
}

// Run times come from a name's completed rows only where q timed none of its runs: q's own rows
// hold the last heartbeat in available_at, not the start of the run.
bool q_timed_a_run(const Totals& totals) {
    return totals.timed > 0;
}

std::uint64_t rows(const StateCounts& counts) {
    return jobs_in(counts);
}

// Rows other programs pushed, completed or buried are in no counter of q's: a total is at least
// what the stored rows show. The counters win where they know more (rows pruned, or deleted at
// completion with keep_completed false).
void at_least_the_rows(Totals& totals, const StateCounts& counts) {
    totals.pushed = std::max(totals.pushed, rows(counts));
    totals.completed = std::max(totals.completed, counts.completed);
    totals.dead = std::max(totals.dead, counts.failed);
}

// The one place where statuses map to counts. False for a status that is none of q's.
bool add_rows(StateCounts& counts, std::string_view status, bool due, std::uint64_t n) {
    if (status == "pending") {
        (due ? counts.due : counts.delayed) += n;
    } else if (status == "processing") {
        counts.processing += n;
    } else if (status == "completed") {
        counts.completed += n;
    } else if (status == "failed") {
        counts.failed += n;
    } else {
        return false;
    }
    return true;
}

}  // namespace

std::uint64_t jobs_in(const StateCounts& counts, std::optional<Status> status) {
    if (!status)
        return counts.due + counts.delayed + counts.processing + counts.completed + counts.failed;
    switch (*status) {
        case Status::pending:
            return counts.due + counts.delayed;
        case Status::processing:
            return counts.processing;
        case Status::completed:
            return counts.completed;
        case Status::failed:
            return counts.failed;
    }
    return 0;
}

std::optional<double> success_rate(const Totals& totals) {
    const auto finished = totals.completed + totals.dead;
    if (finished == 0)
        return std::nullopt;
    return double(totals.completed) / double(finished);
}

std::optional<double> average_processing_ms(const Totals& totals) {
    if (totals.timed == 0)
        return std::nullopt;
    return double(totals.processing_ms) / double(totals.timed);
}

QueueStats& StatsBuilder::queue(const std::string& name) {
    QueueStats& stats = queues_[name];
    stats.queue = name;
    return stats;
}

void StatsBuilder::count(const Job& job) {
    const bool due =
        job.status == Status::pending && (!job.available_at || *job.available_at <= now_);
    add_rows(queue(job.queue).by_name[job.name], to_string(job.status), due, 1);
    if (due)
        due_since(job.queue, job.available_at.value_or(job.created_at));
}

void StatsBuilder::count_rows(const std::string& queue_name, const std::string& name,
                              std::string_view status, bool due, std::uint64_t n) {
    if (!add_rows(queue(queue_name).by_name[name], status, due, n)) {
        warn(
            fmt::format("queue {}, job name {}: {} job{} with status '{}', which q does not "
                        "know (counted nowhere; q list names them)",
                        valid_utf8(queue_name), valid_utf8(name), n, n == 1 ? "" : "s",
                        valid_utf8(status.substr(0, 40))));
    }
}

void StatsBuilder::due_since(const std::string& queue_name, TimePoint since) {
    due_for(queue_name, std::chrono::duration_cast<Milliseconds>(now_ - since));
}

void StatsBuilder::due_for(const std::string& queue_name, Milliseconds age) {
    auto& oldest = queue(queue_name).oldest_due_age;
    age = std::max(age, Milliseconds{0});
    if (!oldest || age > *oldest)
        oldest = age;
}

void StatsBuilder::add_totals(const std::string& queue_name, const std::string& name,
                              const Totals& totals) {
    Totals counted = totals;
    counted.timed = totals.completed;  // every completion q counted, it timed
    add(queue(queue_name).totals_by_name[name], counted);
}

void StatsBuilder::completed_rows_ran(const std::string& queue_name, const std::string& name,
                                      Milliseconds total, std::uint64_t n) {
    auto& [ms, rows] = row_run_times_[{queue_name, name}];
    ms += std::uint64_t(std::max<Milliseconds::rep>(total.count(), 0));
    rows += n;
}

std::map<std::string, std::set<std::string, std::less<>>> StatsBuilder::names_untimed_by_q() const {
    std::map<std::string, std::set<std::string, std::less<>>> names;
    for (const auto& [queue_name, entry] : queues_) {
        for (const auto& [name, counts] : entry.by_name) {
            const auto totals = entry.totals_by_name.find(name);
            if (counts.completed > 0 &&
                (totals == entry.totals_by_name.end() || !q_timed_a_run(totals->second)))
                names[queue_name].insert(name);
        }
    }
    return names;
}

Stats StatsBuilder::finish() && {
    for (const auto& [key, run] : row_run_times_) {
        Totals& totals = queue(key.first).totals_by_name[key.second];
        if (!q_timed_a_run(totals) && run.second > 0) {
            totals.processing_ms = run.first;
            totals.timed = run.second;
        }
    }
    Stats stats;
    stats.now = now_;
    for (auto& [_, entry] : queues_) {
        entry.counts = StateCounts{};
        entry.totals = Totals{};
        for (const auto& [name, counts] : entry.by_name) {
            add(entry.counts, counts);
            at_least_the_rows(entry.totals_by_name[name], counts);
        }
        for (const auto& [name, totals] : entry.totals_by_name) add(entry.totals, totals);
        stats.queues.push_back(std::move(entry));
    }
    stats.warnings = std::move(warnings_);
    return stats;
}

}  // namespace libqueue
