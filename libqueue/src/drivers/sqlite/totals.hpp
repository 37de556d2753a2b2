// Lifetime counters in q_totals and the Stats read from kronix_jobs beside them.
#pragma once

#include <map>
#include <string>
#include <utility>

#include "drivers/sqlite/connection.hpp"
#include "libqueue/stats.hpp"

namespace libqueue::sqlite {

// Changes to q_totals gathered during one transaction, per (queue, name).
class TotalsDelta {
  public:
    Totals& at(const std::string& queue, const std::string& name) { return deltas_[{queue, name}]; }
    // Adds the deltas to q_totals; call inside the transaction that made the changes.
    void apply(Connection& connection) const;

  private:
    std::map<std::pair<std::string, std::string>, Totals> deltas_;
};

// Counts by queue and name, in one snapshot: the pending and processing rows read from
// kronix_jobs, the rest from q_state_counts, and the lifetime counters of q_totals.
Stats read_stats(Connection& connection, TimePoint now);

}  // namespace libqueue::sqlite
