#include "libqueue/config_keys.hpp"

#include "libqueue/registry.hpp"

namespace libqueue {

namespace {

// q's own keys. A driver's keys live beside its section check (drivers/NAME/) and come in
// through the registry.
const std::vector<ConfigKey>& core_keys_before_drivers() {
    static const std::vector<ConfigKey> keys = {
        {"queue", "object", "{}", "Where jobs are stored and how they are retried and worked.", ""},
        {"queue.driver", "string", "\"sqlite\"",
         "The backend: one of the drivers this q has (q version lists them): sqlite, file, "
         "postgres, redis, or sync (each push runs its job at once and stores nothing); memory "
         "only for q run. \"database\", the Dart queue system's name, is read as postgres. "
         "--driver overrides it for one command.",
         "\"sqlite\""},
        {"queue.stale_after", "duration", "\"5m\"",
         "A running job whose worker has sent no heartbeat for this long is given back to the "
         "queue (recover-stale, and every worker every stale_after/2). Workers heartbeat every "
         "stale_after/3, so a live worker's jobs never go stale. Must be longer than 0s.",
         "\"5m\""},
        {"queue.keep_completed", "boolean", "true",
         "false deletes a completed job at once (its counts in q stats stay).", "true"},
        {"queue.retry", "object", "{}", "The backoff between attempts of a failed job.", ""},
        {"queue.retry.base", "duration", "\"30s\"",
         "The wait after the first failed attempt: base x 2^(attempt-1), capped at max, with "
         "+-20% jitter.",
         "\"30s\""},
        {"queue.retry.max", "duration", "\"1h\"", "The longest wait between attempts.", "\"1h\""},
        {"queue.worker", "object", "{}", "Defaults for q work (its options override them).", ""},
        {"queue.worker.concurrency", "whole number, 1 to 1024", "1", "Jobs run at once.", "4"},
        {"queue.worker.prefetch", "whole number, 0 to 256", "adaptive",
         "Jobs claimed beyond the free slots. Unset: what the slots finish in about 20 ms at the "
         "recent run time, none for slower jobs; 0 never holds a job it cannot start.",
         "0"},
        {"queue.worker.delay", "duration", "0", "A pause after each job.", "\"100ms\""},
        {"queue.worker.max_jobs", "whole number, at least 1", "none",
         "q work stops after this many jobs.", "1000"},
        {"queue.worker.timeout", "duration", "none",
         "q work stops claiming after running this long.", "\"1h\""},
        {"queue.logs", "object", "{}",
         "What each attempt of a job printed (stdout and stderr, in order), kept beside the "
         "jobs for q log and q show.",
         ""},
        {"queue.logs.enabled", "boolean", "true", "false keeps no output and no attempt history.",
         "true"},
        {"queue.logs.max_bytes", "whole number, 1024 to 16777216", "65536",
         "Per attempt: past it, the first and the last half are kept and the middle is cut.",
         "65536"},
        {"queue.logs.keep", "duration", "\"7d\"",
         "Logs last written longer ago are removed by workers (hourly) and q prune.", "\"7d\""},
    };
    return keys;
}

const std::vector<ConfigKey>& handler_keys() {
    static const std::vector<ConfigKey> keys = {
        {"handlers", "object", "{}",
         "The command that runs each job name (the key). A config without handlers is a "
         "producer's: it pushes jobs that workers elsewhere run.",
         ""},
        {"handlers.NAME", "object", "none",
         "How jobs named NAME run. A job whose name has no handler goes to the dead letters.", ""},
        {"handlers.NAME.command", "array of strings", "required",
         "The program and its arguments, executed directly, never through a shell (for one, "
         "write [\"sh\", \"-c\", \"...\"]). A program path with a / is found from the config "
         "file's folder; a bare name on PATH. q work refuses to start (exit 78) while a "
         "handler's program is missing or not executable. See q-handlers(7).",
         "[\"bin/send-email\", \"--from\", \"noreply@example.com\"]"},
        {"handlers.NAME.timeout", "duration", "none",
         "The job's process group gets SIGTERM after this long, SIGKILL shortly after; the "
         "attempt counts as failed.",
         "\"30s\""},
        {"handlers.NAME.env", "object of strings", "{}",
         "Variables added to the handler's environment. The worker's PGPASSWORD and "
         "Q_REDIS_PASSWORD are never passed on; a handler that needs one sets it here (q config "
         "shows it as ***).",
         "{\"SMTP_HOST\": \"localhost\"}"},
        {"handlers.NAME.cwd", "path", "the worker's current folder",
         "The folder the command runs in; a relative one is found from the config file's "
         "folder.",
         "\".\""},
        {"handlers.NAME.rate", "COUNT/DURATION", "none",
         "At most COUNT jobs of this name start per DURATION, across every worker of the "
         "backend (the limit is kept in the backend): starts are spread evenly, one every "
         "DURATION/COUNT. A job that would start too early is put back until its turn, its "
         "attempt given back. For APIs with a quota.",
         "\"100/1m\""},
        {"handlers.NAME.burst", "integer", "1",
         "With a rate: how many starts may go at once after a quiet spell; in any stretch of "
         "time T at most burst + T x rate start.",
         "10"},
        {"handlers.NAME.concurrency", "integer", "none",
         "At most this many jobs of this name run at once, across every worker of the backend. "
         "A job that finds them all running is put back until about when one ends.",
         "2"},
    };
    return keys;
}

const std::vector<ConfigKey>& schedule_keys() {
    static const std::vector<ConfigKey> keys = {
        {"schedules", "object", "{}",
         "Recurring jobs, by schedule name (at most 200 bytes, no '@'). Every q work runs the "
         "schedules of the queues it serves; each tick becomes one job (id NAME@TICK) however "
         "many workers run, and ticks missed while none ran are caught up as catch_up says. "
         "See q-schedule(1).",
         ""},
        {"schedules.NAME", "object", "none", "One schedule: cron or every, and the job to push.",
         ""},
        {"schedules.NAME.cron", "string", "none",
         "A crontab(5) expression: minute hour day-of-month month day-of-week, with lists, "
         "ranges, steps and names, or @hourly, @daily, @weekly, @monthly, @yearly.",
         "\"0 3 * * *\""},
        {"schedules.NAME.every", "duration", "none",
         "Instead of cron: a tick at each whole multiple of this since 1970-01-01 UTC (at least "
         "1s), so every host agrees on the ticks.",
         "\"5m\""},
        {"schedules.NAME.timezone", "string", "\"UTC\"",
         "The tz database zone the cron expression's wall clock is in. A time skipped by a "
         "daylight-saving change fires when the gap ends; a repeated one fires once.",
         "\"Europe/Berlin\""},
        {"schedules.NAME.job", "string", "required", "The name of the job each tick pushes.",
         "\"report\""},
        {"schedules.NAME.payload", "object", "{}",
         "The job's payload; q adds \"_schedule\": {\"name\", \"tick\"}.", "{\"kind\": \"daily\"}"},
        {"schedules.NAME.queue", "string", "the default queue",
         "The queue the jobs go to; workers serving it run the schedule.", "\"default\""},
        {"schedules.NAME.max_retries", "number", "3", "The jobs' max_retries.", "2"},
        {"schedules.NAME.priority", "number", "0",
         "The jobs' priority, 0 to 1000 (higher is claimed first; see q push --priority).", "10"},
        {"schedules.NAME.catch_up", "string", "\"latest\"",
         "Ticks missed while no scheduler ran: \"none\" skips them (only a tick found within "
         "90s of it runs), \"latest\" runs one job for them, \"all\" one per tick (the last "
         "100).",
         "\"latest\""},
    };
    return keys;
}

std::string parent_of(const std::string& path) {
    const auto dot = path.rfind('.');
    return dot == std::string::npos ? std::string() : path.substr(0, dot);
}

}  // namespace

std::vector<ConfigKey> config_keys() {
    std::vector<ConfigKey> out = core_keys_before_drivers();
    for (const auto& name : driver_names()) {
        auto keys = driver_config_keys(name);
        const std::string section = "queue." + name;
        if (keys.empty() || keys.front().path != section) {  // no entry of its own
            keys.insert(keys.begin(), ConfigKey{section, "object", "{}",
                                                "Settings of the " + name + " driver.", ""});
        }
        keys.front().description += " Read when queue.driver is " + name +
                                    "; a mistake here is a warning while another driver is in use.";
        for (auto& key : keys) out.push_back(std::move(key));
    }
    const auto& handlers = handler_keys();
    out.insert(out.end(), handlers.begin(), handlers.end());
    const auto& schedules = schedule_keys();
    out.insert(out.end(), schedules.begin(), schedules.end());
    return out;
}

std::vector<std::string> keys_under(const std::string& section) {
    std::vector<std::string> names;
    for (const auto& key : config_keys()) {
        if (parent_of(key.path) == section)
            names.push_back(section.empty() ? key.path : key.path.substr(section.size() + 1));
    }
    return names;
}

}  // namespace libqueue
