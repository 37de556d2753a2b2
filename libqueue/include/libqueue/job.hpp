// The job record every driver stores: the columns of the Dart queue system's kronix_jobs table.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "libqueue/time.hpp"

namespace libqueue {

enum class Status { pending, processing, completed, failed };

std::string_view to_string(Status s);
// Throws DataError for anything but the four names.
Status status_from_string(std::string_view s);

struct Job {
    std::string id;
    std::string name;
    std::string queue = "default";
    Status status = Status::pending;
    int attempts = 0;            // claims so far; Q_ATTEMPT after a claim
    int max_retries = 3;         // a job runs at most 1 + max_retries times
    std::string payload = "{}";  // JSON text as pushed (rows from other programs: any text)
    std::optional<std::string> last_error;
    TimePoint created_at{};
    // Pending: when it is due (nullopt only for rows other programs wrote: due now).
    // Processing: the reservation time, refreshed by heartbeats.
    std::optional<TimePoint> available_at;
    std::optional<TimePoint> finished_at;
    std::optional<std::string> reserved_by;  // the claim token while processing
    int priority =
        0;  // claims take higher first (see claim_order_before); not a kronix_jobs column
    // Set by a driver for a stored row it could not read in full (other programs write rows too):
    // which column holds what. The rest of the row is read as well as it could be; a worker that
    // claims such a job fails it with this text instead of running it.
    std::optional<std::string> unreadable;
};

// Whether a job whose current attempt failed (its claim counted in `attempts`) runs again: while
// attempts <= max_retries. The one statement of the rule; the SQL of the postgres driver and the
// Lua of the redis driver spell it out and are tested against it by the conformance suite.
inline bool has_attempts_left(const Job& job) {
    return job.attempts <= job.max_retries;
}

// Adds "column `column`: `problem`" to job.unreadable.
void note_unreadable(Job& job, std::string_view column, std::string_view problem);

// What a caller asks to store. Drivers fill in id (when empty), status, times.
struct NewJob {
    std::string name;
    std::string queue = "default";
    std::string payload = "{}";  // must be valid JSON; validate_new_job() checks
    int max_retries = 3;
    std::optional<TimePoint> run_at;        // absolute due time
    Milliseconds delay{0};                  // or: due this long after the driver's now
    std::optional<std::string> unique_key;  // while a job with this key is pending or processing,
                                            // push returns that job's id and adds nothing
    std::string id;                         // empty: generated
    int attempts = 0;  // runs already used: 0 for a new job; an import keeps a job's count
    int priority = 0;  // 0 (the default, lowest) to max_priority; higher is claimed first
};

// The highest priority a job may have. Priorities are 0 and up only: work that should wait for
// everything else goes to a queue of its own, listed last (`q work --queue default,bulk`).
inline constexpr int max_priority = 1000;

// The claim order within one queue, the rule every driver keeps: among due jobs the higher
// priority first, then the earlier available_at (a missing one: due now, first), then the
// earlier created_at, then id. Drivers that sort in C++ use it; the SQL of the sqlite and
// postgres drivers and the Lua of the redis driver spell it out and are tested against it by
// the conformance suite.
bool claim_order_before(const Job& a, const Job& b);

// The longest job name, queue name, unique key or id, in bytes, on every driver.
inline constexpr std::size_t max_label_bytes = 255;

// Throws DataError "<what> is empty" when `value` is empty, longer than max_label_bytes, not
// UTF-8 or holds a control character: the rule for names, queues, unique keys and ids.
void validate_label(std::string_view what, std::string_view value);

// Throws DataError when the name, queue, unique key or id is empty, longer than max_label_bytes,
// not UTF-8 or holds a control character; when the payload is not JSON or nested too deeply;
// when max_retries is negative; or when priority is outside 0..max_priority. The message names
// the field.
void validate_new_job(const NewJob& job);
// Every job of a batch, the message prefixed "batch job N: " (N from 1).
void validate_new_jobs(const std::vector<NewJob>& jobs);

// The job as JSON, the shape `q show --json` prints and scripts read: every column, times as
// ISO 8601 text (null when unset), status as its name, payload parsed when it is JSON (else a
// string).
nlohmann::json job_to_json(const Job& job);
// The inverse; throws DataError naming the field that is missing or of the wrong type.
Job job_from_json(const nlohmann::json& value);

// A new, unique, time-ordered id (26 chars, Crockford base32: 48-bit ms time + 80 bits that start
// random each millisecond and grow by random steps within it, so one process's ids strictly
// increase).
std::string new_job_id();

// A claim token: the worker id plus a per-claim unique part.
std::string new_claim_token(std::string_view worker_id);

// "host:pid:random": identifies one worker process in reserved_by.
std::string default_worker_id();

}  // namespace libqueue
