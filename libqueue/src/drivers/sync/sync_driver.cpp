#include "drivers/sync/sync_driver.hpp"

#include "libqueue/errors.hpp"

namespace libqueue {

std::unique_ptr<QueueDriver> make_sync_driver(const DriverContext&) {
    throw ConfigError("the sync driver is not built yet");
}

}  // namespace libqueue
