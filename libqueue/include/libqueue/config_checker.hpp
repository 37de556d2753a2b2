// Checking config values: the core's keys and each driver's section (registry.hpp's SectionCheck)
// use the same checks, so every message names the file and the key path the same way.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "libqueue/config.hpp"
#include "libqueue/time.hpp"

namespace libqueue {

// Every failure throws ConfigError "ORIGIN: KEY.PATH: why", so the message alone says what to fix.
class ConfigChecker {
  public:
    // origin: the config file (or "config"); base_dir: where relative paths resolve from.
    ConfigChecker(std::string origin, std::filesystem::path base_dir);

    [[noreturn]] void fail(const std::string& path, const std::string& why) const;
    [[noreturn]] void unknown_key(const std::string& path,
                                  const std::vector<std::string>& known) const;
    // The gate every section check passes a key through first: `key` must be one of the table's
    // keys under `section` (config_keys.hpp, e.g. "queue.worker" or "handlers.NAME"), else
    // unknown_key(path, those keys). So a key the table does not describe is never read.
    void require_known(const std::string& section, const std::string& key,
                       const std::string& path) const;
    void require_object(const nlohmann::json& value, const std::string& path) const;

    std::string string(const nlohmann::json& value, const std::string& path,
                       bool allow_empty = false) const;
    bool boolean(const nlohmann::json& value, const std::string& path) const;
    // A whole number in [min, max].
    std::uint64_t count(const nlohmann::json& value, const std::string& path, std::uint64_t min,
                        std::uint64_t max) const;
    // "30s", "5m", or a number of seconds (duration.hpp).
    Milliseconds duration(const nlohmann::json& value, const std::string& path) const;
    // A file path: relative ones resolve from base_dir, "~/" from $HOME. SQLite's special names
    // (":memory:", "file:" URIs) are not paths and stay as written. Resolving twice changes
    // nothing.
    std::string path(const nlohmann::json& value, const std::string& key_path) const;

  private:
    std::string origin_;
    std::filesystem::path base_dir_;
};

// A checker for values of `config`: its file as the origin, its folder as the base.
ConfigChecker config_checker(const Config& config);

// "string \"abc\"", "number 5": what a wrong value was, kept short for one-line messages.
std::string describe_json(const nlohmann::json& value);

}  // namespace libqueue
