#include "drivers/postgres/postgres_driver.hpp"

#include "libqueue/errors.hpp"

namespace libqueue {

std::unique_ptr<QueueDriver> make_postgres_driver(const DriverContext&) {
    throw ConfigError("the postgres driver is not built yet");
}

}  // namespace libqueue
