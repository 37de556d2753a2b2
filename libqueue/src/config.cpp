#include "libqueue/config.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>

#include "libqueue/config_checker.hpp"
#include "libqueue/config_keys.hpp"
#include "libqueue/duration.hpp"
#include "libqueue/errors.hpp"
#include "libqueue/input_limits.hpp"
#include "libqueue/json_limits.hpp"
#include "libqueue/registry.hpp"
#include "libqueue/text.hpp"
#include "schedule_config.hpp"
#include "secrets.hpp"

namespace libqueue {

namespace fs = std::filesystem;
using nlohmann::json;

const json& Config::section(const std::string& driver_name) const {
    static const json empty = json::object();
    auto it = driver_sections.find(driver_name);
    return it == driver_sections.end() ? empty : *it;
}

namespace {

std::string env_or_empty(const char* name) {
    const char* value = std::getenv(name);
    return value ? std::string(value) : std::string();
}

// $XDG_<kind>_HOME, else ~/<fallback>; nullopt when neither variable is set.
std::optional<fs::path> xdg_dir(const char* variable, const char* home_fallback) {
    if (auto dir = env_or_empty(variable); !dir.empty())
        return fs::path(dir);
    if (auto home = env_or_empty("HOME"); !home.empty())
        return fs::path(home) / home_fallback;
    return std::nullopt;
}

RetrySettings check_retry(const ConfigChecker& check, const json& section) {
    RetrySettings retry;
    for (const auto& [key, value] : section.items()) {
        const std::string path = "queue.retry." + key;
        check.require_known("queue.retry", key, path);
        if (key == "base") {
            retry.base = check.duration(value, path);
        } else if (key == "max") {
            retry.max = check.duration(value, path);
        } else {
            check.unknown_key(path, keys_under("queue.retry"));
        }
    }
    return retry;
}

LogSettings check_logs(const ConfigChecker& check, const json& section) {
    LogSettings logs;
    for (const auto& [key, value] : section.items()) {
        const std::string path = "queue.logs." + key;
        check.require_known("queue.logs", key, path);
        if (key == "enabled") {
            logs.enabled = check.boolean(value, path);
        } else if (key == "max_bytes") {
            logs.max_bytes = std::size_t(check.count(value, path, 1024, 16 * 1024 * 1024));
        } else if (key == "keep") {
            logs.keep = check.duration(value, path);
            if (logs.keep.count() <= 0)
                check.fail(path, "must be longer than 0s (use enabled: false to keep no logs)");
        } else {
            check.unknown_key(path, keys_under("queue.logs"));
        }
    }
    return logs;
}

WorkerSettings check_worker(const ConfigChecker& check, const json& section) {
    WorkerSettings worker;
    for (const auto& [key, value] : section.items()) {
        const std::string path = "queue.worker." + key;
        check.require_known("queue.worker", key, path);
        if (key == "delay") {
            worker.delay = check.duration(value, path);
        } else if (key == "max_jobs") {
            worker.max_jobs = check.count(value, path, 1, UINT64_MAX);
        } else if (key == "timeout") {
            worker.timeout = check.duration(value, path);
        } else if (key == "concurrency") {
            worker.concurrency = unsigned(check.count(value, path, 1, 1024));
        } else if (key == "prefetch") {
            worker.prefetch = unsigned(check.count(value, path, 0, max_prefetch));
        } else {
            check.unknown_key(path, keys_under("queue.worker"));
        }
    }
    return worker;
}

// The Dart queue system's redis.connection and redis.queue (its guide's config shape), already
// checked to be strings by the redis section's check. q reads them where they mean what q
// means, and says each time that they are on their way out.
void read_dart_redis_keys(const json& redis, Config& config) {
    if (!redis.is_object())
        return;
    if (auto queue = redis.find("queue"); queue != redis.end()) {
        config.default_queue = queue->get<std::string>();
        config.deprecations.push_back(
            "queue.redis.queue is the Dart queue system's key: read as "
            "the queue push and work use without --queue ('" +
            valid_utf8(config.default_queue) + "'); name the queue with --queue instead");
    }
    if (auto connection = redis.find("connection"); connection != redis.end()) {
        const auto text = connection->get<std::string>();
        if (text.rfind("redis://", 0) == 0 || text.rfind("rediss://", 0) == 0) {
            if (redis.contains("url")) {
                config.deprecations.push_back(
                    "queue.redis.connection is the Dart queue system's key, and queue.redis.url "
                    "is given: connection is ignored");
            } else {
                config.driver_sections["redis"]["url"] = text;  // checked when the driver starts
                config.deprecations.push_back(
                    "queue.redis.connection is the Dart queue system's key: read as "
                    "queue.redis.url; rename it to url");
            }
        } else {
            config.deprecations.push_back(
                "queue.redis.connection names a connection of the Dart application, which q "
                "cannot read: ignored; q connects to queue.redis.url (redis://127.0.0.1:6379/0 "
                "when unset)");
        }
    }
}

void check_queue(const ConfigChecker& check, const json& queue, Config& config) {
    check.require_object(queue, "queue");
    const auto registered = driver_names();
    std::optional<Milliseconds> stale_after;
    std::optional<Milliseconds> redis_retry_after;

    for (const auto& [key, value] : queue.items()) {
        const std::string path = "queue." + key;
        check.require_known("queue", key, path);
        if (key == "driver") {
            config.driver = check.string(value, path);
            // The Dart queue system calls its SQL driver "database": it is q's postgres driver,
            // on the same kronix_jobs table.
            if (config.driver == "database" &&
                std::find(registered.begin(), registered.end(), "postgres") != registered.end()) {
                config.driver = "postgres";
                config.notes.push_back(
                    "queue.driver: \"database\" (the Dart queue system's name) is read as "
                    "\"postgres\"");
            }
            if (auto why = unknown_driver(config.driver))
                check.fail(path, *why);
        } else if (key == "retry") {
            check.require_object(value, path);
            config.retry = check_retry(check, value);
        } else if (key == "stale_after") {
            stale_after = check.duration(value, path);
        } else if (key == "keep_completed") {
            config.keep_completed = check.boolean(value, path);
        } else if (key == "worker") {
            check.require_object(value, path);
            config.worker = check_worker(check, value);
        } else if (key == "logs") {
            check.require_object(value, path);
            config.logs = check_logs(check, value);
        } else if (std::find(registered.begin(), registered.end(), key) != registered.end()) {
            // Each driver's registry entry checks its own section. A mistake in the section of
            // a driver this config does not use must not stop every command: it is a warning,
            // and the section is checked in full if that driver is chosen (--driver,
            // use_driver). "driver" sorts before every driver's name, so it is known here.
            try {
                config.driver_sections[key] = check_driver_section(key, check, value);
                if (key == "redis") {
                    if (value.contains("retry_after"))
                        redis_retry_after = duration_from_json(value["retry_after"]);
                    read_dart_redis_keys(value, config);
                }
            } catch (const ConfigError& e) {
                if (key == config.driver)
                    throw;
                config.driver_sections[key] = value;
                config.warnings.push_back(std::string(e.what()) + " (driver " + key +
                                          " is not in use)");
            }
        } else {
            check.unknown_key(path, keys_under("queue"));
        }
    }
    // The Dart queue system's redis.retry_after means stale_after; an explicit
    // queue.stale_after wins.
    if (stale_after) {
        config.stale_after = *stale_after;
    } else if (redis_retry_after) {
        config.stale_after = *redis_retry_after;
    }
    if (config.stale_after.count() <= 0) {
        check.fail(stale_after ? "queue.stale_after" : "queue.redis.retry_after",
                   "must be longer than 0s (every running job would be stale at once)");
    }
}

CommandSpec check_handler(const ConfigChecker& check, const json& spec, const std::string& base) {
    check.require_object(spec, base);
    CommandSpec out;
    for (const auto& [key, value] : spec.items()) {
        const std::string path = base + "." + key;
        check.require_known("handlers.NAME", key, path);
        if (key == "command") {
            if (value.is_string()) {
                check.fail(path,
                           "expected an array such as [\"prog\", \"arg\"], got a string: q runs "
                           "the command directly, never through a shell (for a shell, write "
                           "[\"sh\", \"-c\", \"...\"])");
            }
            if (!value.is_array())
                check.fail(path, "expected an array of strings, got " + describe_json(value));
            if (value.empty())
                check.fail(path, "must not be empty (the program to run comes first)");
            for (std::size_t i = 0; i < value.size(); ++i) {
                const std::string item = path + "[" + std::to_string(i) + "]";
                // A program named by a relative path ("bin/send.sh") is found from the config
                // file's folder, like every path in the config, whatever folder q runs in. A
                // bare name ("php") is looked up on PATH.
                auto word = check.string(value[i], item, i > 0);
                if (i == 0 && word.find('/') != std::string::npos)
                    word = check.path(value[i], item);
                out.command.push_back(std::move(word));
            }
        } else if (key == "timeout") {
            out.timeout = check.duration(value, path);
        } else if (key == "env") {
            check.require_object(value, path);
            for (const auto& [name, text] : value.items()) {
                if (name.empty() || name.find('=') != std::string::npos) {
                    check.fail(path, "bad variable name '" + name + "'");
                }
                out.env[name] = check.string(text, path + "." + name, true);
            }
        } else if (key == "cwd") {
            out.cwd = fs::path(check.path(value, path));
        } else if (key == "rate") {
            try {
                out.limits.rate = parse_rate(check.string(value, path));
            } catch (const UsageError& e) {
                check.fail(path, e.what());
            }
        } else if (key == "burst") {
            out.limits.burst = static_cast<std::uint32_t>(check.count(value, path, 1, 1'000'000));
        } else if (key == "concurrency") {
            out.limits.concurrency =
                static_cast<std::uint32_t>(check.count(value, path, 1, 1'000'000));
        } else {
            check.unknown_key(path, keys_under("handlers.NAME"));
        }
    }
    if (out.command.empty()) {
        check.fail(base + ".command", "missing (the program to run, e.g. [\"./bin/send-mail\"])");
    }
    if (out.limits.burst > 1 && !out.limits.rate)
        check.fail(base + ".burst", "needs a rate (handlers.NAME.rate, e.g. \"100/1m\")");
    return out;
}

void check_handlers(const ConfigChecker& check, const json& handlers, Config& config) {
    check.require_object(handlers, "handlers");
    for (const auto& [name, spec] : handlers.items()) {
        if (name.empty())
            check.fail("handlers", "a handler's job name must not be empty");
        config.handlers[name] = check_handler(check, spec, "handlers." + name);
    }
}

// nlohmann's message reads "[json.exception.parse_error.101] parse error at line 3, column 5:
// syntax error ..."; the file, line and column are said by us, so keep only the reason.
std::string parse_error_reason(const std::string& what) {
    auto column = what.find("column ");
    auto colon = what.find(": ", column == std::string::npos ? 0 : column);
    return colon == std::string::npos ? what : what.substr(colon + 2);
}

std::pair<std::size_t, std::size_t> line_and_column(const std::string& text, std::size_t byte) {
    // byte is 1-based: the position of the character that broke the parse.
    const std::size_t index = std::min(byte == 0 ? 0 : byte - 1, text.size());
    std::size_t line = 1, line_start = 0;
    for (std::size_t i = 0; i < index; ++i) {
        if (text[i] == '\n') {
            ++line;
            line_start = i + 1;
        }
    }
    return {line, index - line_start + 1};
}

std::string lowercase(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return char(std::tolower(c)); });
    return text;
}

