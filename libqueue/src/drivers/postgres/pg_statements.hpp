// The driver's SQL, prepared once on every connection, and the conversions between rows and Jobs.
#pragma once

#include <cstddef>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "drivers/postgres/pg_settings.hpp"
#include "libqueue/job.hpp"

namespace libqueue::pg {

// Prepared statement names. Parameters are listed in pg_statements.cpp beside each statement.
namespace stmt {
inline constexpr const char* now = "q_now";
inline constexpr const char* push = "q_push";  // (p)
inline constexpr const char* lock_keys = "q_lock_keys";
inline constexpr const char* active_keys = "q_active_keys";
inline constexpr const char* take_keys = "q_take_keys";
inline constexpr const char* claim = "q_claim";  // (p)
inline constexpr const char* fix_null_due = "q_fix_null_due";
inline constexpr const char* heartbeat = "q_heartbeat";
inline constexpr const char* complete = "q_complete";
inline constexpr const char* complete_batch = "q_complete_batch";  // small batches only
inline constexpr const char* release = "q_release";
inline constexpr const char* put_back = "q_put_back";
inline constexpr const char* fail = "q_fail";
inline constexpr const char* find = "q_find";  // (p)
inline constexpr const char* ids_with_prefix = "q_ids_with_prefix";
inline constexpr const char* list = "q_list";  // (p)
inline constexpr const char* size = "q_size";
inline constexpr const char* clear = "q_clear";
inline constexpr const char* cancel = "q_cancel";
inline constexpr const char* retry_dead = "q_retry_dead";
inline constexpr const char* retry_dead_matching = "q_retry_dead_matching";
inline constexpr const char* clear_dead = "q_clear_dead";
inline constexpr const char* recover_stale = "q_recover_stale";  // (p)
inline constexpr const char* list_stale = "q_list_stale";        // (p)
inline constexpr const char* stamp_untimed_claims = "q_stamp_untimed_claims";
inline constexpr const char* prune = "q_prune";
inline constexpr const char* prune_keys = "q_prune_keys";
}  // namespace stmt

// The statements marked (p) above come in two forms: for a jobs table with q's q_priority
// column and for one without. This is the name of the form to use.
std::string statement_name(const char* name, bool priorities);

// list() in id order: $1 status, $2 queue, $3 name, $4 finished before (ms), $5 after id, $6
// limit (NULL: all), each NULL for none. Not prepared: run with its values, so that the server
// plans each page knowing them (a walk along the primary key from $5, or an index on the
// filter's columns when they match few rows) instead of one generic plan for every filter.
std::string list_by_id_query(const Names& n, bool priorities);

// complete_batch(): $1 ids, $2 tokens, $3 ran for (ms), $4 shard, $5 attempts, $6 attempt log
// bodies ('' for none), $7 grouped (1: the log goes into the batch's log group), parallel arrays
// with each (id, token) once -> the 1-based position of each completion that applied.
// keep_completed picks its form: mark the rows completed, or delete them.
// A large batch runs this with its values, not prepared: after five runs a prepared statement
// gets a generic plan, made without the arrays, and for this join that plan often compares every
// claimed row with every completion (60-70 ms for a batch of 500 instead of under 8; tests/bench/
// results/ANALYSIS.md, "the batch completion ran on a generic plan"). A small batch, as a worker
// running commands sends, uses the prepared form (stmt::complete_batch): there the comparisons
// cost less than planning the statement, which doubled the server's time per completion.
inline constexpr std::size_t kPreparedCompleteBatchMax = 32;
std::string complete_batch_query(const Names& n, bool keep_completed);

// q stats' reads, run once per call and so not prepared (a prepared statement costs a round trip
// more on its first use, and a `q stats` connection has no second). The rows grouped by queue,
// name, status and whether due (live_only: the pending and processing rows only, for a table
// whose settled rows are counted), then the lifetime totals.
std::string stats_rows_query(const Names& n, bool live_only);
std::string stats_totals_query(const Names& n);

// The server's now() as epoch milliseconds, an SQL expression.
std::string now_ms_sql();

// The statuses claims move rows between all the time, as an SQL list: the counts leave them out
// (q stats reads those rows), and a unique key is taken while its job is in one of them.
inline constexpr const char* kLiveStatuses = "('pending', 'processing')";

// A setting q's push turns on for its transaction before it inserts: this transaction inserts
// pending rows only, so the insert trigger of the counts, whose WHEN tests the setting, need not
// run. A short-lived `q push` would otherwise load and plan the trigger function in its new
// session, about 6-9 ms. Another program's inserts run the function once per statement.
inline constexpr const char* kInsertsOnlyPending = "q.inserts_only_pending";

// A completed row's own run time, finished_at - available_at in ms, and when its columns give
// one: q stats reads it for job names q never timed, and the counts' triggers keep its sums.
std::string row_run_time_ms();
std::string row_run_is_timed();

// Registers every statement on the connection (libpqxx prepares each on first use).
// keep_completed picks complete's form: mark the row completed, or delete it.
void prepare_statements(pqxx::connection& db, const Names& names, bool keep_completed);

// Rows selected with the job column list: the kronix_jobs columns, times as epoch milliseconds,
// then the priority.
// `first` is the index of the id column.
Job job_from_row(const pqxx::row& row, int first = 0);

// PostgreSQL array literals ('{"a","b",NULL}'), passed as one text parameter and cast in SQL:
// libpqxx 6.4 has no array parameters, and a literal keeps a whole batch in one statement.
std::string text_array(const std::vector<std::string>& values);
std::string nullable_text_array(const std::vector<std::optional<std::string>>& values);
std::string int_array(const std::vector<long long>& values);
std::string nullable_int_array(const std::vector<std::optional<long long>>& values);

// A nullable parameter: nullptr is SQL NULL for libpqxx.
inline const char* nullable(const std::optional<std::string>& value) {
    return value ? value->c_str() : nullptr;
}

}  // namespace libqueue::pg
