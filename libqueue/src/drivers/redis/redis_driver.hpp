// The redis driver: only its factory, its config check and its section display are visible outside
// this folder.
#pragma once

#include <memory>

#include "libqueue/registry.hpp"

namespace libqueue {

std::unique_ptr<QueueDriver> make_redis_driver(const DriverContext& context);
// queue.redis checked (registry.hpp's SectionCheck).
nlohmann::json check_redis_section(const ConfigChecker& check, const nlohmann::json& section);
// The keys of queue.redis, for the registry (config_keys.hpp).
std::vector<ConfigKey> redis_section_keys();

// queue.redis for `q config`: url rebuilt from its parsed form, the password as "***".
nlohmann::json redis_section_display(const nlohmann::json& section);

}  // namespace libqueue
