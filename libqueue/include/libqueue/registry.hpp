// Creating drivers by name. The built-in drivers are listed in one table (src/registry.cpp);
// applications add their own with register_driver (the Dart queue system's
// QueueFactory.registerDriver).
#pragma once

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "libqueue/config.hpp"
#include "libqueue/config_checker.hpp"
#include "libqueue/config_keys.hpp"
#include "libqueue/driver.hpp"

namespace libqueue {

// Everything a factory may use to build its driver.
struct DriverContext {
    const Config& config;
    const nlohmann::json& section;  // config.section(driver name)
};

// What dispatching a job means with a driver: store it for a worker (queue), or run it at once in
// the dispatching process and keep nothing (run_at_dispatch: the sync driver; see run_now).
enum class DispatchMode { queue, run_at_dispatch };

using DriverFactory = std::function<std::unique_ptr<QueueDriver>(const DriverContext&)>;

// A driver's config section as `q config` shows it: the driver parses its own connection string
// and rebuilds it with "***" for the password (queue.postgres.dsn, queue.redis.url).
using SectionDisplay = std::function<nlohmann::json(const nlohmann::json& section)>;

// A driver's config section checked: unknown keys, wrong types and bad values throw through
// `check` (ConfigError naming queue.NAME.KEY); the result is what the factory reads, with paths
// resolved and defaults filled in. Checking a checked section again changes nothing. The config
// loader runs it on every section it reads, and create_driver on the section it hands over, so
// a factory reads values without checking them again.
using SectionCheck =
    std::function<nlohmann::json(const ConfigChecker& check, const nlohmann::json& section)>;

// Adds or replaces a driver. Thread-safe; call before create_driver (and before loading a config
// that has a section for it). A driver whose section holds no secrets needs no display; without
// one, config.hpp's redacted_json hides generously. Without a check, the section is passed as
// written. `keys` describes the section's keys (paths relative to it: "url"; "" for the section
// itself, first), for config_keys() and the known keys a check names (require_known).
void register_driver(const std::string& name, DriverFactory factory, SectionDisplay display = {},
                     SectionCheck check = {}, std::vector<ConfigKey> keys = {});

// The keys of a driver's section as registered, with their full paths ("queue.redis.url").
std::vector<ConfigKey> driver_config_keys(const std::string& name);

// The driver's check applied to `section`; the section unchanged for a driver without one (or an
// unknown name).
nlohmann::json check_driver_section(const std::string& name, const ConfigChecker& check,
                                    const nlohmann::json& section);

// How a driver's jobs are dispatched; queue for unknown names (create_driver reports those).
DispatchMode dispatch_mode(const std::string& name);
// UsageError when the driver runs jobs at dispatch: a worker on it would wait forever.
void require_stored_jobs(const std::string& name);

// The display of a driver's section; empty when the driver has none (or is unknown).
SectionDisplay section_display(const std::string& name);

// Every name create_driver accepts, sorted.
std::vector<std::string> driver_names();
// Why create_driver could not load driver NAME here: the postgres and redis drivers are modules
// (libqueue/modules.hpp), and q installed without one has the name but not the driver. nullopt
// when it can (or NAME is not one of those).
std::optional<std::string> driver_missing(const std::string& name);
// "unknown driver 'NAME' (built in: ...)" when NAME is not registered; nullopt when it is.
std::optional<std::string> unknown_driver(const std::string& name);

// Builds config.driver. Throws ConfigError "unknown driver 'x' (known: file, memory, ...)", and
// whatever the factory throws (ConfigError for bad keys, UnavailableError for a dead server).
std::unique_ptr<QueueDriver> create_driver(const Config& config);

}  // namespace libqueue
