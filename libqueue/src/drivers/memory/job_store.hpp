// The memory driver's storage: every job by id, plus the indexes that keep claiming, stale recovery
// and pruning from scanning all jobs. Not thread-safe; the driver holds its lock around every call.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "libqueue/job.hpp"

namespace libqueue::memory {

struct StoredJob {
    Job job;
    std::optional<std::string> unique_key;
};

class JobStore {
  public:
    using Jobs = std::map<std::string, StoredJob>;  // ordered by id, as list() pages

    const Jobs& jobs() const { return jobs_; }
    const StoredJob* find(const std::string& id) const;
    bool contains(const std::string& id) const { return jobs_.count(id) != 0; }

    // The job holding `unique_key` (pending or processing), if any.
    const StoredJob* holder_of(const std::string& unique_key) const;

    void insert(StoredJob record);  // the id must be unused
    void erase(const std::string& id);

    // Applies `change` to the job and re-indexes it; the only way a stored job is modified.
    template <class Change>
    void update(const std::string& id, Change&& change) {
        auto& record = jobs_.at(id);
        unindex(record);
        change(record.job);
        index(record);
    }

    // Ids of up to `limit` pending jobs of `queue` due at `now`, in claim order
    // (claim_order_before: higher priority first, then oldest due).
    std::vector<std::string> due(const std::string& queue, TimePoint now, std::size_t limit) const;
    // When the queue's next pending job is due (the earliest of any priority), if it has any.
    std::optional<TimePoint> next_due(const std::string& queue) const;
    std::uint64_t pending_count(const std::string& queue) const;

    // Processing jobs reserved (or heartbeated) before `cutoff`.
    std::vector<std::string> reserved_before(TimePoint cutoff) const;
    // Up to `limit` (0: all) completed and failed jobs finished before `cutoff`, oldest first.
    std::vector<std::string> finished_before(TimePoint cutoff, std::size_t limit) const;

  private:
    // available_at (a missing one sorts first: due now), created_at, id: the claim order.
    using DueKey = std::tuple<TimePoint, TimePoint, std::string>;
    using TimeKey = std::pair<TimePoint, std::string>;

    static DueKey due_key(const Job& job);
    void index(const StoredJob& record);
    void unindex(const StoredJob& record);

    Jobs jobs_;
    // By queue, then by priority (highest first): each level in due order, so a claim steps
    // only over the delayed jobs of the levels above the one it takes from.
    using Levels = std::map<int, std::set<DueKey>, std::greater<>>;
    std::unordered_map<std::string, Levels> pending_;
    std::set<TimeKey> processing_;                                 // by reservation time
    std::set<TimeKey> finished_;                                   // completed and failed
    std::unordered_map<std::string, std::string> unique_holders_;  // unique_key -> id
};

}  // namespace libqueue::memory
