// The queue.sqlite config section as the driver uses it.
#pragma once

#include <filesystem>
#include <string>

#include "libqueue/registry.hpp"

namespace libqueue::sqlite {

struct Settings {
    std::filesystem::path path;
    std::string synchronous = "FULL";  // FULL, NORMAL or OFF: the PRAGMA's value
    bool keep_completed = true;
};

// From the section check_sqlite_section made (sqlite_driver.hpp). ConfigError when it has no
// path: no default location either (neither XDG_DATA_HOME nor HOME is set).
Settings read_settings(const DriverContext& context);

}  // namespace libqueue::sqlite
