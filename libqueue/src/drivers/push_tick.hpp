// The push-tick step (QueueDriver::push_tick), written once for the drivers in C++: each calls
// it inside its own transaction or lock with the schedule's stored mark and three steps of its
// own. The Redis script spells the same step in Lua.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "libqueue/driver.hpp"

namespace libqueue {

struct PushTickSteps {
    std::function<bool()> job_there;                   // a job with the tick job's id exists
    std::function<PushResult()> store_job;             // stores the tick's job
    std::function<void(const std::string&)> put_mark;  // stores the mark's new record value
};

// `stored_mark`: the schedule's mark record value, if any. When the tick is not new
// (tick_is_new), changes nothing and returns the mark's job, created false. Otherwise stores the
// job unless its id is there already (created false), then moves the mark to the tick and that
// job.
PushResult push_tick_step(const std::optional<std::string>& stored_mark, const NewJob& job,
                          const ScheduleTick& tick, const PushTickSteps& steps);

}  // namespace libqueue
