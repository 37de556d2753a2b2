// q stats: what each queue holds, how it has fared, and (with thresholds) whether it is healthy.
#include <fmt/format.h>

#include <algorithm>
#include <iostream>
#include <map>
#include <memory>
#include <optional>

#include "commands/commands.hpp"
#include "known_queues.hpp"
#include "libqueue/metrics_text.hpp"
#include "libqueue/pauses.hpp"
#include "options.hpp"
#include "output.hpp"
#include "stats_watch.hpp"

namespace q {

namespace {

struct StatsArgs {
    std::optional<std::uint64_t> max_pending;
    std::string max_age;
    std::optional<std::uint64_t> max_failed;
    bool allow_empty = false;
    std::string format = "text";
    bool watch = false;
    std::string interval;
};

using libqueue::Milliseconds;
using libqueue::QueueStats;
using libqueue::StateCounts;
using libqueue::Totals;

// With --queue, exactly the named queues (an empty one as zeros, so monitoring sees "0 due"
// rather than nothing); otherwise every queue the driver reports.
std::vector<QueueStats> selected_queues(Context& context, const libqueue::Stats& stats) {
    if (!context.options.queue)
        return stats.queues;
    std::vector<QueueStats> out;
    for (const auto& name : context.queues()) {
        auto it = std::find_if(stats.queues.begin(), stats.queues.end(),
                               [&](const QueueStats& q) { return q.queue == name; });
        if (it != stats.queues.end()) {
            out.push_back(*it);
        } else {
            QueueStats empty;
            empty.queue = name;
            out.push_back(empty);
        }
    }
    return out;
}

std::string success_text(const Totals& totals) {
    const auto rate = libqueue::success_rate(totals);
    return rate ? fmt::format("{:.1f}%", 100.0 * *rate) : "-";
}

// Waits are read in seconds; below one, milliseconds say more.
std::string age_text(const std::optional<Milliseconds>& age) {
    if (!age)
        return "-";
    if (*age < Milliseconds(1000))
        return libqueue::format_duration(*age);
    return libqueue::format_duration(std::chrono::duration_cast<std::chrono::seconds>(*age));
}

std::vector<std::string> count_cells(const StateCounts& c) {
    return {std::to_string(c.due), std::to_string(c.delayed), std::to_string(c.processing),
            std::to_string(c.completed), std::to_string(c.failed)};
}

void print_human(const Context& context, const std::vector<QueueStats>& queues) {
    if (queues.empty()) {
        note(context, "no jobs in any queue");
        return;
    }
    std::vector<std::vector<std::string>> rows;
    for (const auto& q : queues) {
        auto row = std::vector<std::string>{q.queue};
        for (auto& cell : count_cells(q.counts)) row.push_back(cell);
        row.push_back(age_text(q.oldest_due_age));
        row.push_back(std::to_string(q.totals.pushed));
        row.push_back(std::to_string(q.totals.retries));
        row.push_back(success_text(q.totals));
        row.push_back(average_run_text(q.totals));
        rows.push_back(row);
    }
    print_table({"QUEUE", "DUE", "DELAYED", "PROCESSING", "COMPLETED", "DEAD", "OLDEST DUE",
                 "PUSHED", "RETRIES", "SUCCESS", "AVG TIME"},
                rows, 1);

    std::vector<std::vector<std::string>> by_name;
    for (const auto& q : queues) {
        std::map<std::string, std::pair<StateCounts, Totals>> names;
        for (const auto& [name, counts] : q.by_name) names[name].first = counts;
        for (const auto& [name, totals] : q.totals_by_name) names[name].second = totals;
        for (const auto& [name, both] : names) {
            auto row = std::vector<std::string>{q.queue, name};
            for (auto& cell : count_cells(both.first)) row.push_back(cell);
            row.push_back(std::to_string(both.second.pushed));
            row.push_back(std::to_string(both.second.retries));
            row.push_back(success_text(both.second));
            row.push_back(average_run_text(both.second));
            by_name.push_back(row);
        }
    }
    if (by_name.empty())
        return;
    std::cout << '\n';
    print_table({"QUEUE", "NAME", "DUE", "DELAYED", "PROCESSING", "COMPLETED", "DEAD", "PUSHED",
                 "RETRIES", "SUCCESS", "AVG TIME"},
                by_name, 2);
    std::cout << std::flush;
}

// One line per breach, each naming the queue, the figure and the threshold.
std::vector<std::string> breaches(const StatsArgs& args, std::optional<Milliseconds> max_age,
                                  const std::vector<QueueStats>& queues) {
    std::vector<std::string> out;
    for (const auto& q : queues) {
        const auto pending = libqueue::jobs_in(q.counts, libqueue::Status::pending);
        if (args.max_pending && pending > *args.max_pending) {
            out.push_back(fmt::format("{}: {} pending > --max-pending {}", q.queue, pending,
                                      *args.max_pending));
        }
        if (max_age && q.oldest_due_age && *q.oldest_due_age > *max_age) {
            out.push_back(fmt::format("{}: oldest due job has waited {} > --max-age {}", q.queue,
                                      libqueue::format_duration(*q.oldest_due_age),
                                      libqueue::format_duration(*max_age)));
        }
        if (args.max_failed && q.counts.failed > *args.max_failed) {
            out.push_back(fmt::format("{}: {} dead > --max-dead {}", q.queue, q.counts.failed,
                                      *args.max_failed));
        }
    }
    return out;
}

// The pauses of the queues shown (every queue's without --queue).
std::vector<libqueue::Pause> shown_pauses(Context& context) {
    auto pauses = libqueue::paused_queues(context.driver());
    if (context.options.queue) {
        const auto wanted = context.queues();
        std::erase_if(pauses, [&](const libqueue::Pause& p) {
            return std::find(wanted.begin(), wanted.end(), p.queue) == wanted.end();
        });
    }
    return pauses;
}

void run_stats(Context& context, const StatsArgs& args) {
    // Options first: a bad threshold is a usage error before the backend is touched.
    std::optional<Milliseconds> max_age;
    if (!args.max_age.empty())
        max_age = parse_duration_option("--max-age", args.max_age);

    std::optional<Milliseconds> interval;
    if (!args.interval.empty()) {
        interval = parse_duration_option("--interval", args.interval);
        if (interval->count() < 100)
            throw libqueue::UsageError("--interval: at least 100ms");
    }
    if (args.watch) {
        if (args.max_pending || args.max_failed || max_age)
            throw libqueue::UsageError("--watch shows the queues; it takes no thresholds");
        if (context.json() || args.format != "text")
            throw libqueue::UsageError(
                "--watch draws text; --json and --format are for one reading");
        watch_stats(
            context, interval.value_or(Milliseconds(2000)),
            [&context](const libqueue::Stats& stats) { return selected_queues(context, stats); });
        return;
    }
    if (interval)
        throw libqueue::UsageError("--interval goes with --watch");

    auto& driver = context.driver();
    const libqueue::Stats stats = driver.stats();
    // A health check of a mistyped queue would watch nothing and pass forever.
    const bool checks = args.max_pending || args.max_failed || max_age;
    if (checks && context.options.queue && !args.allow_empty)
        require_known_queues(known_queues(stats), context.queues());
    const auto queues = selected_queues(context, stats);
    // What the backend itself puts at risk (e.g. redis without persistence): shown with every
    // stats call, since that is where an operator looks, but never a breach by itself.
    auto warnings = driver.warnings();
    warnings.insert(warnings.end(), stats.warnings.begin(), stats.warnings.end());
    if (args.format == "prometheus" || args.format == "openmetrics") {
        libqueue::Stats shown = stats;
        shown.queues = queues;
        // Only the workers of the queues shown, so --queue narrows q_workers too.
        auto workers = libqueue::workers_if_kept(driver);
        if (context.options.queue) {
            const auto wanted = context.queues();
            for (auto& worker : workers) {
                std::erase_if(worker.queues, [&](const std::string& queue) {
                    return std::find(wanted.begin(), wanted.end(), queue) == wanted.end();
                });
            }
        }
        std::cout << libqueue::stats_to_metrics_text(shown,
                                                     args.format == "prometheus"
                                                         ? libqueue::MetricsFormat::prometheus
                                                         : libqueue::MetricsFormat::openmetrics,
                                                     workers);
    } else if (context.json() || args.format == "json") {
        libqueue::Stats shown = stats;
        shown.queues = queues;
        auto json = libqueue::stats_to_json(shown);
        json["warnings"] = warnings;
        json["paused"] = nlohmann::json::array();
        for (const auto& pause : shown_pauses(context)) json["paused"].push_back(pause.to_json());
        emit_json(json);
    } else {
        print_human(context, queues);
        // Paused queues are where "why is nothing running?" ends: under the table, on stdout.
        for (const auto& pause : shown_pauses(context)) {
            print_line(pause_line(pause));
        }
    }
    if (!context.quiet()) {
        for (const auto& line : warnings) std::cerr << "q: warning: " << line << '\n';
    }
    const auto found = breaches(args, max_age, queues);
    for (const auto& line : found) std::cerr << "q: " << line << '\n';
    if (!found.empty())
        context.exit_code = 1;
}

}  // namespace

void add_stats_command(CLI::App& app, Context& context) {
    auto args = std::make_shared<StatsArgs>();
    auto* cmd = app.add_subcommand(
        "stats",
        "Show each queue's jobs by state, its success rate and timings; check health\n"
        "\n"
        "For every queue (or the --queue list): jobs due now, delayed, processing, completed "
        "(still stored) and dead; how long the oldest due job has waited; lifetime totals "
        "(pushed, retries) with the success rate (completed / (completed + dead)) and the "
        "average run time of completed jobs; then the same per job name. Lifetime totals "
        "survive pruning.\n"
        "\n"
        "With thresholds, q stats is a health check for cron or monitoring: each breached "
        "threshold is named on stderr and the exit status is 1. A --queue the backend has "
        "never seen fails the check (exit 66) rather than passing on zeros, unless "
        "--allow-empty.");
    cmd->footer(
        "Examples:\n"
        "  q stats\n"
        "  q stats --json | jq '.queues[] | {queue, due, success_rate}'\n"
        "  q --queue emails stats --max-pending 1000 --max-age 10m --max-dead 0\n"
        "  q stats --watch --interval 1s\n"
        "  q stats --format prometheus > /var/lib/node_exporter/q.prom.tmp &&\n"
        "    mv /var/lib/node_exporter/q.prom.tmp /var/lib/node_exporter/q.prom\n"
        "\n"
        "Output:\n"
        "Two tables: per queue, then per queue and job name. With --json one object:\n"
        "{\"now\", \"queues\": [{\"queue\", \"due\", \"delayed\", \"processing\", \"completed\",\n"
        "\"failed\", \"oldest_due_age_ms\", \"totals\": {\"pushed\", \"completed\", \"dead\",\n"
        "\"retries\", \"processing_ms\"}, \"success_rate\", \"average_processing_ms\",\n"
        "\"by_name\": {NAME: {...}}}], \"warnings\": [...]}; rates and averages are null when\n"
        "nothing finished. Warnings name backend risks (redis without persistence, a\n"
        "PostgreSQL table without q's recommended indexes); they go to stderr as\n"
        "\"q: warning: ...\" and never change the exit status.\n"
        "Breaches go to stderr, e.g. \"q: default: 1200 pending > --max-pending 1000\".\n"
        "--watch off a terminal prints, every interval, a line per queue: \"15:04:05 default\n"
        "due=3 delayed=0 running=1 dead=2 completed/min=12.0 dead/min=0.0 p50=35ms p95=1.2s\"\n"
        "(\"-\" until two readings are apart), until SIGINT or SIGTERM (exit 0). p50 and p95\n"
        "are the run times of the last minute's attempts, from the histograms the workers\n"
        "keep in their records (refreshed with their heartbeats, at least every 10s).\n"
        "--format prometheus prints the Prometheus text format (0.0.4), --format openmetrics\n"
        "OpenMetrics 1.0: q_jobs{queue,name,state} and q_oldest_due_age_seconds{queue}\n"
        "(gauges), q_jobs_pushed_total, q_jobs_completed_total, q_jobs_dead_total and\n"
        "q_job_retries_total{queue,name} (counters), q_job_run_seconds{queue,name} (a\n"
        "summary: _sum and _count). Thresholds still apply.\n"
        "\n"
        "Exit status:\n"
        "  0   shown, no threshold breached\n"
        "  1   a threshold was breached\n"
        "  64  bad option (a threshold that is not a number or a duration)\n"
        "  66  with a threshold, --queue names a queue that never held a job");
    cmd->add_option("--max-pending", args->max_pending,
                    "Breach when a queue holds more than N pending jobs (due and delayed)")
        ->type_name("N")
        ->check(count_validator());
    cmd->add_flag("--allow-empty", args->allow_empty, allow_empty_help);
    cmd->add_option("--max-age", args->max_age,
                    "Breach when a queue's oldest due job has waited longer than DURATION")
        ->type_name("DURATION");
    cmd->add_option("--max-dead,--max-failed", args->max_failed,
                    "Breach when a queue holds more than N dead jobs")
        ->type_name("N")
        ->check(count_validator());
    cmd->add_option("--format", args->format,
                    "text (the tables), json (as --json), prometheus or openmetrics (for "
                    "scraping: node_exporter's textfile collector, a cron job)")
        ->type_name("FORMAT")
        ->check(CLI::IsMember({"text", "json", "prometheus", "openmetrics"}));
    cmd->add_flag("--watch", args->watch,
                  "Show the queues again every --interval with the completions and dead jobs "
                  "per minute: redrawn in place on a terminal until q or Ctrl-C, else one line "
                  "per queue and interval");
    cmd->add_option("--interval", args->interval, "How often --watch reads (default: 2s)")
        ->type_name("DURATION");
    cmd->callback([&context, args] { run_stats(context, *args); });
}

}  // namespace q
