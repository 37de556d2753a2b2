// The file driver: only its factory and its config check are visible outside this folder.
#pragma once

#include <memory>

#include "libqueue/registry.hpp"

namespace libqueue {

std::unique_ptr<QueueDriver> make_file_driver(const DriverContext& context);
// queue.file checked (registry.hpp's SectionCheck), the default path filled in.
nlohmann::json check_file_section(const ConfigChecker& check, const nlohmann::json& section);
// The keys of queue.file, for the registry (config_keys.hpp).
std::vector<ConfigKey> file_section_keys();

}  // namespace libqueue