// For strings whose format q does not know (handler commands and env, the section of an
// application's own driver) there is no parsed form to rebuild, so they are hidden generously:
// all of what could be a URL's user info (up to the last '@'), and everything after "password=",
// since q cannot tell where such a password ends.
std::string hide_unknown(std::string text) {
    if (auto scheme_end = text.find("://"); scheme_end != std::string::npos) {
        const auto start = scheme_end + 3;
        if (auto at = text.rfind('@'); at != std::string::npos && at >= start)
            text.replace(start, at - start, "***");
    }
    const std::string lower = lowercase(text);
    for (auto key = lower.find("password"); key != std::string::npos;
         key = lower.find("password", key + 1)) {
        auto equals = lower.find_first_not_of(' ', key + 8);
        if (equals != std::string::npos && lower[equals] == '=')
            return text.substr(0, equals + 1) + "***";
    }
    return text;
}

json hide_unknown_strings(const json& value) {
    if (value.is_string())
        return hide_unknown(value.get<std::string>());
    if (value.is_array() || value.is_object()) {
        json out = value;
        for (auto& item : out) item = hide_unknown_strings(item);
        return out;
    }
    return value;
}

// A handler's own PGPASSWORD (or any *PASSWORD*) is a secret whatever its value looks like.
json shown_env(const std::map<std::string, std::string>& env) {
    json out = json::object();
    for (const auto& [name, value] : env) {
        const bool secret =
            is_secret_variable(name) || lowercase(name).find("password") != std::string::npos;
        out[name] = secret ? "***" : hide_unknown(value);
    }
    return out;
}

}  // namespace

