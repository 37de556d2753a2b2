// The job selection that list-like commands share: --status and --name options, and the global
// --queue, turned into a libqueue::ListFilter.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "context.hpp"
#include "libqueue/driver.hpp"

namespace q {

struct JobFilterArgs {
    std::string status;
    std::string name;
};

// Adds --status and --name to `cmd`, filling `args`.
void add_job_filter_options(CLI::App* cmd, JobFilterArgs& args);

// The filter: the status (UsageError naming --status when unknown), the name, and --queue when
// given (every queue otherwise). Limit and paging are the caller's.
libqueue::ListFilter job_filter(Context& context, const JobFilterArgs& args);

}  // namespace q
