#include "driver_module.hpp"

#include "libqueue/errors.hpp"
#include "libqueue/modules.hpp"

// Weak: defined only where the driver is linked in (tests, programs using libqueue.a with the
// -u flags libqueue.pc gives). In q itself they stay null and the module is loaded instead.
extern "C" {
[[gnu::weak]] const libqueue::DriverModule* q_driver_postgres();
[[gnu::weak]] const libqueue::DriverModule* q_driver_redis();
}

namespace libqueue {

namespace {

using EntryPoint = const DriverModule* (*)();

struct ModuleDriver {
    std::string file;   // q-driver-NAME.so
    EntryPoint linked;  // null unless linked in
};

// nullopt: NAME is not a module driver.
std::optional<ModuleDriver> module_driver(const std::string& name) {
    EntryPoint linked = nullptr;
    if (name == "postgres")
        linked = q_driver_postgres;
    else if (name == "redis")
        linked = q_driver_redis;
    else
        return std::nullopt;
    return ModuleDriver{"q-driver-" + name + ".so", linked};
}

const DriverModule& checked(const DriverModule* module, const std::string& file) {
    if (module == nullptr || std::string(module->version) != Q_LIBQUEUE_VERSION) {
        throw UnavailableError(file + " belongs to another q (" +
                               (module != nullptr ? module->version : "unknown") + ", this is " +
                               Q_LIBQUEUE_VERSION + "): reinstall q");
    }
    return *module;
}

}  // namespace

const DriverModule& driver_module(const std::string& name) {
    const auto driver = module_driver(name);
    if (!driver)
        throw UnavailableError("driver '" + name + "' is not a module");
    if (driver->linked != nullptr)
        return checked(driver->linked(), driver->file);
    std::string why;
    void* symbol = module_symbol(driver->file, "q_driver_" + name, &why);
    if (symbol == nullptr)
        throw UnavailableError("driver '" + name + "' cannot be loaded: " + why);
    return checked(reinterpret_cast<EntryPoint>(symbol)(), driver->file);
}

std::optional<std::string> driver_missing(const std::string& name) {
    const auto driver = module_driver(name);
    if (!driver || driver->linked != nullptr || find_module(driver->file))
        return std::nullopt;
    return module_places(driver->file);
}

}  // namespace libqueue
