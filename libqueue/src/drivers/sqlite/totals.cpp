#include "drivers/sqlite/totals.hpp"

#include <algorithm>
#include <map>
#include <optional>
#include <string_view>
#include <tuple>

#include "drivers/sqlite/rows.hpp"
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
    std::int64_t ran_ms = 0;                // run times of the completed rows that time them
    std::uint64_t timed = 0;
};

std::string_view text_of(const SQLite::Column& column) {
    return {column.getText(), static_cast<std::size_t>(column.getBytes())};
}

}  // namespace

Stats read_stats(Connection& connection, TimePoint now) {
    StatsBuilder stats(now);
    const std::string now_text = time_text(now);
    ReadTransaction snapshot(connection);
    {
        // Each row's group, its due time when due, and the run time (ms) of a completed row
        // whose finished_at - available_at times it (julianday reads q's ISO 8601 text and
        // SQLite's own; NULL for the rest).
        std::map<GroupKey, Group, GroupOrder> groups;
        Query rows(connection,
                   "SELECT queue, name, status, "
                   "status = 'pending' AND (available_at IS NULL OR available_at <= ?1), "
                   "coalesce(available_at, created_at), "
                   "CASE WHEN status = 'completed' THEN CAST(round((julianday(finished_at) - "
                   "julianday(available_at)) * 86400000) AS INTEGER) END "
                   "FROM kronix_jobs");
        rows->bind(1, now_text);
        while (rows->executeStep()) {
            const GroupKeyView key{text_of(rows->getColumn(0)), text_of(rows->getColumn(1)),
                                   text_of(rows->getColumn(2)), rows->getColumn(3).getInt() != 0};
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
            if (key.due && !rows->isColumnNull(4)) {
                const auto since = text_of(rows->getColumn(4));
                if (!group.oldest_due || since < *group.oldest_due)
                    group.oldest_due = std::string(since);
            }
            if (!rows->isColumnNull(5)) {
                const auto ran = rows->getColumn(5).getInt64();
                if (ran >= 0) {
                    group.ran_ms += ran;
                    ++group.timed;
                }
            }
        }
        for (const auto& [key, group] : groups) {
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
            if (group.timed > 0)
                stats.completed_rows_ran(key.queue, key.name, Milliseconds(group.ran_ms),
                                         group.timed);
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
    return std::move(stats).finish();
}

}  // namespace libqueue::sqlite
