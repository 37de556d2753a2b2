#include "output.hpp"

#include "attempt_output.hpp"

#include <fmt/format.h>
#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <iostream>

#include "libqueue/json_limits.hpp"

namespace q {

using libqueue::Job;
using libqueue::TimePoint;

void emit_json(const nlohmann::json& value) {
    // Invalid UTF-8 in a payload from another program must not abort the output.
    std::cout << value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n'
              << std::flush;
}

void emit_ordered_json(const nlohmann::ordered_json& value) {
    std::cout << value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n'
              << std::flush;
}

void emit_json_pretty(const nlohmann::json& value) {
    std::cout << value.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << '\n'
              << std::flush;
}

void print_line(const std::string& text) {
    std::cout << text << '\n' << std::flush;
}

void note(const Context& context, const std::string& text) {
    if (!context.quiet())
        std::cerr << "q: " << text << '\n';
}

void debug(const Context& context, int level, const std::string& text) {
    if (context.verbose() >= level)
        std::cerr << "q: " << text << '\n';
}

std::string format_time(const std::optional<TimePoint>& t) {
    return t ? libqueue::format_iso8601(*t) : "-";
}

std::string format_relative(TimePoint t, TimePoint now) {
    auto distance = t >= now ? t - now : now - t;
    // Milliseconds matter for a retry due in 91ms, not for one due in 4m59.976s.
    if (distance >= std::chrono::seconds(10)) {
        distance = std::chrono::duration_cast<std::chrono::seconds>(distance);
    }
    const auto text = libqueue::format_duration(distance);
    return t >= now ? "in " + text : text + " ago";
}

std::string one_line(const std::string& text, std::size_t max_chars) {
    std::string line = text.substr(0, text.find('\n'));
    // Trailing whitespace and a lone '\r' from the handler's output are noise in a table.
    while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) line.pop_back();
    bool cut = line.size() < text.size() &&
               text.find_first_not_of(" \t\r\n", line.size()) != std::string::npos;
    if (line.size() > max_chars) {
        line.resize(max_chars > 3 ? max_chars - 3 : max_chars);
        cut = true;
    }
    return cut ? line + "..." : line;
}

namespace {

// "due in 30s", "due 2s ago", "finished 5m ago", "running since ..."
std::string when_column(const Job& job, TimePoint now) {
    switch (job.status) {
        case libqueue::Status::pending:
            return job.available_at ? "due " + format_relative(*job.available_at, now) : "due now";
        case libqueue::Status::processing:
            return job.available_at ? "seen " + format_relative(*job.available_at, now) : "-";
        case libqueue::Status::completed:
        case libqueue::Status::failed:
            return job.finished_at ? "finished " + format_relative(*job.finished_at, now) : "-";
    }
    return "-";
}

}  // namespace

namespace {

std::size_t display_width(const std::string& text) {
    // Continuation bytes (10xxxxxx) do not start a character.
    return std::size_t(std::count_if(text.begin(), text.end(), [](char ch) {
        return (static_cast<unsigned char>(ch) & 0xC0) != 0x80;
    }));
}

}  // namespace

void print_table(const std::vector<std::string>& header,
                 const std::vector<std::vector<std::string>>& rows, std::size_t numeric_from) {
    std::vector<std::size_t> widths(header.size());
    for (std::size_t c = 0; c < header.size(); ++c) {
        widths[c] = display_width(header[c]);
        for (const auto& row : rows) widths[c] = std::max(widths[c], display_width(row[c]));
    }
    auto print_row = [&](const std::vector<std::string>& row) {
        std::string line;
        for (std::size_t c = 0; c < row.size(); ++c) {
            const std::string pad(widths[c] - display_width(row[c]), ' ');
            if (c > 0)
                line += "  ";
            line += c >= numeric_from ? pad + row[c] : row[c] + pad;
        }
        while (!line.empty() && line.back() == ' ') line.pop_back();
        std::cout << line << '\n';
    };
    print_row(header);
    for (const auto& row : rows) print_row(row);
    std::cout << std::flush;
}

void print_job_table(const Context& context, const std::vector<Job>& jobs) {
    if (jobs.empty()) {
        note(context, "no jobs");
        return;
    }
    const auto now = libqueue::system_now();
    // A PRI column only when a job shown has a priority: most queues use none.
    const bool priorities =
        std::any_of(jobs.begin(), jobs.end(), [](const Job& job) { return job.priority != 0; });
    std::vector<std::string> header{"ID", "NAME", "QUEUE", "STATUS", "TRIES", "WHEN", "LAST ERROR"};
    if (priorities)
        header.insert(header.begin() + 3, "PRI");
    std::vector<std::vector<std::string>> rows;
    rows.reserve(jobs.size());
    for (const auto& job : jobs) {
        rows.push_back({job.id, job.name, job.queue, status_word(job.status),
                        fmt::format("{}/{}", job.attempts, job.max_retries + 1),
                        when_column(job, now),
                        job.last_error ? one_line(*job.last_error, 60) : ""});
        if (priorities)
            rows.back().insert(rows.back().begin() + 3, std::to_string(job.priority));
    }
    print_table(header, rows);
    std::cout << std::flush;
}

