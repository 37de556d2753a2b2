// The Dart queue system's in-process metrics: what one Manager has seen since it started (or
// reset).
// Thread-safe. For what the queue holds, see QueueDriver::stats().
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "libqueue/time.hpp"

namespace libqueue {

// How long things took, in buckets fixed for every q process (seconds, from 1ms to 5min), so
// that histograms from many workers add up in a monitoring system.
struct DurationHistogram {
    static constexpr std::array<double, 15> bounds{
        0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 60, 300};
    std::array<std::uint64_t, bounds.size()> in_bucket{};  // at most bounds[i], above bounds[i-1]
    std::uint64_t count = 0;  // every observation, those above the last bound too
    double sum_seconds = 0;

    void observe(std::chrono::microseconds took);
    // Adds another's observations (one queue's runs on many workers).
    void add(const DurationHistogram& other);
    // What was observed since `earlier`, a reading of the same histogram; nullopt when earlier
    // is not one (its counts are higher: the worker started again).
    std::optional<DurationHistogram> since(const DurationHistogram& earlier) const;
    // The q-quantile (0 < q < 1) in seconds, interpolated within its bucket as Prometheus's
    // histogram_quantile does; nullopt with no observations, +infinity when it lies above the
    // last bound.
    std::optional<double> quantile(double q) const;
    // The bucket counts and count, for a record another process reads back (from_json).
    nlohmann::json to_json() const;
    // nullopt for anything that is not what to_json wrote.
    static std::optional<DurationHistogram> from_json(const nlohmann::json& json);
};

struct MetricsSnapshot {
    std::uint64_t total_queued = 0;
    std::uint64_t total_completed = 0;
    std::uint64_t total_failed = 0;   // went dead
    std::uint64_t total_retried = 0;  // failed attempts released for another try
    std::uint64_t currently_processing = 0;
    double success_rate = 0;                // completed / (completed + failed); 0 when neither
    double failure_rate = 0;                // failed / (completed + failed)
    double average_processing_time_ms = 0;  // over completed jobs
    std::map<std::string, std::uint64_t> queued_by_name;
    std::map<std::string, std::uint64_t> completed_by_name;
    std::map<std::string, std::uint64_t> failed_by_name;
    // Beyond the Dart system's figures (not in to_json):
    std::uint64_t total_claimed = 0;  // jobs this process claimed
    DurationHistogram claim_time;     // each claim at the backend, however many jobs it took
    DurationHistogram run_time;       // each attempt's handler, whatever its outcome
    std::map<std::string, DurationHistogram> run_time_by_queue;  // the same, by the job's queue

    // The Dart queue system's keys: total_queued, ..., completed_by_type, failed_by_type,
    // queued_by_type.
    nlohmann::json to_json() const;
};

class Metrics {
  public:
    void queued(const std::string& name, std::uint64_t count = 1);
    void claimed(std::uint64_t jobs, std::chrono::microseconds took);
    void started();
    // A handler returned, before its outcome is stored.
    void ran(const std::string& queue, std::chrono::microseconds took);
    void completed(const std::string& name, Milliseconds ran_for);
    void retried(const std::string& name);
    void dead(const std::string& name);
    void put_back();  // a started job given back at shutdown
    MetricsSnapshot snapshot() const;
    void reset();

  private:
    mutable std::mutex mutex_;
    MetricsSnapshot data_;
    std::uint64_t processing_ms_ = 0;
};

}  // namespace libqueue
