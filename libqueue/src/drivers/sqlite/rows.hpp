// How a job is stored in a kronix_jobs row: the column list, times as text, and reading a row.
#pragma once

#include <SQLiteCpp/Column.h>
#include <SQLiteCpp/Statement.h>

#include <optional>
#include <string>
#include <string_view>

#include "libqueue/job.hpp"

namespace libqueue::sqlite {

// The kronix_jobs columns in the order read_job expects them.
inline constexpr const char* kJobColumns =
    "id, name, queue, status, attempts, max_retries, payload, last_error, created_at, "
    "available_at, finished_at, reserved_by";

// "2026-11-23T17:00:00.000Z": one fixed width, so text order is time order.
std::string time_text(TimePoint t);
// Reads time_text's form quickly and anything parse_stored_time accepts otherwise (rows written
// by other programs). Throws DataError naming the text.
TimePoint parse_time_text(std::string_view text);
// Whether text is in time_text's form, the one whose text order is time order.
bool is_time_text(std::string_view text);

// The job in the current row, whose first columns are kJobColumns, then its priority when the
// row has a 13th column. A status or time that cannot be read is noted in Job::unreadable.
Job read_job(const SQLite::Statement& row);

// Binds an optional text: NULL when empty.
void bind_optional(SQLite::Statement& statement, int index, const std::optional<std::string>& v);

}  // namespace libqueue::sqlite
