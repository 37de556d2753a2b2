// q's queue file format (version 1): what one queue file holds, and its text form.
//
//   {"format": "q-queue-file", "version": 1, "generation": "<random per write>",
//    "jobs":      [ {id, name, queue, status, attempts, max_retries, payload, last_error,
//                    created_at, available_at, finished_at, reserved_by, unique_key?} ],
//    "completed": [ {id, name, queue, attempts, max_retries, payload, last_error, created_at,
//                    available_at, finished_at} ],
//    "totals":    [ {queue, name, pushed, completed, dead, retries, processing_ms} ]}
//
// "jobs" holds pending, processing and failed (dead) jobs. Completed jobs leave it; "completed"
// remembers them for a while (the newest 1000, at most a day; forgotten first when a push needs
// room) so find() can still tell "completed" from "no such job".
// Payloads are stored as the JSON text they were pushed with, so they round-trip byte for byte.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "drivers/memory/queue_state.hpp"
#include "libqueue/job.hpp"

namespace libqueue::file_queue {

inline constexpr std::string_view kFormatName = "q-queue-file";
inline constexpr int kFormatVersion = 1;

using memory::StoredJob;
// A loaded queue file is the memory driver's state: the file driver applies the same lifecycle
// to it (drivers/memory/queue_state.hpp). Completed jobs are stored with the others here and
// written to "completed".
using QueueFile = memory::QueueState;

// Ids of the completed jobs the file remembers, oldest finished first.
std::vector<std::string> completed_oldest_first(const QueueFile& file);

// Throws DataError "ORIGIN: line L, column C: ..." for text that is not JSON, and
// "ORIGIN: jobs[3].status: ..." for JSON that is not a queue file of a version this q reads.
QueueFile parse_queue_file(std::string_view text, const std::string& origin);

// generation: a fresh random token per write, so readers can tell two versions apart from the
// file's first bytes (the parse cache) even when size and mtime agree.
// One entry of "jobs" (index names it in errors: "ORIGIN: jobs[3].status: ..."). Throws DataError.
StoredJob parse_job_entry(const nlohmann::json& value, std::size_t index,
                          const std::string& origin);
// One entry of "completed".
Job parse_completed_entry(const nlohmann::json& value, std::size_t index,
                          const std::string& origin);

std::string serialize_queue_file(const QueueFile& file, std::string_view generation);

// Any JSON text; DataError "ORIGIN: line L, column C: not valid JSON: ..." when it is not.
nlohmann::json parse_json_text(std::string_view text, const std::string& origin);

// 1-based line and column of a byte offset.
std::pair<std::size_t, std::size_t> line_and_column(std::string_view text, std::size_t offset);

}  // namespace libqueue::file_queue
