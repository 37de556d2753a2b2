// The config's "schedules" section (schedule.hpp), checked key by key like the rest.
#include "schedule_config.hpp"

#include "libqueue/config_keys.hpp"
#include "libqueue/duration.hpp"
#include "libqueue/errors.hpp"
#include "libqueue/job.hpp"

namespace libqueue {

namespace {

using nlohmann::json;

// Names, job names and queues follow the labels' rule (job.hpp); the message names the key.
std::string label(const ConfigChecker& check, const json& value, const std::string& path,
                  std::string_view what) {
    auto text = check.string(value, path);
    try {
        validate_label(what, text);
    } catch (const DataError& e) {
        check.fail(path, e.what());
    }
    return text;
}

CatchUp catch_up_mode(const ConfigChecker& check, const json& value, const std::string& path) {
    const auto text = check.string(value, path);
    for (const auto mode : {CatchUp::none, CatchUp::latest, CatchUp::all}) {
        if (text == catch_up_name(mode))
            return mode;
    }
    check.fail(path, "expected \"none\", \"latest\" or \"all\", got \"" + text + "\"");
}

Schedule check_schedule(const ConfigChecker& check, const std::string& name, const json& spec,
                        const std::string& base, bool& queue_given) {
    check.require_object(spec, base);
    Schedule schedule;
    schedule.name = name;
    std::optional<std::string> zone;
    for (const auto& [key, value] : spec.items()) {
        const std::string path = base + "." + key;
        check.require_known("schedules.NAME", key, path);
        if (key == "cron") {
            try {
                schedule.cron = CronExpression::parse(check.string(value, path));
            } catch (const UsageError& e) {
                check.fail(path, e.what());
            }
        } else if (key == "every") {
            schedule.every = check.duration(value, path);
            if (*schedule.every < Milliseconds{1'000})
                check.fail(path, "must be 1s or longer");
        } else if (key == "timezone") {
            zone = check.string(value, path);
            try {
                schedule.zone = LocalZone(*zone);
            } catch (const UsageError& e) {
                check.fail(path, e.what());
            }
        } else if (key == "job") {
            schedule.job = label(check, value, path, "job name");
        } else if (key == "payload") {
            check.require_object(value, path);
            schedule.payload = value;
        } else if (key == "queue") {
            schedule.queue = label(check, value, path, "queue name");
            queue_given = true;
        } else if (key == "max_retries") {
            schedule.max_retries = int(check.count(value, path, 0, 1'000'000));
        } else if (key == "priority") {
            schedule.priority = int(check.count(value, path, 0, max_priority));
        } else if (key == "catch_up") {
            schedule.catch_up = catch_up_mode(check, value, path);
        } else {
            check.unknown_key(path, keys_under("schedules.NAME"));
        }
    }
    if (schedule.cron.has_value() == schedule.every.has_value()) {
        check.fail(base, schedule.cron ? "has both cron and every: give one"
                                       : "needs cron (\"0 3 * * *\") or every (\"5m\")");
    }
    if (zone && schedule.every)
        check.fail(base + ".timezone", "applies to cron only (every counts from 1970 UTC)");
    if (schedule.job.empty())
        check.fail(base + ".job", "missing (the name of the job each tick pushes)");
    return schedule;
}

}  // namespace

std::vector<Schedule> check_schedules(const ConfigChecker& check, const json& schedules,
                                      const std::string& default_queue) {
    check.require_object(schedules, "schedules");
    std::vector<Schedule> out;
    for (const auto& [name, spec] : schedules.items()) {
        const std::string base = "schedules." + name;
        try {
            validate_label("schedule name", name);
        } catch (const DataError& e) {
            check.fail("schedules", e.what());
        }
        if (name.size() > max_schedule_name_bytes || name.find('@') != std::string::npos) {
            check.fail("schedules", "a schedule's name must be at most " +
                                        std::to_string(max_schedule_name_bytes) +
                                        " bytes without '@' (it starts its jobs' ids)");
        }
        bool queue_given = false;
        auto schedule = check_schedule(check, name, spec, base, queue_given);
        if (!queue_given)
            schedule.queue = default_queue;
        out.push_back(std::move(schedule));
    }
    return out;
}

json schedule_json(const Schedule& schedule) {
    json out = {{"job", schedule.job},           {"queue", schedule.queue},
                {"payload", schedule.payload},   {"max_retries", schedule.max_retries},
                {"priority", schedule.priority}, {"catch_up", catch_up_name(schedule.catch_up)}};
    if (schedule.cron) {
        out["cron"] = schedule.cron->text();
        out["timezone"] = schedule.zone.name();
    } else {
        out["every"] = format_duration(*schedule.every);
    }
    return out;
}

}  // namespace libqueue
