#include <algorithm>
#include <catch2/catch.hpp>

#include "libqueue/stats.hpp"

using namespace libqueue;
using namespace std::chrono_literals;

namespace {

Totals completions(std::uint64_t completed, std::uint64_t processing_ms) {
    Totals totals;
    totals.pushed = completed;
    totals.completed = completed;
    totals.processing_ms = processing_ms;
    return totals;
}

const Totals& totals_of(const Stats& stats, const std::string& queue, const std::string& name) {
    const auto found = std::find_if(stats.queues.begin(), stats.queues.end(),
                                    [&](const QueueStats& entry) { return entry.queue == queue; });
    REQUIRE(found != stats.queues.end());
    return found->totals_by_name.at(name);
}

}  // namespace

TEST_CASE("row run times are asked for, and used, only where q timed no run", "[stats]") {
    StatsBuilder stats(TimePoint(1000h));
    stats.count_rows("default", "mail", "completed", false, 4);     // q timed some of these
    stats.count_rows("default", "foreign", "completed", false, 3);  // another program's
    stats.count_rows("default", "pending_only", "pending", true, 2);
    stats.count_rows("other", "foreign", "completed", false, 1);
    stats.count_rows("other", "buried", "failed", false, 5);
    stats.add_totals("default", "mail", completions(2, 50));
    stats.add_totals("other", "foreign", completions(0, 0));  // totals, but no completion

    const auto untimed = stats.names_untimed_by_q();
    REQUIRE(untimed.size() == 2);
    CHECK(untimed.at("default") == std::set<std::string, std::less<>>{"foreign"});
    CHECK(untimed.at("other") == std::set<std::string, std::less<>>{"foreign"});

    // A driver that reads row run times for every name gets the same answer: the rows of a name
    // q timed are left out.
    stats.completed_rows_ran("default", "mail", 9000ms, 4);
    stats.completed_rows_ran("default", "foreign", 300ms, 3);
    stats.completed_rows_ran("other", "foreign", 40ms, 1);
    const auto finished = std::move(stats).finish();
    CHECK(totals_of(finished, "default", "mail").processing_ms == 50);
    CHECK(totals_of(finished, "default", "mail").timed == 2);
    CHECK(totals_of(finished, "default", "foreign").processing_ms == 300);
    CHECK(totals_of(finished, "default", "foreign").timed == 3);
    CHECK(average_processing_ms(totals_of(finished, "other", "foreign")) == 40.0);
}

TEST_CASE("no completed rows, no names to time", "[stats]") {
    StatsBuilder stats(TimePoint(1000h));
    stats.count_rows("default", "mail", "pending", true, 3);
    stats.count_rows("default", "mail", "failed", false, 1);
    CHECK(stats.names_untimed_by_q().empty());
}
