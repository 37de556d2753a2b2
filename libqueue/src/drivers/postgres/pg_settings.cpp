#include "drivers/postgres/pg_settings.hpp"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <iterator>

#include "drivers/postgres/postgres_driver.hpp"
#include "libqueue/errors.hpp"
#include "libqueue/text.hpp"

namespace libqueue::pg {

namespace {

// The longest suffix q appends to the table name ("_q_unique", "idx_..._q_stale") must still fit
// NAMEDATALEN - 1 = 63 bytes, or PostgreSQL would silently truncate and collide names.
constexpr std::size_t kMaxTableLength = 48;
constexpr std::size_t kMaxSchemaLength = 63;

// Interpolated into SQL as identifiers, so only plain names short enough to keep q's derived
// names whole.
void check_identifier(const ConfigChecker& check, const nlohmann::json& value,
                      const std::string& path, std::size_t max_length) {
    const std::string name = check.string(value, path);
    if (!is_plain_identifier(name)) {
        check.fail(path, "'" + name +
                             "' is not a plain identifier (letters, digits and _, not starting "
                             "with a digit)");
    }
    if (name.size() > max_length) {
        check.fail(path,
                   "'" + name + "' is longer than " + std::to_string(max_length) + " characters");
    }
}

// kWorkerCommitModes for messages and the key's description: "on", "off", ... or "remote_apply".
std::string commit_mode_choices() {
    std::string text;
    const std::size_t count = std::size(kWorkerCommitModes);
    for (std::size_t i = 0; i < count; ++i) {
        text += (i == 0 ? "" : i + 1 == count ? " or " : ", ");
        text += std::string("\"") + kWorkerCommitModes[i] + "\"";
    }
    return text;
}

// One of PostgreSQL's values, in its spelling (any case given), as the server will be sent it.
std::string check_commit_mode(const ConfigChecker& check, const nlohmann::json& value,
                              const std::string& path) {
    std::string mode = check.string(value, path);
    std::transform(mode.begin(), mode.end(), mode.begin(),
                   [](unsigned char c) { return char(std::tolower(c)); });
    for (const char* known : kWorkerCommitModes) {
        if (mode == known)
            return mode;
    }
    check.fail(path, "expected " + commit_mode_choices() + ", got " + describe_json(value));
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
    const nlohmann::json& section = context.section;
    Settings settings;
    settings.keep_completed = context.config.keep_completed;
    settings.dsn = section.value("dsn", settings.dsn);
    settings.table = section.value("table", settings.table);
    if (auto it = section.find("schema"); it != section.end() && it->is_string())
        settings.schema = it->get<std::string>();
    settings.auto_migrate = section.value("auto_migrate", settings.auto_migrate);
    if (auto it = section.find("synchronous_commit"); it != section.end() && it->is_string())
        settings.worker_synchronous_commit = it->get<std::string>();
    return settings;
}

}  // namespace libqueue::pg

namespace libqueue {

std::vector<ConfigKey> postgres_section_keys() {
    return {
        {"", "object", "{}",
         "The postgres driver: the kronix_jobs table shared with the Dart queue system, for "
         "workers on several hosts (SKIP LOCKED claims, LISTEN/NOTIFY wake-ups).",
         ""},
        {"dsn", "string", "\"\" (libpq's defaults and PG* variables)",
         "A libpq URI (postgresql://user@host/db) or key=value string. The password is better in "
         "PGPASSWORD or ~/.pgpass than here; q never prints it (***).",
         "\"postgresql://q@db.internal/app\""},
        {"table", "plain name, at most 48 characters", "\"kronix_jobs\"",
         "The jobs table, shared with the Dart queue system; q adds its indexes and three side "
         "tables named after it.",
         "\"kronix_jobs\""},
        {"schema", "plain name, or null", "null (the connection's search_path)",
         "The schema of the table.", "\"jobs\""},
        {"auto_migrate", "boolean", "true",
         "The first command creates what is missing, as q migrate does; false makes missing "
         "tables an error (exit 78) that says to run q migrate.",
         "false"},
        {"synchronous_commit", pg::commit_mode_choices() + ", or null",
         "null (the server's setting)",
         "PostgreSQL's synchronous_commit for what workers write: claims, heartbeats and "
         "outcomes (done, retry, dead). \"off\" saves the wait for the server's disk flush on "
         "each (push to start about 0.5 ms sooner on a test machine, more on slow disks), at "
         "this exact risk: "
         "after a crash of the PostgreSQL server (not of q, and not a clean restart), the claims "
         "and outcomes of up to the last 3 x wal_writer_delay (600 ms by default) before it are "
         "undone, so those jobs run again, their attempts not counted. Pushes, dead-letter "
         "retries, cancels and every other change keep the server's setting: no pushed job is "
         "lost.",
         "\"off\""},
    };
}

nlohmann::json check_postgres_section(const ConfigChecker& check, const nlohmann::json& section) {
    check.require_object(section, "queue.postgres");
    nlohmann::json out = section;
    for (const auto& [key, value] : section.items()) {
        const std::string path = "queue.postgres." + key;
        check.require_known("queue.postgres", key, path);
        if (key == "dsn") {
            check.string(value, path, true);  // empty: libpq's defaults and PG* variables
        } else if (key == "table") {
            pg::check_identifier(check, value, path, pg::kMaxTableLength);
        } else if (key == "schema") {
            if (!value.is_null())  // null: the connection's search_path decides
                pg::check_identifier(check, value, path, pg::kMaxSchemaLength);
        } else if (key == "auto_migrate") {
            check.boolean(value, path);
        } else if (key == "synchronous_commit") {
            if (!value.is_null())  // null: the server's setting
                out[key] = pg::check_commit_mode(check, value, path);
        } else {
            check.unknown_key(path, keys_under("queue.postgres"));
        }
    }
    return out;
}

}  // namespace libqueue

namespace libqueue::pg {

Names make_names(const Settings& s) {
    Names n;
    std::string prefix = s.schema ? quote(*s.schema) + "." : "";
    n.schema = s.schema ? quote(*s.schema) : "";
    n.jobs = prefix + quote(s.table);
    n.unique = prefix + quote(s.table + "_q_unique");
    n.totals = prefix + quote(s.table + "_q_totals");
    n.meta = prefix + quote(s.table + "_q_meta");
    n.records = prefix + quote(s.table + "_q_records");
    n.logs = prefix + quote(s.table + "_q_logs");
    n.log_groups = prefix + quote(s.table + "_q_log_groups");
    n.log_groups_index = quote("idx_" + s.table + "_q_groups");
    n.counts = prefix + quote(s.table + "_q_counts");
    n.count_function = prefix + quote(s.table + "_q_count");
    n.count_trigger = s.table + "_q_count";
    n.pop_index = quote("idx_" + s.table + "_pop");  // the Dart queue system's name for kronix_jobs
    n.due_index = quote("idx_" + s.table + "_q_due");
    n.stale_index = quote("idx_" + s.table + "_q_stale");
    n.urgent_index = quote("idx_" + s.table + "_q_urgent");
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
