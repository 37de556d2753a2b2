// A schedule's mark: the last tick enqueued for it, kept in the backend as a record (kind
// "schedule", keyed by the schedule's name), so every worker on every host sees it and a worker
// restarted after a gap knows which ticks it missed. Drivers move a mark only together with
// storing the tick's job (QueueDriver::push_tick), which is what makes a tick one job however
// many schedulers run.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "libqueue/time.hpp"

namespace libqueue {

inline constexpr const char* schedule_record_kind = "schedule";

// One tick of one schedule, as push_tick takes it.
struct ScheduleTick {
    std::string schedule;
    TimePoint tick;
};

struct ScheduleMark {
    TimePoint tick;
    std::string job_id;  // the job enqueued for it
};

// The record's value: {"tick": "2027-01-01T02:00:00.000Z", "job": ID}. The tick is ISO 8601 text
// of fixed width, so comparing the text compares the times (the Redis script does just that).
std::string schedule_mark_value(const ScheduleMark& mark);
// nullopt for a value that is not a mark (another program's record).
std::optional<ScheduleMark> read_schedule_mark(std::string_view value);

// The rule every driver's push_tick applies: a tick is enqueued only when it is later than the
// schedule's mark (or there is none). The Redis push-tick script spells the same rule in Lua.
bool tick_is_new(const std::optional<ScheduleMark>& mark, TimePoint tick);

}  // namespace libqueue
