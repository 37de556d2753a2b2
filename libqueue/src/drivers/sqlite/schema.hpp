// The tables q keeps in a SQLite file: kronix_jobs (exactly the Dart queue system's columns) and
// q's own side tables and index.
//
//   idx_q_kronix_jobs_due                   pending rows in claim order (a partial index)
//   q_unique_keys(key PRIMARY KEY, job_id)  the job that holds a unique key; the key is held only
//                                           while that job is pending or processing
//   q_totals(queue, name, pushed, completed, dead, retries, processing_ms)  lifetime counters
//   q_schema(version)                       the layout version of q's tables
#pragma once

#include "drivers/sqlite/connection.hpp"

namespace libqueue::sqlite {

inline constexpr int kSchemaVersion = 1;

// Creates whatever is missing (IF NOT EXISTS, one write transaction), then checks that
// kronix_jobs has the Dart queue system's columns and that q_schema is not newer than this q.
// Throws DataError naming the path otherwise.
void ensure_schema(Connection& connection);

}  // namespace libqueue::sqlite
