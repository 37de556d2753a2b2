#include "drivers/file/file_driver.hpp"

#include "libqueue/errors.hpp"

namespace libqueue {

std::unique_ptr<QueueDriver> make_file_driver(const DriverContext&) {
    throw ConfigError("the file driver is not built yet");
}

}  // namespace libqueue
