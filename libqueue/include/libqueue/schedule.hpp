// Recurring jobs (the config's "schedules"): each tick of a schedule becomes one job, however
// many workers on however many hosts run the scheduler, and no tick is lost across restarts.
//
// A tick's job has the id "SCHEDULE@TICK" (TICK in ISO 8601 UTC) and the schedule's payload with
// "_schedule": {"name", "tick"} added. It is stored with QueueDriver::push_tick, which moves the
// schedule's mark (schedule_mark.hpp) in the same atomic step, so a tick at or before the mark is
// never enqueued again. The ticks between the mark and now are those a scheduler finds due; what
// it enqueues of them is the schedule's catch_up.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "libqueue/cron.hpp"
#include "libqueue/job.hpp"
#include "libqueue/time.hpp"

namespace libqueue {

// What a scheduler enqueues of the ticks it finds due (the ticks after the mark, up to now).
enum class CatchUp {
    none,    // only a tick found on time (within schedule_on_time of it); missed ones are skipped
    latest,  // the latest tick, once for all that were missed
    all,     // each tick, the latest max_catch_up_ticks of them
};
std::string_view catch_up_name(CatchUp mode);

inline constexpr std::size_t max_catch_up_ticks = 100;
// A tick found later than this after it was due counts as missed (catch_up none). Workers look
// every second; `q schedule tick` from cron every minute.
inline constexpr Milliseconds schedule_on_time{90'000};
// The longest schedule name: its tick's job id ("NAME@TICK") must fit in max_label_bytes.
inline constexpr std::size_t max_schedule_name_bytes = 200;
// How often a worker's scheduler looks for due ticks.
inline constexpr Milliseconds scheduler_period{1'000};

struct Schedule {
    std::string name;
    std::optional<CronExpression> cron;  // one of cron and every
    std::optional<Milliseconds> every;   // ticks at whole multiples of it since 1970-01-01 UTC
    LocalZone zone{"UTC"};               // the cron expression's wall clock
    std::string job;                     // the job name
    nlohmann::json payload = nlohmann::json::object();
    std::string queue = "default";
    int max_retries = 3;
    int priority = 0;  // the jobs' priority (NewJob::priority)
    CatchUp catch_up = CatchUp::latest;

    // The first tick strictly after `t`; nullopt when there is none (cron "0 0 30 2 *").
    std::optional<TimePoint> next_after(TimePoint t) const;
    // "cron 0 3 * * * (Europe/Berlin)" or "every 5m".
    std::string describe() const;
};

// The job of one tick (see above).
NewJob tick_job(const Schedule& schedule, TimePoint tick);
// A job run now outside the ticks (`q schedule run`): a new id, "_schedule" with "tick" now.
NewJob manual_job(const Schedule& schedule, TimePoint now);

// The ticks in (after, now] that `catch_up` enqueues, oldest first.
std::vector<TimePoint> due_ticks(const Schedule& schedule, TimePoint after, TimePoint now);

}  // namespace libqueue
