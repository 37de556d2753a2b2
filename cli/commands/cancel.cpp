// q cancel: a pending job becomes a dead letter instead of running; a running one is stopped by
// its worker, on whichever host (cancels.hpp), and q waits to say how it ended.
#include <fmt/format.h>

#include <chrono>
#include <memory>
#include <thread>

#include "commands/commands.hpp"
#include "job_ids.hpp"
#include "libqueue/cancels.hpp"
#include "options.hpp"
#include "output.hpp"

namespace q {

namespace {

using libqueue::Job;
using libqueue::Status;

struct CancelArgs {
    std::vector<std::string> ids;
    bool retry = false;
    std::string timeout = "30s";
};

// A running job whose worker was asked to stop it.
struct Requested {
    Job job;  // as it was when asked
    std::string token;
};

constexpr std::chrono::milliseconds poll_every{100};

// status: the job's status word now, empty when it is gone.
void say(Context& context, const std::string& id, bool cancelled, const char* was,
         const std::string& status, const std::string& text) {
    if (context.json()) {
        emit_json({{"id", id},
                   {"cancelled", cancelled},
                   {"was", was},
                   {"status", status.empty() ? nlohmann::json() : nlohmann::json(status)}});
    } else {
        print_line(text);
    }
}

// How a running job ended after the request: stopped by its worker (which marked the request
// taken first), or finished on its own before the worker saw the request. Returns whether it was
// cancelled.
bool report_ended(Context& context, const Requested& r, const std::optional<Job>& now,
                  const std::optional<libqueue::CancelRequest>& request) {
    const bool taken = request && request->token == r.token && request->taken;
    // Stopped too late: the attempt completed all the same, and keeps that outcome. A job gone
    // from the table completed (dead letters are kept): with --retry, maybe on the next attempt.
    const bool completed_anyway =
        now ? now->status == Status::completed && now->attempts == r.job.attempts
            : !(request && request->retry);
    const std::string status = now ? status_word(now->status) : "";
    if (taken && !completed_anyway) {
        say(context, r.job.id, true, "running", status,
            fmt::format("cancelled {} (stopped while running; {})", r.job.id,
                        now->status == Status::failed ? "now dead" : "put back to run again"));
        return true;
    }
    const std::string state = now ? status_word(now->status) : "completed and deleted";
    say(context, r.job.id, false, "running", status,
        fmt::format("{}: finished before it could be stopped ({})", r.job.id, state));
    return false;
}

void run_cancel(Context& context, const CancelArgs& args) {
    auto& driver = context.driver();
    const auto timeout = parse_duration_option("--timeout", args.timeout);
    const auto jobs = resolve_jobs(driver, args.ids, "cancel", context.queue_filter());
    for (const auto& job : jobs) {
        if (job.status != Status::pending && job.status != Status::processing)
            throw libqueue::DataError(fmt::format(
                "cancel: job '{}' is {}: only pending and running jobs can be cancelled", job.id,
                status_word(job.status)));
        if (args.retry && job.status == Status::pending)
            throw libqueue::DataError(
                fmt::format("cancel: job '{}' is pending: --retry stops a running job and "
                            "puts it back; drop --retry to cancel a pending one",
                            job.id));
    }

    std::vector<Requested> requested;
    auto request = [&](const Job& job) {
        const auto token = job.reserved_by.value_or("");
        try {
            // Asked again (after a timeout): a request its worker already took stays as it is,
            // so that its mark tells this q how the job ended.
            const auto earlier = libqueue::cancel_request(driver, job.id);
            if (!(earlier && earlier->token == token && earlier->taken))
                libqueue::request_cancel(driver, {job.id, token, args.retry, operator_name(), {}});
        } catch (const libqueue::UsageError&) {
            throw libqueue::UsageError(fmt::format(
                "cancel: the {} driver keeps no requests: a running job cannot be cancelled",
                driver.name()));
        }
        requested.push_back({job, token});
    };
    for (const auto& job : jobs) {
        if (job.status == Status::processing) {
            request(job);
            continue;
        }
        if (driver.cancel(job.id)) {
            say(context, job.id, true, "pending", status_word(Status::failed),
                "cancelled " + job.id);
            continue;
        }
        // A worker claimed it since it was read: it runs now, so stop it there.
        const auto now = driver.find(job.id);
        if (!now)
            throw libqueue::NotFoundError(no_job_message("cancel", job.id));
        if (now->status != Status::processing)
            throw libqueue::DataError(fmt::format("cancel: job '{}' is {}: it finished first",
                                                  job.id, status_word(now->status)));
        request(*now);
    }
    if (requested.empty())
        return;
    if (timeout.count() == 0) {
        for (const auto& r : requested) {
            say(context, r.job.id, false, "running", status_word(r.job.status),
                fmt::format("{}: its worker was asked to stop it", r.job.id));
        }
        return;
    }

    // Its claim ends when the worker records how the attempt ended.
    const auto until = std::chrono::steady_clock::now() + timeout;
    bool all_cancelled = true;
    for (const auto& r : requested) {
        std::optional<Job> now;
        for (;;) {
            now = driver.find(r.job.id);
            if (!now || now->status != Status::processing || now->reserved_by != r.token)
                break;
            if (std::chrono::steady_clock::now() >= until)
                throw libqueue::TemporaryError(fmt::format(
                    "cancel: job '{}' still runs after {}: its worker has not stopped it yet "
                    "(the request stays for it; q cancel again to wait more)",
                    r.job.id, libqueue::format_duration(timeout)));
            std::this_thread::sleep_for(poll_every);
        }
        const auto request = libqueue::cancel_request(driver, r.job.id);
        libqueue::forget_cancel(driver, r.job.id);
        all_cancelled = report_ended(context, r, now, request) && all_cancelled;
    }
    if (!all_cancelled)
        context.exit_code = 1;
}

}  // namespace

void add_cancel_command(CLI::App& app, Context& context) {
    auto args = std::make_shared<CancelArgs>();
    auto* cmd = app.add_subcommand(
        "cancel",
        "Cancel pending jobs, or stop running ones\n"
        "\n"
        "A pending job (due or delayed) becomes failed with last_error \"cancelled\": it is kept "
        "with the dead letters, where q dlq retry can bring it back.\n"
        "\n"
        "A running job is stopped by the worker that runs it, on whichever host: q stores the "
        "request in the backend, the worker reads it within a second, sends SIGTERM to the "
        "job's process group and SIGKILL 5 seconds later if it still runs, and records the job "
        "dead with last_error \"cancelled by operator\" (with --retry: pending again, due at "
        "once, however many attempts it has used). q waits for that up to --timeout and says "
        "how the job ended; a job that finishes on its own first keeps its outcome. The request "
        "names the attempt it is for, so it can never stop a later attempt of the job.\n"
        "\n"
        "Each ID is a whole id or a unique prefix of at least 6 characters; every id is checked "
        "before any job is cancelled.");
    cmd->footer(
        "Examples:\n"
        "  q cancel 01JD3K8X2V6R4T9M0N5P7Q1W2E\n"
        "  q cancel --retry --timeout 2m 01JD3K\n"
        "\n"
        "Output:\n"
        "\"cancelled ID\" for a pending job; \"cancelled ID (stopped while running; now dead)\"\n"
        "for a running one (\"put back to run again\" with --retry), or \"ID: finished before it\n"
        "could be stopped (completed)\". With --json one object per job: {\"id\", \"cancelled\",\n"
        "\"was\": \"pending\"|\"running\", \"status\"}.\n"
        "\n"
        "Exit status:\n"
        "  0   cancelled (--timeout 0: the running jobs' workers were asked)\n"
        "  1   a running job finished on its own before it could be stopped\n"
        "  64  an id prefix matches several jobs (they are named); a driver that keeps no\n"
        "      requests (sync)\n"
        "  65  a job is completed or dead, or pending with --retry: none cancelled\n"
        "  66  no job with that id\n"
        "  75  --timeout passed with a job still running (the request stays)");
    cmd->add_option("ID", args->ids, "Job ids or unique prefixes")->required()->type_name("ID");
    cmd->add_flag("--retry", args->retry,
                  "Put a stopped running job back to pending (due at once) instead of dead");
    cmd->add_option("--timeout", args->timeout,
                    "How long to wait for running jobs to stop (default: 30s; 0: do not wait)")
        ->type_name("DURATION");
    cmd->callback([&context, args] { run_cancel(context, *args); });
}

}  // namespace q
