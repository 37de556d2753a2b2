#include "drivers/sqlite/sqlite_driver.hpp"

#include "libqueue/errors.hpp"

namespace libqueue {

std::unique_ptr<QueueDriver> make_sqlite_driver(const DriverContext&) {
    throw ConfigError("the sqlite driver is not built yet");
}

}  // namespace libqueue
