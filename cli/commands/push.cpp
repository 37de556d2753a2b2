// q push: one job from the arguments, or many from an NDJSON batch (all or nothing).
#include <fmt/format.h>

#include <iostream>
#include <memory>
#include <set>
#include <sstream>

#include "batch.hpp"
#include "commands/commands.hpp"
#include "libqueue/json_limits.hpp"
#include "options.hpp"
#include "output.hpp"
#include "progress.hpp"

namespace q {

namespace {

struct PushArgs {
    std::string name;
    std::string payload;
    std::string payload_file;
    std::string delay;
    std::string at;
    int max_retries = 3;
    bool max_retries_given = false;
    int priority = 0;
    bool priority_given = false;
    bool payload_given = false;  // an empty PAYLOAD argument is a mistake, not "no payload"

    std::string unique_key;
    std::string batch;
};

constexpr const char* description =
    "Add a job to a queue and print its id\n"
    "\n"
    "The job runs when a worker (q work) claims it: the handler the config names for NAME gets "
    "PAYLOAD on stdin. PAYLOAD is JSON ({} when omitted); - reads it from stdin. A payload that "
    "is not JSON is refused (exit 65) and nothing is stored.\n"
    "\n"
    "With --priority N (0 to 1000, default 0), workers take the job before every due job of its "
    "queue with a lower priority; among equal priorities the job due first goes first. The "
    "sqlite and postgres drivers keep priorities in a column q adds to the tables it creates "
    "(q migrate --priorities adds it to an older table).\n"
    "\n"
    "With --unique-key, while a job with the same key is pending or processing, q push adds "
    "nothing and prints that job's id instead.\n"
    "\n"
    "With --batch, every line of FILE (- for stdin) is one job as a JSON object: {\"name\": ..., "
    "\"payload\": any JSON, \"queue\": ..., \"delay\": \"30s\" or seconds, \"max_retries\": N, "
    "\"priority\": N, \"unique_key\": ...}; only name is required. A line that is a whole job "
    "record, as q "
    "export writes it (it has a \"status\"), keeps its id, attempts and due time; a finished "
    "one (completed or dead) is refused. Every line is checked before anything is "
    "stored, and then all jobs are stored together or none is: a bad line is reported with its "
    "number (exit 65) and the queue is left as it was. The ids are printed one per line, in the "
    "order of the lines.";

constexpr const char* footer =
    "Examples:\n"
    "  q push send_email '{\"to\": \"ada@example.com\"}'\n"
    "  echo '{\"order\": 1042}' | q push charge_card -\n"
    "  q push --delay 10m --max-retries 5 reminder --payload-file reminder.json\n"
    "  q push --at '2026-11-23 17:00' report\n"
    "  q push --unique-key nightly-report report\n"
    "  q push --priority 10 password_reset '{\"user\": 7}'\n"
    "  q push --batch jobs.ndjson\n"
    "\n"
    "Output:\n"
    "The job id on stdout. With --json: {\"id\": \"...\", \"created\": true} (created is false\n"
    "when --unique-key matched an existing job); with --batch, one such line per job.\n"
    "With the sync driver the job runs at once: the line adds status, attempts,\n"
    "exit_status and last_error, and a failed job makes q push exit 1.\n"
    "\n"
    "Exit status:\n"
    "  0   stored (or matched by its unique key)\n"
    "  1   the sync driver ran the job and it failed\n"
    "  64  bad option: duration, time, missing NAME\n"
    "  65  the payload is not JSON, or a batch line is bad: nothing was stored\n"
    "  66  --payload-file or --batch names a directory\n"
    "  69  the backend cannot be reached\n"
    "  78  configuration error";

std::string checked_payload(const std::string& text, const std::string& origin) {
    auto payload = trimmed(text);
    if (payload.empty())
        throw libqueue::DataError(origin + ": empty payload (use {} for none)");
    libqueue::check_json_depth(payload, origin);
    try {
        [[maybe_unused]] auto parsed = nlohmann::json::parse(payload);
    } catch (const nlohmann::json::parse_error& e) {
        // nlohmann's message starts "[json.exception.parse_error.101] parse error at line 1..."
        std::string why = e.what();
        auto pos = why.find("] ");
        if (pos != std::string::npos)
            why = why.substr(pos + 2);
        throw libqueue::DataError(origin + ": not valid JSON: " + why);
    } catch (const nlohmann::json::out_of_range&) {
        // A number such as 1e999, which no double holds.
        throw libqueue::DataError(origin + ": not valid JSON: a number is out of range");
    }
    return payload;
}

// A driver that runs jobs at dispatch (sync) says how each ended; a dead job fails the command.
void print_result(Context& context, const libqueue::Dispatched& result) {
    if (context.json()) {
        nlohmann::ordered_json line = {{"id", result.id}, {"created", result.created}};
        if (result.ran) {
            const auto& job = result.ran->job;
            const auto& exit_status = result.ran->exit_status;
            line["status"] = libqueue::to_string(job.status);
            line["attempts"] = job.attempts;
            line["exit_status"] = exit_status ? nlohmann::ordered_json(*exit_status) : nullptr;
            line["last_error"] = job.last_error ? nlohmann::ordered_json(*job.last_error) : nullptr;
        }
        emit_ordered_json(line);
    } else {
        print_line(result.id);
    }
    if (!result.ran)
        return;
    const auto& job = result.ran->job;
    if (job.status == libqueue::Status::failed) {
        std::cerr << fmt::format("q: job {} {} failed after {} attempt{}: {}\n", job.id, job.name,
                                 job.attempts, job.attempts == 1 ? "" : "s",
                                 one_line(job.last_error.value_or("(no error)"), 500));
        context.exit_code = 1;
    } else {
        note(context, fmt::format("job {} {} ran: {}", job.id, job.name, status_word(job.status)));
    }
}

bool runs_at_dispatch(Context& context) {
    return libqueue::dispatch_mode(context.config().driver) ==
           libqueue::DispatchMode::run_at_dispatch;
}

libqueue::NewJob job_from_args(Context& context, const PushArgs& args) {
    libqueue::NewJob job;
    job.name = args.name;
    job.queue = context.queue();
    if (!args.payload_file.empty()) {
        const std::string what = "--payload-file " + args.payload_file;
        job.payload = checked_payload(
            read_input(args.payload_file, libqueue::max_payload_input_bytes, what), what);
    } else if (args.payload == "-") {
        job.payload = checked_payload(
            read_input("-", libqueue::max_payload_input_bytes, "payload from stdin"),
            "payload from stdin");
    } else if (args.payload_given) {
        job.payload = checked_payload(args.payload, "payload");
    }
    if (!args.delay.empty())
        job.delay = parse_duration_option("--delay", args.delay);
    if (!args.at.empty())
        job.run_at = parse_time_option("--at", args.at);
    job.max_retries = args.max_retries;
    job.priority = args.priority;
    if (!args.unique_key.empty()) {
        check_label_option("--unique-key", "unique key", args.unique_key);
        job.unique_key = args.unique_key;
    }
    libqueue::validate_new_job(job);
    return job;
}

// A name no handler of this config runs is still stored (another host's config may run it), but
// a typo would wait forever: say so. A config without handlers is a producer's: nothing to say.
void warn_unknown_names(Context& context, const std::vector<libqueue::NewJob>& jobs) {
    const auto& handlers = context.config().handlers;
    if (handlers.empty())
        return;
    std::set<std::string> unknown;
    for (const auto& job : jobs) {
        if (!handlers.contains(job.name))
            unknown.insert(job.name);
    }
    for (const auto& name : unknown) {
        note(context, fmt::format("warning: no handler for '{}' in {}; stored anyway (a worker "
                                  "whose config has one will run it)",
                                  name, context.config().source.string()));
    }
}

// The note that no config was found comes once the job is known good: a refused push prints
// one line, its error.
void run_push(Context& context, const PushArgs& args) {
    if (!args.batch.empty()) {
        if (!args.name.empty() || !args.payload.empty() || !args.payload_file.empty() ||
            !args.delay.empty() || !args.at.empty() || !args.unique_key.empty() ||
            args.max_retries_given || args.priority_given) {
            throw libqueue::UsageError(
                "--batch takes every job from its lines: no NAME, PAYLOAD or job options");
        }
        std::vector<libqueue::NewJob> jobs;
        {
            Progress reading(context, "read", std::nullopt, "lines");
            jobs = read_batch(args.batch, context.queue(), [&reading] { reading.advance(1); });
        }
        if (jobs.empty()) {
            note(context, "batch is empty: nothing pushed");
            return;
        }
        context.note_when_no_config();
        if (runs_at_dispatch(context)) {
            auto results = libqueue::run_now_batch(jobs, context.handlers());
            for (auto& result : results)
                print_result(context, libqueue::Dispatched::run(std::move(result)));
            return;
        }
        warn_unknown_names(context, jobs);
        // One call: the driver stores all or none, whatever it does inside to keep statements
        // small.
        std::vector<libqueue::PushResult> results;
        {
            WaitLine storing(context, fmt::format("storing {} jobs (all or nothing)", jobs.size()));
            results = context.driver().push_batch(jobs);
        }
        for (const auto& result : results)
            print_result(context, libqueue::Dispatched::stored(result));
        debug(context, 1, fmt::format("pushed {} jobs", results.size()));
        return;
    }
    if (args.name.empty())
        throw libqueue::UsageError("push: NAME is required (or --batch FILE)");
    if (!args.payload.empty() && !args.payload_file.empty()) {
        throw libqueue::UsageError("push: give PAYLOAD or --payload-file, not both");
    }
    if (!args.delay.empty() && !args.at.empty()) {
        throw libqueue::UsageError("push: give --delay or --at, not both");
    }
    auto job = job_from_args(context, args);
    context.note_when_no_config();
    if (runs_at_dispatch(context)) {
        print_result(context,
                     libqueue::Dispatched::run(libqueue::run_now(job, context.handlers())));
        return;
    }
    warn_unknown_names(context, {job});
    auto result = context.driver().push(job);
    if (!result.created) {
        note(context, fmt::format("a job with unique key '{}' is already queued: {}",
                                  job.unique_key.value_or(""), result.id));
    }
    print_result(context, libqueue::Dispatched::stored(result));
}

}  // namespace

void add_push_command(CLI::App& app, Context& context) {
    auto args = std::make_shared<PushArgs>();
    auto* cmd = app.add_subcommand("push", description);
    cmd->footer(footer);
    cmd->add_option("NAME", args->name, "The job name: selects the handler")->type_name("NAME");
    cmd->add_option("PAYLOAD", args->payload, "The payload JSON; - reads stdin (default: {})")
        ->type_name("PAYLOAD");
    cmd->add_option("--payload-file", args->payload_file,
                    "Read the payload JSON from FILE (- for stdin)")
        ->type_name("FILE");
    cmd->add_option("--delay", args->delay, "Run no sooner than DURATION from now")
        ->type_name("DURATION");
    cmd->add_option("--at", args->at,
                    "Run no sooner than TIME (ISO 8601; local time without an offset)")
        ->type_name("TIME");
    cmd->add_option("--max-retries", args->max_retries,
                    "Retries after a failed attempt before the job goes dead")
        ->check(CLI::Range(0, 1'000'000))
        ->type_name("N")
        ->capture_default_str();
    cmd->add_option("--priority", args->priority,
                    "Claim before the queue's due jobs of lower priority (higher first)")
        ->check(CLI::Range(0, libqueue::max_priority))
        ->type_name("N")
        ->capture_default_str();
    cmd->add_option("--unique-key", args->unique_key,
                    "Add nothing while a pending or processing job has KEY")
        ->type_name("KEY");
    cmd->add_option("--batch", args->batch, "Push every NDJSON line of FILE (- for stdin)")
        ->type_name("FILE");
    cmd->callback([&context, args, cmd] {
        args->max_retries_given = cmd->count("--max-retries") > 0;
        args->priority_given = cmd->count("--priority") > 0;
        args->payload_given = cmd->count("PAYLOAD") > 0;
        run_push(context, *args);
    });
}

}  // namespace q
