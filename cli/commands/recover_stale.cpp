// q recover-stale: give the jobs of dead or frozen workers back to the queue, on demand.
#include <fmt/format.h>

#include <algorithm>
#include <iostream>
#include <memory>

#include "commands/commands.hpp"
#include "options.hpp"
#include "output.hpp"

namespace q {

namespace {

struct RecoverArgs {
    std::string timeout;
    bool dry_run = false;
    bool force = false;
};

// Jobs are listed as they were before recovery: their claim tells what became of them.
bool goes_dead(const libqueue::Job& job) {
    return libqueue::stale_outcome(job) == libqueue::StaleOutcome::dead;
}

void print_jobs_recovered(const std::vector<libqueue::Job>& jobs, libqueue::TimePoint now) {
    std::vector<std::vector<std::string>> rows;
    for (const auto& job : jobs) {
        rows.push_back({job.id, job.name, job.queue,
                        fmt::format("{}/{}", job.attempts, job.max_retries + 1),
                        job.available_at ? format_relative(*job.available_at, now) : "-",
                        goes_dead(job) ? "dead (worker lost)" : "pending"});
    }
    const std::vector<std::string> header{"ID", "NAME", "QUEUE", "TRIES", "LAST SEEN", "NOW"};
    print_table(header, rows);
}

void run_recover(Context& context, const RecoverArgs& args) {
    libqueue::Milliseconds timeout = context.config().stale_after;
    if (!args.timeout.empty())
        timeout = parse_duration_option("--timeout", args.timeout);
    if (timeout.count() <= 0) {
        // Every running job would count as stale, live ones included.
        throw libqueue::UsageError("--timeout: must be longer than 0s");
    }
    // Workers heartbeat every third of the configured stale_after: a shorter timeout would take
    // back jobs that are running right now, and they would run twice at once.
    const auto safe = libqueue::shortest_safe_stale_timeout(context.config().stale_after);
    if (timeout < safe) {
        const std::string why = fmt::format(
            "--timeout {} is shorter than two heartbeats of live workers ({}, from "
            "queue.stale_after {}): live jobs would be taken back and run twice",
            libqueue::format_duration(timeout), libqueue::format_duration(safe),
            libqueue::format_duration(context.config().stale_after));
        if (!args.force)
            throw libqueue::UsageError(why + "; --force to do it anyway");
        std::cerr << "q: warning: " << why << '\n';
    }
    auto& driver = context.driver();
    const auto jobs = driver.recover_stale(timeout, args.dry_run);
    const auto dead = std::uint64_t(std::count_if(jobs.begin(), jobs.end(), goes_dead));

    if (context.json()) {
        nlohmann::json listed = nlohmann::json::array();
        for (const auto& job : jobs) {
            auto item = libqueue::job_to_json(job);  // as it was before recovery
            item["recovered_to"] = goes_dead(job) ? "failed" : "pending";
            listed.push_back(item);
        }
        emit_json({{"recovered", jobs.size()},
                   {"dead", dead},
                   {"dry_run", args.dry_run},
                   {"stale_after_ms", timeout.count()},
                   {"jobs", listed}});
        return;
    }
    if (!jobs.empty() && (args.dry_run || context.verbose() > 0)) {
        print_jobs_recovered(jobs, driver.now());
    }
    const std::string dead_part =
        dead > 0 ? fmt::format(" ({} of them dead: out of retries)", dead) : "";
    print_line(fmt::format(
        "{} {} stale job{} (no heartbeat for {}){}", args.dry_run ? "would recover" : "recovered",
        jobs.size(), jobs.size() == 1 ? "" : "s", libqueue::format_duration(timeout), dead_part));
}

}  // namespace

void add_recover_stale_command(CLI::App& app, Context& context) {
    auto args = std::make_shared<RecoverArgs>();
    auto* cmd = app.add_subcommand(
        "recover-stale",
        "Return jobs of lost workers to the queue\n"
        "\n"
        "A processing job whose worker has not sent a heartbeat for --timeout (default: the "
        "config's queue.stale_after, 5m) belongs to a worker that died or froze. Each becomes "
        "pending again, or dead (last error \"worker lost\") when the lost run was its last "
        "try. Workers do this by themselves periodically; this command does it now. Live "
        "jobs are never stale, however long they run, as their workers keep them fresh. A job "
        "another program claimed without recording when (no available_at) counts from the "
        "first time q sees it.");
    cmd->footer(
        "Examples:\n"
        "  q recover-stale\n"
        "  q recover-stale --timeout 2m --dry-run\n"
        "\n"
        "Output:\n"
        "\"recovered N stale jobs (no heartbeat for 5m)\"; with --dry-run or -v first a table\n"
        "of the jobs. With --json one object: {\"recovered\": N, \"dead\": D, \"dry_run\",\n"
        "\"stale_after_ms\", \"jobs\": [...]}, each job as q show --json prints it (before\n"
        "recovery) plus \"recovered_to\": \"pending\" or \"failed\".\n"
        "\n"
        "Exit status:\n"
        "  0   done (also when nothing was stale)\n"
        "  64  bad --timeout, or one below two heartbeats (2/3 of queue.stale_after) without "
        "--force");
    cmd->add_option("--timeout", args->timeout,
                    "Stale after this long without a heartbeat (default: queue.stale_after)")
        ->type_name("DURATION");
    cmd->add_flag("--dry-run", args->dry_run, "Only show which jobs are stale; change nothing");
    cmd->add_flag("--force", args->force,
                  "Allow a --timeout below two heartbeats (2/3 of queue.stale_after), which "
                  "takes back live jobs");
    cmd->callback([&context, args] { run_recover(context, *args); });
}

}  // namespace q
