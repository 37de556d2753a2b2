// Backoff: base * 2^(attempts-1), capped at max, then +-20% jitter.
#include <catch2/catch.hpp>

#include "libqueue/backoff.hpp"

using namespace libqueue;

namespace {

RetrySettings retry(long long base_ms, long long max_ms) {
    RetrySettings r;
    r.base = Milliseconds(base_ms);
    r.max = Milliseconds(max_ms);
    return r;
}

}  // namespace

TEST_CASE("without jitter the delay doubles per attempt") {
    const auto r = retry(30'000, 3'600'000);
    CHECK(backoff_delay(r, 1, 0.5) == Milliseconds(30'000));
    CHECK(backoff_delay(r, 2, 0.5) == Milliseconds(60'000));
    CHECK(backoff_delay(r, 3, 0.5) == Milliseconds(120'000));
    CHECK(backoff_delay(r, 4, 0.5) == Milliseconds(240'000));
    CHECK(backoff_delay(r, 7, 0.5) == Milliseconds(1'920'000));
}

TEST_CASE("the delay is capped at max, however many attempts") {
    const auto r = retry(30'000, 3'600'000);
    CHECK(backoff_delay(r, 8, 0.5) == Milliseconds(3'600'000));
    CHECK(backoff_delay(r, 50, 0.5) == Milliseconds(3'600'000));
    CHECK(backoff_delay(r, 1'000'000, 0.5) == Milliseconds(3'600'000));
    CHECK(backoff_delay(retry(10'000, 5'000), 1, 0.5) == Milliseconds(5'000));
}

TEST_CASE("attempts below 1 count as the first") {
    const auto r = retry(1'000, 60'000);
    CHECK(backoff_delay(r, 0, 0.5) == Milliseconds(1'000));
    CHECK(backoff_delay(r, -3, 0.5) == Milliseconds(1'000));
}

TEST_CASE("jitter spans exactly +-20%") {
    const auto r = retry(10'000, 3'600'000);
    CHECK(backoff_delay(r, 1, 0.0) == Milliseconds(8'000));
    CHECK(backoff_delay(r, 1, 0.25) == Milliseconds(9'000));
    CHECK(backoff_delay(r, 1, 0.75) == Milliseconds(11'000));
    CHECK(backoff_delay(r, 1, 1.0) == Milliseconds(12'000));
    // The cap applies before jitter, so capped delays still spread out.
    CHECK(backoff_delay(r, 30, 0.0) == Milliseconds(2'880'000));
    CHECK(backoff_delay(r, 30, 1.0) == Milliseconds(4'320'000));
}

TEST_CASE("random jitter stays within bounds and actually varies") {
    const auto r = retry(10'000, 3'600'000);
    Milliseconds lowest = Milliseconds::max(), highest = Milliseconds::min();
    for (int i = 0; i < 2000; ++i) {
        const auto random = backoff_delay(r, 3);
        REQUIRE(random >= Milliseconds(32'000));
        REQUIRE(random <= Milliseconds(48'000));
        lowest = std::min(lowest, random);
        highest = std::max(highest, random);
    }
    // 2000 uniform draws over 16s: both ends are reached within a few percent.
    CHECK(lowest < Milliseconds(33'000));
    CHECK(highest > Milliseconds(47'000));
}

TEST_CASE("a zero base means retry at once") {
    CHECK(backoff_delay(retry(0, 3'600'000), 5) == Milliseconds(0));
}
