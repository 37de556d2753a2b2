// Whether --queue names a queue the backend has seen: a typo ("defualt") in a health check or a
// cleanup must not pass as an empty queue.
#pragma once

#include <string>
#include <vector>

#include "libqueue/libqueue.hpp"

namespace q {

// The queues that hold jobs or have lifetime totals, by name.
std::vector<std::string> known_queues(const libqueue::Stats& stats);

// NotFoundError (exit 66) "no queue 'defualt'; known: default, emails; did you mean 'default'?"
// for the first of `names` the backend has never seen; nothing when allow_empty.
void require_known_queues(libqueue::QueueDriver& driver, const std::vector<std::string>& names,
                          bool allow_empty);
// The same against a list of known queues already read.
void require_known_queues(const std::vector<std::string>& known,
                          const std::vector<std::string>& names);

// The flag that accepts a queue never seen (a new queue, checked before its first push).
inline constexpr const char* allow_empty_help =
    "Accept a queue that holds no jobs and never did (else exit 66: a typo is not an empty "
    "queue)";

}  // namespace q
