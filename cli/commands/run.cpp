// q run: a batch of jobs worked in this process with the memory driver, until each one has
// completed or gone dead. A retrying `xargs -P` for shell users.
#include <fmt/format.h>

#include <iostream>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>

#include "batch.hpp"
#include "commands/commands.hpp"
#include "event_lines.hpp"
#include "options.hpp"
#include "output.hpp"
#include "progress.hpp"
#include "signals.hpp"

namespace q {

namespace {

struct RunArgs {
    std::string batch = "-";
    std::optional<unsigned> concurrency;
};

constexpr const char* description =
    "Work a batch of jobs in this process, then exit\n"
    "\n"
    "Reads jobs as NDJSON, one JSON object per line as q push --batch takes them ({\"name\": ..., "
    "\"payload\": any JSON, \"queue\": ..., \"delay\": \"30s\", \"max_retries\": N, "
    "\"unique_key\": ...}), from stdin or --batch FILE. Every line is checked first: a bad line is "
    "reported with its number (exit 65) and nothing runs. Then the jobs are held in memory and "
    "worked like q work does it (the config's handlers, retries with backoff, timeouts), "
    "--concurrency at a time, until every job has completed or gone dead. Nothing is stored: "
    "this is the memory driver's command.";

constexpr const char* footer =
    "Examples:\n"
    "  printf '%s\\n' '{\"name\": \"resize\", \"payload\": {\"file\": \"a.png\"}}' | q run\n"
    "  q run --batch jobs.ndjson --concurrency 8\n"
    "\n"
    "Output:\n"
    "Events on stderr (\"15:04:05.123 completed ID NAME in 12ms\", \"... retrying ...\",\n"
    "\"... dead ...\"; local time, the outcome coloured on a terminal unless NO_COLOR) and a\n"
    "summary; -q silences both. With --json, NDJSON on stdout: one event per line as q work\n"
    "prints them, then {\"event\": \"summary\", \"jobs\", \"completed\", \"dead\", \"retries\",\n"
    "\"elapsed_ms\", \"dead_jobs\": [{\"id\", \"name\", \"error\", \"exit_status\"}]}.\n"
    "\n"
    "Exit status:\n"
    "  0   every job completed\n"
    "  1   at least one job went dead\n"
    "  64  bad option\n"
    "  65  a bad batch line: nothing ran\n"
    "  78  configuration error\n"
    "  130, 143  stopped by SIGINT / SIGTERM before every job finished";

// Worker callbacks arrive from several threads: one lock keeps lines whole and counts right.
class RunReport {
  public:
    // jobs: how many the batch holds, for the progress line.
    RunReport(const Context& context, std::size_t jobs) : context_(context) {
        progress_.emplace(context, "finished", jobs);
    }

    void completed(const libqueue::Job& job, libqueue::Milliseconds ran_for) {
        std::lock_guard lock(mutex_);
        ++completed_;
        if (progress_)
            progress_->advance(1);
        event(job, "completed", {{"duration_ms", ran_for.count()}}, Tone::good,
              fmt::format("{} {} in {}", job.id, job.name, libqueue::format_duration(ran_for)));
    }
    void retrying(const libqueue::Job& job, const libqueue::Outcome& outcome,
                  libqueue::Milliseconds retry_in) {
        std::lock_guard lock(mutex_);
        ++retries_;
        event(job, "retrying",
              {{"retry_in_ms", retry_in.count()},
               {"error", outcome.error},
               {"exit_status", status_json(outcome)}},
              Tone::warning,
              fmt::format("{} {} in {} (attempt {} of {} failed): {}", job.id, job.name,
                          libqueue::format_duration(retry_in), job.attempts, job.max_retries + 1,
                          one_line(outcome.error, 200)));
    }
    void dead(const libqueue::Job& job, const libqueue::Outcome& outcome) {
        std::lock_guard lock(mutex_);
        if (progress_)
            progress_->advance(1);
        dead_.push_back({{"id", job.id},
                         {"name", job.name},
                         {"error", outcome.error},
                         {"exit_status", status_json(outcome)}});
        event(job, "dead", {{"error", outcome.error}, {"exit_status", status_json(outcome)}},
              Tone::bad,
              fmt::format("{} {} after {} attempt{}: {}", job.id, job.name, job.attempts,
                          job.attempts == 1 ? "" : "s", one_line(outcome.error, 200)));
    }
    void worker_error(const std::exception& e) {
        std::lock_guard lock(mutex_);
        say(std::string("q: run: ") + e.what());
    }

