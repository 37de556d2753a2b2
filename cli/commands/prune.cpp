// q prune: delete old finished jobs, in batches so a huge table never locks for long.
#include <fmt/format.h>

#include <memory>

#include "commands/commands.hpp"
#include "options.hpp"
#include "output.hpp"

namespace q {

namespace {

constexpr std::size_t batch_size = 1000;

struct PruneArgs {
    std::string older_than;
};

}  // namespace

void add_prune_command(CLI::App& app, Context& context) {
    auto args = std::make_shared<PruneArgs>();
    auto* cmd = app.add_subcommand(
        "prune",
        "Delete completed and dead jobs that finished long enough ago\n"
        "\n"
        "Deletes completed and failed jobs whose finished_at is older than --older-than, in "
        "batches of 1000 (each its own transaction), across all queues. Pending and processing "
        "jobs are never touched. The lifetime totals of q stats are kept.");
    cmd->footer(
        "Examples:\n"
        "  q prune --older-than 7d\n"
        "\n"
        "Output:\n"
        "\"pruned N jobs\" on stdout; with --json {\"deleted\": N}.\n"
        "\n"
        "Exit status:\n"
        "  0   pruned (also when nothing was old enough)\n"
        "  64  missing or bad --older-than");
    cmd->add_option("--older-than", args->older_than,
                    "Delete jobs that finished more than DURATION ago")
        ->required()
        ->type_name("DURATION");
    cmd->callback([&context, args] {
        const auto older_than = parse_duration_option("--older-than", args->older_than);
        auto& driver = context.driver();
        std::uint64_t total = 0;
        for (;;) {
            const auto deleted = driver.prune(older_than, batch_size);
            total += deleted;
            if (deleted < batch_size)
                break;
            debug(context, 1, fmt::format("pruned {} so far", total));
        }
        if (context.json()) {
            emit_json({{"deleted", total}});
        } else {
            print_line(fmt::format("pruned {} job{}", total, total == 1 ? "" : "s"));
        }
    });
}

}  // namespace q
