// q log: what a job printed, attempt by attempt; --follow streams a running job's output.
#include <fmt/format.h>

#include <iostream>
#include <map>
#include <memory>
#include <thread>

#include "attempt_output.hpp"
#include "commands/commands.hpp"
#include "job_ids.hpp"
#include "options.hpp"
#include "output.hpp"

namespace q {

namespace {

using libqueue::AttemptLog;
using libqueue::AttemptOutcome;
using libqueue::Status;

struct LogArgs {
    std::string id;
    std::optional<int> attempt;
    bool stdout_only = false;
    bool stderr_only = false;
    bool follow = false;
    std::string timeout;
    std::string interval = "200ms";
};

// The job's id: a whole id or unique prefix of a stored job, or the whole id of a job that is
// gone (completed and deleted, or pruned) while its logs are kept.
std::string job_id_of(Context& context, const std::string& typed) {
    try {
        return resolve_job(context.driver(), typed, "log", context.queue_filter()).id;
    } catch (const libqueue::NotFoundError&) {
        if (!attempt_logs_if_kept(context.driver(), typed).empty())
            return typed;
        throw;
    }
}

// The exit status of an ended attempt, as q log --follow reports it.
int exit_for(AttemptOutcome outcome) {
    switch (outcome) {
        case AttemptOutcome::completed:
            return 0;
        case AttemptOutcome::dead:
            return 1;
        default:
            return 75;  // retried: the job runs again later
    }
}

class Printer {
  public:
    Printer(Context& context, StreamFilter streams) : context_(context), streams_(streams) {}

    // Prints what is new in `log` since the last call for its attempt.
    void show(const AttemptLog& log) {
        auto& seen = seen_[log.attempt];
        if (seen.started_at != log.started_at) {  // new, or run again after a shutdown
            seen = Seen{log.started_at, 0, false};
            if (!context_.json() && streams_.both())
                std::cout << "── " << attempt_header(log) << '\n' << std::flush;
        }
        seen.next_line = print_attempt_lines(context_, log, streams_, seen.next_line);
        if (log.outcome != AttemptOutcome::running && !seen.ended) {
            seen.ended = true;
            if (!context_.json() && streams_.both() && seen.next_line > 0) {
                // The header was printed before the attempt ended: say how it did.
                std::cout << "── attempt " << log.attempt << " " << to_string(log.outcome) << " ("
                          << exit_text(log.exit_status) << ", "
                          << attempt_duration(log, libqueue::system_now()) << ")\n"
                          << std::flush;
            }
        }
    }

