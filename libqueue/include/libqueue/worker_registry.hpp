// The live workers: each Worker keeps a record of itself in the backend (QueueDriver records of
// kind "worker"), refreshed with its heartbeats and removed when it stops, so that `q workers`
// on any host lists every worker that shares the queue. A worker unseen for its stale_after is
// lost (killed, its host gone); a lost worker's record is removed a day later.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "libqueue/driver.hpp"
#include "libqueue/metrics.hpp"
#include "libqueue/time.hpp"

namespace libqueue {

struct WorkerRecord {
    std::string id;  // the worker id, the first part of its claim tokens
    std::string host;
    std::int64_t pid = 0;
    std::vector<std::string> queues;
    unsigned concurrency = 1;
    TimePoint started_at;
    Milliseconds stale_after{300'000};  // its own: lost once unseen this long
    std::uint64_t completed = 0;
    std::uint64_t retried = 0;  // failed attempts released for a retry
    std::uint64_t dead = 0;
    std::vector<std::string> running;  // ids of the jobs it runs now
    bool stopping = false;             // finishing its running jobs, claiming no more
    // How long its handlers ran since it started, by queue: readers take two readings apart
    // for the run times of a recent window (q stats --watch).
    std::map<std::string, DurationHistogram> run_time;

    // Read back from the backend:
    TimePoint last_seen;  // the backend's clock at its last refresh
    bool lost = false;    // unseen for stale_after when listed

    // "lost", "stopping", "working" (it runs a job) or "idle": the one rule every view shows.
    std::string state() const;
    // Whether it claims from `queue`.
    bool serves(const std::string& queue) const;

    // Its JSON form, as `q workers --json` prints it.
    nlohmann::json to_json() const;
};

// How long a lost worker's record stays for operators to see.
inline constexpr Milliseconds lost_worker_kept{24 * 3'600'000};
// How often a worker refreshes its record: with its heartbeats, and at least this often, so
// that the jobs it runs and its counts are never much older than this.
inline constexpr Milliseconds worker_refresh_most{10'000};

// Stores or refreshes the worker's record.
void announce_worker(QueueDriver& driver, const WorkerRecord& worker);
// Removes it (a worker that stopped cleanly).
void forget_worker(QueueDriver& driver, const std::string& worker_id);
// Every worker record, oldest start first, each marked lost or not against the driver's clock;
// records of workers lost for longer than keep_lost are removed on the way, and records that
// are not q's (unparseable) are skipped.
std::vector<WorkerRecord> list_workers(QueueDriver& driver,
                                       Milliseconds keep_lost = lost_worker_kept);
// list_workers, or none for a driver that keeps no records (sync): for views that show the
// workers beside other figures.
std::vector<WorkerRecord> workers_if_kept(QueueDriver& driver);

}  // namespace libqueue
