#include "drivers/sqlite/settings.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>

#include "libqueue/errors.hpp"

namespace libqueue::sqlite {

namespace {

[[noreturn]] void bad_key(const Config& config, const std::string& key, const std::string& why) {
    std::string where = config.source.empty() ? "" : config.source.string() + ": ";
    throw ConfigError(where + "queue.sqlite" + (key.empty() ? "" : "." + key) + ": " + why);
}

std::filesystem::path default_path(const Config& config) {
    if (auto dir = q_data_dir())
        return *dir / default_sqlite_file;
    bad_key(config, "path", "not set, and neither XDG_DATA_HOME nor HOME is set");
}

}  // namespace

Settings read_settings(const DriverContext& context) {
    const Config& config = context.config;
    const nlohmann::json& section = context.section;
    Settings settings;
    settings.keep_completed = config.keep_completed;
    if (section.is_null()) {
        settings.path = default_path(config);
        return settings;
    }
    if (!section.is_object())
        bad_key(config, "", "expected an object");

    for (const auto& [key, value] : section.items()) {
        if (key == "path") {
            if (!value.is_string() || value.get<std::string>().empty()) {
                bad_key(config, key, "expected a file path (a non-empty string)");
            }
            settings.path = value.get<std::string>();
        } else if (key == "synchronous") {
            if (!value.is_string())
                bad_key(config, key, "expected \"FULL\", \"NORMAL\" or \"OFF\"");
            std::string mode = value.get<std::string>();
            std::transform(mode.begin(), mode.end(), mode.begin(),
                           [](unsigned char c) { return char(std::toupper(c)); });
            if (mode != "FULL" && mode != "NORMAL" && mode != "OFF") {
                bad_key(config, key,
                        "expected \"FULL\", \"NORMAL\" or \"OFF\", got '" +
                            value.get<std::string>() + "'");
            }
            settings.synchronous = mode;
        } else {
            bad_key(config, key, "unknown key (known: path, synchronous)");
        }
    }
    if (settings.path.empty()) {
        settings.path = default_path(config);
    } else if (settings.path.is_relative() && settings.path != ":memory:" &&
               !config.base_dir.empty()) {
        // The config loader normally resolved it already; parse_config callers may not have.
        settings.path = config.base_dir / settings.path;
    }
    return settings;
}

}  // namespace libqueue::sqlite
