// The one table of built-in drivers, and the user-registered ones beside it.
#include "libqueue/registry.hpp"

#include <map>
#include <mutex>

#include "drivers/file/file_driver.hpp"
#include "drivers/memory/memory_driver.hpp"
#include "drivers/postgres/postgres_driver.hpp"
#include "drivers/redis/redis_driver.hpp"
#include "drivers/sqlite/sqlite_driver.hpp"
#include "drivers/sync/sync_driver.hpp"
#include "libqueue/errors.hpp"

namespace libqueue {

namespace {

struct Registry {
    std::mutex mutex;
    std::map<std::string, DriverFactory> factories{
        {"memory", make_memory_driver},     {"sync", make_sync_driver},
        {"file", make_file_driver},         {"sqlite", make_sqlite_driver},
        {"postgres", make_postgres_driver}, {"redis", make_redis_driver},
    };
};

Registry& registry() {
    static Registry instance;
    return instance;
}

}  // namespace

void register_driver(const std::string& name, DriverFactory factory) {
    auto& r = registry();
    std::lock_guard lock(r.mutex);
    r.factories[name] = std::move(factory);
}

std::vector<std::string> driver_names() {
    auto& r = registry();
    std::lock_guard lock(r.mutex);
    std::vector<std::string> names;
    for (const auto& [name, _] : r.factories) names.push_back(name);
    return names;
}

std::unique_ptr<QueueDriver> create_driver(const Config& config, JobExecutor* executor) {
    DriverFactory factory;
    {
        auto& r = registry();
        std::lock_guard lock(r.mutex);
        auto it = r.factories.find(config.driver);
        if (it == r.factories.end()) {
            std::string known;
            for (const auto& [name, _] : r.factories) known += (known.empty() ? "" : ", ") + name;
            throw ConfigError("unknown driver '" + config.driver + "' (known: " + known + ")");
        }
        factory = it->second;
    }
    return factory(DriverContext{config, config.section(config.driver), executor});
}

}  // namespace libqueue
