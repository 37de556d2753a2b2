// Job ids as users type them: the whole id, or a unique prefix of at least 6 characters (like
// git's abbreviated hashes), for every command that takes ids.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "libqueue/libqueue.hpp"

namespace q {

// The shortest prefix q accepts: shorter ones match too many jobs to be worth typing.
inline constexpr std::size_t min_id_prefix = 6;

// The stored job `typed` names: the job with that id, else the one job whose id starts with it.
// NotFoundError (66) when none, UsageError (64) listing the matches when several. With `queue`
// (--queue given), a job of another queue is not found either: --queue is a filter everywhere,
// and `q --queue emails cancel ID` must not cancel a job of another queue.
libqueue::Job resolve_job(libqueue::QueueDriver& driver, const std::string& typed,
                          const std::string& command,
                          const std::optional<std::string>& queue = std::nullopt);

// "COMMAND: no job 'ID'", the id made printable and cut short (it is whatever the user typed).
std::string no_job_message(const std::string& command, const std::string& typed);

// resolve_job for each, all before anything is done (a bad one changes nothing).
std::vector<libqueue::Job> resolve_jobs(libqueue::QueueDriver& driver,
                                        const std::vector<std::string>& typed,
                                        const std::string& command,
                                        const std::optional<std::string>& queue = std::nullopt);

}  // namespace q
