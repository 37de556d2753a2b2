// What every subcommand shares: the global options and the way to open the configured driver.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "libqueue/libqueue.hpp"

namespace q {

struct GlobalOptions {
    std::optional<std::filesystem::path> config_path;  // --config
    std::optional<std::string> driver;                 // --driver overrides queue.driver
    std::optional<std::string> queue;                  // --queue (default "default")
    bool json = false;                                 // --json
    bool quiet = false;                                // -q
    int verbose = 0;                                   // -v, -vv
};

class Context {
public:
    GlobalOptions options;

    // The config found by the lookup order, with --driver applied. Loaded once.
    const libqueue::Config& config();
    // The configured driver, created once. Refuses `memory` outside `q run` (UsageError).
    libqueue::QueueDriver& driver();
    // The queue named by --queue, or "default".
    std::string queue() const;

private:
    std::optional<libqueue::Config> config_;
    std::unique_ptr<libqueue::Handlers> handlers_;
    std::unique_ptr<libqueue::QueueDriver> driver_;
};

}  // namespace q
