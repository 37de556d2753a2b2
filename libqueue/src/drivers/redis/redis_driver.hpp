// The redis driver: only its factory and its section display are visible outside this folder.
#pragma once

#include <memory>

#include "libqueue/registry.hpp"

namespace libqueue {

std::unique_ptr<QueueDriver> make_redis_driver(const DriverContext& context);

// queue.redis for `q config`: url rebuilt from its parsed form, the password as "***".
nlohmann::json redis_section_display(const nlohmann::json& section);

}  // namespace libqueue
