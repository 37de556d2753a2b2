// q size: how many jobs wait, in every queue or in --queue.
#include <memory>

#include "commands/commands.hpp"
#include "known_queues.hpp"
#include "output.hpp"

namespace q {

void add_size_command(CLI::App& app, Context& context) {
    auto allow_empty = std::make_shared<bool>(false);
    auto* cmd = app.add_subcommand(
        "size",
        "Print how many jobs are pending\n"
        "\n"
        "Counts pending jobs, due and delayed, of every queue, or of --queue; processing, "
        "completed and dead jobs are not counted (see q stats for those). A --queue the "
        "backend has never seen is an error (exit 66), so that a typo does not read as an "
        "empty queue; --allow-empty accepts it.");
    cmd->footer(
        "Examples:\n"
        "  q size\n"
        "  q --queue emails size\n"
        "\n"
        "Output:\n"
        "The number on stdout; with --json {\"queue\": NAME or null for all, \"size\": N}.\n"
        "\n"
        "Exit status:\n"
        "  0   printed\n"
        "  66  --queue names a queue that never held a job\n"
        "  69  the backend cannot be reached");
    cmd->add_flag("--allow-empty", *allow_empty, allow_empty_help);
    cmd->callback([&context, allow_empty] {
        auto& driver = context.driver();
        std::uint64_t size = 0;
        nlohmann::json queue = nullptr;
        if (context.options.queue) {
            const auto name = context.queue();
            size = driver.size(name);
            if (size == 0)
                require_known_queues(driver, {name}, *allow_empty);
            queue = name;
        } else {
            for (const auto& queue : driver.stats().queues)
                size += libqueue::jobs_in(queue.counts, libqueue::Status::pending);
        }
        if (context.json()) {
            emit_json({{"queue", queue}, {"size", size}});
        } else {
            print_line(std::to_string(size));
        }
    });
}

}  // namespace q
