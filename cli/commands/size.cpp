// q size: how many jobs wait in a queue.
#include "commands/commands.hpp"
#include "output.hpp"

namespace q {

void add_size_command(CLI::App& app, Context& context) {
    auto* cmd = app.add_subcommand(
        "size",
        "Print how many jobs are pending in the queue\n"
        "\n"
        "Counts pending jobs of --queue (default: default), due and delayed; processing, "
        "completed and failed jobs are not counted (see q stats for those).");
    cmd->footer(
        "Examples:\n"
        "  q size\n"
        "  q --queue emails size\n"
        "\n"
        "Output:\n"
        "The number on stdout; with --json {\"queue\": NAME, \"size\": N}.\n"
        "\n"
        "Exit status:\n"
        "  0   printed\n"
        "  69  the backend cannot be reached");
    cmd->callback([&context] {
        const auto queue = context.queue();
        const auto size = context.driver().size(queue);
        if (context.json()) {
            emit_json({{"queue", queue}, {"size", size}});
        } else {
            print_line(std::to_string(size));
        }
    });
}

}  // namespace q
