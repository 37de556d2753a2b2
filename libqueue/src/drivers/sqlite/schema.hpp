// The tables q keeps in a SQLite file: kronix_jobs (exactly the Dart queue system's columns) and
// q's own side tables and index.
//
//   kronix_jobs.q_priority                  q's own column, only in tables q creates (or that
//                                           `q migrate --priorities` changed): a job's priority
//   idx_q_kronix_jobs_due                   pending rows in claim order (a partial index)
//   idx_q_kronix_jobs_urgent                pending rows with a priority, in claim order
//   q_unique_keys(key PRIMARY KEY, job_id)  the job that holds a unique key; the key is held only
//                                           while that job is pending or processing
//   q_totals(queue, name, pushed, completed, dead, retries, processing_ms)  lifetime counters
//   q_state_counts(queue, name, status, jobs)  rows stored per status other than pending and
//                                           processing, kept by triggers on kronix_jobs
//   q_schema(version)                       the layout version of q's tables
#pragma once

#include <string>
#include <vector>

#include "drivers/sqlite/connection.hpp"

namespace libqueue::sqlite {

inline constexpr int kSchemaVersion = 1;

// The statuses whose rows q_state_counts leaves out (a claim changes them all the time): `q stats`
// reads these rows themselves.
inline constexpr const char* kLiveStatuses = "('pending', 'processing')";

struct SchemaInfo {
    bool priorities = false;  // kronix_jobs has q_priority
};

// Creates whatever is missing (IF NOT EXISTS, one write transaction), then checks that
// kronix_jobs has the Dart queue system's columns and that q_schema is not newer than this q.
// Throws DataError naming the path otherwise.
SchemaInfo ensure_schema(Connection& connection);

// `q migrate --priorities`: adds q_priority (default 0) and its index to a kronix_jobs table that
// lacks them. Returns what it did, one line each.
std::vector<std::string> add_priorities(Connection& connection);

}  // namespace libqueue::sqlite
