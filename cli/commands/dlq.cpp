// q dlq: the dead letters (failed jobs): list, show, retry, clear. Every pass over them goes in
// pages, so a million dead jobs never sit in memory at once.
#include <fmt/format.h>

#include <algorithm>
#include <iostream>
#include <memory>
#include <optional>

#include "attempt_output.hpp"
#include "commands/commands.hpp"
#include "job_ids.hpp"
#include "options.hpp"
#include "output.hpp"
#include "progress.hpp"

namespace q {

namespace {

using libqueue::Job;
using libqueue::ListFilter;
using libqueue::Status;

constexpr std::size_t default_batch_size = 1000;

struct DlqArgs {
    // list
    std::string name;
    std::size_t limit = 100;
    std::string after;
    // show, retry
    std::vector<std::string> ids;
    bool all = false;
    // clear
    std::string older_than;
    bool yes = false;
    // every pass
    std::size_t batch_size = default_batch_size;
};

std::string jobs_word(std::uint64_t n) {
    return n == 1 ? "job" : "jobs";
}

// The dead letters --name and --queue select.
ListFilter dead_filter(Context& context, const DlqArgs& args) {
    ListFilter filter;
    filter.status = Status::failed;
    if (!args.name.empty())
        filter.name = args.name;
    if (context.options.queue)
        filter.queue = context.queue();
    filter.limit = args.batch_size;
    return filter;
}

// Rows as they come, page by page: the widths of the first page set the columns, so output
// starts at once and memory stays one page.
class DeadTable {
  public:
    void add_page(const std::vector<Job>& jobs, libqueue::TimePoint now) {
        std::vector<std::vector<std::string>> rows;
        for (const auto& job : jobs) {
            rows.push_back({job.id, job.name, job.queue, std::to_string(job.attempts),
                            job.finished_at ? format_relative(*job.finished_at, now) : "-",
                            job.last_error ? one_line(*job.last_error, 60) : ""});
        }
        if (widths_.empty()) {
            const std::vector<std::string> header{"ID",       "NAME",     "QUEUE",
                                                  "ATTEMPTS", "FINISHED", "LAST ERROR"};
            widths_.resize(header.size());
            for (std::size_t c = 0; c < header.size(); ++c) {
                widths_[c] = header[c].size();
                for (const auto& row : rows) widths_[c] = std::max(widths_[c], row[c].size());
            }
            print(header);
        }
        for (const auto& row : rows) print(row);
        std::cout << std::flush;
    }

  private:
    void print(const std::vector<std::string>& row) {
        std::string line;
        for (std::size_t c = 0; c < row.size(); ++c) {
            line += c + 1 == row.size() ? row[c] : fmt::format("{:<{}}  ", row[c], widths_[c]);
        }
        while (!line.empty() && line.back() == ' ') line.pop_back();
        std::cout << line << '\n';
    }

