// Every fixed SQL statement of the sqlite driver, and the conditions built from a ListFilter.
// Connection::statement caches each prepared statement by its text.
#pragma once

#include <SQLiteCpp/Statement.h>

#include <cstdint>
#include <string>
#include <vector>

#include "libqueue/driver.hpp"

namespace libqueue::sqlite::sql {

extern const std::string kColumns;
extern const std::string kInsert;
// kInsert for kInsertRows rows in one statement: a batch pays SQLite's per-statement cost (bind
// reset, VM start and halt) once per kInsertRows jobs. Parameters 8*i+1 .. 8*i+8 are row i's, in
// kInsert's order.
inline constexpr int kInsertRows = 32;
inline constexpr int kInsertParams = 8;
extern const std::string kInsertMany;
extern const std::string kKeyHolder;
extern const std::string kTakeKey;
extern const std::string kForgetKey;
extern const std::string kAnyDue;
extern const std::string kDueWithoutTime;
extern const std::string kDue;
extern const std::string kSetAvailableAt;
// ?1 queue, ?2 now, ?3 limit: tables with q_priority only
extern const std::string kDueUrgentOrUntimed;
extern const std::string kSetPriority;  // ?1 id, ?2 priority
extern const std::string kClaimed;
extern const std::string kHeartbeat;
extern const std::string kComplete;
extern const std::string kCompleteAndDelete;
extern const std::string kRelease;
extern const std::string kPutBack;
extern const std::string kFail;
extern const std::string kSize;
extern const std::string kClear;
extern const std::string kForgetOrphanKeys;
extern const std::string kCancel;
// A dead letter back to pending, as new (?1 now); the WHERE clause is the caller's.
extern const std::string kDeadRetried;
extern const std::string kRetryDead;  // ?1 now, ?2 id
extern const std::string kQueues;
// ?1 queue, ?2 now: an index seek, like kStale. A processing row with no available_at was
// claimed by a program that records no claim time (the Dart driver's pop of a job pushed without
// a delay): it gets the time q first sees it, and is stale once stale_after has passed since.
extern const std::string kStampUntimedClaims;
extern const std::string kRecoverToPending;
extern const std::string kRecoverUncharged;
extern const std::string kRecoverToFailed;
extern const std::string kPrune;
extern const std::string kNextDue;
extern const std::string kDataVersion;
// q_records: ?1 kind, ?2 key, ?3 value, ?4 now (put); ?1 kind (list); ?1 kind, ?2 key (remove).
extern const std::string kPutRecord;
extern const std::string kRecords;
extern const std::string kRecord;  // one record's value, by kind and key
extern const std::string kRemoveRecord;
// q_attempt_logs: ?1 job id, ?2 attempt, ?3 now (ms), ?4 body (put); ?1 job id (list);
// ?1 cutoff (ms) (prune).
extern const std::string kPutAttemptLog;
extern const std::string kAttemptLogs;
extern const std::string kPruneAttemptLogs;
extern const std::string kPutAttemptLogGroup;
extern const std::string kAttemptLogGroupOfJob;
extern const std::string kJobExists;
extern const std::string kAttemptLogGroupsMentioning;
extern const std::string kPruneAttemptLogGroups;

// The statements that read whole jobs: their columns are kJobColumns and then the priority,
// q_priority where the table has that column (tables q created), else 0.
struct JobQueries {
    explicit JobQueries(bool priorities);
    std::string columns;
    std::string take;   // ?1 id, ?2 now, ?3 claim token: a pending job claimed, as it is then
    std::string find;   // ?1 id
    std::string stale;  // ?1 queue, ?2 cutoff: its processing jobs reserved before the cutoff
};

// A ListFilter as SQL conditions with '?' parameters, bound in order.
struct FilterSql {
    std::string where = "1";
    std::vector<std::string> values;
    std::string order_by;  // " ORDER BY …" in the filter's order

    explicit FilterSql(const ListFilter& filter);
    // Binds the values from index `first`; returns the next free index.
    int bind(SQLite::Statement& statement, int first) const;

  private:
    void add(const char* condition, std::string value);
};

// LIMIT's value: SQLite reads a negative limit as none.
inline std::int64_t limit_or_all(std::size_t limit) {
    return limit == 0 ? -1 : std::int64_t(limit);
}

}  // namespace libqueue::sqlite::sql
