// The sync driver keeps no queue: its registry entry says DispatchMode::run_at_dispatch, so
// Manager::dispatch and `q push` run each job at once (run_now, worker.hpp). The driver object
// itself is an empty in-process store, so listing, counting and stats show what is queued:
// nothing.
#include "drivers/sync/sync_driver.hpp"

#include "drivers/memory/memory_driver.hpp"
#include "libqueue/errors.hpp"

namespace libqueue {

std::unique_ptr<QueueDriver> make_sync_driver(const DriverContext& context) {
    if (context.section.is_object() && !context.section.empty()) {
        throw ConfigError("queue.sync: the sync driver takes no settings");
    }
    return make_memory_driver(context);
}

}  // namespace libqueue
