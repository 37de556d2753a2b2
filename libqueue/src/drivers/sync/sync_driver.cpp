// The sync driver keeps no queue: its registry entry says DispatchMode::run_at_dispatch, so
// Manager::dispatch and `q push` run each job at once (run_now, worker.hpp). The driver object
// itself is an empty in-process store, so listing, counting and stats show what is queued:
// nothing.
#include "drivers/sync/sync_driver.hpp"

#include "drivers/memory/memory_driver.hpp"

namespace libqueue {

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
