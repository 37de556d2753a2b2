#include "libqueue/schedule.hpp"

#include <algorithm>
#include <deque>

#include "libqueue/duration.hpp"

namespace libqueue {

namespace {

// Ticks are looked for in windows back from now, each this many times the last, until enough
// are found or the window reaches the mark: a long gap is never walked tick by tick.
constexpr Milliseconds kFirstWindow{3'600'000};
constexpr int kWindowGrowth = 16;

// How many of the due ticks catch_up keeps (the latest ones).
std::size_t ticks_kept(CatchUp mode) {
    return mode == CatchUp::all ? max_catch_up_ticks : 1;
}

// The latest `keep` ticks in (after, now], oldest first.
std::deque<TimePoint> latest_ticks(const Schedule& schedule, TimePoint after, TimePoint now,
                                   std::size_t keep) {
    std::deque<TimePoint> ticks;
    for (Milliseconds window = kFirstWindow;; window *= kWindowGrowth) {
        const TimePoint low = now - after > window ? now - window : after;
        ticks.clear();
        for (auto tick = schedule.next_after(low); tick && *tick <= now;
             tick = schedule.next_after(*tick)) {
            ticks.push_back(*tick);
            if (ticks.size() > keep)
                ticks.pop_front();
        }
        if (ticks.size() >= keep || low == after)
            return ticks;
    }
}

nlohmann::json schedule_payload(const Schedule& schedule, TimePoint tick) {
    nlohmann::json payload = schedule.payload;
    payload["_schedule"] = {{"name", schedule.name}, {"tick", format_iso8601(tick)}};
    return payload;
}

NewJob schedule_job(const Schedule& schedule, TimePoint tick) {
    NewJob job;
    job.name = schedule.job;
    job.queue = schedule.queue;
    job.max_retries = schedule.max_retries;
    job.priority = schedule.priority;
    job.payload = schedule_payload(schedule, tick)
                      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    return job;
}

}  // namespace

std::string_view catch_up_name(CatchUp mode) {
    switch (mode) {
        case CatchUp::none:
            return "none";
        case CatchUp::latest:
            return "latest";
        case CatchUp::all:
            return "all";
    }
    return "latest";
}

std::optional<TimePoint> Schedule::next_after(TimePoint t) const {
    if (cron)
        return cron->next_after(t, zone);
    const auto period = every->count();
    const auto since_epoch = t.time_since_epoch().count();
    // Floor division: the next whole multiple of the period after t.
    auto multiple = since_epoch / period;
    if (since_epoch < 0 && since_epoch % period != 0)
        --multiple;
    return TimePoint(Milliseconds((multiple + 1) * period));
}

std::string Schedule::describe() const {
    if (cron)
        return "cron " + cron->text() + " (" + zone.name() + ")";
    return "every " + format_duration(*every);
}

NewJob tick_job(const Schedule& schedule, TimePoint tick) {
    NewJob job = schedule_job(schedule, tick);
    job.id = schedule.name + "@" + format_iso8601(tick);
    return job;
}

NewJob manual_job(const Schedule& schedule, TimePoint now) {
    return schedule_job(schedule, now);
}

std::vector<TimePoint> due_ticks(const Schedule& schedule, TimePoint after, TimePoint now) {
    if (now <= after)
        return {};
    const auto ticks = latest_ticks(schedule, after, now, ticks_kept(schedule.catch_up));
    if (ticks.empty())
        return {};
    if (schedule.catch_up == CatchUp::none && now - ticks.back() > schedule_on_time)
        return {};
    return {ticks.begin(), ticks.end()};
}

}  // namespace libqueue
