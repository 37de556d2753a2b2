#include "drivers/sqlite/statements.hpp"

#include "drivers/sqlite/rows.hpp"

namespace libqueue::sqlite::sql {

// Defined in this order on purpose: later statements are built from earlier ones.
const std::string kColumns = kJobColumns;

namespace {

constexpr const char* kInsertInto =
    "INSERT INTO kronix_jobs(id, name, queue, status, attempts, max_retries, payload, last_error, "
    "created_at, available_at, finished_at, reserved_by) VALUES ";

std::string insert_rows(int rows) {
    std::string sql = kInsertInto;
    for (int row = 0; row < rows; ++row) {
        auto p = [&](int column) {
            std::string parameter = "?";
            parameter += std::to_string(row * kInsertParams + column);
            return parameter;
        };
        sql += (row ? ", (" : "(") + p(1) + ", " + p(2) + ", " + p(3) + ", 'pending', " + p(8) +
               ", " + p(4) + ", " + p(5) + ", NULL, " + p(6) + ", " + p(7) + ", NULL, NULL)";
    }
    return sql;
}

}  // namespace

const std::string kInsert = insert_rows(1);
const std::string kInsertMany = insert_rows(kInsertRows);
const std::string kKeyHolder =
    "SELECT k.job_id FROM q_unique_keys k JOIN kronix_jobs j ON j.id = k.job_id "
    "WHERE k.key = ?1 AND j.status IN ('pending', 'processing')";
const std::string kTakeKey = "INSERT OR REPLACE INTO q_unique_keys(key, job_id) VALUES (?1, ?2)";
const std::string kForgetKey = "DELETE FROM q_unique_keys WHERE job_id = ?1";

// Due rows in two index range scans: NULL available_at (rows of other programs; NULL sorts
// first, as in ORDER BY available_at) and then available_at <= now. One query with OR would
// walk every delayed row of the queue before giving up.
const std::string kAnyDue =
    "SELECT 1 FROM kronix_jobs WHERE queue = ?1 AND status = 'pending' AND available_at IS NULL "
    "UNION ALL SELECT 1 FROM kronix_jobs WHERE queue = ?1 AND status = 'pending' "
    "AND available_at <= ?2 LIMIT 1";
const std::string kDueWithoutTime =
    "SELECT id FROM kronix_jobs WHERE queue = ?1 AND status = 'pending' AND available_at IS NULL "
    "ORDER BY created_at, id LIMIT ?2";
const std::string kDue =
    "SELECT id, available_at FROM kronix_jobs WHERE queue = ?1 AND status = 'pending' AND "
    "available_at <= ?2 "
    "ORDER BY available_at, created_at, id LIMIT ?3";
const std::string kSetAvailableAt = "UPDATE kronix_jobs SET available_at = ?2 WHERE id = ?1";
// kDueWithoutTime for a table with q_priority, in one statement (a claim of default jobs then
// runs as many statements as without): first the due jobs with a priority, in claim order
// (claim_order_before), from idx_q_kronix_jobs_urgent, which holds only pending rows with a
// priority (one empty seek while none has one); then the rows without a time, which only other
// programs write, without a priority. UNION ALL runs its parts in turn.
const std::string kDueUrgentOrUntimed =
    "SELECT id FROM (SELECT id FROM kronix_jobs WHERE queue = ?1 AND status = 'pending' AND "
    "q_priority > 0 AND available_at <= ?2 ORDER BY q_priority DESC, available_at, created_at, "
    "id LIMIT ?3) UNION ALL SELECT id FROM (SELECT id FROM kronix_jobs WHERE queue = ?1 AND "
    "status = 'pending' AND available_at IS NULL ORDER BY created_at, id LIMIT ?3)";
const std::string kSetPriority = "UPDATE kronix_jobs SET q_priority = ?2 WHERE id = ?1";

// Outcomes: ?1 id, ?2 claim token; each returns the job's queue and name for q_totals.
const std::string kClaimed =
    " WHERE id = ?1 AND status = 'processing' AND reserved_by = ?2 RETURNING queue, name";
const std::string kHeartbeat = "UPDATE kronix_jobs SET available_at = ?3" + kClaimed;
const std::string kComplete =
    "UPDATE kronix_jobs SET status = 'completed', finished_at = ?3, reserved_by = NULL" + kClaimed;
const std::string kCompleteAndDelete = "DELETE FROM kronix_jobs" + kClaimed;
const std::string kRelease =
    "UPDATE kronix_jobs SET status = 'pending', available_at = ?3, last_error = ?4, "
    "reserved_by = NULL" +
    kClaimed;
const std::string kPutBack =
    "UPDATE kronix_jobs SET status = 'pending', attempts = max(attempts - 1, 0), "
    "available_at = ?3, reserved_by = NULL" +
    kClaimed;
const std::string kFail =
    "UPDATE kronix_jobs SET status = 'failed', finished_at = ?3, last_error = ?4, "
    "reserved_by = NULL" +
    kClaimed;

const std::string kSize =
    "SELECT count(*) FROM kronix_jobs WHERE queue = ?1 AND status = 'pending'";
const std::string kClear = "DELETE FROM kronix_jobs WHERE queue = ?1 AND status <> 'processing'";
const std::string kForgetOrphanKeys =
    "DELETE FROM q_unique_keys WHERE job_id NOT IN (SELECT id FROM kronix_jobs)";
const std::string kCancel =
    "UPDATE kronix_jobs SET status = 'failed', last_error = 'cancelled', finished_at = ?2, "
    "reserved_by = NULL WHERE id = ?1 AND status = 'pending' RETURNING queue, name";
const std::string kDeadRetried =
    "UPDATE kronix_jobs SET status = 'pending', attempts = 0, available_at = ?1, "
    "finished_at = NULL, reserved_by = NULL, last_error = NULL";
const std::string kRetryDead = kDeadRetried + " WHERE id = ?2 AND status = 'failed'";
// Every queue name, one index seek each (a loose index scan), instead of a full scan.
const std::string kQueues =
    "WITH RECURSIVE q(name) AS (SELECT min(queue) FROM kronix_jobs UNION ALL "
    "SELECT (SELECT min(queue) FROM kronix_jobs WHERE queue > q.name) FROM q "
    "WHERE q.name IS NOT NULL) SELECT name FROM q WHERE name IS NOT NULL";
const std::string kStampUntimedClaims =
    "UPDATE kronix_jobs SET available_at = ?2 WHERE queue = ?1 AND status = 'processing' AND "
    "available_at IS NULL";
const std::string kRecoverToPending =
    "UPDATE kronix_jobs SET status = 'pending', available_at = ?2, reserved_by = NULL "
    "WHERE id = ?1 AND status = 'processing'";
const std::string kRecoverUncharged =
    "UPDATE kronix_jobs SET status = 'pending', attempts = max(attempts - 1, 0), "
    "available_at = ?2, reserved_by = NULL WHERE id = ?1 AND status = 'processing'";
const std::string kRecoverToFailed =
    "UPDATE kronix_jobs SET status = 'failed', last_error = 'worker lost', available_at = ?2, "
    "finished_at = ?2, reserved_by = NULL WHERE id = ?1 AND status = 'processing'";
const std::string kPrune =
    "DELETE FROM kronix_jobs WHERE id IN (SELECT id FROM kronix_jobs WHERE queue = ?1 AND "
    "status = ?2 AND finished_at < ?3 LIMIT ?4)";
const std::string kNextDue =
    "SELECT min(available_at) FROM kronix_jobs WHERE queue = ?1 AND status = 'pending' AND "
    "available_at > ?2";
const std::string kDataVersion = "PRAGMA data_version";
// list()'s orders (ListOrder), which FilterSql's paging follows: created_at then id, or id.
const std::string kListOrder = " ORDER BY coalesce(created_at, ''), id";
const std::string kIdOrder = " ORDER BY id";

JobQueries::JobQueries(bool priorities)
    : columns(kColumns + (priorities ? ", q_priority" : ", 0")),
      take(
          "UPDATE kronix_jobs SET status = 'processing', attempts = attempts + 1, "
          "available_at = ?2, reserved_by = ?3 WHERE id = ?1 AND status = 'pending' RETURNING " +
          columns),
      find("SELECT " + columns + " FROM kronix_jobs WHERE id = ?1"),
      stale("SELECT " + columns +
            " FROM kronix_jobs WHERE queue = ?1 AND status = 'processing' AND available_at < ?2") {}

FilterSql::FilterSql(const ListFilter& filter) {
    // In id order the primary key serves both the order and the paging, so the conditions on
    // other columns are kept off their indexes (unary +): a page is then a walk along the key
    // from where the last one ended, never a sort of every row the conditions match.
    const bool by_id = filter.order == ListOrder::id;
    if (filter.status)
        add(by_id ? "+status = ?" : "status = ?", std::string(to_string(*filter.status)));
    if (filter.queue)
        add(by_id ? "+queue = ?" : "queue = ?", *filter.queue);
    if (filter.name)
        add(by_id ? "+name = ?" : "name = ?", *filter.name);
    if (filter.finished_before)
        add("finished_at < ?", time_text(*filter.finished_before));
    if (filter.after && by_id) {
        add("id > ?", filter.after->id);
    } else if (filter.after) {
        // The job's stored created_at while it exists (the exact text, whatever format its writer
        // used), else the time the caller held.
        add("(coalesce(created_at, ''), id) > (coalesce((SELECT coalesce(created_at, '') FROM "
            "kronix_jobs WHERE id = ?), ?), ?)",
            filter.after->id);
        values.push_back(time_text(filter.after->created_at));
        values.push_back(filter.after->id);
    }
    order_by = by_id ? kIdOrder : kListOrder;
}

int FilterSql::bind(SQLite::Statement& statement, int first) const {
    for (const auto& value : values) statement.bind(first++, value);
    return first;
}

void FilterSql::add(const char* condition, std::string value) {
    where += " AND ";
    where += condition;
    values.push_back(std::move(value));
}

const std::string kPutRecord =
    "INSERT INTO q_records(kind, key, value, updated_at) VALUES (?1, ?2, ?3, ?4) "
    "ON CONFLICT(kind, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at";
const std::string kRecords = "SELECT key, value, updated_at FROM q_records WHERE kind = ?1";
const std::string kRecord = "SELECT value FROM q_records WHERE kind = ?1 AND key = ?2";
const std::string kRemoveRecord = "DELETE FROM q_records WHERE kind = ?1 AND key = ?2";

const std::string kPutAttemptLog =
    "INSERT INTO q_attempt_logs(job_id, attempt, updated_at, body) VALUES (?1, ?2, ?3, ?4) "
    "ON CONFLICT(job_id, attempt) DO UPDATE SET updated_at = excluded.updated_at, "
    "body = excluded.body";
const std::string kAttemptLogs =
    "SELECT attempt, body FROM q_attempt_logs WHERE job_id = ?1 ORDER BY attempt";
const std::string kPruneAttemptLogs = "DELETE FROM q_attempt_logs WHERE updated_at < ?1";
const std::string kPutAttemptLogGroup =
    "INSERT INTO q_attempt_log_groups(finished_at, updated_at, entries, bodies) "
    "VALUES (?1, ?2, ?3, ?4)";
const std::string kAttemptLogGroupOfJob =
    "SELECT g.bodies FROM q_attempt_log_groups g JOIN kronix_jobs j ON g.finished_at = "
    "j.finished_at WHERE j.id = ?1 AND j.status = 'completed'";
const std::string kJobExists = "SELECT 1 FROM kronix_jobs WHERE id = ?1";
const std::string kAttemptLogGroupsMentioning =
    "SELECT bodies FROM q_attempt_log_groups WHERE instr(bodies, ?1) > 0";
const std::string kPruneAttemptLogGroups =
    "DELETE FROM q_attempt_log_groups WHERE updated_at < ?1 RETURNING entries";

}  // namespace libqueue::sqlite::sql
