// q show: one job, in any state.
#include <memory>

#include "attempt_output.hpp"
#include "commands/commands.hpp"
#include "job_ids.hpp"
#include "output.hpp"

namespace q {

void add_show_command(CLI::App& app, Context& context) {
    auto ids = std::make_shared<std::vector<std::string>>();
    auto* cmd = app.add_subcommand(
        "show",
        "Show jobs: state, attempts, times, payload and last error\n"
        "\n"
        "Each ID is a whole id or a unique prefix of at least 6 characters. Several ids show "
        "several jobs, in the order given (a blank line between them; with --json one per "
        "line); if one is unknown, none is shown. "
        "Works for a job in any state: pending (due or delayed), processing, completed (until "
        "pruned, or deleted at once where queue.keep_completed is false) and failed (a dead "
        "letter). Times are UTC. Where workers keep logs (queue.logs), every attempt is "
        "listed: when it started, its worker, how long it took, its exit status and outcome, "
        "and the first line of its error (q log prints its whole output).");
    cmd->footer(
        "Examples:\n"
        "  q show 01JD3K8X2V6R4T9M0N5P7Q1W2E\n"
        "  q show --json 01JD3K8X2V6R4T9M0N5P7Q1W2E | jq -r .last_error\n"
        "\n"
        "Output:\n"
        "With --json, the job as one object: id, name, queue, status, attempts, max_retries,\n"
        "payload (parsed when it is JSON), last_error, created_at, available_at, finished_at\n"
        "and reserved_by, times as ISO 8601 text or null; attempts_log, one object per attempt\n"
        "(attempt, worker, started_at, ended_at, duration_ms, outcome, exit_status, error).\n"
        "\n"
        "Exit status:\n"
        "  0   shown\n"
        "  64  an id prefix matches several jobs (they are named)\n"
        "  66  no job with that id");
    cmd->add_option("ID", *ids, "Job ids, as q push printed them, or unique prefixes")
        ->required()
        ->type_name("ID");
    cmd->callback([&context, ids] {
        const auto jobs = resolve_jobs(context.driver(), *ids, "show", context.queue_filter());
        for (std::size_t i = 0; i < jobs.size(); ++i) {
            if (i > 0 && !context.json())
                print_line("");
            print_job(context, jobs[i], attempt_logs_if_kept(context.driver(), jobs[i].id));
        }
    });
}

}  // namespace q
