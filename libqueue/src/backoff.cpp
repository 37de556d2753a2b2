#include "libqueue/backoff.hpp"

#include <algorithm>
#include <cmath>
#include <random>

namespace libqueue {

Milliseconds backoff_delay(const RetrySettings& retry, int attempts, double jitter_unit) {
    const int exponent = std::clamp(attempts - 1, 0, 40);
    const double base = double(retry.base.count());
    const double capped = std::min(base * std::ldexp(1.0, exponent), double(retry.max.count()));
    const double factor = 0.8 + 0.4 * std::clamp(jitter_unit, 0.0, 1.0);
    return Milliseconds{static_cast<long long>(std::llround(capped * factor))};
}

Milliseconds backoff_delay(const RetrySettings& retry, int attempts) {
    thread_local std::mt19937 rng{std::random_device{}()};
    return backoff_delay(retry, attempts, std::uniform_real_distribution<double>(0.0, 1.0)(rng));
}

}  // namespace libqueue
