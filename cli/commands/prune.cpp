// q prune: delete old finished jobs, in batches so a huge table never locks for long.
#include <fmt/format.h>

#include <memory>

#include "commands/commands.hpp"
#include "options.hpp"
#include "output.hpp"
#include "progress.hpp"

namespace q {

namespace {

constexpr std::size_t batch_size = 1000;

struct PruneArgs {
    std::string older_than;
    std::string status;
    bool dry_run = false;
    bool yes = false;
};

libqueue::PruneScope scope_of(Context& context, const PruneArgs& args) {
    libqueue::PruneScope scope;
    if (!args.status.empty()) {
        scope.status = parse_status_option("--status", args.status);
        if (*scope.status != libqueue::Status::completed &&
            *scope.status != libqueue::Status::failed) {
            throw libqueue::UsageError(
                "--status: prune deletes finished jobs only (completed "
                "or dead), never " +
                args.status + " ones");
        }
    }
    if (context.options.queue)
        scope.queue = context.queue();
    return scope;
}

// What prune would delete, by status, counted page by page (nothing held but one page).
struct Preview {
    std::uint64_t completed = 0;
    std::uint64_t dead = 0;
};

Preview preview(libqueue::QueueDriver& driver, const libqueue::PruneScope& scope,
                libqueue::Milliseconds older_than) {
    Preview counts;
    libqueue::ListFilter filter;
    filter.queue = scope.queue;
    filter.finished_before = driver.now() - older_than;
    filter.limit = batch_size;
    filter.order = libqueue::ListOrder::id;  // pages along the id index: no scan per page
    for (const auto status : {libqueue::Status::completed, libqueue::Status::failed}) {
        if (scope.status && *scope.status != status)
            continue;
        filter.status = status;
        filter.after.reset();
        for (;;) {
            const auto page = driver.list(filter);
            (status == libqueue::Status::completed ? counts.completed : counts.dead) += page.size();
            if (page.size() < batch_size)
                break;
            filter.after = libqueue::list_position(page.back());
        }
    }
    return counts;
}

std::string jobs_text(std::uint64_t n) {
    return fmt::format("{} job{}", n, n == 1 ? "" : "s");
}

void run_prune(Context& context, const PruneArgs& args) {
    const auto older_than = parse_duration_option("--older-than", args.older_than);
    const auto scope = scope_of(context, args);
    auto& driver = context.driver();
    const bool takes_dead = !scope.status || *scope.status == libqueue::Status::failed;
    // Dead letters are the record of what went wrong: on a terminal, say how many go and ask
    // (as q dlq clear does). Without one (cron) prune runs as told: that is its main use.
    const bool ask = takes_dead && !args.yes && !args.dry_run && stdin_is_tty();
    std::optional<std::uint64_t> expected;  // known when counted for the question
    if (args.dry_run || ask) {
        const auto counts = preview(driver, scope, older_than);
        expected = counts.completed + counts.dead;
        if (args.dry_run) {
            if (context.json()) {
                emit_json({{"would_delete", counts.completed + counts.dead},
                           {"completed", counts.completed},
                           {"dead", counts.dead}});
            } else {
                print_line(fmt::format("would prune {} ({} completed, {} dead)",
                                       jobs_text(counts.completed + counts.dead), counts.completed,
                                       counts.dead));
            }
            return;
        }
        if (counts.dead > 0 && !confirm(fmt::format("Delete {} ({} completed, {} dead letters)?",
                                                    jobs_text(counts.completed + counts.dead),
                                                    counts.completed, counts.dead),
                                        false, "prune")) {
            note(context, "nothing deleted");
            context.exit_code = 1;
            return;
        }
    }
    std::uint64_t total = 0;
    Progress progress(context, "pruned", expected);
    for (;;) {
        const auto deleted = driver.prune(older_than, batch_size, scope);
        total += deleted;
        progress.advance(deleted);
        if (deleted < batch_size)
            break;
        debug(context, 1, fmt::format("pruned {} so far", total));
    }
    // Attempt logs go by their own retention (queue.logs.keep), of every queue: a log outlives
    // its job, which may be deleted at completion.
    std::optional<std::uint64_t> logs_deleted;
    try {
        logs_deleted = driver.prune_attempt_logs(context.config().logs.keep);
    } catch (const libqueue::UsageError&) {
        // A driver that keeps no logs.
    }
    if (context.json()) {
        nlohmann::json out = {{"deleted", total}};
        if (logs_deleted)
            out["logs_deleted"] = *logs_deleted;
        emit_json(out);
    } else {
        print_line("pruned " + jobs_text(total));
        if (logs_deleted && *logs_deleted > 0)
            note(context, fmt::format("removed {} attempt log{} older than {} (queue.logs.keep)",
                                      *logs_deleted, *logs_deleted == 1 ? "" : "s",
                                      libqueue::format_duration(context.config().logs.keep)));
    }
}

}  // namespace

void add_prune_command(CLI::App& app, Context& context) {
    auto args = std::make_shared<PruneArgs>();
    auto* cmd = app.add_subcommand(
        "prune",
        "Delete completed and dead jobs that finished long enough ago\n"
        "\n"
        "Deletes completed and dead jobs whose finished_at is older than --older-than, in "
        "batches of 1000 (each its own transaction), of every queue or of --queue; --status "
        "takes only completed or only dead ones. Pending and processing jobs are never "
        "touched. The lifetime totals of q stats are kept. On a terminal, when dead letters "
        "would go, it says how many and asks first (--yes does not ask); without a terminal "
        "(cron) it prunes as told. --dry-run only counts. It also removes the attempt logs "
        "(q log) last written longer ago than queue.logs.keep (7 days by default).");
    cmd->footer(
        "Examples:\n"
        "  q prune --older-than 7d\n"
        "  q prune --older-than 1d --status completed\n"
        "  q --queue emails prune --older-than 30d --dry-run\n"
        "\n"
        "Output:\n"
        "\"pruned N jobs\" on stdout; with --json {\"deleted\": N, \"logs_deleted\": L}\n"
        "(attempt logs removed). With --dry-run \"would prune N jobs (C completed, D dead)\";\n"
        "with --json {\"would_delete\": N, \"completed\": C, \"dead\": D}.\n"
        "\n"
        "Exit status:\n"
        "  0   pruned (also when nothing was old enough)\n"
        "  1   not confirmed: nothing deleted\n"
        "  64  missing or bad --older-than or --status");
    cmd->add_option("--older-than", args->older_than,
                    "Delete jobs that finished more than DURATION ago")
        ->required()
        ->type_name("DURATION");
    cmd->add_option("--status", args->status, "Only completed, or only dead (failed) jobs")
        ->type_name("completed|dead");
    cmd->add_flag("--dry-run", args->dry_run, "Count what would be deleted; delete nothing");
    cmd->add_flag("-y,--yes", args->yes, "Do not ask before deleting dead letters");
    cmd->callback([&context, args] { run_prune(context, *args); });
}

}  // namespace q
