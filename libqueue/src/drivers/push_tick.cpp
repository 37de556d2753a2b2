#include "drivers/push_tick.hpp"

namespace libqueue {

PushResult push_tick_step(const std::optional<std::string>& stored_mark, const NewJob& job,
                          const ScheduleTick& tick, const PushTickSteps& steps) {
    const auto mark = stored_mark ? read_schedule_mark(*stored_mark) : std::nullopt;
    if (!tick_is_new(mark, tick.tick))
        return PushResult{mark->job_id, false};
    const PushResult result = steps.job_there() ? PushResult{job.id, false} : steps.store_job();
    steps.put_mark(schedule_mark_value({tick.tick, result.id}));
    return result;
}

}  // namespace libqueue
