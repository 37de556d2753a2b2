// q migrate: create the configured driver's tables where they are missing; with --indexes, add
// q's recommended indexes to an existing table, with --priorities q's priority column, with
// --counts the triggers that count its settled rows. Nothing else about an existing table changes.
#include <memory>

#include "commands/commands.hpp"
#include "output.hpp"

namespace q {

void add_migrate_command(CLI::App& app, Context& context) {
    auto* cmd = app.add_subcommand(
        "migrate",
        "Create the queue's tables where they are missing\n"
        "\n"
        "PostgreSQL: creates the jobs table (the Dart queue system's kronix_jobs layout, with its "
        "index and "
        "q's recommended indexes) when it does not exist, and q's side tables (unique keys, "
        "totals, schema version). An existing jobs table is never changed unless --indexes "
        "asks for q's recommended indexes (built CONCURRENTLY, so workers keep running). "
        "Drivers without a schema have nothing to do. With queue.postgres.auto_migrate (the "
        "default) the first command does the same, without --indexes.\n"
        "\n"
        "Priorities (q push --priority) need q's own column q_priority in the jobs table: q adds "
        "it to the tables it creates (PostgreSQL and SQLite) and never to a table another "
        "program made, unless --priorities asks for it (with its index; the column has a "
        "constant default, so no row is rewritten and the Dart queue system's programs, which "
        "name their columns, go on as before). Restart running workers afterwards: they look for "
        "the column when they start.\n"
        "\n"
        "Counts (PostgreSQL): q stats reads the pending and processing rows and takes the number "
        "of completed and dead ones (cancelled included) from q's counts table, kept by triggers "
        "on the jobs table, so it stays fast however many finished jobs the table keeps. q adds "
        "them to the tables it creates; --counts adds them to an existing table, counting its "
        "rows once (pushes and completions wait meanwhile: 1.7 s for 5 million rows on a small "
        "machine). The triggers count every program's writes, the Dart queue system's too; their "
        "function runs with the rights of the role that ran q migrate. Without them q stats reads "
        "every row. On a table whose insert trigger an older q made row by row, --counts "
        "replaces the triggers and keeps the counts.");
    auto indexes = std::make_shared<bool>(false);
    cmd->add_flag("--indexes", *indexes,
                  "also add q's recommended indexes to an existing jobs table");
    auto priorities = std::make_shared<bool>(false);
    cmd->add_flag("--priorities", *priorities,
                  "also add q's priority column (and its index) to an existing jobs table");
    auto counts = std::make_shared<bool>(false);
    cmd->add_flag("--counts", *counts,
                  "also keep counts of an existing jobs table's finished rows, for q stats");
    cmd->footer(
        "Examples:\n"
        "  q migrate\n"
        "  q migrate --indexes\n"
        "  q migrate --priorities\n"
        "  q migrate --counts\n"
        "\n"
        "Output:\n"
        "One line per action on stdout (\"created table kronix_jobs\"); with --json\n"
        "{\"driver\": NAME, \"actions\": [...]}.\n"
        "\n"
        "Exit status:\n"
        "  0   done (or nothing to do)\n"
        "  69  the backend cannot be reached\n"
        "  78  the config is wrong, or the existing table lacks a kronix_jobs column");
    cmd->callback([&context, indexes, priorities, counts] {
        libqueue::MigrateOptions options;
        options.indexes = *indexes;
        options.priorities = *priorities;
        options.counts = *counts;
        auto& driver = context.driver();
        const auto actions = driver.migrate(options);
        if (context.json()) {
            nlohmann::json document = {{"driver", driver.name()}, {"actions", actions}};
            emit_json(document);
            return;
        }
        for (const auto& action : actions) print_line(action);
        if (actions.empty())
            note(context, "nothing to do: the " + driver.name() + " storage is up to date");
    });
}

}  // namespace q
