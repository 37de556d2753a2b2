#include "drivers/sqlite/totals.hpp"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string_view>
#include <tuple>
#include <vector>

#include "drivers/sqlite/rows.hpp"
#include "drivers/sqlite/schema.hpp"
#include "libqueue/errors.hpp"

namespace libqueue::sqlite {

void TotalsDelta::apply(Connection& connection) const {
    for (const auto& [key, totals] : deltas_) {
        Query upsert(
            connection,
            "INSERT INTO q_totals(queue, name, pushed, completed, dead, retries, "
            "processing_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "
            "ON CONFLICT(queue, name) DO UPDATE SET "
            "pushed = pushed + excluded.pushed, completed = completed + excluded.completed, "
            "dead = dead + excluded.dead, retries = retries + excluded.retries, "
            "processing_ms = processing_ms + excluded.processing_ms");
        upsert->bind(1, key.first);
        upsert->bind(2, key.second);
        upsert->bind(3, int64_t(totals.pushed));
        upsert->bind(4, int64_t(totals.completed));
        upsert->bind(5, int64_t(totals.dead));
        upsert->bind(6, int64_t(totals.retries));
        upsert->bind(7, int64_t(totals.processing_ms));
        upsert->exec();
    }
}

namespace {

// One (queue, name, status, due) group of kronix_jobs rows, summed while they are read: SQLite
// would group them by sorting every row into a temporary B-tree, whose memory grows with the table.
struct GroupKey {
    std::string queue, name, status;
    bool due = false;
};
struct GroupKeyView {
    std::string_view queue, name, status;
    bool due = false;
};
struct GroupOrder {
    using is_transparent = void;
    template <typename A, typename B>
    bool operator()(const A& a, const B& b) const {
        return view(a) < view(b);
    }
    template <typename Key>
    static std::tuple<std::string_view, std::string_view, std::string_view, bool> view(
        const Key& key) {
        return {key.queue, key.name, key.status, key.due};
    }
};
struct Group {
    std::uint64_t rows = 0;
    std::optional<std::string> oldest_due;  // the least due time text, as SQL's min() orders it
};

std::string_view text_of(const SQLite::Column& column) {
    return {column.getText(), static_cast<std::size_t>(column.getBytes())};
}

// Sums one live row (columns: queue, name, status, due, due since) into its group.
void add_live_row(std::map<GroupKey, Group, GroupOrder>& groups, SQLite::Statement& row) {
    const GroupKeyView key{text_of(row.getColumn(0)), text_of(row.getColumn(1)),
                           text_of(row.getColumn(2)), row.getColumn(3).getInt() != 0};
    auto found = groups.find(key);
    if (found == groups.end()) {
        found = groups
                    .emplace(GroupKey{std::string(key.queue), std::string(key.name),
                                      std::string(key.status), key.due},
                             Group{})
                    .first;
    }
    Group& group = found->second;
    ++group.rows;
    if (key.due && !row.isColumnNull(4)) {
        const auto since = text_of(row.getColumn(4));
        if (!group.oldest_due || since < *group.oldest_due)
            group.oldest_due = std::string(since);
    }
}

constexpr const char* kLiveColumns =
    "SELECT queue, name, status, "
    "status = 'pending' AND (available_at IS NULL OR available_at <= :now), "
    "coalesce(available_at, created_at) FROM kronix_jobs ";

// The pending and processing rows of every queue, summed by (queue, name, status, due). Where
// they are fewer than the other rows (`settled`, from q_state_counts), they are read along
// idx_kronix_jobs_pop: one seek to each next queue and one range of its live rows, so the cost
// grows with the live jobs, not with the completed and dead ones a table keeps. A row read that
// way costs a lookup in the table besides, so a backlog larger than the rest is read in one pass
// over the table instead.
std::map<GroupKey, Group, GroupOrder> live_groups(Connection& connection,
                                                  const std::string& now_text,
                                                  std::uint64_t settled) {
    std::vector<std::string> queues;
    std::uint64_t live = 0;
    {
        Query first_queue(connection, "SELECT min(queue) FROM kronix_jobs");
        Query next_queue(connection, "SELECT min(queue) FROM kronix_jobs WHERE queue > ?1");
        // Counted only as far as the choice needs: at most one more than `settled` in all.
        Query count(connection,
                    std::string("SELECT count(*) FROM (SELECT 1 FROM kronix_jobs WHERE queue = ?1 "
                                "AND status IN ") +
                        kLiveStatuses + " LIMIT ?2)");
        // The first queue is found unbounded: another program may have named one ''.
        auto queue_from = [](SQLite::Statement& step) -> std::optional<std::string> {
            if (!step.executeStep() || step.isColumnNull(0))
                return std::nullopt;
            return step.getColumn(0).getString();
        };
        for (auto queue = queue_from(*first_queue); queue;) {
            count->reset();
            count->bind(1, *queue);
            count->bind(2, std::int64_t(live > settled ? 0 : settled - live + 1));
            count->executeStep();
            live += std::uint64_t(count->getColumn(0).getInt64());
            queues.push_back(*queue);
            next_queue->reset();
            next_queue->bind(1, *queue);
            queue = queue_from(*next_queue);
        }
    }
    std::map<GroupKey, Group, GroupOrder> groups;
    if (live > settled) {
        Query rows(connection, std::string(kLiveColumns) + "WHERE +status IN " + kLiveStatuses);
        rows->bind(":now", now_text);
        while (rows->executeStep()) add_live_row(groups, *rows);
        return groups;
    }
    Query rows(connection,
               std::string(kLiveColumns) + "WHERE queue = :queue AND status IN " + kLiveStatuses);
    for (const auto& queue : queues) {
        rows->reset();
        rows->bind(":queue", queue);
        rows->bind(":now", now_text);
        while (rows->executeStep()) add_live_row(groups, *rows);
    }
    return groups;
}

// The completed rows of `queue` whose finished_at - available_at times their run, per name of
// `names`: {summed ms, rows} (julianday reads q's ISO 8601 text and SQLite's own). One pass over
// the queue's completed rows.
std::map<std::string, std::pair<std::int64_t, std::uint64_t>, std::less<>> completed_rows_run_times(
    Connection& connection, const std::string& queue,
    const std::set<std::string, std::less<>>& names) {
    std::map<std::string, std::pair<std::int64_t, std::uint64_t>, std::less<>> run_times;
    Query rows(connection,
               "SELECT name, CAST(round((julianday(finished_at) - julianday(available_at)) * "
               "86400000) AS INTEGER) FROM kronix_jobs WHERE queue = ?1 AND status = "
               "'completed'");
    rows->bind(1, queue);
    while (rows->executeStep()) {
        if (rows->isColumnNull(1))
            continue;
        const auto name = text_of(rows->getColumn(0));
        const auto ran = rows->getColumn(1).getInt64();
        if (ran < 0 || names.find(name) == names.end())
            continue;
        auto found = run_times.find(name);
        if (found == run_times.end())
            found = run_times.emplace(std::string(name), std::pair{0, 0}).first;
        found->second.first += ran;
        ++found->second.second;
    }
    return run_times;
}

}  // namespace

Stats read_stats(Connection& connection, TimePoint now) {
    StatsBuilder stats(now);
    ReadTransaction snapshot(connection);
    std::uint64_t settled = 0;
    {
        Query counts(connection,
                     "SELECT queue, name, status, jobs FROM q_state_counts WHERE jobs > 0");
        while (counts->executeStep()) {
            const std::string queue = counts->getColumn(0).getString();
            const std::string name = counts->getColumn(1).getString();
            const std::string status = counts->getColumn(2).getString();
            const auto jobs = std::uint64_t(counts->getColumn(3).getInt64());
            stats.count_rows(queue, name, status, false, jobs);
            settled += jobs;
        }
    }
    for (const auto& [key, group] : live_groups(connection, time_text(now), settled)) {
        stats.count_rows(key.queue, key.name, key.status, key.due, group.rows);
        if (group.oldest_due) {
            try {
                stats.due_since(key.queue, parse_time_text(*group.oldest_due));
            } catch (const DataError& e) {
                // A row another program wrote: counted, but its age is unknown.
                stats.warn("queue " + key.queue + ", job name " + key.name +
                           ": a due job's time cannot be read (" + e.what() +
                           "); q list names the job");
            }
        }
    }
    Query totals(connection,
                 "SELECT queue, name, pushed, completed, dead, retries, processing_ms "
                 "FROM q_totals");
    while (totals->executeStep()) {
        Totals t;
        t.pushed = std::uint64_t(totals->getColumn(2).getInt64());
        t.completed = std::uint64_t(totals->getColumn(3).getInt64());
        t.dead = std::uint64_t(totals->getColumn(4).getInt64());
        t.retries = std::uint64_t(totals->getColumn(5).getInt64());
        t.processing_ms = std::uint64_t(totals->getColumn(6).getInt64());
        stats.add_totals(totals->getColumn(0).getString(), totals->getColumn(1).getString(), t);
    }
    // Completed rows of a name q never timed (another program worked them): their own columns
    // are the only run time there is. Reading them costs a pass over the queue's completed rows,
    // so only queues with such names pay it.
    for (const auto& [queue, names] : stats.names_untimed_by_q()) {
        for (const auto& [name, run] : completed_rows_run_times(connection, queue, names))
            stats.completed_rows_ran(queue, name, Milliseconds(run.first), run.second);
    }
    return std::move(stats).finish();
}

}  // namespace libqueue::sqlite
