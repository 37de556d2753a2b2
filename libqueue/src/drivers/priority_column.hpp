// The SQLite and PostgreSQL drivers keep priorities in q's own column q_priority, which only the
// tables q creates have (docs/lifecycle.md, "The job record"). One refusal for both.
#pragma once

#include <span>
#include <string>

#include "libqueue/job.hpp"

namespace libqueue {

// For a table without the column, before anything is stored: throws ConfigError ("<table> has
// no q_priority column ... run q migrate --priorities") when a job of `jobs` has a priority.
void refuse_priorities(std::span<const NewJob> jobs, const std::string& table);

}  // namespace libqueue
