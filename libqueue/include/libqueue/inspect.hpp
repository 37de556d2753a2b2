// Looking inside a queue file without changing it (`q inspect-file`): q's own file driver
// format, and the Dart file drivers' files: a JSON array of entries or {"jobs": [...]}, each entry
// either the older {id, type, payload, scheduledAt, createdAt, attempts, maxRetries} or khadem's
// current {id, jobType, payload, queuedAt, scheduledFor, attempts, status, metadata, error}, with
// times in the writer's local time and no zone. Corrupt entries are reported by index; the
// readable ones are still shown.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "libqueue/job.hpp"
#include "libqueue/time.hpp"

namespace libqueue {

enum class FileLayout {
    q_queue_file,  // q's file driver ("format": "q-queue-file")
    dart_array,    // [ {id, type, payload, scheduledAt, ...} ]
    dart_object,   // {"jobs": [ ... ]}
    empty,         // a 0-byte (or blank) file: an empty queue, as the Dart drivers read it
    q_export,      // `q export`'s NDJSON: one job record per line
};
std::string_view to_string(FileLayout layout);

struct InspectedJob {
    std::string entry;  // where it sits in the file: "jobs[3]", "[3]", "completed[0]"
    Job job;
    bool due = false;           // pending and available_at <= now
    bool created_known = true;  // false: the entry gave no creation time (job.created_at is 0)
    // The status word a Dart driver wrote, when the entry had one ("retrying", "deadLettered"):
    // job.status is what it means for the job's next step.
    std::optional<std::string> dart_status;
    nlohmann::json metadata;  // khadem's "metadata" object; null when absent
};

struct EntryProblem {
    std::string entry;  // "jobs[3]"
    std::string error;  // what is wrong with it
};

struct FileInspection {
    std::filesystem::path path;
    FileLayout layout = FileLayout::q_queue_file;
    TimePoint now{};
    std::string zone;                // where times without a zone were read as local time
    std::size_t zoneless_times = 0;  // how many such times the file held
    std::vector<InspectedJob> jobs;  // in file order
    std::vector<EntryProblem> problems;
};

// Reads PATH once, under a shared flock on PATH.lock when that exists (never creating it), so
// writers are held up for one read at most. Throws NotFoundError when PATH does not exist and
// DataError (with line/column) when it is not JSON or in no known layout. Times without a zone
// are local time in `zone`.
FileInspection inspect_queue_file(const std::filesystem::path& path,
                                  const LocalZone& zone = LocalZone{});

// From text already read (tests). origin names it in errors.
FileInspection inspect_queue_text(std::string_view text, const std::string& origin, TimePoint now,
                                  const LocalZone& zone = LocalZone{});

// Jobs per status ("pending" split into "due" and "delayed"), and per name.
struct InspectionSummary {
    std::uint64_t total = 0;
    std::map<std::string, std::uint64_t> by_status;  // due, delayed, processing, completed, failed
    std::map<std::string, std::map<std::string, std::uint64_t>> by_name;  // name -> status -> n
};
InspectionSummary summarize(const FileInspection& inspection);

// `q inspect-file --json`: {path, layout, now, zone, zoneless_times, total, shown, jobs:
// [job_to_json + entry, due, dart_status, metadata; created_at null when unknown], problems:
// [{entry, error}], summary: {by_status, by_name}}. limit 0: every job.
nlohmann::json inspection_to_json(const FileInspection& inspection, std::size_t limit);

}  // namespace libqueue