std::optional<fs::path> q_data_dir() {
    if (auto data = xdg_dir("XDG_DATA_HOME", ".local/share"))
        return *data / "q";
    return std::nullopt;
}

std::optional<fs::path> find_config_file(const std::optional<fs::path>& explicit_path) {
    auto must_exist = [](const fs::path& file, const std::string& how) {
        std::error_code ec;
        if (!fs::exists(file, ec)) {
            throw ConfigError(file.string() + ": no such config file (given by " + how + ")");
        }
        if (fs::is_directory(file, ec)) {
            throw ConfigError(file.string() + ": is a directory, not a config file (given by " +
                              how + ")");
        }
        return file;
    };
    if (explicit_path && !explicit_path->empty())
        return must_exist(*explicit_path, "--config");
    if (auto from_env = env_or_empty("Q_CONFIG"); !from_env.empty()) {
        return must_exist(from_env, "$Q_CONFIG");
    }
    std::error_code ec;
    if (fs::is_regular_file("q.json", ec))
        return fs::path("q.json");
    if (auto dir = xdg_dir("XDG_CONFIG_HOME", ".config")) {
        fs::path file = *dir / "q" / "config.json";
        if (fs::is_regular_file(file, ec))
            return file;
    }
    // The machine's config, for workers run by systemd and cron entries of any user.
    if (fs::path system_file = system_config_file; fs::is_regular_file(system_file, ec))
        return system_file;
    return std::nullopt;
}

