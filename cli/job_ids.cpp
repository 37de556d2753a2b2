#include "job_ids.hpp"

#include <fmt/format.h>

namespace q {

namespace {

libqueue::Job in_queue(libqueue::Job job, const std::string& command,
                       const std::optional<std::string>& queue) {
    if (queue && job.queue != *queue) {
        throw libqueue::NotFoundError(fmt::format("{}: job {} is in queue '{}', not '{}' (--queue)",
                                                  command, job.id, libqueue::valid_utf8(job.queue),
                                                  libqueue::valid_utf8(*queue)));
    }
    return job;
}

}  // namespace

std::string no_job_message(const std::string& command, const std::string& typed) {
    return fmt::format("{}: no job {}", command, libqueue::quoted(typed));
}

libqueue::Job resolve_job(libqueue::QueueDriver& driver, const std::string& typed,
                          const std::string& command, const std::optional<std::string>& queue) {
    if (auto job = driver.find(typed))
        return in_queue(std::move(*job), command, queue);
    const auto shown = libqueue::quoted(typed);
    if (typed.size() >= min_id_prefix) {
        // Up to 6 matches are named; one more says there are more than that.
        constexpr std::size_t named = 6;
        const auto ids = driver.ids_with_prefix(typed, named + 1);
        if (ids.size() == 1) {
            if (auto job = driver.find(ids.front()))
                return in_queue(std::move(*job), command, queue);
        } else if (ids.size() > 1) {
            throw libqueue::UsageError(fmt::format(
                "{}: id prefix {} is ambiguous: {}{}", command, shown,
                fmt::join(ids.begin(), ids.begin() + std::ptrdiff_t(std::min(named, ids.size())),
                          ", "),
                ids.size() > named ? ", ..." : ""));
        }
    }
    throw libqueue::NotFoundError(no_job_message(command, typed));
}

std::vector<libqueue::Job> resolve_jobs(libqueue::QueueDriver& driver,
                                        const std::vector<std::string>& typed,
                                        const std::string& command,
                                        const std::optional<std::string>& queue) {
    std::vector<libqueue::Job> jobs;
    jobs.reserve(typed.size());
    for (const auto& id : typed) jobs.push_back(resolve_job(driver, id, command, queue));
    return jobs;
}

}  // namespace q
