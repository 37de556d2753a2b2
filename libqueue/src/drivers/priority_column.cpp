#include "drivers/priority_column.hpp"

#include <algorithm>

#include "libqueue/errors.hpp"

namespace libqueue {

void refuse_priorities(std::span<const NewJob> jobs, const std::string& table) {
    if (std::none_of(jobs.begin(), jobs.end(), [](const NewJob& job) { return job.priority != 0; }))
        return;
    throw ConfigError(table +
                      " has no q_priority column (q adds it only to tables it creates): run q "
                      "migrate --priorities to add it");
}

}  // namespace libqueue
