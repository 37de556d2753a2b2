// q inspect-file PATH: what a queue file holds, read once and never changed (libqueue/inspect.hpp).
#include <fmt/format.h>

#include <iostream>
#include <memory>

#include "commands/commands.hpp"
#include "libqueue/inspect.hpp"
#include "output.hpp"

namespace q {

namespace {

struct InspectArgs {
    std::string path;
    std::size_t limit = 50;
};

constexpr const char* description =
    "Show what a queue file holds, without changing it\n"
    "\n"
    "Reads PATH once, holding the file driver's lock (PATH.lock, shared) only for that read, and "
    "shows each job: name, id, queue, status, whether it is due (and when), attempts used of "
    "those allowed, and the last error; then a summary by status and by name. Reads q's own "
    "queue files (queue.driver \"file\") and the Dart queue system's files: a JSON array of "
    "{id, type, payload, scheduledAt, createdAt, attempts, maxRetries}, or {\"jobs\": [...]} of "
    "the same. Entries that cannot be read are reported by their index; the rest are still shown.";

constexpr const char* footer =
    "Examples:\n"
    "  q inspect-file storage/queue/jobs.json\n"
    "  q inspect-file --limit 0 --json jobs.json | jq '.summary'\n"
    "\n"
    "Output:\n"
    "With --json, one document: {path, layout (\"q-queue-file\", \"dart-array\",\n"
    "\"dart-object\"), now, total, shown, jobs: [the job as q show --json prints it, plus entry\n"
    "and due], problems: [{entry, error}], summary: {by_status, by_name}}.\n"
    "\n"
    "Exit status:\n"
    "  0   read (corrupt entries, if any, are listed as problems)\n"
    "  65  the file is not JSON, or in no layout q knows\n"
    "  66  no such file";

std::string due_text(const libqueue::InspectedJob& j, libqueue::TimePoint now) {
    const auto& job = j.job;
    switch (job.status) {
        case libqueue::Status::pending:
            if (!job.available_at)
                return "due now";
            return j.due ? "due since " + format_relative(*job.available_at, now)
                         : "not due, runs " + format_relative(*job.available_at, now) + " (" +
                               format_time(job.available_at) + ")";
        case libqueue::Status::processing:
            return "running, claimed " + format_relative(*job.available_at, now);
        case libqueue::Status::completed:
        case libqueue::Status::failed:
            return "finished " + (job.finished_at ? format_relative(*job.finished_at, now) : "-");
    }
    return "";
}

void print_human(const Context& context, const libqueue::FileInspection& inspection,
                 std::size_t limit) {
    std::cout << fmt::format("{} ({}): {} job{}\n", inspection.path.string(),
                             libqueue::to_string(inspection.layout), inspection.jobs.size(),
                             inspection.jobs.size() == 1 ? "" : "s");
    std::size_t shown = 0;
    for (const auto& j : inspection.jobs) {
        if (limit != 0 && shown >= limit)
            break;
        ++shown;
        const auto& job = j.job;
        std::cout << fmt::format("\n{} {}\n", j.entry, job.name);
        std::cout << fmt::format("  id:        {}\n", job.id);
        std::cout << fmt::format("  queue:     {}\n", job.queue);
        std::cout << fmt::format("  status:    {}, {}\n", libqueue::to_string(job.status),
                                 due_text(j, inspection.now));
        std::cout << fmt::format("  attempts:  {}/{}\n", job.attempts, job.max_retries + 1);
        if (job.last_error)
            std::cout << fmt::format("  error:     {}\n", one_line(*job.last_error, 200));
    }
    if (shown < inspection.jobs.size()) {
        std::cout << fmt::format("\n... and {} more (--limit 0 shows all)\n",
                                 inspection.jobs.size() - shown);
    }
    auto summary = libqueue::summarize(inspection);
    std::cout << "\nby status:";
    if (summary.by_status.empty())
        std::cout << " (none)";
    for (const auto& [status, n] : summary.by_status) std::cout << fmt::format(" {} {}", status, n);
    std::cout << '\n';
    if (!summary.by_name.empty())
        std::cout << "by name:\n";
    for (const auto& [name, counts] : summary.by_name) {
        std::cout << "  " << name << ':';
        for (const auto& [status, n] : counts) std::cout << fmt::format(" {} {}", status, n);
        std::cout << '\n';
    }
    if (!inspection.problems.empty()) {
        std::cout << fmt::format("\n{} unreadable entr{}:\n", inspection.problems.size(),
                                 inspection.problems.size() == 1 ? "y" : "ies");
        for (const auto& p : inspection.problems) {
            std::cout << fmt::format("  {}: {}\n", p.entry, p.error);
        }
    }
    (void)context;
}

void run_inspect(Context& context, const InspectArgs& args) {
    auto inspection = libqueue::inspect_queue_file(args.path);
    if (context.json()) {
        emit_json(libqueue::inspection_to_json(inspection, args.limit));
    } else {
        print_human(context, inspection, args.limit);
    }
    if (!inspection.problems.empty()) {
        note(context, fmt::format("{} entr{} could not be read", inspection.problems.size(),
                                  inspection.problems.size() == 1 ? "y" : "ies"));
    }
}

}  // namespace

void add_inspect_file_command(CLI::App& app, Context& context) {
    auto args = std::make_shared<InspectArgs>();
    auto* cmd = app.add_subcommand("inspect-file", description);
    cmd->footer(footer);
    cmd->add_option("PATH", args->path, "The queue file")->required()->type_name("PATH");
    cmd->add_option("--limit", args->limit, "Show at most N jobs (0: all); the summary counts all")
        ->check(CLI::NonNegativeNumber)
        ->type_name("N")
        ->capture_default_str();
    cmd->callback([&context, args] { run_inspect(context, *args); });
}

}  // namespace q
