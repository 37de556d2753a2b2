// The scheduler: finds the due ticks of schedules (schedule.hpp) and enqueues them through
// QueueDriver::push_tick. Every `q work` runs one for the schedules of the queues it serves;
// `q schedule tick` runs one pass.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "libqueue/driver.hpp"
#include "libqueue/schedule.hpp"

namespace libqueue {

// The schedules' marks, by schedule name (unreadable records are left out); none for a driver
// that keeps no records.
std::map<std::string, ScheduleMark> schedule_marks(QueueDriver& driver);

struct EnqueuedTick {
    std::string schedule;
    TimePoint tick;
    std::string job_id;
};

// Enqueues the due ticks of some schedules. A schedule with no mark yet starts at `start`: its
// ticks after it are due (a worker passes the time it started; `q schedule tick` a minute ago).
class Scheduler {
  public:
    Scheduler(QueueDriver& driver, std::vector<Schedule> schedules, TimePoint start);

    // One pass at the driver's `now`: every due tick pushed (push_tick), those this pass
    // created returned. Throws what the driver throws; a failed pass is simply done again.
    std::vector<EnqueuedTick> run_once(TimePoint now);

    const std::vector<Schedule>& schedules() const { return schedules_; }

  private:
    QueueDriver& driver_;
    std::vector<Schedule> schedules_;
    TimePoint start_;
    // Per schedule: up to when this scheduler has looked (so a long gap of skipped ticks is
    // walked once, not at every pass).
    std::map<std::string, TimePoint> looked_until_;
};

// The schedules of `all` whose queue is one of `queues`.
std::vector<Schedule> schedules_of_queues(const std::vector<Schedule>& all,
                                          const std::vector<std::string>& queues);

}  // namespace libqueue
