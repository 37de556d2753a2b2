#include "drivers/sqlite/schema.hpp"

#include <cstdint>
#include <iterator>
#include <map>
#include <set>
#include <string>
#include <tuple>

#include "libqueue/errors.hpp"

namespace libqueue::sqlite {

namespace {

// The kronix_jobs table in SQLite types, plus q's own column q_priority (QueueDriver::claim's
// order), only in tables q creates: a table another program made keeps its columns unless an
// operator runs `q migrate --priorities`. created_at's default writes the text form q does.
constexpr const char* kCreateStatements[] = {
    R"(CREATE TABLE IF NOT EXISTS kronix_jobs (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  queue TEXT NOT NULL DEFAULT 'default',
  status TEXT NOT NULL DEFAULT 'pending',
  attempts INTEGER NOT NULL DEFAULT 0,
  max_retries INTEGER NOT NULL DEFAULT 3,
  payload TEXT,
  last_error TEXT,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  available_at TEXT,
  finished_at TEXT,
  reserved_by TEXT,
  q_priority INTEGER NOT NULL DEFAULT 0
))",
    "CREATE INDEX IF NOT EXISTS idx_kronix_jobs_pop ON kronix_jobs(queue, status, available_at)",
    // q's own claim index: only pending rows, in exactly the claim order (available_at, created_at,
    // id). The kronix_jobs index alone leaves a sort of every row sharing one available_at (a 10k
    // batch) to each claim; this keeps a claim a single index seek. NULL available_at sorts first
    // here as in ORDER BY. Completed and failed rows (often most of the table) are not in it.
    ("CREATE INDEX IF NOT EXISTS idx_q_kronix_jobs_due ON kronix_jobs(queue, available_at, "
     "created_at, id) WHERE status = 'pending'"),
    "CREATE TABLE IF NOT EXISTS q_unique_keys (key TEXT PRIMARY KEY, job_id TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS idx_q_unique_keys_job ON q_unique_keys(job_id)",
    R"(CREATE TABLE IF NOT EXISTS q_totals (
  queue TEXT NOT NULL,
  name TEXT NOT NULL,
  pushed INTEGER NOT NULL DEFAULT 0,
  completed INTEGER NOT NULL DEFAULT 0,
  dead INTEGER NOT NULL DEFAULT 0,
  retries INTEGER NOT NULL DEFAULT 0,
  processing_ms INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (queue, name)
))",
    "CREATE TABLE IF NOT EXISTS q_schema (version INTEGER NOT NULL)",
    // Small records beside the jobs (QueueDriver::put_record): the live workers.
    R"(CREATE TABLE IF NOT EXISTS q_records (
  kind TEXT NOT NULL,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (kind, key)
))",
    // What each attempt of a job printed, and how it ended (QueueDriver::put_attempt_logs).
    // No index on updated_at: it would cost every completion a B-tree insert to speed up a
    // prune that runs once an hour.
    R"(CREATE TABLE IF NOT EXISTS q_attempt_logs (
  job_id TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  body TEXT NOT NULL,
  PRIMARY KEY (job_id, attempt)
))",
    // The short logs of a batch of completions, in one row: a row per job cost a no-op drain a
    // tenth of its throughput. bodies is a JSON object {job id: [attempt, body]}; a group is
    // found by its jobs' finished_at (the same text), or, once a job is gone, by a scan.
    R"(CREATE TABLE IF NOT EXISTS q_attempt_log_groups (
  finished_at TEXT NOT NULL,
  updated_at INTEGER NOT NULL,
  entries INTEGER NOT NULL,
  bodies TEXT NOT NULL
))",
    "CREATE INDEX IF NOT EXISTS idx_q_attempt_log_groups ON q_attempt_log_groups(finished_at)",
};

constexpr const char* kSeedColumns[] = {"id",         "name",         "queue",       "status",
                                        "attempts",   "max_retries",  "payload",     "last_error",
                                        "created_at", "available_at", "finished_at", "reserved_by"};

// Pending rows with a priority, in claim order: empty while no job has one, so it costs
// pushes and claims of default jobs nothing.
constexpr const char* kCreateUrgentIndex =
    "CREATE INDEX IF NOT EXISTS idx_q_kronix_jobs_urgent ON kronix_jobs(queue, q_priority DESC, "
    "available_at, created_at, id) WHERE status = 'pending' AND q_priority > 0";

