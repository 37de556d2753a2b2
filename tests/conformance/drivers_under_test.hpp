// The drivers the conformance suite runs against: one table in drivers_under_test.cpp.
#pragma once

#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "libqueue/config.hpp"

namespace conformance {

struct DriverUnderTest {
    std::string name;
    // A config whose store is fresh and empty; `scratch` is an empty directory of its own.
    std::function<libqueue::Config(const std::filesystem::path& scratch)> config_for;
};

const std::vector<DriverUnderTest>& drivers_under_test();

// Thrown by a config function when the server its driver needs is not configured: the suite
// then exits 77 (meson's "skipped") instead of failing.
struct ServerNotConfigured : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// The value of an environment variable naming a test server; throws ServerNotConfigured.
std::string server_from_env(const char* variable);

// prefix + random lowercase letters and digits: a table or key prefix no other test uses.
std::string unique_name(const std::string& prefix);

// A config for `driver` with `section` as its queue.<driver> section.
libqueue::Config driver_config(const std::string& driver,
                               nlohmann::json section = nlohmann::json::object());

// The entry the suite runs against (chosen once by main from $Q_CONFORMANCE_DRIVER).
const DriverUnderTest& driver_under_test();
void select_driver_under_test(const DriverUnderTest& entry);

}  // namespace conformance
