// Paused queues: a paused queue takes pushes, but no worker claims from it (running jobs finish).
// The pause is a record in the backend (QueueDriver records of kind "pause", keyed by queue), so
// every worker on every host sees it within worker_pause_refresh; a pause `--for` a while ends
// by itself.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "libqueue/driver.hpp"
#include "libqueue/time.hpp"

namespace libqueue {

struct Pause {
    std::string queue;
    TimePoint since;                 // the backend's clock when it was paused
    std::optional<TimePoint> until;  // unset: until resumed
    std::string by;                  // who paused it (user@host), for the operator next on call

    nlohmann::json to_json() const;
};

// How often a worker reads the pauses.
inline constexpr Milliseconds worker_pause_refresh{1'000};

// Pauses `queue` (again: replaces the pause), for `length` when given.
void pause_queue(QueueDriver& driver, const std::string& queue, std::optional<Milliseconds> length,
                 const std::string& by);
// False when the queue was not paused.
bool resume_queue(QueueDriver& driver, const std::string& queue);
// The pauses in effect, by queue name; those that ended are removed on the way, and records that
// are not q's are skipped. Drivers that keep no records have none.
std::vector<Pause> paused_queues(QueueDriver& driver);

}  // namespace libqueue
