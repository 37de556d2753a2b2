#include "libqueue/config_checker.hpp"

#include <algorithm>
#include <cstdlib>

#include "libqueue/config_keys.hpp"
#include "libqueue/duration.hpp"
#include "libqueue/errors.hpp"

namespace libqueue {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::string join(const std::vector<std::string>& names) {
    std::string out;
    for (const auto& name : names) out += (out.empty() ? "" : ", ") + name;
    return out;
}

}  // namespace

std::string describe_json(const json& value) {
    std::string text = value.dump(-1, ' ', false, json::error_handler_t::replace);
    if (text.size() > 40)
        text = text.substr(0, 37) + "...";
    return std::string(value.type_name()) + " " + text;
}

ConfigChecker config_checker(const Config& config) {
    return ConfigChecker(config.source.empty() ? "config" : config.source.string(),
                         config.base_dir);
}

ConfigChecker::ConfigChecker(std::string origin, fs::path base_dir)
    : origin_(std::move(origin)), base_dir_(std::move(base_dir)) {}

void ConfigChecker::fail(const std::string& path, const std::string& why) const {
    throw ConfigError(origin_ + ": " + path + ": " + why);
}

void ConfigChecker::unknown_key(const std::string& path,
                                const std::vector<std::string>& known) const {
    fail(path, "unknown key (known: " + join(known) + ")");
}

void ConfigChecker::require_known(const std::string& section, const std::string& key,
                                  const std::string& path) const {
    const auto known = keys_under(section);
    if (std::find(known.begin(), known.end(), key) == known.end())
        unknown_key(path, known);
}

void ConfigChecker::require_object(const json& value, const std::string& path) const {
    if (!value.is_object())
        fail(path, "expected an object, got " + describe_json(value));
}

std::string ConfigChecker::string(const json& value, const std::string& path,
                                  bool allow_empty) const {
    if (!value.is_string())
        fail(path, "expected a string, got " + describe_json(value));
    auto text = value.get<std::string>();
    if (text.empty() && !allow_empty)
        fail(path, "must not be empty");
    return text;
}

bool ConfigChecker::boolean(const json& value, const std::string& path) const {
    if (!value.is_boolean())
        fail(path, "expected true or false, got " + describe_json(value));
    return value.get<bool>();
}

std::uint64_t ConfigChecker::count(const json& value, const std::string& path, std::uint64_t min,
                                   std::uint64_t max) const {
    const bool integral =
        value.is_number_unsigned() || (value.is_number_integer() && value.get<std::int64_t>() >= 0);
    if (!integral || value.get<std::uint64_t>() < min || value.get<std::uint64_t>() > max) {
        fail(path, "expected a whole number from " + std::to_string(min) + " to " +
                       std::to_string(max) + ", got " + describe_json(value));
    }
    return value.get<std::uint64_t>();
}

Milliseconds ConfigChecker::duration(const json& value, const std::string& path) const {
    try {
        return duration_from_json(value);
    } catch (const UsageError& e) {
        fail(path, e.what());
    }
}

std::string ConfigChecker::path(const json& value, const std::string& key_path) const {
    std::string text = string(value, key_path);
    if (text == ":memory:" || text.rfind("file:", 0) == 0)
        return text;
    fs::path resolved(text);
    if (text == "~" || text.rfind("~/", 0) == 0) {
        const char* home = std::getenv("HOME");
        if (home == nullptr || *home == '\0')
            fail(key_path, "'" + text + "' starts with ~ but HOME is not set");
        resolved = fs::path(home) / text.substr(std::min<std::size_t>(2, text.size()));
    } else if (resolved.is_relative() && !base_dir_.empty()) {
        resolved = base_dir_ / resolved;
    }
    resolved = resolved.lexically_normal();
    // "." normalizes to "dir/"; drop the trailing separator so paths compare and print plainly.
    if (!resolved.has_filename() && resolved.has_relative_path())
        resolved = resolved.parent_path();
    return resolved.string();
}

}  // namespace libqueue
