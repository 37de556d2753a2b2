// q work: the worker loop with the config's handler commands, until stopped or a limit is hit.
#include <fmt/format.h>

#include <iostream>
#include <memory>
#include <mutex>

#include "commands/commands.hpp"
#include "event_lines.hpp"
#include "libqueue/metrics_text.hpp"
#include "libqueue/pauses.hpp"
#include "metrics_listener.hpp"
#include "metrics_textfile.hpp"
#include "options.hpp"
#include "output.hpp"
#include "service_notify.hpp"
#include "signals.hpp"

namespace q {

namespace {

struct WorkArgs {
    std::optional<unsigned> concurrency;
    std::optional<unsigned> prefetch;
    std::optional<std::uint64_t> max_jobs;
    std::string max_time;
    std::string sleep;
    std::string grace;
    bool stop_when_empty = false;
    bool notify = false;
    std::string log_format = "text";
    std::string metrics_textfile;
    std::string metrics_interval;
    std::string metrics_listen;
};

constexpr const char* description =
    "Run a worker: claim due jobs and run their handler commands\n"
    "\n"
    "Each job runs the command the config gives for its name (handlers.NAME.command), executed "
    "directly without a shell, with the payload on stdin and Q_JOB_ID, Q_JOB_NAME, Q_QUEUE, "
    "Q_ATTEMPT and Q_MAX_RETRIES in its environment (the worker's own PGPASSWORD and "
    "Q_REDIS_PASSWORD are not passed on; handlers.NAME.env may set them). Exit 0 completes the "
    "job; exit 65 sends it to the dead letters at once; any other exit, a signal or the "
    "handler's timeout is a failed attempt, retried with exponential backoff until max_retries "
    "is used up. A job whose name has no handler goes dead, never silently dropped. The "
    "handlers' output goes to stderr, each line prefixed with the job id.\n"
    "\n"
    "--queue a,b is strict priority: jobs of b run only while a has none due. Defaults come from "
    "the config's queue.worker section (concurrency, prefetch, max_jobs, timeout, delay).\n"
    "\n"
    "SIGINT or SIGTERM stops claiming; running jobs get the --grace period to finish, then are "
    "interrupted and put back as pending without using up an attempt. A second signal exits at "
    "once (the running jobs are then recovered as stale later).\n"
    "\n"
    "Under systemd, --notify makes Type=notify work: READY=1 once the worker has started, "
    "STOPPING=1 when it stops, WATCHDOG=1 at half of WatchdogSec= while the worker is responsive, "
    "and the counts as the unit's status line. The q-worker@.service unit runs one worker per "
    "queue this way. Handlers do not inherit NOTIFY_SOCKET or the watchdog variables.\n"
    "\n"
    "Metrics of the worker itself (jobs claimed, completed, dead and retried, jobs running, "
    "histograms of claim time and handler run time): --metrics-listen serves them at /metrics "
    "for a Prometheus scrape (OpenMetrics when the scraper asks for it), --metrics-textfile "
    "writes them for node_exporter's textfile collector. The queue's own figures (depth by "
    "state, oldest due job) come from q stats --format prometheus.";

constexpr const char* footer =
    "Examples:\n"
    "  q work\n"
    "  q work --queue urgent,default --concurrency 4\n"
    "  q work --stop-when-empty --json | jq -c 'select(.event == \"dead\")'\n"
    "  q work --metrics-listen 127.0.0.1:9464   # curl -s localhost:9464/metrics\n"
    "  systemctl enable --now q-worker@default.service   # q work --queue default --notify\n"
    "\n"
    "Output:\n"
    "Events on stderr, each line starting with the local time (\"15:04:05.123 completed ID NAME\n"
    "in 12ms\", \"... retrying ID NAME in 30s: ERROR\", \"... dead ID NAME: ERROR\"), the outcome\n"
    "coloured on a terminal unless NO_COLOR is set; a summary when it stops; -q silences both.\n"
    "--log-format json writes the events to stderr as the NDJSON below instead. With --json the\n"
    "events are NDJSON on stdout: {\"event\": \"started\"|\"completed\"|\"retrying\"|\"dead\"|\n"
    "\"put_back\"|\"held\"|\"claim_lost\"|\"recovered\"|\"scheduled\"|\"stopped\", \"id\", "
    "\"name\", "
    "\"queue\", "
    "\"attempt\",\n"
    "\"time\", ...}; completed adds duration_ms, retrying retry_in_ms and error, dead error\n"
    "and exit_status, held (put back for its name's rate or concurrency limit, shown with -v)\n"
    "wait_ms, stopped the counts and the reason.\n"
    "\n"
    "Exit status:\n"
    "  0   stopped cleanly (signal, --max-jobs, --max-time or --stop-when-empty)\n"
    "  64  bad option, or a driver with nothing to work (sync, memory)\n"
    "  65  the queue's data is corrupt (e.g. a damaged queue file): nothing was changed\n"
    "  69  the backend cannot be reached; --metrics-listen's address cannot be bound; --notify\n"
    "      or --metrics-listen in a q built without libsystemd or cpp-httplib\n"
    "  78  configuration error, or a handler that cannot run";

// Workers call back from several threads at once; lines must not interleave.
class EventPrinter {
  public:
    // log_json: stderr gets the events as NDJSON (--log-format json) instead of text lines.
    EventPrinter(const Context& context, bool log_json)
        : context_(context), log_json_(log_json), colour_(!log_json && stderr_wants_colour()) {}