void print_jobs_json(const std::vector<Job>& jobs) {
    for (const auto& job : jobs) emit_json(libqueue::job_to_json(job));
}

// Rows other programs wrote may hold what q cannot read: they are shown as well as they could be
// read, and named on stderr so that nobody takes a default for the stored value.
void warn_unreadable(const Context& context, const std::vector<Job>& jobs) {
    for (const auto& job : jobs) {
        if (job.unreadable)
            note(context, "warning: job " + job.id + ": cannot read " + *job.unreadable);
    }
}

void print_jobs(const Context& context, const std::vector<Job>& jobs) {
    warn_unreadable(context, jobs);
    if (context.json()) {
        print_jobs_json(jobs);
    } else {
        print_job_table(context, jobs);
    }
}

void print_job_details(const Job& job, const std::vector<libqueue::AttemptLog>& history) {
    const auto now = libqueue::system_now();
    auto with_relative = [&](const std::optional<TimePoint>& t) {
        return t ? fmt::format("{} ({})", format_time(t), format_relative(*t, now)) : "-";
    };
    std::cout << fmt::format("id:           {}\n", job.id)
              << fmt::format("name:         {}\n", job.name)
              << fmt::format("queue:        {}\n", job.queue)
              << fmt::format("priority:     {}\n", job.priority)
              << fmt::format("status:       {}\n", status_word(job.status))
              << fmt::format("attempts:     {} of {} (max_retries {})\n", job.attempts,
                             job.max_retries + 1, job.max_retries)
              << fmt::format("created_at:   {}\n", with_relative(job.created_at))
              << fmt::format("available_at: {}\n", with_relative(job.available_at))
              << fmt::format("finished_at:  {}\n", with_relative(job.finished_at))
              << fmt::format("reserved_by:  {}\n", job.reserved_by.value_or("-"));
    std::string payload = job.payload;
    // A payload nested beyond the limit (a row another program wrote) is shown as stored.
    auto parsed = libqueue::json_depth_ok(job.payload)
                      ? nlohmann::json::parse(job.payload, nullptr, false)
                      : nlohmann::json(nlohmann::json::value_t::discarded);
    if (!parsed.is_discarded()) {
        payload = parsed.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
    }
    std::cout << "payload:      " << payload << '\n';
    if (!history.empty()) {
        std::cout << "attempts log:\n";
        print_attempt_history(history);
    }
    if (job.last_error) {
        // A completed job keeps the error of an earlier attempt: say which, so it does not
        // read as the job's outcome.
        std::cout << fmt::format("last_error:   (error of attempt {})\n",
                                 attempt_of_last_error(job, history));
        std::string text = *job.last_error;
        std::size_t start = 0;
        while (start < text.size()) {
            auto end = text.find('\n', start);
            if (end == std::string::npos)
                end = text.size();
            std::cout << "  " << text.substr(start, end - start) << '\n';
            start = end + 1;
        }
    } else {
        std::cout << "last_error:   -\n";
    }
    std::cout << std::flush;
}

void print_job(const Context& context, const Job& job,
               const std::vector<libqueue::AttemptLog>& history) {
    warn_unreadable(context, {job});
    if (context.json()) {
        auto out = libqueue::job_to_json(job);
        out["attempts_log"] = attempt_history_json(history);
        emit_json(out);
    } else {
        print_job_details(job, history);
    }
}

bool stdin_is_tty() {
    return ::isatty(STDIN_FILENO) == 1;
}
bool stderr_is_tty() {
    return ::isatty(STDERR_FILENO) == 1;
}

std::string average_run_text(const libqueue::Totals& totals) {
    const auto average = libqueue::average_processing_ms(totals);
    return average ? libqueue::format_duration(libqueue::Milliseconds(std::int64_t(*average)))
                   : "-";
}

std::string status_word(libqueue::Status status) {
    if (status == libqueue::Status::failed)
        return "dead";
    return std::string(libqueue::to_string(status));
}

bool confirm(const std::string& question, bool assume_yes, const std::string& what_for) {
    if (assume_yes)
        return true;
    if (!stdin_is_tty()) {
        throw libqueue::UsageError(what_for + ": not a terminal; pass --yes to confirm");
    }
    std::cerr << question << " [y/N] " << std::flush;
    std::string answer;
    if (!std::getline(std::cin, answer))
        return false;
    return answer == "y" || answer == "Y" || answer == "yes" || answer == "YES" || answer == "Yes";
}

std::string pause_line(const libqueue::Pause& pause) {
    return fmt::format("paused: {} since {} by {}{}", pause.queue, format_time(pause.since),
                       pause.by, pause.until ? " until " + format_time(pause.until) : "");
}

std::string operator_name() {
    std::string user = "?";
    if (const passwd* entry = ::getpwuid(::geteuid()); entry != nullptr && entry->pw_name)
        user = entry->pw_name;
    std::array<char, 256> host{};
    if (::gethostname(host.data(), host.size() - 1) != 0)
        return user;
    return user + "@" + host.data();
}

}  // namespace q
