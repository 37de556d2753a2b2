#include "libqueue/scheduler.hpp"

#include <algorithm>

namespace libqueue {

std::map<std::string, ScheduleMark> schedule_marks(QueueDriver& driver) {
    std::map<std::string, ScheduleMark> marks;
    for (const auto& record : records_if_kept(driver, schedule_record_kind)) {
        if (auto mark = read_schedule_mark(record.value))
            marks.emplace(record.key, std::move(*mark));
    }
    return marks;
}

Scheduler::Scheduler(QueueDriver& driver, std::vector<Schedule> schedules, TimePoint start)
    : driver_(driver), schedules_(std::move(schedules)), start_(start) {}

std::vector<EnqueuedTick> Scheduler::run_once(TimePoint now) {
    std::vector<EnqueuedTick> enqueued;
    if (schedules_.empty())
        return enqueued;
    const auto marks = schedule_marks(driver_);
    for (const auto& schedule : schedules_) {
        TimePoint after = start_;
        if (const auto mark = marks.find(schedule.name); mark != marks.end())
            after = mark->second.tick;
        if (const auto looked = looked_until_.find(schedule.name); looked != looked_until_.end())
            after = std::max(after, looked->second);
        for (const auto tick : due_ticks(schedule, after, now)) {
            const auto pushed = driver_.push_tick(tick_job(schedule, tick), {schedule.name, tick});
            if (pushed.created)
                enqueued.push_back({schedule.name, tick, pushed.id});
        }
        looked_until_[schedule.name] = now;
    }
    return enqueued;
}

std::vector<Schedule> schedules_of_queues(const std::vector<Schedule>& all,
                                          const std::vector<std::string>& queues) {
    std::vector<Schedule> out;
    for (const auto& schedule : all) {
        if (std::find(queues.begin(), queues.end(), schedule.queue) != queues.end())
            out.push_back(schedule);
    }
    return out;
}

}  // namespace libqueue