    void started(const libqueue::Job& job) {
        emit(job, "started", {}, Tone::plain, "started",
             fmt::format("{} {} (attempt {} of {})", job.id, job.name, job.attempts,
                         job.max_retries + 1),
             1);
    }
    void completed(const libqueue::Job& job, libqueue::Milliseconds ran_for) {
        emit(job, "completed", {{"duration_ms", ran_for.count()}}, Tone::good, "completed",
             fmt::format("{} {} in {}", job.id, job.name, libqueue::format_duration(ran_for)));
    }
    void retrying(const libqueue::Job& job, const libqueue::Outcome& outcome,
                  libqueue::Milliseconds retry_in) {
        emit(job, "retrying",
             {{"retry_in_ms", retry_in.count()},
              {"error", outcome.error},
              {"exit_status", status_json(outcome)}},
             Tone::warning, "retrying",
             fmt::format("{} {} in {} (attempt {} of {} failed): {}", job.id, job.name,
                         libqueue::format_duration(retry_in), job.attempts, job.max_retries + 1,
                         one_line(outcome.error, 200)));
    }
    void dead(const libqueue::Job& job, const libqueue::Outcome& outcome) {
        emit(job, "dead", {{"error", outcome.error}, {"exit_status", status_json(outcome)}},
             Tone::bad, "dead",
             fmt::format("{} {} after {} attempt{}: {}", job.id, job.name, job.attempts,
                         job.attempts == 1 ? "" : "s", one_line(outcome.error, 200)));
    }
    void put_back(const libqueue::Job& job) {
        emit(job, "put_back", {}, Tone::warning, "put back",
             fmt::format("{} {} (interrupted by shutdown)", job.id, job.name));
    }
    // Shown with -v only: a backlog of a limited name holds jobs back all the time.
    void held(const libqueue::Job& job, libqueue::Milliseconds wait) {
        emit(job, "held", {{"wait_ms", wait.count()}}, Tone::plain, "held",
             fmt::format("{} {}: its limits let it start in {}", job.id, job.name,
                         libqueue::format_duration(wait)),
             1);
    }
    void claim_lost(const libqueue::Job& job) {
        emit(job, "claim_lost", {}, Tone::warning, "claim lost",
             fmt::format("{} {}: it was recovered as stale; its outcome was dropped", job.id,
                         job.name));
    }
    void recovered(const std::vector<libqueue::Job>& jobs) {
        std::lock_guard lock(mutex_);
        nlohmann::json ids = nlohmann::json::array();
        for (const auto& job : jobs) ids.push_back(job.id);
        const auto when = libqueue::system_now();
        write(nlohmann::ordered_json{{"event", "recovered"}, {"time", iso(when)}, {"ids", ids}},
              event_line(when, Tone::warning, "recovered",
                         fmt::format("{} stale job{}", jobs.size(), jobs.size() == 1 ? "" : "s"),
                         colour_));
    }
    void scheduled(const libqueue::EnqueuedTick& tick) {
        std::lock_guard lock(mutex_);
        const auto when = libqueue::system_now();
        write(nlohmann::ordered_json{{"event", "scheduled"},
                                     {"time", iso(when)},
                                     {"schedule", tick.schedule},
                                     {"tick", libqueue::format_iso8601(tick.tick)},
                                     {"id", tick.job_id}},
              event_line(when, Tone::plain, "scheduled",
                         fmt::format("{} {}", tick.job_id, tick.schedule), colour_));
    }
    void worker_error(const std::exception& e) {
        std::lock_guard lock(mutex_);
        // Always shown: the worker keeps going, but someone should know the backend hiccuped.
        if (log_json_) {
            log(nlohmann::ordered_json{
                {"event", "error"}, {"time", iso(libqueue::system_now())}, {"error", e.what()}});
        } else {
            std::cerr << "q: worker: " << e.what() << '\n';
        }
    }
    void stopping(int signo) {
        std::lock_guard lock(mutex_);
        if (context_.quiet())
            return;
        const char* name = signo == SIGINT ? "SIGINT" : "SIGTERM";
        if (log_json_) {
            log(nlohmann::ordered_json{
                {"event", "stopping"}, {"time", iso(libqueue::system_now())}, {"signal", name}});
        } else {
            std::cerr << fmt::format(
                "q: {}: finishing running jobs, then stopping (again to quit now)\n", name);
        }
    }
    void stopped(const libqueue::WorkerSummary& summary) {
        std::lock_guard lock(mutex_);
        const nlohmann::ordered_json event{{"event", "stopped"},
                                           {"time", iso(libqueue::system_now())},
                                           {"reason", summary.stop_reason},
                                           {"completed", summary.completed},
                                           {"retried", summary.retried},
                                           {"dead", summary.dead},
                                           {"put_back", summary.put_back},
                                           {"held", summary.held},
                                           {"claims_lost", summary.claims_lost},
                                           {"elapsed_ms", summary.elapsed.count()}};
        std::string text = fmt::format(
            "q: worker stopped ({}) after {}: {} completed, {} retried, {} dead, {} put back",
            reason_text(summary.stop_reason), libqueue::format_duration(summary.elapsed),
            summary.completed, summary.retried, summary.dead, summary.put_back);
        if (summary.held > 0)
            text += fmt::format(", {} held for limits", summary.held);
        if (summary.claims_lost > 0)
            text += fmt::format(", {} claims lost", summary.claims_lost);
        write(event, text);
    }

