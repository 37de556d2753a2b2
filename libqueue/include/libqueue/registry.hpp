// Creating drivers by name. The built-in drivers are listed in one table (src/registry.cpp);
// applications add their own with register_driver (the seed's QueueFactory.registerDriver).
#pragma once

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "libqueue/config.hpp"
#include "libqueue/driver.hpp"

namespace libqueue {

class JobExecutor;  // handler.hpp

// Everything a factory may use to build its driver.
struct DriverContext {
    const Config& config;
    const nlohmann::json& section;  // config.section(driver name)
    JobExecutor* executor = nullptr;  // the sync driver runs jobs with it at push; others ignore it
};

using DriverFactory = std::function<std::unique_ptr<QueueDriver>(const DriverContext&)>;

// Adds or replaces a driver. Thread-safe; call before create_driver.
void register_driver(const std::string& name, DriverFactory factory);

// Every name create_driver accepts, sorted.
std::vector<std::string> driver_names();

// Builds config.driver. Throws ConfigError "unknown driver 'x' (known: file, memory, ...)", and
// whatever the factory throws (ConfigError for bad keys, UnavailableError for a dead server).
std::unique_ptr<QueueDriver> create_driver(const Config& config, JobExecutor* executor = nullptr);

}  // namespace libqueue
