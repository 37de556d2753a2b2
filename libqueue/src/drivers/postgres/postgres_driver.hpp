// The postgres driver: only its factory, its config check and its section display are visible
// outside this folder.
#pragma once

#include <memory>

#include "libqueue/registry.hpp"

namespace libqueue {

std::unique_ptr<QueueDriver> make_postgres_driver(const DriverContext& context);
// queue.postgres checked (registry.hpp's SectionCheck).
nlohmann::json check_postgres_section(const ConfigChecker& check, const nlohmann::json& section);
// The keys of queue.postgres, for the registry (config_keys.hpp).
std::vector<ConfigKey> postgres_section_keys();

// queue.postgres for `q config`: dsn rebuilt from its parsed form, the password as "***".
nlohmann::json postgres_section_display(const nlohmann::json& section);

}  // namespace libqueue
