#include "drivers/memory/memory_stats.hpp"

namespace libqueue::memory {

Stats build_stats(const JobStore& store, const TotalsBook& totals, TimePoint now) {
    StatsBuilder stats(now);
    for (const auto& [id, record] : store.jobs()) stats.count(record.job);
    for (const auto& [queue, by_name] : totals) {
        for (const auto& [name, name_totals] : by_name) stats.add_totals(queue, name, name_totals);
    }
    return std::move(stats).finish();
}

}  // namespace libqueue::memory
