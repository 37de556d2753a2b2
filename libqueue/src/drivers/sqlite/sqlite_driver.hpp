// The sqlite driver: only its factory and its config check are visible outside this folder.
#pragma once

#include <memory>

#include "libqueue/registry.hpp"

namespace libqueue {

std::unique_ptr<QueueDriver> make_sqlite_driver(const DriverContext& context);
// queue.sqlite checked (registry.hpp's SectionCheck), the default path filled in.
nlohmann::json check_sqlite_section(const ConfigChecker& check, const nlohmann::json& section);
// The keys of queue.sqlite, for the registry (config_keys.hpp).
std::vector<ConfigKey> sqlite_section_keys();

}  // namespace libqueue