    bool any_dead() const { return !dead_.empty(); }

    void summary(std::size_t jobs, libqueue::Milliseconds elapsed, bool interrupted) {
        std::lock_guard lock(mutex_);
        progress_.reset();  // erased before the summary takes its place
        if (context_.json()) {
            emit_json({{"event", "summary"},
                       {"jobs", jobs},
                       {"completed", completed_},
                       {"dead", dead_.size()},
                       {"retries", retries_},
                       {"unfinished", jobs - completed_ - dead_.size()},
                       {"elapsed_ms", elapsed.count()},
                       {"dead_jobs", dead_}});
        }
        if (context_.quiet())
            return;
        std::cerr << fmt::format("q: run: {} job{} in {}: {} completed, {} dead, {} retries", jobs,
                                 jobs == 1 ? "" : "s", libqueue::format_duration(elapsed),
                                 completed_, dead_.size(), retries_);
        if (interrupted) {
            std::cerr << fmt::format(", {} unfinished (interrupted)",
                                     jobs - completed_ - dead_.size());
        }
        std::cerr << '\n';
        for (const auto& d : dead_) {
            std::cerr << fmt::format("  dead {} {}: {}\n", d["id"].get<std::string>(),
                                     d["name"].get<std::string>(),
                                     one_line(d["error"].get<std::string>(), 200));
        }
    }

  private:
    static nlohmann::json status_json(const libqueue::Outcome& outcome) {
        return outcome.exit_status ? nlohmann::json(*outcome.exit_status) : nlohmann::json();
    }

    // A line on stderr, above the progress line while there is one.
    void say(const std::string& line) {
        if (progress_) {
            progress_->print_above(line);
        } else {
            std::cerr << line << '\n';
        }
    }

    // name is also the word the human line starts with (after the time).
    void event(const libqueue::Job& job, const char* name, nlohmann::json extra, Tone tone,
               const std::string& rest) {
        const auto when = libqueue::system_now();
        if (context_.json()) {
            nlohmann::json line = {{"event", name},      {"time", libqueue::format_iso8601(when)},
                                   {"id", job.id},       {"name", job.name},
                                   {"queue", job.queue}, {"attempt", job.attempts}};
            for (auto& [key, value] : extra.items()) line[key] = value;
            emit_json(line);
        }
        if (!context_.quiet())
            say(event_line(when, tone, name, rest, stderr_wants_colour()));
    }

