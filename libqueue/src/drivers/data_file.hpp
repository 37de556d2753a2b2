// The drivers that keep a file in q's data folder (sqlite, file): queue.NAME.path and its default,
// $XDG_DATA_HOME/q/FILE (config.hpp's q_data_dir).
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

namespace libqueue {

// For a section check: sets section["path"] to the default when it has none and there is a data
// folder (so `q config` shows it); without one the path stays unset for data_file_path to report.
void default_data_file(nlohmann::json& section, const char* file_name);

// For a factory: the checked section's path. ConfigError "queue.NAME.path: not set, ..." when
// there is none (no data folder either).
std::filesystem::path data_file_path(const nlohmann::json& section,
                                     const std::string& section_path);

}  // namespace libqueue
