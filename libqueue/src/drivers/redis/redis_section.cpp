// The queue.redis config section: its keys, its check and its display. Part of libqueue itself
// (no hiredis), so config errors, `q config` and `man q.json` need no driver module.
#include "drivers/redis/redis_driver.hpp"
#include "drivers/redis/redis_url.hpp"

namespace libqueue {

std::vector<ConfigKey> redis_section_keys() {
    return {
        {"", "object", "{}",
         "The redis driver: jobs as Redis keys under a prefix, claimed by Lua scripts; for many "
         "workers and low latency.",
         ""},
        {"url", "string", "\"redis://127.0.0.1:6379/0\"",
         "redis://[[user]:password@]host[:port][/db]; without a password in it, "
         "$Q_REDIS_PASSWORD is used. q never prints the password (***).",
         "\"redis://127.0.0.1:6379/0\""},
        {"prefix", "string", "\"q\"", "Every key q writes starts with it (PREFIX:{QUEUE}:...).",
         "\"q\""},
        {"retry_after", "duration", "queue.stale_after",
         "The Dart queue system's name for queue.stale_after, read as it when that is unset.",
         "\"5m\""},
        {"connection", "string", "none",
         "The Dart queue system's key: a redis:// URL is read as url; a connection name is "
         "ignored, with a note.",
         "\"redis://127.0.0.1:6379/1\""},
        {"queue", "string", "\"default\"",
         "The Dart queue system's key: the queue push and work use without --queue (a note says "
         "to use --queue instead).",
         "\"default\""},
    };
}

nlohmann::json check_redis_section(const ConfigChecker& check, const nlohmann::json& section) {
    check.require_object(section, "queue.redis");
    for (const auto& [key, value] : section.items()) {
        const std::string path = "queue.redis." + key;
        check.require_known("queue.redis", key, path);
        if (key == "url") {
            check.string(value, path);
        } else if (key == "prefix") {
            check.string(value, path);  // every key starts with it: an empty one would clash
        } else if (key == "retry_after") {
            check.duration(value, path);  // the Dart queue system's name for stale_after
        } else if (key == "connection" || key == "queue") {
            check.string(value, path);  // the Dart queue system's keys (config.cpp reads them)
        } else {
            check.unknown_key(path, keys_under("queue.redis"));
        }
    }
    return section;
}

nlohmann::json redis_section_display(const nlohmann::json& section) {
    nlohmann::json shown = section;
    if (auto it = shown.find("url"); it != shown.end() && it->is_string())
        *it = redis::display_url(it->get<std::string>());
    return shown;
}

}  // namespace libqueue
