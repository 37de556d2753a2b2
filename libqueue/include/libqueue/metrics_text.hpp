// Stats in the text formats monitoring systems scrape: Prometheus' exposition format (0.0.4) and
// OpenMetrics 1.0. One list of metric families, two spellings: OpenMetrics names a counter's
// family without its _total suffix and ends with "# EOF".
#pragma once

#include <string>

#include "libqueue/metrics.hpp"
#include "libqueue/stats.hpp"
#include "libqueue/worker_registry.hpp"

namespace libqueue {

enum class MetricsFormat { prometheus, openmetrics };

// q_jobs{queue,name,state} (gauge), q_oldest_due_age_seconds{queue} (gauge), the lifetime
// counters q_jobs_pushed_total, q_jobs_completed_total, q_jobs_dead_total and
// q_job_retries_total{queue,name}, and q_job_run_seconds{queue,name} (a summary: _sum and
// _count of the runs q timed). Label values are escaped and made valid UTF-8, so any queue or
// job name yields a document a scraper parses.
// With `workers` (worker_registry.hpp's list), also q_workers{queue,state} (gauge): the workers
// serving each queue by state (working, idle, stopping, lost), 0 included, for every queue of
// the stats and every queue a worker serves.
std::string stats_to_metrics_text(const Stats& stats, MetricsFormat format,
                                  const std::vector<WorkerRecord>& workers = {});

// What one process ran (a Manager's or q work's Metrics): q_process_jobs_completed_total{name},
// q_process_jobs_dead_total{name}, q_process_job_retries_total, q_process_jobs_running,
// q_process_jobs_claimed_total, and the histograms q_process_claim_seconds (each claim at the
// backend) and q_process_job_run_seconds (each handler run, whatever its outcome).
std::string process_metrics_text(const MetricsSnapshot& metrics, MetricsFormat format);

}  // namespace libqueue
