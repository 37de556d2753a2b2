// q resume: let workers claim a paused queue's jobs again (q pause).
#include <memory>

#include "commands/commands.hpp"
#include "libqueue/pauses.hpp"
#include "libqueue/registry.hpp"
#include "output.hpp"
#include "queue_argument.hpp"

namespace q {

void add_resume_command(CLI::App& app, Context& context) {
    auto queue_arg = std::make_shared<std::string>();
    auto* cmd = app.add_subcommand(
        "resume",
        "Let workers claim a paused queue's jobs again\n"
        "\n"
        "Ends the pause of q pause: workers on every host claim from the queue again within a "
        "second. Resuming a queue that is not paused changes nothing and says so.");
    cmd->footer(
        "Examples:\n"
        "  q resume emails\n"
        "\n"
        "Output:\n"
        "\"resumed QUEUE\" on stdout (\"QUEUE was not paused\" on stderr when it was not); with\n"
        "--json {\"queue\", \"resumed\": true|false}.\n"
        "\n"
        "Exit status:\n"
        "  0   resumed, or not paused\n"
        "  64  no queue named, or a driver that keeps nothing between processes (sync, memory)");
    cmd->add_option("QUEUE", *queue_arg, "The queue (or --queue)")->type_name("QUEUE");
    cmd->callback([&context, queue_arg] {
        libqueue::require_stored_jobs(context.config().driver);
        const auto queue = queue_argument(context, *queue_arg, "resume");
        const bool resumed = libqueue::resume_queue(context.driver(), queue);
        if (context.json()) {
            emit_json({{"queue", queue}, {"resumed", resumed}});
        } else if (resumed) {
            print_line("resumed " + queue);
        } else {
            note(context, queue + " was not paused");
        }
    });
}

}  // namespace q
