// q schedule: the config's recurring jobs: list them with their next and last tick, run one now,
// check expressions, and run one scheduler pass (for hosts that run no long-lived worker).
#include <fmt/format.h>

#include <date/date.h>
#include <algorithm>
#include <memory>

#include "commands/commands.hpp"
#include "libqueue/errors.hpp"
#include "libqueue/registry.hpp"
#include "libqueue/scheduler.hpp"
#include "output.hpp"

namespace q {

namespace {

using libqueue::Schedule;
using libqueue::TimePoint;

// How far before now `q schedule tick` looks for the ticks of a schedule that has no mark yet:
// one cron interval, so the first call from cron finds the tick it was started for.
constexpr libqueue::Milliseconds kTickLookBack{60'000};
constexpr int kCheckedTicks = 5;

struct ScheduleArgs {
    std::vector<std::string> names;
};

// The schedules NAMES select (all when none given); NotFoundError for a name not in the config.
std::vector<Schedule> selected(const libqueue::Config& config,
                               const std::vector<std::string>& names) {
    if (names.empty())
        return config.schedules;
    std::vector<Schedule> out;
    for (const auto& name : names) {
        auto found = std::find_if(config.schedules.begin(), config.schedules.end(),
                                  [&](const Schedule& s) { return s.name == name; });
        if (found == config.schedules.end()) {
            throw libqueue::NotFoundError("no schedule named " + libqueue::quoted(name) +
                                          " in the config (q schedule list shows them)");
        }
        out.push_back(*found);
    }
    return out;
}

// "2027-01-01 04:00 Europe/Berlin": a tick in the schedule's own wall clock.
std::string local_text(const Schedule& schedule, TimePoint tick) {
    if (!schedule.cron)
        return format_time(tick);
    // The wall-clock time, printed as if it were UTC (date::format of a sys_time) with the
    // zone's name after it.
    const auto local = std::chrono::floor<std::chrono::seconds>(schedule.zone.to_local(tick));
    return date::format("%F %T", std::chrono::sys_seconds(local.time_since_epoch())) + " " +
           schedule.zone.name();
}

nlohmann::json tick_json(const Schedule& schedule, const std::optional<TimePoint>& tick) {
    if (!tick)
        return nullptr;
    return {{"utc", libqueue::format_iso8601(*tick)}, {"local", local_text(schedule, *tick)}};
}

void list_schedules(Context& context, const std::vector<std::string>& names) {
    const auto schedules = selected(context.config(), names);
    auto& driver = context.driver();
    const auto marks = libqueue::schedule_marks(driver);
    const auto now = driver.now();
    std::vector<std::vector<std::string>> rows;
    for (const auto& schedule : schedules) {
        const auto next = schedule.next_after(now);
        const auto mark = marks.find(schedule.name);
        std::optional<libqueue::Job> last_job;
        if (mark != marks.end())
            last_job = driver.find(mark->second.job_id);
        const std::string outcome = mark == marks.end() ? "-"
                                    : last_job          ? status_word(last_job->status)
                                                        : "gone";
        if (context.json()) {
            nlohmann::json last = nullptr;
            if (mark != marks.end()) {
                last = tick_json(schedule, mark->second.tick);
                last["job"] = mark->second.job_id;
                last["status"] =
                    last_job ? nlohmann::json(std::string(libqueue::to_string(last_job->status)))
                             : nlohmann::json(nullptr);
            }
            emit_json({{"name", schedule.name},
                       {"schedule", schedule.describe()},
                       {"job", schedule.job},
                       {"queue", schedule.queue},
                       {"catch_up", libqueue::catch_up_name(schedule.catch_up)},
                       {"next", tick_json(schedule, next)},
                       {"last", last}});
            continue;
        }
        rows.push_back({schedule.name, schedule.describe(), schedule.job, schedule.queue,
                        next ? local_text(schedule, *next) : "never",
                        mark == marks.end() ? "-" : format_time(mark->second.tick), outcome});
    }
    if (context.json())
        return;
    if (rows.empty()) {
        note(context, "no schedules in the config");
        return;
    }
    print_table({"NAME", "SCHEDULE", "JOB", "QUEUE", "NEXT", "LAST", "LAST_STATUS"}, rows);
}

void check_schedules(Context& context, const std::vector<std::string>& names) {
    const auto schedules = selected(context.config(), names);
    const auto now = libqueue::system_now();
    for (const auto& schedule : schedules) {
        std::vector<TimePoint> ticks;
        for (auto tick = schedule.next_after(now); tick && ticks.size() < kCheckedTicks;
             tick = schedule.next_after(*tick))
            ticks.push_back(*tick);
        if (context.json()) {
            nlohmann::json next = nlohmann::json::array();
            for (const auto tick : ticks) next.push_back(tick_json(schedule, tick));
            emit_json({{"name", schedule.name}, {"schedule", schedule.describe()}, {"next", next}});
            continue;
        }
        print_line(schedule.name + ": " + schedule.describe());
        if (ticks.empty())
            print_line("  never fires");
        for (const auto tick : ticks) {
            print_line(schedule.cron
                           ? "  " + local_text(schedule, tick) + "  (" + format_time(tick) + ")"
                           : "  " + format_time(tick));
        }
    }
    if (schedules.empty())
        note(context, "no schedules in the config");
}

void run_schedule(Context& context, const std::string& name) {
    const auto schedule = selected(context.config(), {name}).front();
    auto& driver = context.driver();
    const auto pushed = driver.push(libqueue::manual_job(schedule, driver.now()));
    if (context.json()) {
        emit_json({{"schedule", schedule.name}, {"id", pushed.id}, {"queue", schedule.queue}});
        return;
    }
    print_line(pushed.id);
}

void tick_schedules(Context& context, const std::vector<std::string>& names) {
    auto& driver = context.driver();
    const auto now = driver.now();
    libqueue::Scheduler scheduler(driver, selected(context.config(), names), now - kTickLookBack);
    for (const auto& tick : scheduler.run_once(now)) {
        if (context.json()) {
            emit_json({{"schedule", tick.schedule},
                       {"tick", libqueue::format_iso8601(tick.tick)},
                       {"id", tick.job_id}});
        } else {
            print_line(tick.job_id);
        }
    }
}

}  // namespace

void add_schedule_command(CLI::App& app, Context& context) {
    auto args = std::make_shared<ScheduleArgs>();
    auto* cmd = app.add_subcommand(
        "schedule",
        "Recurring jobs: list, run, check, tick\n"
        "\n"
        "Schedules are written in the config (\"schedules\": cron or every, the job, its "
        "payload and queue). Every q work runs the schedules of the queues it serves: each tick "
        "becomes one job, with the id NAME@TICK, however many workers on however many hosts "
        "run, and the last tick enqueued is kept in the backend, so a worker that comes back "
        "after a gap catches up as the schedule's catch_up says (none, latest, all). Hosts "
        "without a long-lived worker run q schedule tick from cron every minute instead.");
    cmd->footer(
        "Examples:\n"
        "  q schedule list\n"
        "  q schedule check nightly-report\n"
        "  q schedule run nightly-report\n"
        "  * * * * *  q schedule tick        (a crontab line)\n"
        "\n"
        "Output:\n"
        "list: NAME SCHEDULE JOB QUEUE NEXT LAST LAST_STATUS (NEXT in the schedule's time zone,\n"
        "LAST the last tick enqueued, LAST_STATUS its job's status, \"gone\" once pruned); "
        "--json:\n"
        "one object per schedule {\"name\", \"schedule\", \"job\", \"queue\", \"catch_up\",\n"
        "\"next\": {\"utc\", \"local\"}, \"last\": {\"utc\", \"local\", \"job\", \"status\"} or "
        "null}.\n"
        "check: each schedule's next 5 ticks. run: the new job's id. tick: the id of each job\n"
        "enqueued (none: nothing was due); --json {\"schedule\", \"tick\", \"id\"} per job.\n"
        "\n"
        "Exit status:\n"
        "  0   done\n"
        "  64  bad option, or a driver that keeps nothing between processes (sync, memory)\n"
        "  66  no schedule of that name in the config\n"
        "  78  a schedule in the config is wrong (the message names its key)");
    cmd->require_subcommand(1);

    auto* list = cmd->add_subcommand("list", "Each schedule, its next tick and its last job");
    list->add_option("NAME", args->names, "Only these schedules");
    list->callback([&context, args] {
        libqueue::require_stored_jobs(context.config().driver);
        list_schedules(context, args->names);
    });

    auto* check = cmd->add_subcommand(
        "check", "Check the schedules and print each one's next 5 ticks (no backend needed)");
    check->add_option("NAME", args->names, "Only these schedules");
    check->callback([&context, args] { check_schedules(context, args->names); });

    auto* run = cmd->add_subcommand(
        "run", "Push a schedule's job now, outside its ticks (its ticks stay as they are)");
    run->add_option("NAME", args->names, "The schedule")->required()->expected(1);
    run->callback([&context, args] {
        libqueue::require_stored_jobs(context.config().driver);
        run_schedule(context, args->names.front());
    });

    auto* tick = cmd->add_subcommand(
        "tick",
        "Enqueue the ticks that are due, once (for cron; q work does this every second). A "
        "schedule not seen before starts from a minute ago.");
    tick->add_option("NAME", args->names, "Only these schedules");
    tick->callback([&context, args] {
        libqueue::require_stored_jobs(context.config().driver);
        tick_schedules(context, args->names);
    });
}

}  // namespace q