  private:
    struct Seen {
        libqueue::TimePoint started_at{};
        std::uint64_t next_line = 0;
        bool ended = false;
    };
    Context& context_;
    StreamFilter streams_;
    std::map<int, Seen> seen_;
};

void print_logs(Context& context, const std::vector<AttemptLog>& logs, const LogArgs& args,
                const StreamFilter& streams) {
    bool first = true;
    for (const auto& log : logs) {
        if (args.attempt && log.attempt != *args.attempt)
            continue;
        if (!context.json() && streams.both()) {
            if (!first)
                std::cout << '\n';
            std::cout << "── " << attempt_header(log) << '\n';
        }
        first = false;
        print_attempt_lines(context, log, streams, 0);
    }
}

const AttemptLog* find_attempt(const std::vector<AttemptLog>& logs, int attempt) {
    for (const auto& log : logs) {
        if (log.attempt == attempt)
            return &log;
    }
    return nullptr;
}

// Follows the job's current attempt (or the next one, for a job waiting to run) until it ends.
void follow(Context& context, const std::string& id, const LogArgs& args,
            const StreamFilter& streams) {
    auto& driver = context.driver();
    // Milliseconds::max(): no --timeout.
    const auto timeout = args.timeout.empty() ? libqueue::Milliseconds::max()
                                              : parse_duration_option("--timeout", args.timeout);
    const auto interval = parse_duration_option("--interval", args.interval);
    const auto start = std::chrono::steady_clock::now();
    Printer printer(context, streams);

    std::optional<int> target;  // the attempt that decides the exit status
    for (;;) {
        const auto job = driver.find(id);
        const auto logs = attempt_logs_if_kept(driver, id);
        if (!target) {
            if (job && job->status == Status::processing) {
                target = job->attempts;
            } else if (job && job->status == Status::pending) {
                target = job->attempts + 1;
            } else {
                // Finished (or gone): what there is, and how it ended.
                for (const auto& log : logs) printer.show(log);
                if (job) {
                    context.exit_code = job->status == Status::failed ? 1 : 0;
                } else if (!logs.empty()) {
                    context.exit_code = exit_for(logs.back().outcome);
                }
                return;
            }
            // Attempts that ended before: shown once, as they are.
            for (const auto& log : logs) {
                if (log.attempt < *target)
                    printer.show(log);
            }
        }
        for (const auto& log : logs) {
            if (log.attempt >= *target)
                printer.show(log);
        }
        const AttemptLog* current = find_attempt(logs, *target);
        if (current && current->outcome != AttemptOutcome::running &&
            current->outcome != AttemptOutcome::interrupted) {
            context.exit_code = exit_for(current->outcome);
            return;
        }
        if (!job) {
            // Gone without a final log: completed and deleted (keep_completed false) by a worker
            // that keeps no logs, or cleared.
            throw libqueue::NotFoundError(fmt::format(
                "log: job '{}' is gone and its attempt {} left no outcome", id, *target));
        }
        if (job->status == Status::completed || job->status == Status::failed) {
            // Ended without a log of the attempt (its worker keeps none).
            context.exit_code = job->status == Status::failed ? 1 : 0;
            return;
        }
        if (current && current->outcome == AttemptOutcome::running &&
            job->status == Status::pending && job->attempts >= *target) {
            // Its worker died; stale recovery gave the job back for another attempt.
            note(context, fmt::format("q: attempt {} of job {} was lost with its worker; the job "
                                      "will run again",
                                      *target, id));
            context.exit_code = 75;
            return;
        }
        if (timeout != libqueue::Milliseconds::max() &&
            std::chrono::steady_clock::now() - start >= timeout) {
            throw libqueue::TemporaryError(
                fmt::format("log: timed out after {}: job '{}' is still {}",
                            libqueue::format_duration(timeout), id, status_word(job->status)));
        }
        std::this_thread::sleep_for(interval);
    }
}

void run_log(Context& context, const LogArgs& args) {
    if (args.stdout_only && args.stderr_only)
        throw libqueue::UsageError(
            "log: --stdout and --stderr exclude each other; give neither "
            "for both streams");
    if (args.follow && args.attempt)
        throw libqueue::UsageError("log: --follow follows the current attempt; drop --attempt");
    if (!context.config().logs.enabled)
        note(context,
             "q: note: queue.logs.enabled is false in this config: workers using it "
             "keep no output");
    StreamFilter streams{!args.stderr_only, !args.stdout_only};
    const std::string id = job_id_of(context, args.id);
    if (args.follow) {
        follow(context, id, args, streams);
        return;
    }
    const auto logs = attempt_logs_if_kept(context.driver(), id);
    if (args.attempt && !find_attempt(logs, *args.attempt)) {
        throw libqueue::NotFoundError(
            fmt::format("log: job {} has no log of attempt {} ({})", id, *args.attempt,
                        logs.empty() ? "it has none"
                                     : fmt::format("it has attempts {} to {}", logs.front().attempt,
                                                   logs.back().attempt)));
    }
    if (logs.empty()) {
        note(context, fmt::format("q: job {} has no output kept (it has not run yet, or ran where "
                                  "queue.logs.enabled is false)",
                                  id));
        return;
    }
    print_logs(context, logs, args, streams);
    std::cout << std::flush;
}

}  // namespace

void add_log_command(CLI::App& app, Context& context) {
    auto args = std::make_shared<LogArgs>();
    auto* cmd = app.add_subcommand(
        "log",
        "Print what a job printed, attempt by attempt\n"
        "\n"
        "Workers keep each attempt's stdout and stderr, in the order the lines came, beside the "
        "jobs (queue.logs: up to max_bytes per attempt, the first and last half when longer; "
        "kept for queue.logs.keep, 7 days by default). Each attempt starts with a header: "
        "attempt number, worker, start and end (UTC), duration, exit status and outcome; each "
        "line starts with its stream (out or err). With --stdout or --stderr only that stream's "
        "lines are printed, bare, as the handler wrote them. On a terminal, control characters "
        "in the output are shown as \\xNN.\n"
        "\n"
        "--follow streams the output of the job's current attempt as workers write it (every "
        "second, from whichever host runs it) and exits when the attempt ends, with its outcome "
        "as the exit status. A job that has not started yet is waited for.");
    cmd->footer(
        "Examples:\n"
        "  q log 01JD3K8X2V6R\n"
        "  q log --attempt 2 --stderr 01JD3K8X2V6R\n"
        "  id=$(q push report '{}') && q log --follow \"$id\"\n"
        "\n"
        "Output:\n"
        "With --json, one object per output line: attempt, stream (stdout or stderr), time\n"
        "(ISO 8601) and text; a cut middle is {attempt, stream: \"cut\", text}.\n"
        "\n"
        "Exit status:\n"
        "  0   printed (--follow: the job completed)\n"
        "  1   --follow: the job is dead\n"
        "  64  an id prefix matches several jobs, or conflicting options\n"
        "  66  no such job, or no log of that attempt\n"
        "  75  --follow: the attempt failed and the job will be retried (or its worker was\n"
        "      lost), or --timeout passed first");
    cmd->add_option("ID", args->id, "A job id, as q push printed it, or a unique prefix")
        ->required()
        ->type_name("ID");
    cmd->add_option("--attempt", args->attempt, "Only this attempt (1 is the first)")
        ->type_name("N")
        ->check(CLI::Range(1, 1'000'000));
    cmd->add_flag("--stdout", args->stdout_only, "Only the standard output, bare");
    cmd->add_flag("--stderr", args->stderr_only, "Only the standard error, bare");
    cmd->add_flag("-f,--follow", args->follow, "Stream the current attempt's output until it ends");
    cmd->add_option("--timeout", args->timeout, "With --follow: give up after DURATION (exit 75)")
        ->type_name("DURATION");
    cmd->add_option("--interval", args->interval, "With --follow: how often to look")
        ->type_name("DURATION")
        ->capture_default_str();
    cmd->callback([&context, args] { run_log(context, *args); });
}

}  // namespace q