namespace {

// JSON parsers keep the last of two equal keys; in a config file that silently drops a setting,
// so a key given twice in one object is refused, named by its path.
json::parser_callback_t duplicate_key_guard(const std::string& origin) {
    struct Level {
        bool is_object;
        std::string path;
        std::set<std::string> keys;
    };
    auto levels = std::make_shared<std::vector<Level>>();
    auto last_key = std::make_shared<std::string>();
    return [=](int, json::parse_event_t event, json& parsed) {
        using Event = json::parse_event_t;
        if (event == Event::object_start || event == Event::array_start) {
            std::string path;
            if (!levels->empty()) {
                const Level& parent = levels->back();
                path = parent.is_object ? (parent.path.empty() ? "" : parent.path + ".") + *last_key
                                        : parent.path + "[]";
            }
            levels->push_back({event == Event::object_start, path, {}});
        } else if (event == Event::object_end || event == Event::array_end) {
            levels->pop_back();
        } else if (event == Event::key) {
            *last_key = parsed.get<std::string>();
            Level& level = levels->back();
            if (!level.keys.insert(*last_key).second) {
                throw ConfigError(origin + ": key '" +
                                  (level.path.empty() ? "" : level.path + ".") + *last_key +
                                  "' is given twice (JSON would keep only the last)");
            }
        }
        return true;
    };
}

}  // namespace

Config load_config(const fs::path& file) {
    const std::string origin = file.string();
    std::ifstream in(file, std::ios::binary);
    if (!in)
        throw ConfigError(origin + ": cannot read (" + std::strerror(errno) + ")");
    std::string text;
    try {
        text = read_at_most(in, max_config_bytes, origin);
    } catch (const DataError& e) {
        throw ConfigError(e.what());
    }

    if (!json_depth_ok(text))
        throw ConfigError(json_too_deep(origin));
    json document;
    try {
        document = json::parse(text, duplicate_key_guard(origin));
    } catch (const json::parse_error& e) {
        auto [line, column] = line_and_column(text, e.byte);
        throw ConfigError(origin + ":" + std::to_string(line) + ":" + std::to_string(column) +
                          ": invalid JSON: " + parse_error_reason(e.what()));
    } catch (const json::out_of_range&) {
        // A number such as 1e999, which no double holds.
        throw ConfigError(origin + ": invalid JSON: a number is out of range");
    }
    const fs::path absolute = fs::absolute(file).lexically_normal();
    Config config = parse_config(document, absolute.parent_path(), origin);
    config.source = absolute;
    return config;
}

