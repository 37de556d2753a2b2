// The suite's own main: picks the driver from $Q_CONFORMANCE_DRIVER, exits 77 (skipped) when the
// server that driver needs is not configured, and fails once, cleanly, when the driver cannot
// even be created (a stub, an unreachable server) instead of failing every test.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <cstdlib>
#include <iostream>

#include "drivers_under_test.hpp"
#include "fixture.hpp"
#include "libqueue/registry.hpp"
#include "scratch_dir.hpp"

namespace {

constexpr int kSkipped = 77;  // meson's exit code for a skipped test

const conformance::DriverUnderTest* find_entry(const std::string& name) {
    for (const auto& entry : conformance::drivers_under_test()) {
        if (entry.name == name)
            return &entry;
    }
    return nullptr;
}

// Every driver the registry has that stores jobs must be under test: a new driver without its
// setup in drivers_under_test.cpp fails the suite instead of passing unexamined.
bool every_storage_driver_has_a_setup() {
    bool ok = true;
    for (const auto& name : libqueue::driver_names()) {
        if (libqueue::dispatch_mode(name) == libqueue::DispatchMode::queue && !find_entry(name)) {
            std::cerr << "conformance: the registered driver '" << name
                      << "' has no setup in tests/conformance/drivers_under_test.cpp\n";
            ok = false;
        }
    }
    return ok;
}

}  // namespace

int main(int argc, char* argv[]) {
    if (!every_storage_driver_has_a_setup())
        return 1;
    const char* chosen = std::getenv("Q_CONFORMANCE_DRIVER");
    const std::string name = (chosen != nullptr && *chosen != '\0') ? chosen : "memory";
    const auto* entry = find_entry(name);
    if (entry == nullptr) {
        std::cerr << "conformance: unknown driver '" << name << "' in Q_CONFORMANCE_DRIVER (known:";
        for (const auto& known : conformance::drivers_under_test()) std::cerr << ' ' << known.name;
        std::cerr << ")\n";
        return 2;
    }

    try {
        conformance::ScratchDir probe;
        auto config = entry->config_for(probe.path());
        libqueue::create_driver(config);
    } catch (const conformance::ServerNotConfigured& e) {
        std::cerr << "conformance-" << name << ": skipped: " << e.what() << "\n";
        return kSkipped;
    } catch (const std::exception& e) {
        std::cerr << "conformance-" << name << ": cannot create the " << name
                  << " driver: " << e.what() << "\n";
        return 1;
    }

    conformance::select_driver_under_test(*entry);
    std::cerr << "conformance: running against the " << name << " driver\n";
    return Catch::Session().run(argc, argv);
}