    std::vector<std::size_t> widths_;
};

void run_list(Context& context, const DlqArgs& args) {
    auto& driver = context.driver();
    ListFilter filter = dead_filter(context, args);
    if (!args.after.empty())
        filter.after = parse_after_option(driver, args.after);
    const auto now = driver.now();
    DeadTable table;
    std::uint64_t shown = 0;
    bool more = false;
    for (;;) {
        std::size_t want = args.batch_size;
        if (args.limit != 0)
            want = std::min<std::size_t>(want, args.limit - shown);
        // One row beyond the limit tells whether there is more to say so.
        const bool last_page = args.limit != 0 && shown + want == args.limit;
        filter.limit = last_page ? want + 1 : want;
        auto page = driver.list(filter);
        if (last_page && page.size() > want) {
            page.resize(want);
            more = true;
        }
        if (page.empty())
            break;
        if (context.json()) {
            print_jobs_json(page);
        } else {
            table.add_page(page, now);
        }
        shown += page.size();
        filter.after = libqueue::list_position(page.back());
        if (last_page || page.size() < want)
            break;
    }
    if (shown == 0)
        note(context, "no dead jobs");
    if (more) {
        note(context, fmt::format("showing the first {}; more with --limit 0, or --after {}", shown,
                                  filter.after->id));
    }
}

// The dead job `id` names (a whole id or a unique prefix), in `queue` when --queue is given.
Job find_dead(libqueue::QueueDriver& driver, const std::string& id,
              const std::optional<std::string>& queue) {
    std::optional<Job> job;
    try {
        job = resolve_job(driver, id, "dlq", queue);
    } catch (const libqueue::NotFoundError&) {
    }
    if (!job || job->status != Status::failed) {
        throw libqueue::NotFoundError("dlq: no dead job " + libqueue::quoted(id));
    }
    return *job;
}

void run_show(Context& context, const DlqArgs& args) {
    const auto job = find_dead(context.driver(), args.ids.front(), context.queue_filter());
    print_job(context, job, attempt_logs_if_kept(context.driver(), job.id));
}

void print_count(Context& context, const std::string& key, const std::string& verb,
                 std::uint64_t n) {
    if (context.json()) {
        emit_json({{key, n}});
    } else {
        print_line(fmt::format("{} {} dead {}", verb, n, jobs_word(n)));
    }
}

void run_retry(Context& context, const DlqArgs& args) {
    if (args.all == !args.ids.empty()) {
        throw libqueue::UsageError("dlq retry: give job ids or --all, not both or neither");
    }
    if (!args.all && (!args.name.empty())) {
        throw libqueue::UsageError(
            "dlq retry: --name selects jobs for --all; with ids it is not used");
    }
    auto& driver = context.driver();
    std::uint64_t retried = 0;
    if (args.all) {
        const ListFilter filter = dead_filter(context, args);
        Progress progress(context, "retried", std::nullopt);
        // Retried jobs leave the dead letters, so each page starts from the front again.
        for (;;) {
            const auto n = driver.retry_dead_matching(filter);
            retried += n;
            progress.advance(n);
            if (n < filter.limit)
                break;
            debug(context, 1, fmt::format("retried {} so far", retried));
        }
    } else {
        // Every id is checked before any is retried: one typo changes nothing.
        std::vector<std::string> ids;
        const auto queue = context.queue_filter();
        for (const auto& id : args.ids) ids.push_back(find_dead(driver, id, queue).id);
        for (const auto& id : ids) {
            if (!driver.retry_dead(id)) {
                throw libqueue::NotFoundError(
                    fmt::format("dlq: no dead job {} (it changed meanwhile; retried {} before it)",
                                libqueue::quoted(id), retried));
            }
            ++retried;
            debug(context, 1, "retried " + id);
        }
    }
    print_count(context, "retried", "retried", retried);
}

void run_clear(Context& context, const DlqArgs& args) {
    std::optional<libqueue::Milliseconds> older_than;
    if (!args.older_than.empty()) {
        older_than = parse_duration_option("--older-than", args.older_than);
    }
    auto& driver = context.driver();
    ListFilter filter = dead_filter(context, args);
    if (older_than)
        filter.finished_before = driver.now() - *older_than;

    std::string what = "every dead job";
    if (filter.name)
        what += fmt::format(" named {}", *filter.name);
    if (filter.queue)
        what += fmt::format(" in queue {}", *filter.queue);
    if (older_than) {
        what +=
            fmt::format(" that finished more than {} ago", libqueue::format_duration(*older_than));
    }
    if (!confirm("Delete " + what + "?", args.yes,
                 "dlq clear: refusing to delete without confirmation")) {
        note(context, "nothing deleted");
        context.exit_code = 1;
        return;
    }
    std::uint64_t deleted = 0;
    for (;;) {
        const auto n = driver.clear_dead(filter);
        deleted += n;
        if (n < filter.limit)
            break;
        debug(context, 1, fmt::format("deleted {} so far", deleted));
    }
    print_count(context, "deleted", "deleted", deleted);
}

void add_batch_size(CLI::App* cmd, DlqArgs& args) {
    cmd->add_option("--batch-size", args.batch_size, "Jobs per database round trip")
        ->type_name("N")
        ->check(CLI::Range(std::size_t(1), std::size_t(100'000)))
        ->capture_default_str()
        ->group("Tuning");
}

}  // namespace

void add_dlq_command(CLI::App& app, Context& context) {
    auto args = std::make_shared<DlqArgs>();
    auto* dlq = app.add_subcommand(
        "dlq",
        "Inspect, retry and clear dead jobs (the dead-letter queue)\n"
        "\n"
        "A job is dead (status failed) when it used up its retries, its handler exited 65 "
        "(bad data), no handler exists for its name, or it was cancelled. Dead jobs stay until "
        "retried or cleared. Every pass goes in batches, so any number of dead jobs is fine. "
        "--queue narrows every subcommand to one queue.");
    dlq->footer(
        "Examples:\n"
        "  q dlq list\n"
        "  q dlq show 01JD3K8X2V6R4T9M0N5P7Q1W2E\n"
        "  q dlq retry 01JD3K8X2V6R4T9M0N5P7Q1W2E\n"
        "  q --queue emails dlq retry --all --name send_email\n"
        "  q dlq clear --older-than 30d --yes\n"
        "\n"
        "Exit status:\n"
        "  0   done\n"
        "  1   clear was not confirmed: nothing deleted\n"
        "  64  bad option, or clear without a terminal and without --yes\n"
        "  66  no dead job with that id (retry: nothing was retried)");
    dlq->require_subcommand(1);

    auto* list = dlq->add_subcommand(
        "list",
        "List dead jobs, oldest first\n"
        "\n"
        "Shows the first --limit dead jobs (0: all, streamed), oldest first (by creation time, "
        "then id); --after continues after the last id of an earlier page.");
    list->footer(
        "Output:\n"
        "A table (ID NAME QUEUE ATTEMPTS FINISHED LAST ERROR); with --json one job per line\n"
        "(NDJSON), each as q show --json prints it.");
    list->add_option("--name", args->name, "Only jobs with this name")->type_name("NAME");
    list->add_option("--limit", args->limit, "At most N jobs; 0 for all")
        ->type_name("N")
        ->check(count_validator())
        ->capture_default_str();
    list->add_option("--after", args->after, "Only jobs listed after job ID")->type_name("ID");
    add_batch_size(list, *args);
    list->callback([&context, args] { run_list(context, *args); });

    auto* show = dlq->add_subcommand("show", "Show one dead job: payload, attempts, last error");
    show->footer("Exit status:\n  0   shown\n  66  no dead job with that id");
    show->add_option("ID", args->ids, "The job id")->required()->expected(1)->type_name("ID");
    show->callback([&context, args] { run_show(context, *args); });

    auto* retry = dlq->add_subcommand(
        "retry",
        "Make dead jobs pending again, attempts reset to 0\n"
        "\n"
        "Retries the given ids (all are checked first: if one is not a dead job, none is "
        "retried), or with --all every dead job that --name and --queue select. The last error "
        "is kept until the job runs again.");
    retry->footer(
        "Output:\n"
        "\"retried N dead jobs\"; with --json {\"retried\": N}.");
    retry->add_option("ID", args->ids, "Dead job ids")->type_name("ID...");
    retry->add_flag("--all", args->all, "Every dead job (narrowed by --name and --queue)");
    retry->add_option("--name", args->name, "With --all: only jobs with this name")
        ->type_name("NAME");
    add_batch_size(retry, *args);
    retry->callback([&context, args] { run_retry(context, *args); });

    auto* clear = dlq->add_subcommand(
        "clear",
        "Delete dead jobs for good\n"
        "\n"
        "Deletes every dead job, or those --older-than, --name and --queue select. It asks on "
        "a terminal; without one it refuses unless --yes is given.");
    clear->footer(
        "Output:\n"
        "\"deleted N dead jobs\"; with --json {\"deleted\": N}.");
    clear
        ->add_option("--older-than", args->older_than,
                     "Only jobs that went dead more than DURATION ago")
        ->type_name("DURATION");
    clear->add_option("--name", args->name, "Only jobs with this name")->type_name("NAME");
    clear->add_flag("-y,--yes", args->yes, "Do not ask");
    add_batch_size(clear, *args);
    clear->callback([&context, args] { run_clear(context, *args); });
}

}  // namespace q
