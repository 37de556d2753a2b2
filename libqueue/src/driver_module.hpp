// The drivers whose libraries only some calls need (postgres: libpq and libpqxx; redis:
// hiredis) are built twice: as a module q loads when a config picks the driver
// (q-driver-NAME.so, libqueue/modules.hpp), and as a static library linked into the test
// programs and into C++ programs using libqueue.a. Either way the driver hands the registry the
// same entry point, extern "C" q_driver_NAME(). Their config keys and section checks stay in
// libqueue itself, so `q config`, `man q.json` and config errors need no module.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "libqueue/registry.hpp"

namespace libqueue {

struct DriverModule {
    // The libqueue version the module was built with; a module from another q is refused (its
    // structures may differ from this q's).
    const char* version;
    std::unique_ptr<QueueDriver> (*make)(const DriverContext& context);
    // The section as `q config` shows it (its password hidden); never null.
    nlohmann::json (*display)(const nlohmann::json& section);
};

// The entry point of driver `name`: the one linked into this program, else its module's.
// Throws UnavailableError naming the module and why it cannot be used.
const DriverModule& driver_module(const std::string& name);

}  // namespace libqueue
