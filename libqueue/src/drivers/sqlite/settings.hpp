// The queue.sqlite config section, checked and resolved.
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

// Throws ConfigError naming the key path (queue.sqlite.KEY) for unknown keys, wrong types and
// bad values. A missing path means the default location, $XDG_DATA_HOME/q/queue.db.
Settings read_settings(const DriverContext& context);

}  // namespace libqueue::sqlite
