// The Dart queue system's in-process metrics: what one Manager has seen since it started (or
// reset).
// Thread-safe. For what the queue holds, see QueueDriver::stats().
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>

#include "libqueue/time.hpp"

namespace libqueue {

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

    // The Dart queue system's keys: total_queued, ..., completed_by_type, failed_by_type,
    // queued_by_type.
    nlohmann::json to_json() const;
};

class Metrics {
  public:
    void queued(const std::string& name, std::uint64_t count = 1);
    void started();
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
