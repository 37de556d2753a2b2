// The lifecycle of jobs held in memory, written once: the memory driver applies it under its
// mutex, the file driver to the file it has loaded under the file's lock (then saves it). Every
// operation follows driver.hpp's per-method contract; `now` is the caller's clock.
// Not thread-safe: the caller serialises all calls.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "drivers/memory/job_store.hpp"
#include "libqueue/driver.hpp"
#include "libqueue/stats.hpp"

namespace libqueue::memory {

// Lifetime counters by queue, then by job name.
using TotalsBook = std::map<std::string, std::map<std::string, Totals>>;

class QueueState {
  public:
    JobStore& jobs() { return jobs_; }
    const JobStore& jobs() const { return jobs_; }
    TotalsBook& totals() { return totals_; }
    const TotalsBook& totals() const { return totals_; }

    // Throws DataError when a given id is taken (by a stored job or earlier in the batch); then
    // nothing was stored.
    std::vector<PushResult> store_batch(const std::vector<NewJob>& jobs, TimePoint now);
    std::vector<Job> claim(const ClaimRequest& request, TimePoint now);
    bool heartbeat(const Claim& claim, TimePoint now);
    // keep_completed: the job stays, completed; else it leaves the store.
    bool complete(const Claim& claim, Milliseconds ran_for, TimePoint now, bool keep_completed);
    bool release(const Claim& claim, Milliseconds delay, const std::string& error, TimePoint now);
    bool put_back(const Claim& claim, TimePoint due);  // pending again from `due` on
    bool fail(const Claim& claim, const std::string& error, TimePoint now);

    std::optional<Job> find(const std::string& id) const;
    std::vector<Job> list(const ListFilter& filter) const;
    std::uint64_t size(const std::string& queue) const { return jobs_.pending_count(queue); }
    std::uint64_t clear(const std::string& queue);
    bool cancel(const std::string& id, TimePoint now);
    bool retry_dead(const std::string& id, TimePoint now);
    std::uint64_t retry_dead_matching(const ListFilter& filter, TimePoint now);
    std::uint64_t clear_dead(const ListFilter& filter);
    std::vector<Job> recover_stale(Milliseconds stale_after, bool dry_run, TimePoint now);
    std::uint64_t prune(Milliseconds older_than, std::size_t limit, const PruneScope& scope,
                        TimePoint now);
    Stats stats(TimePoint now) const;

    // When the earliest pending job of `queues` is due, if any is pending.
    std::optional<TimePoint> next_due(const std::vector<std::string>& queues) const;

  private:
    bool holds(const Claim& claim) const;
    void bury(const std::string& id, const std::string& error, TimePoint now);
    void revive(const std::string& id, TimePoint now);
    std::vector<std::string> matching_ids(const ListFilter& filter) const;
    std::vector<std::string> matching_ids_by_id(const ListFilter& filter) const;
    Totals& totals_for(const std::string& id);

    JobStore jobs_;
    TotalsBook totals_;
};

}  // namespace libqueue::memory
