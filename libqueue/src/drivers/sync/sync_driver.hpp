// The sync driver: only its factory and its config check are visible outside this folder.
#pragma once

#include <memory>

#include "libqueue/registry.hpp"

namespace libqueue {

std::unique_ptr<QueueDriver> make_sync_driver(const DriverContext& context);
// queue.sync checked (registry.hpp's SectionCheck): it takes no settings.
nlohmann::json check_sync_section(const ConfigChecker& check, const nlohmann::json& section);
// The keys of queue.sync, for the registry (config_keys.hpp): only the section's own entry.
std::vector<ConfigKey> sync_section_keys();

}  // namespace libqueue
