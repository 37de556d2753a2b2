// The soak through the library worker: millions of jobs in one run, to see whether a job costs
// more as the store grows. scripts/soak's own runs put each job through a `true` process, which
// bounds them to this machine's process spawning (a few hundred a second); here a job is a no-op
// C++ handler, so the store's side of the cost is what a run measures.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>

#include "harness/backends.hpp"

namespace bench {

struct SoakOptions {
    std::size_t jobs = 1'000'000;  // no-op jobs through the worker
    std::size_t segments = 5;      // throughput reported per jobs / segments
    unsigned concurrency = 8;      // the worker's slots
    std::size_t ahead = 20'000;    // due jobs kept ahead of the worker (pushed 1,000 at a time)
    unsigned delayed_per_s = 0;    // jobs a second pushed alongside, due in an hour
    unsigned prune_every_s = 10;   // a prune of finished jobs and attempt logs this often...
    unsigned keep_s = 60;          // ...deleting what finished longer ago than this
    unsigned sample_every_s = 10;  // RSS, store sizes and a timed stats() this often
    // PostgreSQL: storage parameters ("autovacuum_vacuum_threshold = 50000, ...") set on the
    // jobs table once the worker's driver has created it; empty leaves the table as q made it.
    std::string table_options;
};

// A Worker (attempt logs on, completed jobs kept) drains no-op jobs while a pusher keeps
// `ahead` due jobs in front of it, until `jobs` have run. Beside it, each on its own driver
// object as another process would be: the pruner (prune() in batches of 500 as `q prune` does,
// then prune_attempt_logs()), the delayed pusher, and the sampler, whose stats() is timed on a
// driver opened for it (a connection and the schema check, as a `q stats` call opens, without
// the process). Reports each segment's rate, the samples and the prunes, and a summary (RSS from
// the end of the first segment on); then
// stats() five times more with everything else stopped (idle_stats_ms_median).
nlohmann::json soak(Backend& backend, const SoakOptions& options);

}  // namespace bench
