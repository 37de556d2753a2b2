// q pause: stop workers on every host from claiming a queue's jobs, until q resume (or --for).
#include <fmt/format.h>

#include <memory>

#include "commands/commands.hpp"
#include "libqueue/pauses.hpp"
#include "libqueue/registry.hpp"
#include "options.hpp"
#include "output.hpp"
#include "queue_argument.hpp"

namespace q {

namespace {

struct PauseArgs {
    std::string queue;
    std::string length;
};

}  // namespace

void add_pause_command(CLI::App& app, Context& context) {
    auto args = std::make_shared<PauseArgs>();
    auto* cmd = app.add_subcommand(
        "pause",
        "Stop workers from claiming a queue's jobs\n"
        "\n"
        "A paused queue still takes pushes, and jobs already running finish; no worker, on any "
        "host, claims from it until q resume (or until --for has passed). The pause is stored in "
        "the backend: workers see it within a second. q stats shows paused queues. Pausing a "
        "paused queue replaces its pause (a new --for, or none).");
    cmd->footer(
        "Examples:\n"
        "  q pause emails\n"
        "  q pause emails --for 30m\n"
        "\n"
        "Output:\n"
        "\"paused QUEUE\" (and until when) on stdout; with --json the pause: {\"queue\",\n"
        "\"since\", \"until\" (null: until resumed), \"by\" (user@host)}.\n"
        "\n"
        "Exit status:\n"
        "  0   paused\n"
        "  64  no queue named, or a driver that keeps nothing between processes (sync, memory)\n"
        "  65  a queue name that cannot be one (empty, control characters, too long)");
    cmd->add_option("QUEUE", args->queue, "The queue (or --queue)")->type_name("QUEUE");
    cmd->add_option("--for", args->length, "End the pause by itself after DURATION")
        ->type_name("DURATION");
    cmd->callback([&context, args] {
        libqueue::require_stored_jobs(context.config().driver);
        const auto queue = queue_argument(context, args->queue, "pause");
        std::optional<libqueue::Milliseconds> length;
        if (!args->length.empty())
            length = parse_duration_option("--for", args->length);
        auto& driver = context.driver();
        libqueue::pause_queue(driver, queue, length, operator_name());
        std::optional<libqueue::Pause> pause;
        for (const auto& p : libqueue::paused_queues(driver)) {
            if (p.queue == queue)
                pause = p;
        }
        if (context.json()) {
            if (pause)
                emit_json(pause->to_json());
            return;
        }
        print_line(pause && pause->until
                       ? fmt::format("paused {} until {}", queue, format_time(pause->until))
                       : "paused " + queue);
    });
}

}  // namespace q
