// q show: one job, in any state.
#include <memory>

#include "commands/commands.hpp"
#include "output.hpp"

namespace q {

void add_show_command(CLI::App& app, Context& context) {
    auto id = std::make_shared<std::string>();
    auto* cmd = app.add_subcommand(
        "show",
        "Show one job: state, attempts, times, payload and last error\n"
        "\n"
        "Works for a job in any state: pending (due or delayed), processing, completed (until "
        "pruned, or deleted at once where queue.keep_completed is false) and failed (a dead "
        "letter). Times are UTC.");
    cmd->footer(
        "Examples:\n"
        "  q show 01JD3K8X2V6R4T9M0N5P7Q1W2E\n"
        "  q show --json 01JD3K8X2V6R4T9M0N5P7Q1W2E | jq -r .last_error\n"
        "\n"
        "Output:\n"
        "With --json, the job as one object: id, name, queue, status, attempts, max_retries,\n"
        "payload (parsed when it is JSON), last_error, created_at, available_at, finished_at\n"
        "and reserved_by, times as ISO 8601 text or null.\n"
        "\n"
        "Exit status:\n"
        "  0   shown\n"
        "  66  no job with that id");
    cmd->add_option("ID", *id, "The job id, as q push printed it")->required()->type_name("ID");
    cmd->callback([&context, id] {
        auto job = context.driver().find(*id);
        if (!job)
            throw libqueue::NotFoundError("show: no job '" + *id + "'");
        print_job(context, *job);
    });
}

}  // namespace q
