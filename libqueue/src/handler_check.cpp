// Whether each handler's program can be started, checked before a worker claims anything: a
// program that cannot run turns every job of its name into retries and then dead letters.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

#include "libqueue/handler.hpp"

namespace libqueue {

namespace {

namespace fs = std::filesystem;

// "" when `program` (a path) names an executable file, else what is wrong with it.
std::string problem_with_file(const fs::path& program) {
    std::error_code ec;
    const auto status = fs::status(program, ec);
    if (ec || !fs::exists(status))
        return "not found";
    if (fs::is_directory(status))
        return "is a directory";
    if (::access(program.c_str(), X_OK) != 0)
        return "not executable";
    return {};
}

// posix_spawnp looks a bare name up on this process's PATH (not the handler's env), so the
// check does too; an unset PATH means the C library's default.
bool found_on_path(const std::string& name) {
    const char* path = std::getenv("PATH");
    const std::string dirs = path != nullptr ? path : "/bin:/usr/bin";
    std::size_t start = 0;
    while (start <= dirs.size()) {
        auto end = dirs.find(':', start);
        if (end == std::string::npos)
            end = dirs.size();
        const auto dir = dirs.substr(start, end - start);
        if (problem_with_file(fs::path(dir.empty() ? "." : dir) / name).empty())
            return true;
        start = end + 1;
    }
    return false;
}

}  // namespace

std::vector<std::string> unrunnable_handlers(const Config& config) {
    std::vector<std::string> problems;
    for (const auto& [name, spec] : config.handlers) {
        if (spec.command.empty())
            continue;  // the config checker refuses it
        const auto& program = spec.command.front();
        const auto where = "handlers." + name + ": ";
        if (program.find('/') == std::string::npos) {
            if (!found_on_path(program))
                problems.push_back(where + "'" + program + "' is not on PATH");
        } else if (auto problem = problem_with_file(program); !problem.empty()) {
            problems.push_back(where + "'" + program + "': " + problem);
        }
        if (spec.cwd) {
            std::error_code ec;
            if (!fs::is_directory(*spec.cwd, ec))
                problems.push_back(where + "cwd '" + spec.cwd->string() + "' is not a folder");
        }
    }
    return problems;
}

}  // namespace libqueue
