// The config file: where it is found, its shape, and validation that names the bad key path.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "libqueue/limits.hpp"
#include "libqueue/schedule.hpp"
#include "libqueue/time.hpp"

namespace libqueue {

struct RetrySettings {
    Milliseconds base{30'000};    // queue.retry.base
    Milliseconds max{3'600'000};  // queue.retry.max
};

// The most jobs a worker may hold beyond its free slots (queue.worker.prefetch, --prefetch).
inline constexpr unsigned max_prefetch = 256;

struct WorkerSettings {
    Milliseconds delay{0};                  // pause between jobs (the Dart worker.delay)
    std::optional<std::uint64_t> max_jobs;  // stop after this many jobs
    std::optional<Milliseconds> timeout;    // stop after running this long
    unsigned concurrency = 1;
    // Jobs claimed beyond the free slots; unset: as many as the slots finish in a few ms.
    std::optional<unsigned> prefetch;
};

// queue.logs: what each attempt of a job printed, kept beside the jobs (attempt_log.hpp).
struct LogSettings {
    bool enabled = true;
    std::size_t max_bytes = 64 * 1024;           // per attempt: the first and the last half
    Milliseconds keep{7LL * 24 * 3600 * 1'000};  // pruned by workers and q prune after this
};

// handlers.NAME: an external command run for every job of that name.
struct CommandSpec {
    // argv; executed directly, never through a shell. A relative program path (one with a '/')
    // is resolved against the config file's folder; a bare name is looked up on PATH.
    std::vector<std::string> command;
    std::optional<Milliseconds> timeout;
    std::map<std::string, std::string> env;
    std::optional<std::filesystem::path> cwd;  // resolved against the config file's folder
    JobLimits limits;                          // rate, burst, concurrency (limits.hpp)
};

struct Config {
    std::string driver = "sqlite";
    // Each driver's section as written (queue.sqlite, queue.postgres, ...), with relative paths
    // already resolved against the config file's folder. Drivers read their own keys from here.
    nlohmann::json driver_sections = nlohmann::json::object();
    RetrySettings retry;
    Milliseconds stale_after{300'000};
    bool keep_completed = true;
    WorkerSettings worker;
    LogSettings logs;
    std::map<std::string, CommandSpec> handlers;
    // schedules: recurring jobs (schedule.hpp), by name.
    std::vector<Schedule> schedules;

    // The queue `q push` and `q work` use without --queue: "default", or what the Dart queue
    // system's queue.redis.queue names.
    std::string default_queue = "default";

    // What q read differently from how it was written (the Dart queue system's names for the
    // same thing), one line each; `q config` shows them.
    std::vector<std::string> notes;
    // Dart keys q reads for now but will not always: every command prints them on stderr.
    std::vector<std::string> deprecations;
    // Mistakes that do not stop q (the section of a driver not in use), one line each, naming
    // the key: every command prints them on stderr.
    std::vector<std::string> warnings;

    std::filesystem::path source;    // the file it was read from; empty when none was found
    std::filesystem::path base_dir;  // relative paths resolve from here

    // The section for `driver_name`, or an empty object.
    const nlohmann::json& section(const std::string& driver_name) const;
};

// The system-wide config, looked at last.
inline constexpr const char* system_config_file = "/etc/q/config.json";

// Lookup order: explicit path, then $Q_CONFIG, then ./q.json, then $XDG_CONFIG_HOME/q/config.json
// (~/.config when unset), then /etc/q/config.json. nullopt when none exists (an explicit or
// $Q_CONFIG path that does not exist is a ConfigError).
std::optional<std::filesystem::path> find_config_file(
    const std::optional<std::filesystem::path>& explicit_path);

// Reads and validates. Throws ConfigError "PATH: queue.retry.base: bad duration 'x' ..." naming the
// file and key path, for unreadable files, invalid JSON (with line/column), unknown keys and wrong
// types. Keys of driver sections are checked for the built-in drivers; a section named after a
// driver registered by the application is passed through unchecked.
Config load_config(const std::filesystem::path& file);

// From an already parsed document (tests, embedding). base_dir resolves relative paths.
Config parse_config(const nlohmann::json& document, const std::filesystem::path& base_dir,
                    const std::string& origin = "config");

// Where q keeps its data by default: $XDG_DATA_HOME/q, else ~/.local/share/q; nullopt when
// neither XDG_DATA_HOME nor HOME is set. The sqlite and file drivers' default paths are in it.
std::optional<std::filesystem::path> q_data_dir();
inline constexpr const char* default_sqlite_file = "queue.db";
inline constexpr const char* default_queue_file = "jobs.json";

// Makes `name` the driver (--driver): ConfigError for an unknown driver or a mistake in its
// section, which is checked in full and gets the driver's defaults filled in.
void use_driver(Config& config, const std::string& name);

// find_config_file + load_config + use_driver(config.driver); with no file, the default: SQLite at
// $XDG_DATA_HOME/q/queue.db (~/.local/share when unset).
Config resolve_config(const std::optional<std::filesystem::path>& explicit_path);

// The resolved config as JSON without its secrets: each driver rebuilds its connection string
// from the parsed form with the password as "***" (registry.hpp's SectionDisplay); a handler's
// PGPASSWORD-like env values are "***"; strings of unknown format lose anything that could be a
// URL's user info or a password= value.
nlohmann::json redacted_json(const Config& config);

}  // namespace libqueue
