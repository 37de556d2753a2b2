#include "drivers/sqlite/settings.hpp"

#include <algorithm>
#include <cctype>

#include "drivers/data_file.hpp"
#include "drivers/sqlite/sqlite_driver.hpp"

namespace libqueue {

nlohmann::json check_sqlite_section(const ConfigChecker& check, const nlohmann::json& section) {
    check.require_object(section, "queue.sqlite");
    nlohmann::json out = section;
    for (const auto& [key, value] : section.items()) {
        const std::string path = "queue.sqlite." + key;
        if (key == "path") {
            out[key] = check.path(value, path);
        } else if (key == "synchronous") {
            std::string mode = check.string(value, path);
            std::transform(mode.begin(), mode.end(), mode.begin(),
                           [](unsigned char c) { return char(std::toupper(c)); });
            if (mode != "FULL" && mode != "NORMAL" && mode != "OFF") {
                check.fail(path,
                           "expected \"FULL\", \"NORMAL\" or \"OFF\", got " + describe_json(value));
            }
            out[key] = mode;
        } else {
            check.unknown_key(path, {"path", "synchronous"});
        }
    }
    default_data_file(out, default_sqlite_file);
    return out;
}

}  // namespace libqueue

namespace libqueue::sqlite {

Settings read_settings(const DriverContext& context) {
    const nlohmann::json& section = context.section;
    Settings settings;
    settings.keep_completed = context.config.keep_completed;
    settings.path = data_file_path(section, "queue.sqlite");
    settings.synchronous = section.value("synchronous", settings.synchronous);
    return settings;
}

}  // namespace libqueue::sqlite
