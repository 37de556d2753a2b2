#include "drivers/memory/memory_driver.hpp"

#include "libqueue/errors.hpp"

namespace libqueue {

std::unique_ptr<QueueDriver> make_memory_driver(const DriverContext&) {
    throw ConfigError("the memory driver is not built yet");
}

}  // namespace libqueue
