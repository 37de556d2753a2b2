#include "drivers/postgres/pg_settings.hpp"

#include <cstdint>
#include <cstdio>

#include "libqueue/errors.hpp"
#include "libqueue/text.hpp"

namespace libqueue::pg {

namespace {

// The longest suffix q appends to the table name ("_q_unique", "idx_..._q_stale") must still fit
// NAMEDATALEN - 1 = 63 bytes, or PostgreSQL would silently truncate and collide names.
constexpr std::size_t kMaxTableLength = 48;
constexpr std::size_t kMaxSchemaLength = 63;

[[noreturn]] void bad_key(const Config& config, const std::string& key, const std::string& why) {
    std::string where = config.source.empty() ? "" : config.source.string() + ": ";
    throw ConfigError(where + "queue.postgres" + (key.empty() ? "" : "." + key) + ": " + why);
}

std::string checked_identifier(const Config& config, const std::string& key,
                               const nlohmann::json& value, std::size_t max_length) {
    if (!value.is_string())
        bad_key(config, key, "expected a string");
    std::string name = value.get<std::string>();
    if (!is_plain_identifier(name)) {
        bad_key(config, key,
                "'" + name +
                    "' is not a plain identifier (letters, digits and _, not starting "
                    "with a digit)");
    }
    if (name.size() > max_length) {
        bad_key(config, key,
                "'" + name + "' is longer than " + std::to_string(max_length) + " characters");
    }
    return name;
}

std::string quote(const std::string& identifier) {
    return "\"" + identifier + "\"";
}

std::uint64_t fnv1a(const std::string& text) {
    std::uint64_t hash = 1469598103934665603ull;
    for (unsigned char c : text) {
        hash ^= c;
        hash *= 1099511628211ull;
    }
    return hash;
}

}  // namespace

Settings read_settings(const DriverContext& context) {
    const Config& config = context.config;
    const nlohmann::json& section = context.section;
    Settings settings;
    settings.keep_completed = config.keep_completed;
    if (section.is_null())
        return settings;
    if (!section.is_object())
        bad_key(config, "", "expected an object");

    for (const auto& [key, value] : section.items()) {
        if (key == "dsn") {
            if (!value.is_string())
                bad_key(config, key, "expected a libpq connection string");
            settings.dsn = value.get<std::string>();
        } else if (key == "table") {
            settings.table = checked_identifier(config, key, value, kMaxTableLength);
        } else if (key == "schema") {
            if (!value.is_null()) {
                settings.schema = checked_identifier(config, key, value, kMaxSchemaLength);
            }
        } else if (key == "auto_migrate") {
            if (!value.is_boolean())
                bad_key(config, key, "expected true or false");
            settings.auto_migrate = value.get<bool>();
        } else {
            bad_key(config, key, "unknown key (known: dsn, table, schema, auto_migrate)");
        }
    }
    return settings;
}

Names make_names(const Settings& s) {
    Names n;
    std::string prefix = s.schema ? quote(*s.schema) + "." : "";
    n.schema = s.schema ? quote(*s.schema) : "";
    n.jobs = prefix + quote(s.table);
    n.unique = prefix + quote(s.table + "_q_unique");
    n.totals = prefix + quote(s.table + "_q_totals");
    n.meta = prefix + quote(s.table + "_q_meta");
    n.pop_index = quote("idx_" + s.table + "_pop");  // the Dart queue system's name for kronix_jobs
    n.due_index = quote("idx_" + s.table + "_q_due");
    n.stale_index = quote("idx_" + s.table + "_q_stale");
    n.done_index = quote("idx_" + s.table + "_q_done");
    n.display = (s.schema ? *s.schema + "." : "") + s.table;
    n.lock_key = "q:" + n.display;
    // Channel names are identifiers (63 bytes at most): a hash of the table keeps them short and
    // the same in every process that uses this table.
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(fnv1a(n.display)));
    n.channel = std::string("q_jobs_") + hex;
    return n;
}

}  // namespace libqueue::pg
