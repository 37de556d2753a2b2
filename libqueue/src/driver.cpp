#include "libqueue/driver.hpp"

#include <thread>

namespace libqueue {

std::vector<bool> QueueDriver::complete_batch(const std::vector<Completion>& completions) {
    std::vector<bool> applied;
    applied.reserve(completions.size());
    for (const auto& c : completions) applied.push_back(complete(c.claim, c.ran_for));
    return applied;
}

void QueueDriver::wait_for_jobs(const std::vector<std::string>&, Milliseconds timeout) {
    std::this_thread::sleep_for(timeout);
}

}  // namespace libqueue