    const Context& context_;
    std::mutex mutex_;
    std::size_t completed_ = 0;
    std::size_t retries_ = 0;
    std::vector<nlohmann::json> dead_;
    std::optional<Progress> progress_;  // "finished 12 of 40 (30%) ..." below the event lines
};

// Jobs still to finish: pending (due or waiting out a backoff) or processing.
bool work_left(libqueue::QueueDriver& driver, const std::vector<std::string>& queues) {
    for (const auto& queue : queues) {
        libqueue::ListFilter filter;
        filter.queue = queue;
        filter.limit = 1;
        for (auto status : {libqueue::Status::pending, libqueue::Status::processing}) {
            filter.status = status;
            if (!driver.list(filter).empty())
                return true;
        }
    }
    return false;
}

void run_batch(Context& context, const RunArgs& args) {
    std::mutex running_mutex;
    libqueue::Worker* running = nullptr;
    bool interrupted = false;
    SignalWatcher signals([&](int signo) {
        if (!context.quiet()) {
            std::cerr << fmt::format("q: {}: finishing running jobs, then stopping\n",
                                     signo == SIGINT ? "SIGINT" : "SIGTERM");
        }
        std::lock_guard lock(running_mutex);
        interrupted = true;
        if (running != nullptr)
            running->stop();
    });

    auto jobs = read_batch(args.batch,
                           libqueue::NewJob{}.queue);  // every line checked before anything runs
    if (jobs.empty()) {
        note(context, "run: no jobs in the batch");
        return;
    }
    const auto& config = context.config();
    unsigned concurrency = args.concurrency.value_or(config.worker.concurrency);
    if (concurrency == 0)
        throw libqueue::UsageError("--concurrency: must be at least 1");

    libqueue::Config memory_config = config;
    memory_config.driver = "memory";
    auto& handlers = context.handlers();
    auto driver = libqueue::create_driver(memory_config);
    driver->push_batch(jobs);

    std::vector<std::string> queues;  // every queue the batch names, in order of appearance
    for (const auto& job : jobs) {
        if (std::find(queues.begin(), queues.end(), job.queue) == queues.end()) {
            queues.push_back(job.queue);
        }
    }

    auto options = libqueue::worker_options_from(config);
    options.queues = queues;
    options.concurrency = concurrency;
    options.stop_when_empty = true;
    // The batch is the whole job: the config's limits for a long-running worker do not apply,
    // nor its schedules (their ticks belong to the workers of the backend).
    options.max_jobs.reset();
    options.max_time.reset();
    options.schedules.clear();
    // The store ends with this process: nothing could read the logs after, and keeping each
    // job's output would only grow its memory with the batch.
    options.logs.enabled = false;

    RunReport report(context, jobs.size());
    libqueue::WorkerCallbacks callbacks;
    callbacks.on_job_complete = [&](const libqueue::Job& job, libqueue::Milliseconds ran_for) {
        report.completed(job, ran_for);
    };
    callbacks.on_job_retry = [&](const libqueue::Job& job, const libqueue::Outcome& outcome,
                                 libqueue::Milliseconds retry_in) {
        report.retrying(job, outcome, retry_in);
    };
    callbacks.on_job_dead = [&](const libqueue::Job& job, const libqueue::Outcome& outcome) {
        report.dead(job, outcome);
    };
    callbacks.on_worker_error = [&](const std::exception& e) { report.worker_error(e); };

    debug(context, 1, fmt::format("run: {} jobs, concurrency {}", jobs.size(), concurrency));
    auto started = std::chrono::steady_clock::now();
    // The worker stops when nothing is due; jobs waiting out a backoff (or a delay) are not due
    // yet, so wait for them and go again until every job has completed or gone dead.
    while (true) {
        {
            libqueue::Worker worker(*driver, handlers, options, callbacks);
            {
                std::lock_guard lock(running_mutex);
                if (interrupted)
                    break;
                running = &worker;
            }
            worker.run();
            std::lock_guard lock(running_mutex);
            running = nullptr;
            if (interrupted)
                break;
        }
        if (!work_left(*driver, queues))
            break;
        driver->wait_for_jobs(queues, libqueue::Milliseconds(200));
    }
    auto elapsed = std::chrono::duration_cast<libqueue::Milliseconds>(
        std::chrono::steady_clock::now() - started);
    report.summary(jobs.size(), elapsed, interrupted);
    if (interrupted) {
        context.exit_code = 128 + signals.received();
    } else if (report.any_dead()) {
        context.exit_code = 1;
    }
}

}  // namespace

void add_run_command(CLI::App& app, Context& context) {
    auto args = std::make_shared<RunArgs>();
    auto* cmd = app.add_subcommand("run", description);
    cmd->footer(footer);
    cmd->add_option("--batch", args->batch, "Read the NDJSON jobs from FILE (default: - for stdin)")
        ->type_name("FILE");
    cmd->add_option("--concurrency", args->concurrency, "Run up to N jobs at once")
        ->type_name("N")
        ->check(CLI::Range(1u, 1024u));
    cmd->callback([&context, args] { run_batch(context, *args); });
}

}  // namespace q
