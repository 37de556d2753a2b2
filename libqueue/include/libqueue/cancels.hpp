// Cancelling a running job: `q cancel` on a processing job stores a request (a QueueDriver record
// of kind "cancel", keyed by job id) naming the claim it is for. The worker holding that claim,
// on whichever host, reads the requests every worker_cancel_refresh while it runs jobs, stops the
// job's process (SIGTERM to its process group, SIGKILL after CommandOptions::kill_grace) and
// records the job dead with last_error "cancelled by operator", or pending again at once when the
// request asks for a retry. Before it stops the job the worker marks the request taken, so that
// whoever asked can tell a cancelled job from one that finished on its own first (which keeps its
// own outcome); the asker removes the request. A request names the claim token, so one that arrives
// late can never stop a later attempt of the same job.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "libqueue/driver.hpp"
#include "libqueue/time.hpp"

namespace libqueue {

struct CancelRequest {
    std::string job_id;
    std::string token;   // the claim (reserved_by) to stop
    bool retry = false;  // pending again instead of dead
    std::string by;      // who asked (user@host)
    bool taken = false;  // the worker holding the claim is stopping it
    TimePoint at{};      // the backend's clock when it was stored (read back)
};

// What a cancelled attempt leaves as last_error.
inline constexpr const char* cancelled_by_operator = "cancelled by operator";
// How often a worker that runs jobs reads the requests.
inline constexpr Milliseconds worker_cancel_refresh{1'000};
// How long a request that no worker took stays (its claim ended some other way).
inline constexpr Milliseconds cancel_request_kept{24 * 3'600'000};

// Stores the request (replacing an earlier one for the job, or marking it taken).
void request_cancel(QueueDriver& driver, const CancelRequest& request);
// Removes the request for the job, if any.
void forget_cancel(QueueDriver& driver, const std::string& job_id);
// The request for one job, if any.
std::optional<CancelRequest> cancel_request(QueueDriver& driver, const std::string& job_id);
// Every request; those older than cancel_request_kept are removed on the way, records that are
// not q's are skipped. Drivers that keep no records have none.
std::vector<CancelRequest> cancel_requests(QueueDriver& driver);

}  // namespace libqueue
