// The postgres driver: only its factory and its section display are visible outside this folder.
#pragma once

#include <memory>

#include "libqueue/registry.hpp"

namespace libqueue {

std::unique_ptr<QueueDriver> make_postgres_driver(const DriverContext& context);

// queue.postgres for `q config`: dsn rebuilt from its parsed form, the password as "***".
nlohmann::json postgres_section_display(const nlohmann::json& section);

}  // namespace libqueue
