// The queue.postgres config section as the driver uses it, and the SQL names derived from it.
#pragma once

#include <optional>
#include <string>

#include "libqueue/registry.hpp"

namespace libqueue::pg {

struct Settings {
    std::string dsn;  // libpq URI or key=value; empty: libpq's PG* environment variables
    std::string table = "kronix_jobs";
    std::optional<std::string> schema;  // unset: the connection's search_path decides
    bool auto_migrate = true;
    bool keep_completed = true;  // queue.keep_completed
    // PostgreSQL's synchronous_commit for a worker's claims, heartbeats and outcomes (one of
    // kWorkerCommitModes); unset: the server's own. Pushes and operators' changes always keep
    // the server's.
    std::optional<std::string> worker_synchronous_commit;
};

// The values queue.postgres.synchronous_commit takes: PostgreSQL's own for synchronous_commit.
inline constexpr const char* kWorkerCommitModes[] = {"on", "off", "local", "remote_write",
                                                     "remote_apply"};

// From the section check_postgres_section made (postgres_driver.hpp): table and schema are plain
// identifiers ([A-Za-z_][A-Za-z0-9_]*), short enough that q's side-table names fit PostgreSQL's
// 63 bytes.
Settings read_settings(const DriverContext& context);

// Every name q's SQL uses, already quoted ("schema"."table"), so statements are plain text.
struct Names {
    std::string jobs;              // the jobs table (the kronix_jobs layout)
    std::string unique;            // q's side table: unique keys
    std::string totals;            // q's side table: lifetime counters
    std::string meta;              // q's side table: schema version
    std::string records;           // q's side table: records (live workers)
    std::string logs;              // q's side table: attempt logs, one row per attempt
    std::string log_groups;        // q's side table: short logs of completions, one row per batch
    std::string log_groups_index;  // its index on finished_at, unqualified and quoted
    std::string counts;            // q's side table: settled rows per (queue, name, status)
    std::string count_function;    // the trigger function that keeps it
    std::string count_trigger;     // its triggers' names, unquoted: this plus _insert, _update…
    std::string schema;            // quoted schema, empty when unset
    std::string pop_index;         // the kronix_jobs layout's index, unqualified and quoted
    std::string due_index;         // q's recommended partial index for claims
    std::string stale_index;       // q's recommended partial index for stale recovery
    std::string done_index;        // q's recommended partial index for prune
    std::string urgent_index;      // q's partial index of pending jobs with a priority
    std::string display;           // schema.table for messages
    std::string lock_key;          // text hashed into advisory locks (migration, unique keys)
    std::string channel;           // the LISTEN/NOTIFY channel of this table
};

Names make_names(const Settings& settings);

}  // namespace libqueue::pg
