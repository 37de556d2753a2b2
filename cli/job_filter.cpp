#include "job_filter.hpp"

#include "options.hpp"

namespace q {

void add_job_filter_options(CLI::App* cmd, JobFilterArgs& args) {
    cmd->add_option("--status", args.status, "Only jobs in this state")
        ->type_name("pending|processing|completed|failed");
    cmd->add_option("--name", args.name, "Only jobs with this name")->type_name("NAME");
}

libqueue::ListFilter job_filter(Context& context, const JobFilterArgs& args) {
    libqueue::ListFilter filter;
    if (!args.status.empty())
        filter.status = parse_status_option("--status", args.status);
    if (!args.name.empty())
        filter.name = args.name;
    if (context.options.queue)
        filter.queue = context.queue();
    return filter;
}

}  // namespace q
