// The sync driver keeps no queue: its registry entry says DispatchMode::run_at_dispatch, so
// Manager::dispatch and `q push` run each job at once (run_now, worker.hpp). The driver object
// itself is an empty in-process store, so listing, counting and stats show what is queued:
// nothing.
#include "drivers/sync/sync_driver.hpp"

#include "drivers/memory/memory_driver.hpp"

namespace libqueue {

std::vector<ConfigKey> sync_section_keys() {
    return {{"", "object", "{}",
             "The sync driver: q push runs the job's handler at once, up to 1 + max_retries "
             "times, and stores nothing (CI steps, development). It takes no settings; the "
             "section must be empty.",
             ""}};
}

nlohmann::json check_sync_section(const ConfigChecker& check, const nlohmann::json& section) {
    check.require_object(section, "queue.sync");
    if (!section.empty())
        check.fail("queue.sync", "the sync driver takes no settings");
    return section;
}

std::unique_ptr<QueueDriver> make_sync_driver(const DriverContext& context) {
    return make_memory_driver(context);
}

}  // namespace libqueue
