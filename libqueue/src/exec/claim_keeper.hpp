// Keeps running jobs' claims alive: one background thread refreshes the registered claims with
// driver.heartbeat_batch every interval, so a live job is never taken for stale however long it
// runs.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <stop_token>
#include <thread>

#include "libqueue/driver.hpp"

namespace libqueue::exec {

class ClaimKeeper {
  public:
    using ErrorFn = std::function<void(const std::exception&)>;

    ClaimKeeper() = default;
    ~ClaimKeeper();
    ClaimKeeper(const ClaimKeeper&) = delete;
    ClaimKeeper& operator=(const ClaimKeeper&) = delete;

    // Refreshes `claim` every `interval` (first one interval from now) until remove(). When the
    // driver refuses, the job was recovered and is someone else's now: `lost` gets a stop request.
    // Exceptions from the driver go to on_error (may be empty) and the refresh is tried next time.
    std::uint64_t add(QueueDriver& driver, Claim claim, Milliseconds interval,
                      std::stop_source lost, ErrorFn on_error);
    // Once this returns, the keeper no longer touches the entry (nor its driver).
    void remove(std::uint64_t id);

    // Stops the thread after the call in progress; entries are dropped.
    void shutdown();

  private:
    struct Entry {
        QueueDriver* driver;
        Claim claim;
        Milliseconds interval;
        std::chrono::steady_clock::time_point due;
        std::stop_source lost;
        ErrorFn on_error;
    };

    void start_locked();
    void loop(std::stop_token stop);
    // Heartbeats every entry due now or soon, batched per driver (mutex_ held; unlocked while
    // a driver is called).
    void refresh_due_locked(std::chrono::steady_clock::time_point now,
                            std::unique_lock<std::mutex>& lock);

    std::mutex mutex_;
    std::condition_variable_any wake_;
    std::condition_variable idle_;  // remove() waits here while its entry is being refreshed
    std::map<std::uint64_t, Entry> entries_;
    std::uint64_t next_id_ = 1;
    std::set<std::uint64_t> in_flight_;  // entries being refreshed; remove() waits for them
    std::uint64_t generation_ = 0;       // bumped when the thread must recompute its wake-up time
    // The thread wakes at least this often, so a new entry (due one interval after it is added)
    // never needs to wake it: adding stays a map insert.
    Milliseconds tick_{60'000};
    std::jthread thread_;
};

// One keeper for callers that run a single job at a time (Manager::process_one), so they need
// no thread of their own per job.
ClaimKeeper& shared_claim_keeper();

}  // namespace libqueue::exec
