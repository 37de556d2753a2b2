// Exponential backoff with jitter: base * 2^(attempts-1), capped at max, then +-20%.
#pragma once

#include "libqueue/config.hpp"
#include "libqueue/time.hpp"

namespace libqueue {

// attempts: the job's attempts after the failed run (>= 1). jitter_unit in [0,1) picks the point
// within +-20% (0.5 = none); the default draws it at random.
Milliseconds backoff_delay(const RetrySettings& retry, int attempts, double jitter_unit);
Milliseconds backoff_delay(const RetrySettings& retry, int attempts);

}  // namespace libqueue
