#include "drivers_under_test.hpp"

#include <cstdlib>
#include <random>

namespace conformance {

namespace fs = std::filesystem;

// Adding a driver to the suite is one line here.
// clang-format off
const std::vector<DriverUnderTest>& drivers_under_test() {
    static const std::vector<DriverUnderTest> table{
        {"memory", [](const fs::path&) { return driver_config("memory"); }},
        {"file", [](const fs::path& dir) { return driver_config("file", {{"path", (dir / "jobs.json").string()}}); }},
        {"sqlite", [](const fs::path& dir) { return driver_config("sqlite", {{"path", (dir / "q.db").string()}}); }},
        {"postgres", [](const fs::path&) { return driver_config("postgres", {{"dsn", server_from_env("Q_TEST_PG_DSN")}, {"table", unique_name("q_conf_")}, {"auto_migrate", true}}); }},
        {"redis", [](const fs::path&) { return driver_config("redis", {{"url", server_from_env("Q_TEST_REDIS_URL")}, {"prefix", unique_name("q_conf_") + ":"}}); }},
    };
    return table;
}
// clang-format on

std::string server_from_env(const char* variable) {
    const char* value = std::getenv(variable);
    if (value == nullptr || *value == '\0') {
        throw ServerNotConfigured(std::string(variable) + " is not set");
    }
    return value;
}

std::string unique_name(const std::string& prefix) {
    static constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    thread_local std::mt19937_64 rng{std::random_device{}()};
    std::uniform_int_distribution<std::size_t> pick(0, sizeof kAlphabet - 2);
    std::string name = prefix;
    for (int i = 0; i < 12; ++i) name += kAlphabet[pick(rng)];
    return name;
}

libqueue::Config driver_config(const std::string& driver, nlohmann::json section) {
    libqueue::Config config;
    config.driver = driver;
    config.driver_sections[driver] = std::move(section);
    return config;
}

namespace {
const DriverUnderTest* selected = nullptr;
}

const DriverUnderTest& driver_under_test() {
    if (selected == nullptr)
        throw std::logic_error("no driver under test was selected");
    return *selected;
}

void select_driver_under_test(const DriverUnderTest& entry) {
    selected = &entry;
}

}  // namespace conformance
