#include "libqueue/config.hpp"

#include "libqueue/errors.hpp"

namespace libqueue {

const nlohmann::json& Config::section(const std::string& driver_name) const {
    static const nlohmann::json empty = nlohmann::json::object();
    auto it = driver_sections.find(driver_name);
    return it == driver_sections.end() ? empty : *it;
}

Config resolve_config(const std::optional<std::filesystem::path>&) { return Config{}; }

}  // namespace libqueue
