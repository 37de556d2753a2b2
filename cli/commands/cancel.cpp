// q cancel: a pending job becomes a dead letter ("cancelled") instead of running.
#include <memory>

#include "commands/commands.hpp"
#include "job_ids.hpp"
#include "output.hpp"

namespace q {

void add_cancel_command(CLI::App& app, Context& context) {
    auto ids = std::make_shared<std::vector<std::string>>();
    auto* cmd = app.add_subcommand(
        "cancel",
        "Cancel pending jobs\n"
        "\n"
        "The job becomes failed with last_error \"cancelled\": it is kept with the dead letters, "
        "where q dlq retry can bring it back. Only pending jobs (due or delayed) can be "
        "cancelled; a job that is processing, completed or dead is left as it is. Each ID is a "
        "whole id or a unique prefix of at least 6 characters; every id is checked before any "
        "job is cancelled.");
    cmd->footer(
        "Examples:\n"
        "  q cancel 01JD3K8X2V6R4T9M0N5P7Q1W2E\n"
        "\n"
        "Output:\n"
        "\"cancelled ID\" on stdout; with --json {\"id\": ID, \"cancelled\": true}.\n"
        "\n"
        "Exit status:\n"
        "  0   cancelled\n"
        "  64  an id prefix matches several jobs (they are named)\n"
        "  65  a job is not pending (the message says its state): none cancelled\n"
        "  66  no job with that id");
    cmd->add_option("ID", *ids, "Job ids or unique prefixes")->required()->type_name("ID");
    cmd->callback([&context, ids] {
        auto& driver = context.driver();
        const auto jobs = resolve_jobs(driver, *ids, "cancel", context.queue_filter());
        const auto not_pending = [](const libqueue::Job& job) {
            return libqueue::DataError("cancel: job '" + job.id + "' is " +
                                       status_word(job.status) +
                                       ": only pending jobs can be cancelled");
        };
        for (const auto& job : jobs) {
            if (job.status != libqueue::Status::pending)
                throw not_pending(job);
        }
        for (const auto& job : jobs) {
            // A worker may have claimed it since it was read: then it runs, and q says so.
            if (!driver.cancel(job.id)) {
                auto now = driver.find(job.id);
                if (!now)
                    throw libqueue::NotFoundError("cancel: no job '" + job.id + "'");
                throw not_pending(*now);
            }
            if (context.json()) {
                emit_json({{"id", job.id}, {"cancelled", true}});
            } else {
                print_line("cancelled " + job.id);
            }
        }
    });
}

}  // namespace q
