#include "drivers/data_file.hpp"

#include "libqueue/config.hpp"
#include "libqueue/errors.hpp"

namespace libqueue {

void default_data_file(nlohmann::json& section, const char* file_name) {
    if (section.contains("path"))
        return;
    if (auto dir = q_data_dir())
        section["path"] = (*dir / file_name).string();
}

std::filesystem::path data_file_path(const nlohmann::json& section,
                                     const std::string& section_path) {
    const auto path = section.value("path", std::string());
    if (path.empty()) {
        throw ConfigError(section_path +
                          ".path: not set, and neither XDG_DATA_HOME nor HOME is set");
    }
    return path;
}

}  // namespace libqueue