  private:
    static nlohmann::json status_json(const libqueue::Outcome& outcome) {
        return outcome.exit_status ? nlohmann::json(*outcome.exit_status) : nlohmann::json();
    }
    static std::string iso(libqueue::TimePoint when) { return libqueue::format_iso8601(when); }
    static std::string reason_text(const std::string& reason) {
        if (reason == "empty")
            return "nothing left to do";
        if (reason == "max_jobs")
            return "--max-jobs reached";
        if (reason == "max_time")
            return "--max-time reached";
        if (reason == "stopped")
            return "signal";
        return reason;
    }

    // One NDJSON line on stderr (--log-format json).
    static void log(const nlohmann::ordered_json& event) {
        std::cerr << event.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
    }

    // An event: as JSON on stdout with --json; on stderr as `human` or, with --log-format json,
    // as the same JSON. Caller holds mutex_. human_level: 0 shown unless -q; 1 only with -v.
    void write(const nlohmann::ordered_json& event, const std::string& human, int human_level = 0) {
        if (context_.json())
            emit_ordered_json(event);
        if (context_.quiet() || context_.verbose() < human_level)
            return;
        if (log_json_) {
            log(event);
        } else {
            std::cerr << human << '\n';
        }
    }

    void emit(const libqueue::Job& job, const char* event, const nlohmann::json& extra, Tone tone,
              const char* word, const std::string& rest, int human_level = 0) {
        std::lock_guard lock(mutex_);
        const auto when = libqueue::system_now();
        nlohmann::ordered_json line = {{"event", event},     {"time", iso(when)},
                                       {"id", job.id},       {"name", job.name},
                                       {"queue", job.queue}, {"attempt", job.attempts}};
        for (const auto& [key, value] : extra.items()) line[key] = value;
        write(line, event_line(when, tone, word, rest, colour_), human_level);
    }