// The stored rows of each (queue, name, status) that is neither pending nor processing: the
// completed and dead jobs that make up most of a long-lived table, so that `q stats` counts them
// without reading them. Triggers keep the counts, so every writer of the table (an older q, the
// sqlite3 shell, another program) keeps them true; pending and processing rows, which change
// state on every claim, are left out, so that the hot path pays nothing: a job's life costs one
// count at its end and one when it is pruned. The table is filled from the rows in the same
// transaction that creates the triggers (add_state_counts).
const std::string kCreateStateCountsTable = R"(CREATE TABLE q_state_counts (
  queue TEXT NOT NULL,
  name TEXT NOT NULL,
  status TEXT NOT NULL,
  jobs INTEGER NOT NULL,
  PRIMARY KEY (queue, name, status)
) WITHOUT ROWID)";

struct StateCountsTrigger {
    const char* name;
    std::string definition;  // what follows "CREATE TRIGGER name"
};

const StateCountsTrigger kStateCountsTriggers[] = {
    {"q_state_counts_insert",
     std::string("AFTER INSERT ON kronix_jobs WHEN new.status NOT IN ") + kLiveStatuses +
         " BEGIN INSERT INTO q_state_counts(queue, name, status, jobs) VALUES (new.queue, "
         "new.name, new.status, 1) ON CONFLICT DO UPDATE SET jobs = jobs + 1; END"},
    {"q_state_counts_delete",
     std::string("AFTER DELETE ON kronix_jobs WHEN old.status NOT IN ") + kLiveStatuses +
         " BEGIN UPDATE q_state_counts SET jobs = jobs - 1 WHERE queue = old.queue AND name = "
         "old.name AND status = old.status; END"},
    {"q_state_counts_update",
     std::string("AFTER UPDATE OF queue, name, status ON kronix_jobs WHEN (old.status NOT IN ") +
         kLiveStatuses + " OR new.status NOT IN " + kLiveStatuses +
         ") AND (old.status IS NOT new.status OR old.queue IS NOT new.queue OR old.name IS NOT "
         "new.name) BEGIN UPDATE q_state_counts SET jobs = jobs - 1 WHERE old.status NOT IN " +
         kLiveStatuses +
         " AND queue = old.queue AND name = old.name AND status = old.status; INSERT INTO "
         "q_state_counts(queue, name, status, jobs) SELECT new.queue, new.name, new.status, 1 "
         "WHERE new.status NOT IN " +
         kLiveStatuses + " ON CONFLICT DO UPDATE SET jobs = jobs + 1; END"},
};

// The names of q_state_counts and its triggers, quoted for an IN list of sqlite_master names.
const std::string kStateCountsObjects = [] {
    std::string names = "'q_state_counts'";
    for (const auto& trigger : kStateCountsTriggers)
        names += std::string(", '") + trigger.name + "'";
    return names;
}();
constexpr int kStateCountsObjectCount = 1 + int(std::size(kStateCountsTriggers));

// Every open runs this; a read answers it without taking the write lock. `urgent_index` says
// whether idx_q_kronix_jobs_urgent is there, `state_counts` whether q_state_counts and all its
// triggers are: counts without a trigger would go stale.
bool schema_complete(Connection& connection, bool& urgent_index, bool& state_counts) {
    Query query(connection, std::string("SELECT count(name IN ('kronix_jobs', "
                                        "'idx_kronix_jobs_pop', 'idx_q_kronix_jobs_due', "
                                        "'q_unique_keys', 'idx_q_unique_keys_job', 'q_totals', "
                                        "'q_schema', 'q_records', 'q_attempt_logs', "
                                        "'q_attempt_log_groups', 'idx_q_attempt_log_groups') OR "
                                        "NULL), count(name = 'idx_q_kronix_jobs_urgent' OR NULL), "
                                        "count(name IN (") +
                                kStateCountsObjects + ") OR NULL) FROM sqlite_master");
    query->executeStep();
    urgent_index = query->getColumn(1).getInt() > 0;
    state_counts = query->getColumn(2).getInt() == kStateCountsObjectCount;
    if (query->getColumn(0).getInt() != 11)
        return false;
    Query version(connection, "SELECT count(*) FROM q_schema");
    version->executeStep();
    return version->getColumn(0).getInt() > 0;
}

// Returns whether kronix_jobs has q's q_priority column. Throws DataError when it lacks a column
// of the Dart queue system's.
bool check_columns(Connection& connection) {
    std::set<std::string> present;
    {
        Query columns(connection, "SELECT name FROM pragma_table_info('kronix_jobs')");
        while (columns->executeStep()) present.insert(columns->getColumn(0).getString());
    }
    std::string missing;
    for (const char* column : kSeedColumns) {
        if (!present.count(column))
            missing += (missing.empty() ? "" : ", ") + std::string(column);
    }
    if (!missing.empty()) {
        throw DataError(connection.path() + ": table kronix_jobs lacks column(s) " + missing);
    }
    return present.count("q_priority") > 0;
}

