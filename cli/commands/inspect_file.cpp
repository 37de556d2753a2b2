// q inspect-file PATH: what a queue file holds, read once and never changed (libqueue/inspect.hpp).
#include <fmt/format.h>

#include <iostream>
#include <memory>

#include "commands/commands.hpp"
#include "libqueue/errors.hpp"
#include "libqueue/inspect.hpp"
#include "options.hpp"
#include "output.hpp"

namespace q {

namespace {

struct InspectArgs {
    std::string path;
    std::size_t limit = 50;
    std::string tz;
};

constexpr const char* description =
    "Show what a queue file holds, without changing it\n"
    "\n"
    "Reads PATH once, holding the file driver's lock (PATH.lock, shared) only for that read, and "
    "shows each job: name, id, queue, status, whether it is due (and when), attempts used of "
    "those allowed, the last error and the payload; then a summary by status and by name. Reads "
    "q's own queue files (queue.driver \"file\") and the Dart queue system's files: a JSON array "
    "of entries, or {\"jobs\": [...]} of them, each either {id, type, payload, scheduledAt, "
    "createdAt, attempts, maxRetries} or khadem's {id, jobType, payload, queuedAt, scheduledFor, "
    "attempts, status, metadata}. The Dart drivers write local time without a zone: such times "
    "are read in this machine's zone ($TZ, else /etc/localtime), or in --tz. q export's NDJSON "
    "is read too. An empty file is an empty queue. Entries that cannot be read are reported by "
    "their index; the rest are still "
    "shown.";

constexpr const char* footer =
    "Examples:\n"
    "  q inspect-file storage/queue/jobs.json\n"
    "  q inspect-file --limit 0 --json jobs.json | jq '.summary'\n"
    "  q inspect-file --tz Europe/Berlin /srv/app/storage/queue/jobs.json\n"
    "\n"
    "Output:\n"
    "With --json, one document: {path, layout (\"q-queue-file\", \"dart-array\",\n"
    "\"dart-object\", \"q-export\", \"empty\"), now, zone, zoneless_times, total, shown, jobs: "
    "[the job as\n"
    "q show --json prints it, whole payload included, plus entry, due, and dart_status and\n"
    "metadata where the file had them; created_at null when the entry gave none], problems:\n"
    "[{entry, error}], summary: {by_status, by_name}}.\n"
    "\n"
    "Exit status:\n"
    "  0   read (corrupt entries, if some others were readable, are listed as problems)\n"
    "  64  --tz names no zone the system's tz database knows\n"
    "  65  the file is not JSON, in no layout q knows, or not one entry could be read\n"
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
            return job.available_at ? "running, claimed " + format_relative(*job.available_at, now)
                                    : "running";
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
    if (inspection.zoneless_times > 0) {
        std::cout << fmt::format("times without a zone read as local time in {} (--tz to change)\n",
                                 inspection.zone);
    }
    std::size_t shown = 0;
    for (const auto& j : inspection.jobs) {
        if (limit != 0 && shown >= limit)
            break;
        ++shown;
        const auto& job = j.job;
        std::cout << fmt::format("\n{} {}\n", j.entry, job.name);
        std::cout << fmt::format("  id:        {}\n", job.id);
        std::cout << fmt::format("  queue:     {}\n", job.queue);
        std::cout << fmt::format("  status:    {}{}, {}\n", status_word(job.status),
                                 j.dart_status ? " (Dart: " + *j.dart_status + ")" : "",
                                 due_text(j, inspection.now));
        std::cout << fmt::format("  created:   {}\n",
                                 j.created_known ? format_time(job.created_at) : "-");
        std::cout << fmt::format("  attempts:  {}/{}\n", job.attempts, job.max_retries + 1);
        if (job.last_error)
            std::cout << fmt::format("  error:     {}\n", one_line(*job.last_error, 200));
        std::cout << fmt::format("  payload:   {}\n", one_line(job.payload, 200));
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
    auto inspection = libqueue::inspect_queue_file(args.path, libqueue::LocalZone(args.tz));
    if (context.json()) {
        emit_json(libqueue::inspection_to_json(inspection, args.limit));
    } else {
        print_human(context, inspection, args.limit);
    }
    if (inspection.jobs.empty() && !inspection.problems.empty()) {
        throw libqueue::DataError(fmt::format("{}: not one of its {} entries could be read",
                                              inspection.path.string(),
                                              inspection.problems.size()));
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
        ->check(count_validator())
        ->type_name("N")
        ->capture_default_str();
    cmd->add_option("--tz", args->tz,
                    "Read times written without a zone as local time in ZONE (default: this "
                    "machine's)")
        ->type_name("ZONE");
    cmd->callback([&context, args] { run_inspect(context, *args); });
}

}  // namespace q
