// What the library figures share: the no-op job they push, time differences, percentiles.
#pragma once

#include <algorithm>
#include <chrono>
#include <vector>

#include "libqueue/job.hpp"

namespace bench {

using Clock = std::chrono::steady_clock;

inline libqueue::NewJob noop_job() {
    libqueue::NewJob job;
    job.name = "noop";
    job.payload = R"({"n":1})";
    return job;
}

inline double seconds_between(Clock::time_point from, Clock::time_point to) {
    return std::chrono::duration<double>(to - from).count();
}

inline double seconds_since(Clock::time_point start) {
    return seconds_between(start, Clock::now());
}

inline double ms_between(Clock::time_point from, Clock::time_point to) {
    return std::chrono::duration<double, std::milli>(to - from).count();
}

// The value at fraction p of the sorted values (0 when there are none).
inline double percentile(std::vector<double> values, double p) {
    if (values.empty())
        return 0;
    std::sort(values.begin(), values.end());
    auto at = std::size_t(p * double(values.size() - 1) + 0.5);
    return values[std::min(at, values.size() - 1)];
}

}  // namespace bench
