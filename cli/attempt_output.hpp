// How q log and q show print attempt logs (libqueue/attempt_log.hpp): a header per attempt,
// the output lines marked with their stream, the history table, and the JSON lines.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "context.hpp"
#include "libqueue/libqueue.hpp"

namespace q {

// The logs of a job, or none when the driver keeps no logs (sync, an application's own).
std::vector<libqueue::AttemptLog> attempt_logs_if_kept(libqueue::QueueDriver& driver,
                                                       const std::string& job_id);

// "attempt 2 · worker host:1:W · 2026-12-04T12:00:01.000Z → 12:00:02 (512ms) · exit 3 · retried"
std::string attempt_header(const libqueue::AttemptLog& log);
// "512ms", "3.2s", "running 4s" (while it runs, measured to `now`).
std::string attempt_duration(const libqueue::AttemptLog& log, libqueue::TimePoint now);
// "exit 3", "killed by SIGKILL", "-".
std::string exit_text(const std::optional<int>& exit_status);

// Which streams to print.
struct StreamFilter {
    bool out = true;
    bool err = true;
    bool both() const { return out && err; }
    bool wants(libqueue::OutputLine::Stream stream) const {
        return stream == libqueue::OutputLine::Stream::err ? err : out;
    }
};

// Prints the lines of `log` numbered from `from_line` on (line_number, counting cut lines),
// as text (both streams: "out  ..."/"err  ..."; one stream: the bare text) or JSON objects
// {attempt, stream, time, text}. A cut in that range prints its marker. Returns the number
// after the last line printed (what to pass next time to print only new lines).
std::uint64_t print_attempt_lines(const Context& context, const libqueue::AttemptLog& log,
                                  const StreamFilter& streams, std::uint64_t from_line);

// The history of q show: one row per attempt.
void print_attempt_history(const std::vector<libqueue::AttemptLog>& logs);
nlohmann::json attempt_history_json(const std::vector<libqueue::AttemptLog>& logs);

// Which attempt wrote the job's last_error: the latest logged attempt that failed, else the
// attempt the job's state implies (the one before a completion; the last one otherwise).
int attempt_of_last_error(const libqueue::Job& job, const std::vector<libqueue::AttemptLog>& logs);

}  // namespace q
