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

// A person reading the table must not take the first page for the whole queue; a script (not
// a terminal) asked for its --limit and gets no extra line.
void note_cut(Context& context, const libqueue::ListFilter& filter,
              const std::vector<libqueue::Job>& shown) {
    std::string more = "more";
    // Without --after, the state counts of q stats say how many: they count exactly the jobs
    // that status, queue and name select.
    if (!filter.after) {
        std::uint64_t total = 0;
        for (const auto& queue : context.driver().stats().queues) {
            if (filter.queue && queue.queue != *filter.queue)
                continue;
            if (filter.name) {
                if (auto it = queue.by_name.find(*filter.name); it != queue.by_name.end())
                    total += libqueue::jobs_in(it->second, filter.status);
            } else {
                total += libqueue::jobs_in(queue.counts, filter.status);
            }
        }
        if (total > shown.size())
            more = fmt::format("{} more", total - shown.size());
    }
    note(context, fmt::format("... {}; --limit 0 for all, or --after {} for the next page", more,
                              shown.back().id));
}

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
        "of a previous page. When --limit cut the list, a line on stderr says how many more "
        "there are (on a terminal only: scripts get exactly the rows they asked for).");
    cmd->footer(
        "Examples:\n"
        "  q list --status pending\n"
        "  q --queue emails list --name send_email --limit 20\n"
        "  q list --json --status dead | jq -r .id\n"
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
        ->check(count_validator())
        ->type_name("N")
        ->capture_default_str();
    cmd->add_option("--after", args->after, "Only jobs listed after job ID (the next page)")
        ->type_name("ID");
    cmd->callback([&context, args] {
        libqueue::ListFilter filter = job_filter(context, args->filter);
        if (!args->after.empty())
            filter.after = parse_after_option(context.driver(), args->after);
        // One row more than shown says whether the limit cut the list.
        filter.limit = args->limit == 0 ? 0 : args->limit + 1;
        auto jobs = context.driver().list(filter);
        const bool cut = args->limit != 0 && jobs.size() > args->limit;
        if (cut)
            jobs.resize(args->limit);
        print_jobs(context, jobs);
        if (cut && !context.json() && stderr_is_tty())
            note_cut(context, filter, jobs);
    });
}

}  // namespace q