    const Context& context_;
    const bool log_json_;
    const bool colour_;
    std::mutex mutex_;
};

libqueue::WorkerOptions worker_options(Context& context, const WorkArgs& args) {
    auto options = libqueue::worker_options_from(context.config());
    options.queues = context.queues();
    if (args.concurrency)
        options.concurrency = *args.concurrency;
    if (args.prefetch)
        options.prefetch = args.prefetch;
    if (args.max_jobs)
        options.max_jobs = args.max_jobs;
    if (!args.max_time.empty())
        options.max_time = parse_duration_option("--max-time", args.max_time);
    if (!args.sleep.empty())
        options.idle_sleep = parse_duration_option("--sleep", args.sleep);
    if (!args.grace.empty())
        options.shutdown_grace = parse_duration_option("--grace", args.grace);
    options.stop_when_empty = args.stop_when_empty;
    return options;
}

void run_work(Context& context, const WorkArgs& args) {
    // Before any thread exists, so every thread inherits the blocked signals.
    // The mutex keeps the watcher from calling stop() on a worker that is being destroyed.
    std::mutex running_mutex;
    libqueue::Worker* running = nullptr;
    EventPrinter printer(context, args.log_format == "json");
    SignalWatcher signals([&](int signo) {
        printer.stopping(signo);
        std::lock_guard lock(running_mutex);
        if (running != nullptr)
            running->stop();
    });

    if (args.notify) {
        if (const auto missing = service_notify_missing()) {
            throw libqueue::UnavailableError("--notify: " + *missing +
                                             "; run the unit with Type=simple instead");
        }
    }
    auto options = worker_options(context, args);
    if (!args.metrics_interval.empty() && args.metrics_textfile.empty())
        throw libqueue::UsageError("--metrics-interval goes with --metrics-textfile");
    const auto metrics_every =
        args.metrics_interval.empty()
            ? libqueue::Milliseconds(15000)
            : parse_duration_option("--metrics-interval", args.metrics_interval);
    if (metrics_every.count() < 100)
        throw libqueue::UsageError("--metrics-interval: at least 100ms");
    std::optional<ListenAddress> listen_at;
    if (!args.metrics_listen.empty()) {
        listen_at = parse_listen_address(args.metrics_listen);
        if (const auto missing = metrics_listener_missing()) {
            throw libqueue::UnavailableError("--metrics-listen: " + *missing +
                                             "; use --metrics-textfile");
        }
    }
    libqueue::require_stored_jobs(context.config().driver);
    context.note_when_no_config();
    if (auto problems = libqueue::unrunnable_handlers(context.config()); !problems.empty()) {
        throw libqueue::ConfigError(fmt::format(
            "{}: cannot start: {}", context.config().source.string(), fmt::join(problems, "; ")));
    }
    auto& driver = context.driver();
    auto& handlers = context.handlers();

    libqueue::WorkerCallbacks callbacks;
    callbacks.on_job_start = [&](const libqueue::Job& job) { printer.started(job); };
    callbacks.on_job_complete = [&](const libqueue::Job& job, libqueue::Milliseconds ran_for) {
        printer.completed(job, ran_for);
    };
    callbacks.on_job_retry = [&](const libqueue::Job& job, const libqueue::Outcome& outcome,
                                 libqueue::Milliseconds retry_in) {
        printer.retrying(job, outcome, retry_in);
    };
    callbacks.on_job_dead = [&](const libqueue::Job& job, const libqueue::Outcome& outcome) {
        printer.dead(job, outcome);
    };
    callbacks.on_job_put_back = [&](const libqueue::Job& job) { printer.put_back(job); };
    callbacks.on_job_held = [&](const libqueue::Job& job, libqueue::Milliseconds wait) {
        printer.held(job, wait);
    };
    callbacks.on_claim_lost = [&](const libqueue::Job& job) { printer.claim_lost(job); };
    callbacks.on_worker_error = [&](const std::exception& e) { printer.worker_error(e); };
    callbacks.on_recovered = [&](const std::vector<libqueue::Job>& jobs) {
        if (!jobs.empty())
            printer.recovered(jobs);
    };
    callbacks.on_ticks_enqueued = [&](const std::vector<libqueue::EnqueuedTick>& ticks) {
        for (const auto& tick : ticks) printer.scheduled(tick);
    };

    debug(context, 1,
          fmt::format("worker on {} ({}), concurrency {}", driver.name(),
                      fmt::join(options.queues, ","), options.concurrency));
    // A worker started on a paused queue claims nothing from it: say so before it sits idle.
    for (const auto& pause : libqueue::paused_queues(driver)) {
        if (std::find(options.queues.begin(), options.queues.end(), pause.queue) !=
            options.queues.end())
            note(context, pause_line(pause) + " (q resume " + pause.queue + ")");
    }
    libqueue::Metrics metrics;
    libqueue::Worker worker(driver, handlers, options, callbacks, &metrics);
    std::optional<MetricsTextfile> textfile;
    if (!args.metrics_textfile.empty()) {
        textfile.emplace(args.metrics_textfile, metrics_every, [&metrics] {
            return libqueue::process_metrics_text(metrics.snapshot(),
                                                  libqueue::MetricsFormat::prometheus);
        });
    }
    std::optional<MetricsListener> listener;
    if (listen_at) {
        listener.emplace(*listen_at, [&metrics](libqueue::MetricsFormat format) {
            return libqueue::process_metrics_text(metrics.snapshot(), format);
        });
        note(context, "metrics: " + listener->url());
    }
    {
        std::lock_guard lock(running_mutex);
        running = &worker;
    }
    // A signal that came before the worker existed still counts.
    if (signals.received() != 0)
        worker.stop();
    std::optional<ServiceNotifier> service;
    if (args.notify) {
        service.emplace();
        service->ready([&worker] { return worker.progress(); });
    }
    auto summary = worker.run();
    if (service)
        service->stopping();  // before the worker goes: the feeding thread reads it
    {
        std::lock_guard lock(running_mutex);
        running = nullptr;
    }
    printer.stopped(summary);
}

}  // namespace

void add_work_command(CLI::App& app, Context& context) {
    auto args = std::make_shared<WorkArgs>();
    auto* cmd = app.add_subcommand("work", description);
    cmd->footer(footer);
    cmd->add_option("--concurrency", args->concurrency, "Run up to N jobs at once")
        ->type_name("N")
        ->check(CLI::Range(1u, 1024u));
    cmd->add_option("--prefetch", args->prefetch,
                    "Hold up to N claimed jobs beyond the free slots (default: adaptive, jobs "
                    "the slots finish within a few ms; 0 holds none)")
        ->type_name("N")
        ->check(CLI::Range(0u, libqueue::max_prefetch));
    cmd->add_option("--max-jobs", args->max_jobs, "Stop after finishing N jobs")->type_name("N");
    cmd->add_option("--max-time", args->max_time, "Stop claiming after running DURATION")
        ->type_name("DURATION");
    cmd->add_option("--sleep", args->sleep,
                    "Longest wait between polls while nothing is due (default: 1s)")
        ->type_name("DURATION");
    cmd->add_flag("--stop-when-empty", args->stop_when_empty,
                  "Stop once nothing is due and this worker's jobs have finished, retries "
                  "included (jobs pushed with a delay stay for later)");
    cmd->add_option("--grace", args->grace,
                    "On SIGINT/SIGTERM, how long running jobs may finish before they are "
                    "interrupted and put back (default: 30s)")
        ->type_name("DURATION");
    cmd->add_option("--log-format", args->log_format,
                    "text: a line per event on stderr, starting with the local time, the "
                    "outcome coloured on a terminal (not with NO_COLOR); json: the events as "
                    "NDJSON on stderr, for a log shipper (handler output stays \"[ID] text\")")
        ->type_name("FORMAT")
        ->check(CLI::IsMember({"text", "json"}));
    cmd->add_option("--metrics-textfile", args->metrics_textfile,
                    "Write this worker's metrics (Prometheus text: jobs completed and dead by "
                    "name, retries, running, run time) to PATH every --metrics-interval and when "
                    "it stops, atomically, for node_exporter's textfile collector (mode 0600)")
        ->type_name("PATH");
    cmd->add_option("--metrics-listen", args->metrics_listen,
                    "Serve this worker's metrics at http://ADDRESS/metrics for Prometheus "
                    "(ADDRESS: PORT on 127.0.0.1, HOST:PORT or [IPv6]:PORT; port 0 picks a free "
                    "one, printed on stderr)")
        ->type_name("ADDRESS");
    cmd->add_option("--metrics-interval", args->metrics_interval,
                    "How often --metrics-textfile is written (default: 15s)")
        ->type_name("DURATION");
    cmd->add_flag("--notify", args->notify,
                  "Tell systemd (Type=notify) when the worker is ready and stopping, and feed "
                  "its watchdog");
    cmd->callback([&context, args] { run_work(context, *args); });
}

}  // namespace q
