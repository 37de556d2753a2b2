// What every subcommand shares: the global options, the config and driver (opened lazily, once),
// and the exit status a command asks for.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "libqueue/libqueue.hpp"

namespace q {

struct GlobalOptions {
    std::optional<std::filesystem::path> config_path;  // --config
    std::optional<std::string> driver;                 // --driver overrides queue.driver
    std::optional<std::string> queue;                  // --queue (default "default"; "a,b" lists)
    bool json = false;                                 // --json
    bool quiet = false;                                // -q
    int verbose = 0;                                   // -v, -vv
};

class Context {
  public:
    GlobalOptions options;

    // What main() returns when the command finishes without throwing. A command that ran fine
    // but has to report "the job failed" / "threshold breached" sets 1 here (errors throw).
    int exit_code = 0;

    // Set by `q run` (before calling driver()) so the in-process drivers (memory) are allowed.
    bool allow_in_process_driver = false;

    // The config found by the lookup order (docs/lifecycle.md, "Configuration"), with --driver
    // applied. Loaded once.
    const libqueue::Config& config();
    // The handlers of the config (handlers.NAME commands), built once. Job output goes to stderr.
    libqueue::Handlers& handlers();
    // The configured driver, created once. Refuses `memory` unless allow_in_process_driver
    // (UsageError pointing to `q run`).
    libqueue::QueueDriver& driver();

    // The queue named by --queue, or the config's default queue ("default" unless the Dart
    // queue system's redis.queue names another). UsageError when --queue lists several.
    std::string queue();
    // --queue split at commas ("a,b" = strict priority), or {the default queue}.
    std::vector<std::string> queues();
    // The one queue --queue names, as a filter; nullopt without --queue (every queue).
    std::optional<std::string> queue_filter();

    // With no config file found, one note on stderr (not with -q) saying where jobs are kept
    // instead: under cron, with no ./q.json and a bare environment, a push must not vanish
    // silently into a database nobody works.
    void note_when_no_config();

    bool json() const { return options.json; }
    bool quiet() const { return options.quiet; }
    int verbose() const { return options.verbose; }

  private:
    std::optional<libqueue::Config> config_;
    std::unique_ptr<libqueue::Handlers> handlers_;
    std::unique_ptr<libqueue::QueueDriver> driver_;
};

}  // namespace q
