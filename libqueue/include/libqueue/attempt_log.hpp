// What one attempt of a job did: where and when it ran, how it ended, and what it printed (stdout
// and stderr interleaved in the order they arrived, each line marked with its stream, capped per
// attempt). Workers store one per attempt beside the jobs (queue.logs); `q log` and `q show` read
// them. Drivers store the body as opaque text keyed by (job id, attempt).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "libqueue/time.hpp"

namespace libqueue {

struct OutputLine {
    enum class Stream { out, err };
    Stream stream = Stream::out;
    Milliseconds at{0};  // since the attempt started
    std::string text;    // valid UTF-8, without its newline
};

// How an attempt ended. `running` until the worker records the outcome; a worker that died
// leaves it running (`q log` shows such an attempt as lost once the job has moved on).
enum class AttemptOutcome { running, completed, retried, dead, interrupted };

std::string to_string(AttemptOutcome outcome);

struct AttemptLog {
    std::string job_id;
    int attempt = 0;  // the job's attempts while it ran (1 for the first)
    std::string worker;
    TimePoint started_at{};
    std::optional<TimePoint> ended_at;
    AttemptOutcome outcome = AttemptOutcome::running;
    std::optional<int> exit_status;  // commands: the exit code, or 128+signal
    std::string error;               // what the attempt wrote to last_error
    std::vector<OutputLine> lines;
    // A long output loses its middle: `cut_lines` lines (`cut_bytes` bytes) after the first
    // `cut_after` lines of `lines`.
    std::size_t cut_after = 0;
    std::size_t cut_lines = 0;
    std::size_t cut_bytes = 0;

    // The number of lines[index] in the whole output, counting the lines cut (0-based).
    std::uint64_t line_number(std::size_t index) const {
        return index < cut_after || cut_lines == 0 ? index : index + cut_lines;
    }
};

// Completion logs of at most this many bytes (a quiet attempt's is under 200) may be stored
// together, one row or hash per batch of completions, where one row per attempt would cost a
// no-op drain a tenth to a third of its throughput; a longer one gets a row of its own, so
// reading one job's log never parses a group of long outputs.
inline constexpr std::size_t kGroupedLogMaxBytes = 2048;

// The text drivers store (JSON), and back. The body holds neither the job id nor the attempt
// (they are the key). A body that is not one this q wrote is a DataError.
std::string attempt_log_body(const AttemptLog& log);
AttemptLog attempt_log_from_body(const std::string& job_id, int attempt, const std::string& body);
// A job's stored bodies by attempt, as logs in attempt order.
std::vector<AttemptLog> attempt_logs_from_bodies(const std::string& job_id,
                                                 const std::map<int, std::string>& bodies);

}  // namespace libqueue
