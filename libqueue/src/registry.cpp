// The one table of built-in drivers, and the user-registered ones beside it.
#include "libqueue/registry.hpp"

#include "driver_module.hpp"

#include <map>
#include <mutex>

#include "drivers/file/file_driver.hpp"
#include "drivers/memory/memory_driver.hpp"
#ifdef Q_DRIVER_POSTGRES
#include "drivers/postgres/postgres_driver.hpp"
#endif
#ifdef Q_DRIVER_REDIS
#include "drivers/redis/redis_driver.hpp"
#endif
#include "drivers/sqlite/sqlite_driver.hpp"
#include "drivers/sync/sync_driver.hpp"
#include "libqueue/errors.hpp"
#include "libqueue/text.hpp"

namespace libqueue {

namespace {

struct Entry {
    DriverFactory factory;
    SectionCheck check;
    SectionDisplay display;
    DispatchMode mode = DispatchMode::queue;
    std::vector<ConfigKey> keys;  // relative to queue.NAME
};

// The factory of a driver built as a module (driver_module.hpp): the module is loaded by the
// first driver made, not when the table is.
[[maybe_unused]] DriverFactory module_factory(const std::string& name) {
    return [name](const DriverContext& context) { return driver_module(name).make(context); };
}

[[maybe_unused]] SectionDisplay module_display(const std::string& name) {
    return [name](const nlohmann::json& section) { return driver_module(name).display(section); };
}

struct Registry {
    std::mutex mutex;
    std::map<std::string, Entry> drivers{
        {"memory",
         {make_memory_driver,
          check_memory_section,
          {},
          DispatchMode::queue,
          memory_section_keys()}},
        {"sync",
         {make_sync_driver,
          check_sync_section,
          {},
          DispatchMode::run_at_dispatch,
          sync_section_keys()}},
        {"file",
         {make_file_driver, check_file_section, {}, DispatchMode::queue, file_section_keys()}},
        {"sqlite",
         {make_sqlite_driver,
          check_sqlite_section,
          {},
          DispatchMode::queue,
          sqlite_section_keys()}},
#ifdef Q_DRIVER_POSTGRES
        {"postgres",
         {module_factory("postgres"), check_postgres_section, module_display("postgres"),
          DispatchMode::queue, postgres_section_keys()}},
#endif
#ifdef Q_DRIVER_REDIS
        {"redis",
         {module_factory("redis"), check_redis_section, redis_section_display, DispatchMode::queue,
          redis_section_keys()}},
#endif
    };
};

Registry& registry() {
    static Registry instance;
    return instance;
}

// Caller holds r.mutex.
std::string unknown_driver_message(const std::string& name, const Registry& r) {
    std::string known;
    for (const auto& [registered, _] : r.drivers) known += (known.empty() ? "" : ", ") + registered;
    return "unknown driver " + libqueue::quoted(name) + " (built in: " + known + ")";
}

}  // namespace

void register_driver(const std::string& name, DriverFactory factory, SectionDisplay display,
                     SectionCheck check, std::vector<ConfigKey> keys) {
    auto& r = registry();
    std::lock_guard lock(r.mutex);
    r.drivers[name] = {std::move(factory), std::move(check), std::move(display),
                       DispatchMode::queue, std::move(keys)};
}

std::vector<ConfigKey> driver_config_keys(const std::string& name) {
    std::vector<ConfigKey> keys;
    {
        auto& r = registry();
        std::lock_guard lock(r.mutex);
        if (auto it = r.drivers.find(name); it != r.drivers.end())
            keys = it->second.keys;
    }
    // "" is the section's own entry.
    for (auto& key : keys) key.path = "queue." + name + (key.path.empty() ? "" : "." + key.path);
    return keys;
}

nlohmann::json check_driver_section(const std::string& name, const ConfigChecker& check,
                                    const nlohmann::json& section) {
    SectionCheck checker;
    {
        auto& r = registry();
        std::lock_guard lock(r.mutex);
        if (auto it = r.drivers.find(name); it != r.drivers.end())
            checker = it->second.check;
    }
    return checker ? checker(check, section) : section;
}

DispatchMode dispatch_mode(const std::string& name) {
    auto& r = registry();
    std::lock_guard lock(r.mutex);
    auto it = r.drivers.find(name);
    return it == r.drivers.end() ? DispatchMode::queue : it->second.mode;
}

void require_stored_jobs(const std::string& name) {
    if (dispatch_mode(name) == DispatchMode::run_at_dispatch) {
        throw UsageError("driver '" + name +
                         "' stores no jobs (each runs when pushed): a worker would never have "
                         "anything to claim");
    }
}

SectionDisplay section_display(const std::string& name) {
    auto& r = registry();
    std::lock_guard lock(r.mutex);
    auto it = r.drivers.find(name);
    return it == r.drivers.end() ? SectionDisplay{} : it->second.display;
}

std::optional<std::string> unknown_driver(const std::string& name) {
    auto& r = registry();
    std::lock_guard lock(r.mutex);
    if (r.drivers.count(name) != 0)
        return std::nullopt;
    return unknown_driver_message(name, r);
}

std::vector<std::string> driver_names() {
    auto& r = registry();
    std::lock_guard lock(r.mutex);
    std::vector<std::string> names;
    for (const auto& [name, _] : r.drivers) names.push_back(name);
    return names;
}

std::unique_ptr<QueueDriver> create_driver(const Config& config) {
    DriverFactory factory;
    {
        auto& r = registry();
        std::lock_guard lock(r.mutex);
        auto it = r.drivers.find(config.driver);
        if (it == r.drivers.end())
            throw ConfigError(unknown_driver_message(config.driver, r));
        factory = it->second.factory;
    }
    // Hand-built configs (tests, embedding) reach here unchecked: the factory gets a checked
    // section either way.
    const auto section =
        check_driver_section(config.driver, config_checker(config), config.section(config.driver));
    return factory(DriverContext{config, section});
}

}  // namespace libqueue
