#include "drivers/sqlite/settings.hpp"

#include <algorithm>
#include <cctype>

#include "drivers/data_file.hpp"
#include "drivers/sqlite/sqlite_driver.hpp"

namespace libqueue {

std::vector<ConfigKey> sqlite_section_keys() {
    return {
        {"", "object", "{}",
         "The sqlite driver, the default: one database file that any number of q processes on one "
         "machine share (WAL mode).",
         ""},
        {"path", "path", "\"$XDG_DATA_HOME/q/queue.db\"",
         "The database file (mode 0600; it and its folders are created). Keep it on a local "
         "disk: WAL mode needs shared memory, which network filesystems do not give.",
         "\"queue.db\""},
        {"synchronous", "\"FULL\", \"NORMAL\" or \"OFF\"", "\"FULL\"",
         "FULL: a push that returned survives a power cut. NORMAL is 3-4 times faster for one job "
         "at a time, but a power cut may lose the last transactions (it never corrupts the "
         "file). OFF is for throwaway queues.",
         "\"NORMAL\""},
    };
}

nlohmann::json check_sqlite_section(const ConfigChecker& check, const nlohmann::json& section) {
    check.require_object(section, "queue.sqlite");
    nlohmann::json out = section;
    for (const auto& [key, value] : section.items()) {
        const std::string path = "queue.sqlite." + key;
        check.require_known("queue.sqlite", key, path);
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
            check.unknown_key(path, keys_under("queue.sqlite"));
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
