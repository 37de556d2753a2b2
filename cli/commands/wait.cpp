// q wait: block until a job finishes; for CI scripts that push and then need the result.
#include <fmt/format.h>

#include <algorithm>
#include <iostream>
#include <memory>
#include <thread>

#include "commands/commands.hpp"
#include "job_ids.hpp"
#include "options.hpp"
#include "output.hpp"

namespace q {

namespace {

struct WaitArgs {
    std::vector<std::string> ids;
    std::string timeout;
    std::string interval = "250ms";
};

struct WaitTimes {
    // For all the jobs together; Milliseconds::max() without --timeout.
    libqueue::Milliseconds timeout = libqueue::Milliseconds::max();
    libqueue::Milliseconds interval;
    std::chrono::steady_clock::time_point start;
};

// Polls job `id` until it is completed or dead; sets exit_code 1 when it is dead.
void wait_for_job(Context& context, const std::string& id, const WaitTimes& times) {
    auto& driver = context.driver();
    const auto& timeout = times.timeout;
    const auto& interval = times.interval;
    const auto& start = times.start;

    std::optional<libqueue::Job> last_seen;
    for (;;) {
        auto job = driver.find(id);
        if (!job) {
            // A completed job is deleted at once where keep_completed is false: gone means done.
            if (last_seen && !context.config().keep_completed) {
                note(context, fmt::format("job {} completed (and was deleted: keep_completed is "
                                          "false)",
                                          id));
                if (context.json()) {
                    auto done = *last_seen;
                    done.status = libqueue::Status::completed;
                    emit_json(libqueue::job_to_json(done));
                }
                return;
            }
            if (last_seen) {
                throw libqueue::NotFoundError(
                    fmt::format("wait: job '{}' disappeared while {} (cleared or pruned)", id,
                                status_word(last_seen->status)));
            }
            throw libqueue::NotFoundError(no_job_message("wait", id));
        }
        if (job->status == libqueue::Status::completed || job->status == libqueue::Status::failed) {
            if (context.json())
                emit_json(libqueue::job_to_json(*job));
            if (job->status == libqueue::Status::failed) {
                // The reason is what CI logs need; always printed, even with -q.
                std::cerr << fmt::format(
                    "q: job {} {} is dead after {} attempt{}: {}\n", job->id, job->name,
                    job->attempts, job->attempts == 1 ? "" : "s",
                    one_line(job->last_error.value_or("(no error recorded)"), 4096));
                context.exit_code = 1;
            } else {
                note(context, fmt::format("job {} {} completed", job->id, job->name));
            }
            return;
        }
        last_seen = std::move(job);
        const auto waited = std::chrono::duration_cast<libqueue::Milliseconds>(
            std::chrono::steady_clock::now() - start);
        const bool limited = timeout != libqueue::Milliseconds::max();
        if (limited && waited >= timeout) {
            throw libqueue::TemporaryError(fmt::format(
                "wait: timed out after {}: job '{}' is still {}",
                libqueue::format_duration(timeout), id, status_word(last_seen->status)));
        }
        auto pause = interval;
        if (limited)
            pause = std::min(pause, timeout - waited);
        std::this_thread::sleep_for(pause);
    }
}

void run_wait(Context& context, const WaitArgs& args) {
    WaitTimes times;
    if (!args.timeout.empty())
        times.timeout = parse_duration_option("--timeout", args.timeout);
    times.interval = parse_duration_option("--interval", args.interval);
    times.start = std::chrono::steady_clock::now();
    // Prefixes are resolved once, all before waiting: a typo fails at once, not after the
    // jobs before it finished.
    std::vector<std::string> ids;
    for (const auto& job : resolve_jobs(context.driver(), args.ids, "wait", context.queue_filter()))
        ids.push_back(job.id);
    for (const auto& id : ids) wait_for_job(context, id, times);
}

}  // namespace

void add_wait_command(CLI::App& app, Context& context) {
    auto args = std::make_shared<WaitArgs>();
    auto* cmd = app.add_subcommand(
        "wait",
        "Wait until jobs are completed or dead\n"
        "\n"
        "Polls the job until it is completed (exit 0) or failed, a dead letter (exit 1, with "
        "its last error on stderr). Meant for CI: push a job, let a worker run it, and fail "
        "the pipeline when the job fails. Without --timeout it waits as long as it takes. "
        "Several ids (whole, or unique prefixes of at least 6 characters) wait for every job; "
        "the exit status is 1 when any of them is dead, and --timeout covers them all.");
    cmd->footer(
        "Examples:\n"
        "  id=$(q push deploy '{\"ref\": \"main\"}') && q wait --timeout 10m \"$id\"\n"
        "\n"
        "Output:\n"
        "With --json, the finished job as q show --json prints it.\n"
        "\n"
        "Exit status:\n"
        "  0   the job (every job) completed\n"
        "  1   a job is dead (its last error is printed)\n"
        "  64  an id prefix matches several jobs (they are named)\n"
        "  66  no job with that id\n"
        "  75  --timeout passed first; the job is still pending or processing");
    cmd->add_option("ID", args->ids, "Job ids or unique prefixes")->required()->type_name("ID");
    cmd->add_option("--timeout", args->timeout, "Give up after DURATION (exit 75)")
        ->type_name("DURATION");
    cmd->add_option("--interval", args->interval, "How often to look")
        ->type_name("DURATION")
        ->capture_default_str();
    cmd->callback([&context, args] { run_wait(context, *args); });
}

}  // namespace q
