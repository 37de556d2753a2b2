#include "libqueue/modules.hpp"

#include <dlfcn.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <vector>

namespace libqueue {

namespace {

std::vector<std::filesystem::path> module_dirs() {
    std::vector<std::filesystem::path> dirs;
    std::error_code ec;
    const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (!ec) {
        dirs.push_back(self.parent_path());
#ifdef Q_MODULE_DIR_FROM_BIN
        dirs.push_back((self.parent_path() / Q_MODULE_DIR_FROM_BIN).lexically_normal());
#endif
    }
#ifdef Q_MODULE_DIR
    dirs.emplace_back(Q_MODULE_DIR);
#endif
    return dirs;
}

struct Loaded {
    void* handle = nullptr;
    std::string error;
};

}  // namespace

std::optional<std::filesystem::path> find_module(const std::string& file) {
    std::error_code ec;
    for (const auto& dir : module_dirs()) {
        if (std::filesystem::is_regular_file(dir / file, ec))
            return dir / file;
    }
    return std::nullopt;
}

std::string module_places(const std::string& file) {
    std::string places;
    std::vector<std::filesystem::path> seen;
    for (const auto& dir : module_dirs()) {
        if (std::find(seen.begin(), seen.end(), dir) != seen.end())
            continue;
        seen.push_back(dir);
        places += (places.empty() ? "" : " or ") + dir.string();
    }
    return file + " is not installed in " + (places.empty() ? "any of q's module folders" : places);
}

void* module_symbol(const std::string& file, const std::string& symbol, std::string* why) {
    // dlopen is thread-safe, but one handle per file keeps a failure's message with it.
    static std::mutex mutex;
    static std::map<std::string, Loaded> loaded;
    std::lock_guard lock(mutex);
    auto [it, first] = loaded.try_emplace(file);
    Loaded& module = it->second;
    if (first) {
        if (const auto path = find_module(file)) {
            // RTLD_LOCAL: a module's own libraries stay out of the global scope; RTLD_NOW: a
            // module that does not fit this q fails here, with dlerror's reason, not mid-job.
            module.handle = dlopen(path->c_str(), RTLD_NOW | RTLD_LOCAL);
            if (module.handle == nullptr) {
                const char* text = dlerror();
                module.error =
                    path->string() + ": " + (text != nullptr ? text : "cannot be loaded");
            }
        } else {
            module.error = module_places(file);
        }
    }
    if (module.handle == nullptr) {
        *why = module.error;
        return nullptr;
    }
    void* address = dlsym(module.handle, symbol.c_str());
    if (address == nullptr)
        *why = file + " is not q's (it has no " + symbol + ")";
    return address;
}

}  // namespace libqueue
