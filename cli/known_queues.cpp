#include "known_queues.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "command_words.hpp"

namespace q {

std::vector<std::string> known_queues(const libqueue::Stats& stats) {
    std::vector<std::string> names;
    for (const auto& queue : stats.queues) names.push_back(queue.queue);
    return names;
}

void require_known_queues(libqueue::QueueDriver& driver, const std::vector<std::string>& names,
                          bool allow_empty) {
    if (allow_empty || names.empty())
        return;
    require_known_queues(known_queues(driver.stats()), names);
}

void require_known_queues(const std::vector<std::string>& known,
                          const std::vector<std::string>& names) {
    for (const auto& name : names) {
        if (std::find(known.begin(), known.end(), name) != known.end())
            continue;
        auto message = fmt::format("no queue '{}'", libqueue::valid_utf8(name));
        message += known.empty() ? "; no queue holds jobs yet"
                                 : fmt::format("; known: {}", fmt::join(known, ", "));
        if (auto close = closest_name(name, known); !close.empty())
            message += fmt::format("; did you mean '{}'?", close);
        throw libqueue::NotFoundError(message + " (--allow-empty accepts it)");
    }
}

}  // namespace q
