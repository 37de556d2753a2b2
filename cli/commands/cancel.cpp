// q cancel: a pending job becomes a dead letter ("cancelled") instead of running.
#include <memory>

#include "commands/commands.hpp"
#include "output.hpp"

namespace q {

void add_cancel_command(CLI::App& app, Context& context) {
    auto id = std::make_shared<std::string>();
    auto* cmd = app.add_subcommand(
        "cancel",
        "Cancel a pending job\n"
        "\n"
        "The job becomes failed with last_error \"cancelled\": it is kept with the dead letters, "
        "where q dlq retry can bring it back. Only pending jobs (due or delayed) can be "
        "cancelled; a job that is processing, completed or failed is left as it is.");
    cmd->footer(
        "Examples:\n"
        "  q cancel 01JD3K8X2V6R4T9M0N5P7Q1W2E\n"
        "\n"
        "Output:\n"
        "\"cancelled ID\" on stdout; with --json {\"id\": ID, \"cancelled\": true}.\n"
        "\n"
        "Exit status:\n"
        "  0   cancelled\n"
        "  65  the job is not pending (the message says its state)\n"
        "  66  no job with that id");
    cmd->add_option("ID", *id, "The job id")->required()->type_name("ID");
    cmd->callback([&context, id] {
        auto& driver = context.driver();
        if (!driver.cancel(*id)) {
            auto job = driver.find(*id);
            if (!job)
                throw libqueue::NotFoundError("cancel: no job '" + *id + "'");
            throw libqueue::DataError("cancel: job '" + *id + "' is " + status_word(job->status) +
                                      ": only pending jobs can be cancelled");
        }
        if (context.json()) {
            emit_json({{"id", *id}, {"cancelled", true}});
        } else {
            print_line("cancelled " + *id);
        }
    });
}

}  // namespace q
