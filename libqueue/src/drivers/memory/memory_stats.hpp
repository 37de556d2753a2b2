// Stats of the memory driver: state counts read from the store, lifetime totals kept beside it.
#pragma once

#include <map>
#include <string>

#include "drivers/memory/job_store.hpp"
#include "libqueue/stats.hpp"

namespace libqueue::memory {

// Lifetime counters by queue, then by job name.
using TotalsBook = std::map<std::string, std::map<std::string, Totals>>;

Stats build_stats(const JobStore& store, const TotalsBook& totals, TimePoint now);

}  // namespace libqueue::memory
