// q export: every job as NDJSON, for a backup or a move to another driver (q import-file and
// q push --batch read it back).
#include <fmt/format.h>

#include <memory>

#include "commands/commands.hpp"
#include "job_filter.hpp"
#include "output.hpp"

namespace q {

namespace {

// Jobs are read a page at a time, so an export of any size holds one page in memory; in id
// order, so that each page starts where the last ended in an index every backend keeps (list
// order has none, and every page would be a scan of the whole store).
constexpr std::size_t kPage = 1000;

}  // namespace

void add_export_command(CLI::App& app, Context& context) {
    auto args = std::make_shared<JobFilterArgs>();
    auto* cmd = app.add_subcommand(
        "export",
        "Write every job as NDJSON, to back up a queue or move it\n"
        "\n"
        "Writes the jobs of every queue, or of --queue, in id order (for jobs q pushed, oldest "
        "first), one JSON object per line as q show --json prints a job; --status and --name "
        "narrow them. The store is read a page at a time along its id index, so the time taken "
        "grows with the number of jobs and memory stays flat. q import-file reads "
        "the file back into the configured driver, keeping ids, attempts and due times; "
        "q push --batch reads it too (the jobs still to run).");
    cmd->footer(
        "Examples:\n"
        "  q export > backup.ndjson\n"
        "  q export --status pending | gzip > pending.ndjson.gz\n"
        "  q --config old.json export --status pending > jobs.ndjson && \\\n"
        "    q --config new.json import-file jobs.ndjson\n"
        "\n"
        "Output:\n"
        "One job per line on stdout: {\"id\", \"name\", \"queue\", \"status\", \"attempts\",\n"
        "\"max_retries\", \"payload\", \"last_error\", \"created_at\", \"available_at\",\n"
        "\"finished_at\", \"reserved_by\"}.\n"
        "\n"
        "Exit status:\n"
        "  0   written (also when no job matches)\n"
        "  64  bad option (unknown status)\n"
        "  69  the backend cannot be reached");
    add_job_filter_options(cmd, *args);
    cmd->callback([&context, args] {
        libqueue::ListFilter filter = job_filter(context, *args);
        filter.limit = kPage;
        filter.order = libqueue::ListOrder::id;
        auto& driver = context.driver();
        std::uint64_t written = 0;
        for (;;) {
            auto page = driver.list(filter);
            print_jobs_json(page);
            written += page.size();
            if (page.size() < kPage)
                break;
            filter.after = libqueue::list_position(page.back());
        }
        note(context, fmt::format("exported {} job{}", written, written == 1 ? "" : "s"));
    });
}

}  // namespace q