// Returns whether kronix_jobs has q's q_priority column.
bool check_schema(Connection& connection) {
    const bool priorities = check_columns(connection);
    Query version(connection, "SELECT max(version) FROM q_schema");
    version->executeStep();
    int found = version->getColumn(0).getInt();
    if (found > kSchemaVersion) {
        throw DataError(connection.path() + ": written by a newer q (schema version " +
                        std::to_string(found) + ", this q knows " + std::to_string(kSchemaVersion) +
                        ")");
    }
    return priorities;
}

// The table first, then its columns checked: a table another program made without them is
// refused before q adds an index or a table beside it.
void create_schema(Connection& connection) {
    WriteTransaction transaction(connection);
    connection.db().exec(kCreateStatements[0]);
    check_columns(connection);
    for (std::size_t i = 1; i < std::size(kCreateStatements); ++i)
        connection.db().exec(kCreateStatements[i]);
    connection.db().exec("INSERT INTO q_schema(version) SELECT " + std::to_string(kSchemaVersion) +
                         " WHERE NOT EXISTS (SELECT 1 FROM q_schema)");
    transaction.commit();
}

// Creates q_state_counts from the rows and its triggers, in one write transaction, unless another
// process has done so meanwhile. A table left without one of its triggers (dropped by hand) has
// missed writes: it is counted again. On a large table this reads every row once.
void add_state_counts(Connection& connection) {
    WriteTransaction transaction(connection);
    {
        Query present(connection,
                      std::string("SELECT count(*) FROM sqlite_master WHERE name IN (") +
                          kStateCountsObjects + ")");
        present->executeStep();
        if (present->getColumn(0).getInt() == kStateCountsObjectCount)
            return;
    }
    for (const auto& trigger : kStateCountsTriggers)
        connection.db().exec(std::string("DROP TRIGGER IF EXISTS ") + trigger.name);
    connection.db().exec("DROP TABLE IF EXISTS q_state_counts");
    connection.db().exec(kCreateStateCountsTable);
    // Counted here rather than by GROUP BY, which would sort every row in memory first.
    std::map<std::tuple<std::string, std::string, std::string>, std::int64_t> counts;
    {
        Query rows(connection, std::string("SELECT queue, name, status FROM kronix_jobs WHERE "
                                           "status NOT IN ") +
                                   kLiveStatuses);
        while (rows->executeStep()) {
            ++counts[{rows->getColumn(0).getString(), rows->getColumn(1).getString(),
                      rows->getColumn(2).getString()}];
        }
    }
    Query insert(connection,
                 "INSERT INTO q_state_counts(queue, name, status, jobs) VALUES (?1, ?2, ?3, ?4)");
    for (const auto& [key, jobs] : counts) {
        insert->reset();
        insert->bind(1, std::get<0>(key));
        insert->bind(2, std::get<1>(key));
        insert->bind(3, std::get<2>(key));
        insert->bind(4, jobs);
        insert->exec();
    }
    for (const auto& trigger : kStateCountsTriggers)
        connection.db().exec(std::string("CREATE TRIGGER ") + trigger.name + " " +
                             trigger.definition);
    transaction.commit();
}

}  // namespace

SchemaInfo ensure_schema(Connection& connection) {
    try {
        bool urgent_index = false;
        bool state_counts = false;
        connection.retry_while_busy([&] {
            if (!schema_complete(connection, urgent_index, state_counts))
                create_schema(connection);
        });
        SchemaInfo info;
        info.priorities = check_schema(connection);
        if (!state_counts)
            connection.retry_while_busy([&] { add_state_counts(connection); });
        if (info.priorities && !urgent_index) {
            connection.retry_while_busy([&] {
                WriteTransaction transaction(connection);
                connection.db().exec(kCreateUrgentIndex);
                transaction.commit();
            });
        }
        return info;
    } catch (const SQLite::Exception& e) {
        connection.raise(e);
    }
}

std::vector<std::string> add_priorities(Connection& connection) {
    std::vector<std::string> actions;
    try {
        connection.retry_while_busy([&] {
            actions.clear();
            WriteTransaction transaction(connection);
            bool present = false;
            {
                Query column(connection,
                             "SELECT 1 FROM pragma_table_info('kronix_jobs') WHERE name = "
                             "'q_priority'");
                present = column->executeStep();
            }
            if (!present) {
                // Constant default: SQLite only rewrites the table's schema text, no row.
                connection.db().exec(
                    "ALTER TABLE kronix_jobs ADD COLUMN q_priority INTEGER NOT NULL DEFAULT 0");
                actions.push_back("added column q_priority to table kronix_jobs");
                connection.db().exec(kCreateUrgentIndex);
                actions.push_back("created index idx_q_kronix_jobs_urgent");
            }
            transaction.commit();
        });
    } catch (const SQLite::Exception& e) {
        connection.raise(e);
    }
    return actions;
}

}  // namespace libqueue::sqlite
