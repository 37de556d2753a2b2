#include "drivers/redis/redis_driver.hpp"

#include "libqueue/errors.hpp"

namespace libqueue {

std::unique_ptr<QueueDriver> make_redis_driver(const DriverContext&) {
    throw ConfigError("the redis driver is not built yet");
}

}  // namespace libqueue
