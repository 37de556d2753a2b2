// The memory driver: only its factory and its config check are visible outside this folder.
#pragma once

#include <memory>

#include "libqueue/registry.hpp"

namespace libqueue {

std::unique_ptr<QueueDriver> make_memory_driver(const DriverContext& context);
// queue.memory checked (registry.hpp's SectionCheck): it takes no settings.
nlohmann::json check_memory_section(const ConfigChecker& check, const nlohmann::json& section);
// The keys of queue.memory, for the registry (config_keys.hpp): only the section's own entry.
std::vector<ConfigKey> memory_section_keys();

}  // namespace libqueue
