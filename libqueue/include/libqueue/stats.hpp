// What `q stats` and Manager::metrics() read from a driver.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "libqueue/job.hpp"
#include "libqueue/time.hpp"

namespace libqueue {

// Jobs in each state right now.
struct StateCounts {
    std::uint64_t due = 0;      // pending, available_at <= now (or NULL)
    std::uint64_t delayed = 0;  // pending, available_at > now
    std::uint64_t processing = 0;
    std::uint64_t completed = 0;  // completed rows still stored (see keep_completed)
    std::uint64_t failed = 0;     // dead letters
};

// How many of `counts` are in `status` (pending: due and delayed); every job for nullopt.
std::uint64_t jobs_in(const StateCounts& counts, std::optional<Status> status = std::nullopt);

// Lifetime counters, kept by the driver across restarts where it persists anything
// (SQL: a side table; file: in the file; redis: a hash). Survive pruning and keep_completed=false.
// Other programs sharing a table count nothing here, so Stats raises pushed, completed and dead
// to at least what the stored rows show (StatsBuilder::finish); retries and run times only q
// knows.
struct Totals {
    std::uint64_t pushed = 0;
    std::uint64_t completed = 0;
    std::uint64_t dead = 0;           // jobs that went to the dead letters (cancel included)
    std::uint64_t retries = 0;        // failed attempts that were released for another try
    std::uint64_t processing_ms = 0;  // summed run time of the completions q timed
    // How many completions processing_ms sums: q's own, which StatsBuilder::add_totals takes
    // to be every completion a driver counted.
    std::uint64_t timed = 0;
};

// completed / (completed + dead); nullopt before any job finished.
std::optional<double> success_rate(const Totals& totals);
// The mean run time of the completions q timed; nullopt when there are none.
std::optional<double> average_processing_ms(const Totals& totals);

struct QueueStats {
    std::string queue;
    StateCounts counts;
    Totals totals;
    std::optional<Milliseconds> oldest_due_age;  // how long the oldest due job has waited
    std::map<std::string, StateCounts> by_name;
    std::map<std::string, Totals> totals_by_name;
};

struct Stats {
    TimePoint now{};  // the driver's clock when read
    std::vector<QueueStats>
        queues;  // sorted by queue name; queues with no jobs and no totals omitted
    // What the driver could not read while counting (rows other programs wrote), one line each.
    std::vector<std::string> warnings;
};

// How every driver assembles its Stats, so counting rules live here once: the state of each job
// (or of n rows of one status), the oldest due job's age (waiting since available_at, or
// created_at when that is unset), lifetime totals, and queue counts as the sum of their names'.
class StatsBuilder {
  public:
    explicit StatsBuilder(TimePoint now) : now_(now) {}

    // One job as a driver holds it in memory.
    void count(const Job& job);
    // `n` stored rows of one status (SQL: GROUP BY). A status that is none of q's (a row another
    // program wrote) counts nowhere and adds a warning.
    void count_rows(const std::string& queue, const std::string& name, std::string_view status,
                    bool due, std::uint64_t n);
    // A due job of `queue` has waited since `since` (or for `age`).
    void due_since(const std::string& queue, TimePoint since);
    void due_for(const std::string& queue, Milliseconds age);
    void add_totals(const std::string& queue, const std::string& name, const Totals& totals);
    // `n` completed rows whose own columns time their run (finished_at - available_at), summing
    // `total`: the average run time of a job name q never completed itself (rows another program
    // worked), which no counter of q's holds.
    void completed_rows_ran(const std::string& queue, const std::string& name, Milliseconds total,
                            std::uint64_t n);
    // Per queue, the names whose completed rows are counted but none of whose runs q timed: the
    // names completed_rows_ran would change. Asked after count_rows and add_totals, by a driver
    // that reads row run times only where they count.
    std::map<std::string, std::set<std::string, std::less<>>> names_untimed_by_q() const;
    void warn(std::string line) { warnings_.push_back(std::move(line)); }

    Stats finish() &&;

  private:
    QueueStats& queue(const std::string& name);

    TimePoint now_;
    std::map<std::string, QueueStats> queues_;  // sorted by name, as Stats promises
    // completed_rows_ran, per queue and name: {summed ms, rows}.
    std::map<std::pair<std::string, std::string>, std::pair<std::uint64_t, std::uint64_t>>
        row_run_times_;
    std::vector<std::string> warnings_;
};

// The shape `q stats --json` prints: per queue, counts, totals, success_rate,
// average_processing_ms, oldest_due_age_ms, by_name.
nlohmann::json stats_to_json(const Stats& stats);

}  // namespace libqueue