Config parse_config(const json& document, const fs::path& base_dir, const std::string& origin) {
    ConfigChecker check(origin, base_dir);
    if (!document.is_object()) {
        throw ConfigError(origin + ": expected a JSON object ({\"queue\": {...}}), got " +
                          describe_json(document));
    }
    Config config;
    config.base_dir = base_dir;
    const json* schedules = nullptr;
    for (const auto& [key, value] : document.items()) {
        check.require_known("", key, key);
        if (key == "queue") {
            check_queue(check, value, config);
        } else if (key == "handlers") {
            check_handlers(check, value, config);
        } else if (key == "schedules") {
            schedules = &value;
        } else {
            check.unknown_key(key, keys_under(""));
        }
    }
    // After the queue section: a schedule without a queue uses the default queue.
    if (schedules)
        config.schedules = check_schedules(check, *schedules, config.default_queue);
    return config;
}

void use_driver(Config& config, const std::string& name) {
    if (auto why = unknown_driver(name))
        throw ConfigError("driver '" + name + "': " + *why);
    config.driver = name;
    // The driver's own defaults (the sqlite and file drivers' paths), spelled out so `q config`
    // shows where the queue is.
    auto checked =
        check_driver_section(config.driver, config_checker(config), config.section(config.driver));
    if (!checked.empty())
        config.driver_sections[config.driver] = std::move(checked);
}

Config resolve_config(const std::optional<fs::path>& explicit_path) {
    Config config;
    if (auto file = find_config_file(explicit_path))
        config = load_config(*file);
    use_driver(config, config.driver);
    return config;
}

json redacted_json(const Config& config) {
    json queue = {{"driver", config.driver}};
    for (const auto& [name, section] : config.driver_sections.items()) {
        const auto display = section_display(name);
        queue[name] = display ? display(section) : hide_unknown_strings(section);
    }
    queue["retry"] = {{"base", format_duration(config.retry.base)},
                      {"max", format_duration(config.retry.max)}};
    queue["stale_after"] = format_duration(config.stale_after);
    queue["keep_completed"] = config.keep_completed;
    json worker = {{"delay", format_duration(config.worker.delay)},
                   {"concurrency", config.worker.concurrency}};
    if (config.worker.max_jobs)
        worker["max_jobs"] = *config.worker.max_jobs;
    if (config.worker.timeout)
        worker["timeout"] = format_duration(*config.worker.timeout);
    if (config.worker.prefetch)
        worker["prefetch"] = *config.worker.prefetch;
    queue["worker"] = worker;
    queue["logs"] = {{"enabled", config.logs.enabled},
                     {"max_bytes", config.logs.max_bytes},
                     {"keep", format_duration(config.logs.keep)}};

    json handlers = json::object();
    for (const auto& [name, spec] : config.handlers) {
        json out = {{"command", hide_unknown_strings(spec.command)}};
        if (spec.timeout)
            out["timeout"] = format_duration(*spec.timeout);
        if (!spec.env.empty())
            out["env"] = shown_env(spec.env);
        if (spec.cwd)
            out["cwd"] = spec.cwd->string();
        if (spec.limits.rate) {
            out["rate"] = format_rate(*spec.limits.rate);
            out["burst"] = spec.limits.burst;
        }
        if (spec.limits.concurrency)
            out["concurrency"] = *spec.limits.concurrency;
        handlers[name] = out;
    }
    json schedules = json::object();
    for (const auto& schedule : config.schedules)
        schedules[schedule.name] = schedule_json(schedule);
    return {{"queue", queue}, {"handlers", handlers}, {"schedules", schedules}};
}

}  // namespace libqueue
