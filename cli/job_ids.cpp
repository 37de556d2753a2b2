#include "job_ids.hpp"

#include <fmt/format.h>

namespace q {

libqueue::Job resolve_job(libqueue::QueueDriver& driver, const std::string& typed,
                          const std::string& command) {
    if (auto job = driver.find(typed))
        return *job;
    const auto shown = libqueue::valid_utf8(typed);
    if (typed.size() >= min_id_prefix) {
        // Up to 6 matches are named; one more says there are more than that.
        constexpr std::size_t named = 6;
        const auto ids = driver.ids_with_prefix(typed, named + 1);
        if (ids.size() == 1) {
            if (auto job = driver.find(ids.front()))
                return *job;
        } else if (ids.size() > 1) {
            throw libqueue::UsageError(fmt::format(
                "{}: id prefix '{}' is ambiguous: {}{}", command, shown,
                fmt::join(ids.begin(), ids.begin() + std::ptrdiff_t(std::min(named, ids.size())),
                          ", "),
                ids.size() > named ? ", ..." : ""));
        }
    }
    throw libqueue::NotFoundError(fmt::format("{}: no job '{}'", command, shown));
}

std::vector<libqueue::Job> resolve_jobs(libqueue::QueueDriver& driver,
                                        const std::vector<std::string>& typed,
                                        const std::string& command) {
    std::vector<libqueue::Job> jobs;
    jobs.reserve(typed.size());
    for (const auto& id : typed) jobs.push_back(resolve_job(driver, id, command));
    return jobs;
}

}  // namespace q
