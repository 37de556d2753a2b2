// q clear: empty a queue (everything but running jobs). Destructive, so it asks first.
#include <fmt/format.h>

#include <memory>

#include "commands/commands.hpp"
#include "known_queues.hpp"
#include "output.hpp"
#include "progress.hpp"
#include "queue_argument.hpp"

namespace q {

namespace {

struct ClearArgs {
    std::string queue;
    bool yes = false;
    bool allow_empty = false;
};

}  // namespace

void add_clear_command(CLI::App& app, Context& context) {
    auto args = std::make_shared<ClearArgs>();
    auto* cmd = app.add_subcommand(
        "clear",
        "Delete every job of a queue that is not running\n"
        "\n"
        "Deletes the pending, completed and dead jobs of QUEUE (or --queue); processing jobs "
        "are left to finish. It asks for confirmation on a terminal; without a terminal "
        "(scripts, cron) it refuses unless --yes is given. A queue the backend has never seen "
        "is an error (exit 66), unless --allow-empty.");
    cmd->footer(
        "Examples:\n"
        "  q clear emails\n"
        "  q clear --yes default\n"
        "\n"
        "Output:\n"
        "\"deleted N jobs from queue NAME\" on stdout; with --json {\"queue\": NAME,\n"
        "\"deleted\": N}.\n"
        "\n"
        "Exit status:\n"
        "  0   cleared\n"
        "  1   not confirmed: nothing deleted\n"
        "  64  no terminal to ask and no --yes: nothing deleted\n"
        "  66  no such queue: nothing deleted");
    cmd->add_option("QUEUE", args->queue, "The queue to empty (default: --queue)")
        ->type_name("QUEUE");
    cmd->add_flag("-y,--yes", args->yes, "Do not ask");
    cmd->add_flag("--allow-empty", args->allow_empty, allow_empty_help);
    cmd->callback([&context, args] {
        const auto queue = queue_argument(context, args->queue, "clear");
        auto& driver = context.driver();
        const auto pending = driver.size(queue);
        if (pending == 0)
            require_known_queues(driver, {queue}, args->allow_empty);
        const bool confirmed =
            confirm(fmt::format("Delete all {} pending and every finished job of queue '{}'?",
                                pending, queue),
                    args->yes, "clear: refusing to delete without confirmation");
        if (!confirmed) {
            note(context, "nothing deleted");
            context.exit_code = 1;
            return;
        }
        const auto deleted = [&] {
            WaitLine clearing(context, fmt::format("clearing queue {}", queue));
            return driver.clear(queue);
        }();
        if (context.json()) {
            emit_json({{"queue", queue}, {"deleted", deleted}});
        } else {
            print_line(fmt::format("deleted {} job{} from queue {}", deleted,
                                   deleted == 1 ? "" : "s", queue));
        }
    });
}

}  // namespace q
