// q list: jobs by state, name and queue, oldest first.
#include <fmt/format.h>

#include <memory>

#include "commands/commands.hpp"
#include "job_filter.hpp"
#include "options.hpp"
#include "output.hpp"

namespace q {

namespace {

struct ListArgs {
    JobFilterArgs filter;
    std::size_t limit = 100;
    std::string after;
};

}  // namespace

void add_list_command(CLI::App& app, Context& context) {
    auto args = std::make_shared<ListArgs>();
    auto* cmd = app.add_subcommand(
        "list",
        "List jobs, oldest first\n"
        "\n"
        "Lists jobs of every queue, or of --queue when given, oldest first: by creation time, "
        "then id, so rows other programs wrote sit among q's by age. --status, --name and "
        "--queue narrow the list; --limit bounds it, and --after continues after the last id "
        "of a previous page.");
    cmd->footer(
        "Examples:\n"
        "  q list --status pending\n"
        "  q --queue emails list --name send_email --limit 20\n"
        "  q list --json --status failed | jq -r .id\n"
        "\n"
        "Output:\n"
        "A table (ID NAME QUEUE STATUS TRIES WHEN LAST ERROR); with --json one job per line,\n"
        "each as q show --json prints it.\n"
        "\n"
        "Exit status:\n"
        "  0   listed (also when no job matches)\n"
        "  64  bad option (unknown status)\n"
        "  66  --after names no stored job");
    add_job_filter_options(cmd, args->filter);
    cmd->add_option("--limit", args->limit, "At most N jobs; 0 for all")
        ->check(CLI::NonNegativeNumber)
        ->type_name("N")
        ->capture_default_str();
    cmd->add_option("--after", args->after, "Only jobs listed after job ID (the next page)")
        ->type_name("ID");
    cmd->callback([&context, args] {
        libqueue::ListFilter filter = job_filter(context, args->filter);
        filter.limit = args->limit;
        if (!args->after.empty())
            filter.after = parse_after_option(context.driver(), args->after);
        print_jobs(context, context.driver().list(filter));
    });
}

}  // namespace q
