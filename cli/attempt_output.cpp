#include "attempt_output.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <csignal>
#include <cstring>
#include <iostream>

#include "output.hpp"

namespace q {

namespace {

using libqueue::AttemptLog;
using libqueue::AttemptOutcome;
using libqueue::OutputLine;

std::string ms_text(libqueue::Milliseconds d) {
    if (d < std::chrono::seconds(1))
        return fmt::format("{}ms", d.count());
    if (d < std::chrono::minutes(1))
        return fmt::format("{:.1f}s", double(d.count()) / 1000.0);
    return libqueue::format_duration(std::chrono::duration_cast<std::chrono::seconds>(d));
}

// A handler's bytes on a terminal: control characters (an escape sequence could rewrite the
// screen or the title) are shown as \xNN; tabs stay. Through a pipe the text is as stored.
std::string for_terminal(const std::string& text) {
    static const bool tty = ::isatty(STDOUT_FILENO) == 1;
    return tty ? libqueue::escape_controls(text) : text;
}

std::string first_line(const std::string& text) {
    return one_line(text, 60);
}

}  // namespace

std::vector<AttemptLog> attempt_logs_if_kept(libqueue::QueueDriver& driver,
                                             const std::string& job_id) {
    try {
        return driver.attempt_logs(job_id);
    } catch (const libqueue::UsageError&) {
        return {};
    }
}

std::string exit_text(const std::optional<int>& exit_status) {
    if (!exit_status)
        return "-";
    if (*exit_status > 128 && *exit_status < 128 + 65) {
        const char* name = sigabbrev_np(*exit_status - 128);
        if (name)
            return fmt::format("killed by SIG{}", name);
    }
    return fmt::format("exit {}", *exit_status);
}

std::string attempt_duration(const AttemptLog& log, libqueue::TimePoint now) {
    if (log.ended_at)
        return ms_text(*log.ended_at - log.started_at);
    return "running " + ms_text(std::max(now - log.started_at, libqueue::Milliseconds{0}));
}

std::string attempt_header(const AttemptLog& log) {
    std::string text = fmt::format("attempt {} · worker {} · {}", log.attempt,
                                   for_terminal(log.worker.empty() ? "-" : log.worker),
                                   format_time(log.started_at));
    if (log.ended_at) {
        text += fmt::format(" → {} ({})", format_time(log.ended_at),
                            attempt_duration(log, libqueue::system_now()));
        text += fmt::format(" · {} · {}", exit_text(log.exit_status), to_string(log.outcome));
    } else {
        text += fmt::format(" · {}", attempt_duration(log, libqueue::system_now()));
    }
    return text;
}

std::uint64_t print_attempt_lines(const Context& context, const AttemptLog& log,
                                  const StreamFilter& streams, std::uint64_t from_line) {
    std::uint64_t next = from_line;
    bool cut_shown = from_line > log.cut_after;  // printed before, or already past it
    for (std::size_t i = 0; i < log.lines.size(); ++i) {
        const auto number = log.line_number(i);
        if (number < from_line)
            continue;
        if (log.cut_lines > 0 && i == log.cut_after && !cut_shown) {
            cut_shown = true;
            const auto marker =
                fmt::format("… {} lines ({} bytes) cut …", log.cut_lines, log.cut_bytes);
            if (context.json()) {
                emit_json({{"attempt", log.attempt}, {"stream", "cut"}, {"text", marker}});
            } else {
                std::cout << marker << '\n';
            }
        }
        next = number + 1;
        const auto& line = log.lines[i];
        if (!streams.wants(line.stream))
            continue;
        const bool err = line.stream == OutputLine::Stream::err;
        if (context.json()) {
            emit_json({{"attempt", log.attempt},
                       {"stream", err ? "stderr" : "stdout"},
                       {"time", libqueue::format_iso8601(log.started_at + line.at)},
                       {"text", line.text}});
        } else if (streams.both()) {
            std::cout << (err ? "err  " : "out  ") << for_terminal(line.text) << '\n';
        } else {
            std::cout << for_terminal(line.text) << '\n';
        }
    }
    std::cout << std::flush;
    return next;
}

void print_attempt_history(const std::vector<AttemptLog>& logs) {
    const auto now = libqueue::system_now();
    std::vector<std::vector<std::string>> rows;
    for (const auto& log : logs) {
        rows.push_back({std::to_string(log.attempt), format_time(log.started_at),
                        log.worker.empty() ? "-" : for_terminal(log.worker),
                        attempt_duration(log, now), exit_text(log.exit_status),
                        to_string(log.outcome), for_terminal(first_line(log.error))});
    }
    print_table({"#", "STARTED", "WORKER", "TOOK", "EXIT", "OUTCOME", "ERROR"}, rows);
}

nlohmann::json attempt_history_json(const std::vector<AttemptLog>& logs) {
    auto out = nlohmann::json::array();
    for (const auto& log : logs) {
        nlohmann::json entry = {
            {"attempt", log.attempt},
            {"worker", log.worker},
            {"started_at", libqueue::format_iso8601(log.started_at)},
            {"ended_at", nullptr},
            {"outcome", to_string(log.outcome)},
            {"exit_status", nullptr},
            {"error", log.error.empty() ? nlohmann::json(nullptr) : nlohmann::json(log.error)}};
        if (log.ended_at) {
            entry["ended_at"] = libqueue::format_iso8601(*log.ended_at);
            entry["duration_ms"] = (*log.ended_at - log.started_at).count();
        }
        if (log.exit_status)
            entry["exit_status"] = *log.exit_status;
        out.push_back(std::move(entry));
    }
    return out;
}

int attempt_of_last_error(const libqueue::Job& job, const std::vector<AttemptLog>& logs) {
    for (auto log = logs.rbegin(); log != logs.rend(); ++log) {
        if (!log->error.empty() && log->outcome != AttemptOutcome::running)
            return log->attempt;
    }
    if (job.status == libqueue::Status::completed)
        return std::max(job.attempts - 1, 1);
    return std::max(job.attempts, 1);
}

}  // namespace q
