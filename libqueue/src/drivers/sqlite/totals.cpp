#include "drivers/sqlite/totals.hpp"

#include <algorithm>

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

Stats read_stats(Connection& connection, TimePoint now) {
    StatsBuilder stats(now);
    const std::string now_text = time_text(now);
    ReadTransaction snapshot(connection);
    {
        // Then the run time (ms) summed over the completed rows whose finished_at - available_at
        // times it (julianday reads q's ISO 8601 text and SQLite's own; NULL for the rest), and
        // how many.
        Query counts(
            connection,
            "SELECT queue, name, status, due, count(*), "
            "min(CASE WHEN due THEN coalesce(available_at, created_at) END), "
            "sum(CASE WHEN ran >= 0 THEN ran END), count(CASE WHEN ran >= 0 THEN 1 END) "
            "FROM (SELECT queue, name, status, available_at, created_at, "
            "(status = 'pending' AND (available_at IS NULL OR available_at <= ?1)) AS due, "
            "CASE WHEN status = 'completed' THEN CAST(round((julianday(finished_at) - "
            "julianday(available_at)) * 86400000) AS INTEGER) END AS ran "
            "FROM kronix_jobs) GROUP BY queue, name, status, due");
        counts->bind(1, now_text);
        while (counts->executeStep()) {
            std::string queue = counts->getColumn(0).getString();
            std::string name = counts->getColumn(1).getString();
            bool due = counts->getColumn(3).getInt() != 0;
            stats.count_rows(queue, name, counts->getColumn(2).getString(), due,
                             std::uint64_t(counts->getColumn(4).getInt64()));
            if (due && !counts->isColumnNull(5)) {
                try {
                    stats.due_since(queue, parse_time_text(counts->getColumn(5).getText()));
                } catch (const DataError& e) {
                    // A row another program wrote: counted, but its age is unknown.
                    stats.warn("queue " + queue + ", job name " + name +
                               ": a due job's time cannot be read (" + e.what() +
                               "); q list names the job");
                }
            }
            if (!counts->isColumnNull(6)) {
                stats.completed_rows_ran(queue, name, Milliseconds(counts->getColumn(6).getInt64()),
                                         std::uint64_t(counts->getColumn(7).getInt64()));
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
    return std::move(stats).finish();
}

}  // namespace libqueue::sqlite
