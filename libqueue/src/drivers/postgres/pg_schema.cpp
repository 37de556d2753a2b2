// The postgres driver's tables.
//
// The jobs table is the Dart queue system's kronix_jobs, column for column, with its index:
//
//   CREATE TABLE kronix_jobs (
//     id TEXT PRIMARY KEY, name TEXT NOT NULL, queue TEXT NOT NULL DEFAULT 'default',
//     status TEXT NOT NULL DEFAULT 'pending', attempts INTEGER NOT NULL DEFAULT 0,
//     max_retries INTEGER NOT NULL DEFAULT 3, payload TEXT, last_error TEXT,
//     created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(), available_at TIMESTAMPTZ,
//     finished_at TIMESTAMPTZ, reserved_by TEXT);
//   CREATE INDEX idx_kronix_jobs_pop ON kronix_jobs(queue, status, available_at);
//
// A table q creates also has q's own column q_priority INTEGER NOT NULL DEFAULT 0 (a job's
// priority, QueueDriver::claim's order). A table another program created keeps its columns:
// only `q migrate --priorities` adds it there (a constant default: no row is rewritten, and
// programs that name their columns, as the Dart queue system's do, go on as before). Without
// it q runs as before, and refuses pushes with a priority.
//
// q's recommended indexes (created with a new table; `q migrate --indexes` adds them to an
// existing one). Partial indexes stay small because each covers one state:
//   idx_<table>_q_due   (queue, available_at, created_at, id) WHERE status = 'pending'
//       the claim's exact order, so a claim reads only the rows it takes;
//   idx_<table>_q_stale (available_at) WHERE status = 'processing'   stale recovery;
//   idx_<table>_q_done  (finished_at) WHERE status IN ('completed', 'failed')   prune;
//   idx_<table>_q_urgent (queue, q_priority DESC, available_at, created_at, id)
//       WHERE status = 'pending' AND q_priority > 0: claims of jobs with a priority (only with
//       the column; empty while no job has one, so default jobs pay nothing for it).
//
// What q needs beyond the kronix_jobs columns lives in side tables of its own, named after the
// jobs table, which the Dart queue system's programs never read:
//   <table>_q_unique (unique_key TEXT PRIMARY KEY, job_id TEXT NOT NULL)
//       the job that last took a unique key; the key is taken while that job is pending or
//       processing (pushes of one key are serialized by an advisory lock on the key).
//   <table>_q_totals (queue, name, shard, pushed, completed, dead, retries, processing_ms)
//       lifetime counters for `q stats`, kept through pruning; `shard` (0-7, one per
//       connection) spreads the increments so concurrent workers do not wait on one row lock.
//   <table>_q_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)   schema_version = 1.
//   <table>_q_counts (queue, name, status, shard, jobs, run_ms, runs)
//       how many rows each (queue, name, status) has, for every status but pending and
//       processing, and the run time its completed rows' own columns give (summed, and how many
//       give one), so that `q stats` reads the live rows and not every completed one a table
//       keeps. Kept by triggers on the jobs table (<table>_q_count_insert, _update, _delete,
//       _truncate, each once per statement over its transition tables; q's pushes skip the
//       insert one, see kInsertsOnlyPending), so the Dart queue system's writes are counted
//       too; `shard` (the
//       writer's backend pid mod 64) spreads the updates so concurrent completions do not wait on
//       one row lock. Created with a new table; `q migrate --counts` adds them to an existing one.
#include "drivers/postgres/pg_schema.hpp"

#include <iterator>
#include <string_view>

#include "drivers/postgres/pg_statements.hpp"
#include "libqueue/errors.hpp"

namespace libqueue::pg {

namespace {

const char* const kSeedColumns[] = {"id",         "name",         "queue",       "status",
                                    "attempts",   "max_retries",  "payload",     "last_error",
                                    "created_at", "available_at", "finished_at", "reserved_by"};

std::string create_jobs_table_sql(const Names& n) {
    return "CREATE TABLE IF NOT EXISTS " + n.jobs +
           " (\n"
           "  id TEXT PRIMARY KEY,\n"
           "  name TEXT NOT NULL,\n"
           "  queue TEXT NOT NULL DEFAULT 'default',\n"
           "  status TEXT NOT NULL DEFAULT 'pending',\n"
           "  attempts INTEGER NOT NULL DEFAULT 0,\n"
           "  max_retries INTEGER NOT NULL DEFAULT 3,\n"
           "  payload TEXT,\n"
           "  last_error TEXT,\n"
           "  created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),\n"
           "  available_at TIMESTAMPTZ,\n"
           "  finished_at TIMESTAMPTZ,\n"
           "  reserved_by TEXT,\n"
           "  q_priority INTEGER NOT NULL DEFAULT 0\n"
           ")";
}

struct IndexSpec {
    std::string name;        // quoted, unqualified
    std::string definition;  // after "ON table"
};

std::vector<IndexSpec> seed_indexes(const Names& n) {
    return {{n.pop_index, "(queue, status, available_at)"}};
}

IndexSpec urgent_index(const Names& n) {
    return {n.urgent_index,
            "(queue, q_priority DESC, available_at, created_at, id) WHERE status = 'pending' AND "
            "q_priority > 0"};
}

// With `priorities` (the table has q_priority), the index of jobs with a priority too.
std::vector<IndexSpec> recommended_indexes(const Names& n, bool priorities) {
    std::vector<IndexSpec> indexes{
        {n.due_index, "(queue, available_at, created_at, id) WHERE status = 'pending'"},
        {n.stale_index, "(available_at) WHERE status = 'processing'"},
        {n.done_index, "(finished_at) WHERE status IN ('completed', 'failed')"},
    };
    if (priorities)
        indexes.push_back(urgent_index(n));
    return indexes;
}

std::string qualified(const Names& n, const std::string& quoted_name) {
    return n.schema.empty() ? quoted_name : n.schema + "." + quoted_name;
}

bool exists(pqxx::transaction_base& tx, const std::string& qualified_name) {
    return tx.exec_params1("SELECT to_regclass($1) IS NOT NULL", qualified_name)[0].as<bool>();
}

// Two columns of a query whose $1 is the jobs table: the kronix_jobs columns it lacks (NULL for
// none), and whether it has q's q_priority. column_check() reads them.
std::string column_check_sql() {
    std::string seed_columns;
    for (const char* column : kSeedColumns)
        seed_columns += std::string(seed_columns.empty() ? "" : ",") + column;
    const std::string present =
        "(SELECT attname FROM pg_attribute WHERE attrelid = to_regclass($1) AND attnum > 0 AND "
        "NOT attisdropped)";
    return "(SELECT string_agg(c, ' ' ORDER BY i) FROM unnest('{" + seed_columns +
           "}'::text[]) WITH ORDINALITY AS u(c, i) WHERE c NOT IN " + present +
           "), 'q_priority' IN " + present;
}

// Throws ConfigError when the jobs table lacks a kronix_jobs column (the first one named).
// Returns whether it has q's q_priority.
bool column_check(const pqxx::row& row, int first, const Names& n) {
    if (!row[first].is_null()) {
        const auto missing = row[first].as<std::string>();
        throw ConfigError("PostgreSQL table " + n.display + " has no column '" +
                          missing.substr(0, missing.find(' ')) +
                          "': it is not a kronix_jobs table (queue.postgres.table)");
    }
    return row[first + 1].as<bool>();
}

bool check_columns(pqxx::transaction_base& tx, const Names& n) {
    return column_check(tx.exec_params1("SELECT " + column_check_sql(), n.jobs), 0, n);
}

constexpr int kCountShards = 64;

const char* const kCountTriggerEvents[] = {"insert", "update", "delete", "truncate"};

std::string count_trigger_name(const Names& n, const char* event) {
    return n.count_trigger + "_" + event;
}

// One row of the statement's `source` rows (old_rows or new_rows) with a settled status, as
// `sign` (+ or -) its count and, for a completed row whose columns time its run, that run.
std::string settled_row_changes(const char* sign, const char* source) {
    const std::string timed = row_run_is_timed();
    return std::string("SELECT queue, name, status, ") + sign + "1 AS change, " + sign +
           "(CASE WHEN " + timed + " THEN " + row_run_time_ms() + " ELSE 0 END) AS run, " + sign +
           "(CASE WHEN " + timed + " THEN 1 ELSE 0 END) AS timed FROM " + source +
           " WHERE status NOT IN " + kLiveStatuses;
}

// The trigger function. SECURITY DEFINER: another program's role that may write the jobs table
// need not be granted the counts table. Its search_path is pinned, so it names the counts table
// with its schema (`counts`, resolved when it is created).
std::string count_function_sql(const Names& n, const std::string& counts) {
    const std::string upsert =
        "INSERT INTO " + counts +
        " AS c (queue, name, status, shard, jobs, run_ms, runs) SELECT queue, name, status, "
        "(pg_backend_pid() % " +
        std::to_string(kCountShards) + ")::int2, sum(change), sum(run), sum(timed) FROM (";
    // Ordered by key: two statements touching the same rows take their locks in one order.
    const std::string upsert_end =
        ") rows GROUP BY queue, name, status HAVING sum(change) <> 0 OR sum(run) <> 0 OR "
        "sum(timed) <> 0 ORDER BY queue, name, status ON CONFLICT (queue, name, status, shard) DO "
        "UPDATE SET jobs = c.jobs + excluded.jobs, run_ms = c.run_ms + excluded.run_ms, runs = "
        "c.runs + excluded.runs;\n";
    return "CREATE OR REPLACE FUNCTION " + n.count_function +
           "() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, "
           "pg_temp AS $body$\nBEGIN\n"
           "IF TG_OP = 'TRUNCATE' THEN\n  DELETE FROM " +
           counts +
           ";\n"
           "ELSIF TG_OP = 'INSERT' THEN\n  " +
           upsert + settled_row_changes("+", "new_rows") + upsert_end +
           "ELSIF TG_OP = 'DELETE' THEN\n  " + upsert + settled_row_changes("-", "old_rows") +
           upsert_end + "ELSE\n  " + upsert + settled_row_changes("-", "old_rows") + " UNION ALL " +
           settled_row_changes("+", "new_rows") + upsert_end + "END IF;\nRETURN NULL;\nEND\n$body$";
}

// The counts table's name with its schema, as the trigger function names it.
std::string counts_table_in_schema(pqxx::transaction_base& tx, const Names& n) {
    return tx
        .exec_params1(
            "SELECT quote_ident(s.nspname) || '.' || quote_ident(c.relname) FROM pg_class c "
            "JOIN pg_namespace s ON s.oid = c.relnamespace WHERE c.oid = to_regclass($1)",
            n.counts)[0]
        .as<std::string>();
}

// (Re)creates the function and the triggers that keep the counts table (which must exist), each
// trigger once per statement. An insert trigger per row would cost a statement of many settled
// rows time quadratic in their number: each row updates the same count row again inside one
// transaction, and each update walks the versions the earlier ones left (40,000 rows took 7.3 s,
// 1,000,000 did not finish in 10 minutes). Run with the jobs table locked against writes, so no
// write falls between old and new.
void create_count_triggers(pqxx::transaction_base& tx, const Names& n) {
    tx.exec(count_function_sql(n, counts_table_in_schema(tx, n)));
    for (const char* event : kCountTriggerEvents) {
        const std::string trigger = "\"" + count_trigger_name(n, event) + "\"";
        tx.exec("DROP TRIGGER IF EXISTS " + trigger + " ON " + n.jobs);
        std::string level = " FOR EACH STATEMENT";
        if (std::string_view(event) == "insert")
            level = " REFERENCING NEW TABLE AS new_rows" + level + " WHEN (current_setting(" +
                    tx.quote(kInsertsOnlyPending) + ", true) IS DISTINCT FROM 'on')";
        else if (std::string_view(event) == "update")
            level = " REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows" + level;
        else if (std::string_view(event) == "delete")
            level = " REFERENCING OLD TABLE AS old_rows" + level;
        tx.exec("CREATE TRIGGER " + trigger + " AFTER " + event + " ON " + n.jobs + level +
                " EXECUTE FUNCTION " + n.count_function + "()");
    }
}

// Creates the counts table, its function and triggers, and counts the settled rows already
// there; replaces whatever part of them was left (a trigger dropped by hand means missed
// writes, so the rows are counted again). The caller's transaction holds the jobs table in SHARE
// ROW EXCLUSIVE mode, so no write falls between the count and the triggers.
void keep_counts(pqxx::transaction_base& tx, const Names& n) {
    tx.exec("DROP TABLE IF EXISTS " + n.counts);
    tx.exec("CREATE TABLE " + n.counts +
            " (queue TEXT NOT NULL, name TEXT NOT NULL, status TEXT NOT NULL, shard SMALLINT NOT "
            "NULL, jobs BIGINT NOT NULL, run_ms BIGINT NOT NULL, runs BIGINT NOT NULL, PRIMARY "
            "KEY (queue, name, status, shard))");
    create_count_triggers(tx, n);
    tx.exec("INSERT INTO " + n.counts +
            " (queue, name, status, shard, jobs, run_ms, runs) SELECT queue, name, status, 0, "
            "sum(change), sum(run), sum(timed) FROM (" +
            settled_row_changes("+", n.jobs.c_str()) + ") rows GROUP BY queue, name, status");
}

std::string unquoted(const std::string& quoted_name) {
    std::string out;
    for (char c : quoted_name) {
        if (c != '"')
            out += c;
    }
    return out;
}

}  // namespace

bool schema_ready(pqxx::connection& db, const Names& n, bool& priorities) {
    pqxx::nontransaction tx(db);
    // One round trip, which a short-lived `q` pays on every call: whether each table exists,
    // then the jobs table's columns.
    auto row = tx.exec_params1(
        "SELECT to_regclass($1) IS NOT NULL, to_regclass($2) IS NOT NULL, "
        "to_regclass($3) IS NOT NULL, to_regclass($4) IS NOT NULL, to_regclass($5) IS NOT NULL, "
        "to_regclass($6) IS NOT NULL, to_regclass($7) IS NOT NULL, " +
            column_check_sql(),
        n.jobs, n.unique, n.totals, n.meta, n.records, n.logs, n.log_groups);
    const bool jobs = row[0].as<bool>();
    priorities = jobs && column_check(row, 7, n);
    return jobs && row[1].as<bool>() && row[2].as<bool>() && row[3].as<bool>() &&
           row[4].as<bool>() && row[5].as<bool>() && row[6].as<bool>();
}

std::vector<std::string> migrate(pqxx::connection& db, const Names& n,
                                 const MigrateOptions& options) {
    std::vector<std::string> actions;
    bool table_existed = true;
    bool priorities = true;  // a table q creates has q_priority
    {
        pqxx::work tx(db);
        // Eight workers starting at once would race on CREATE ... IF NOT EXISTS (which is not
        // atomic against itself); one lock per table makes them take turns.
        tx.exec_params("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
                       n.lock_key + ":migrate");
        if (!n.schema.empty() &&
            tx.exec_params1("SELECT count(*) FROM pg_namespace WHERE nspname = $1",
                            unquoted(n.schema))[0]
                    .as<int>() == 0) {
            tx.exec("CREATE SCHEMA IF NOT EXISTS " + n.schema);
            actions.push_back("created schema " + unquoted(n.schema));
        }
        table_existed = exists(tx, n.jobs);
        if (!table_existed) {
            tx.exec(create_jobs_table_sql(n));
            actions.push_back("created table " + n.display);
            for (const auto& index : seed_indexes(n)) {
                tx.exec("CREATE INDEX IF NOT EXISTS " + index.name + " ON " + n.jobs + " " +
                        index.definition);
                actions.push_back("created index " + unquoted(index.name));
            }
            for (const auto& index : recommended_indexes(n, true)) {
                tx.exec("CREATE INDEX IF NOT EXISTS " + index.name + " ON " + n.jobs + " " +
                        index.definition);
                actions.push_back("created index " + unquoted(index.name));
            }
            keep_counts(tx, n);
            actions.push_back("created table " + unquoted(n.counts) + " and its triggers");
        } else {
            priorities = check_columns(tx, n);
            if (!priorities && options.priorities) {
                // A constant default: PostgreSQL 11+ records it in the catalog and rewrites no
                // row. The brief ACCESS EXCLUSIVE lock waits for running statements.
                tx.exec("ALTER TABLE " + n.jobs +
                        " ADD COLUMN IF NOT EXISTS q_priority INTEGER NOT NULL DEFAULT 0");
                actions.push_back("added column q_priority to table " + n.display);
                priorities = true;
            }
        }
        if (!exists(tx, n.unique)) {
            tx.exec("CREATE TABLE IF NOT EXISTS " + n.unique +
                    " (unique_key TEXT PRIMARY KEY, job_id TEXT NOT NULL)");
            actions.push_back("created table " + unquoted(n.unique));
        }
        if (!exists(tx, n.totals)) {
            tx.exec("CREATE TABLE IF NOT EXISTS " + n.totals +
                    " (queue TEXT NOT NULL, name TEXT NOT NULL, shard SMALLINT NOT NULL,"
                    " pushed BIGINT NOT NULL DEFAULT 0, completed BIGINT NOT NULL DEFAULT 0,"
                    " dead BIGINT NOT NULL DEFAULT 0, retries BIGINT NOT NULL DEFAULT 0,"
                    " processing_ms BIGINT NOT NULL DEFAULT 0,"
                    " PRIMARY KEY (queue, name, shard))");
            actions.push_back("created table " + unquoted(n.totals));
        }
        if (!exists(tx, n.meta)) {
            tx.exec("CREATE TABLE IF NOT EXISTS " + n.meta +
                    " (key TEXT PRIMARY KEY, value TEXT NOT NULL)");
            actions.push_back("created table " + unquoted(n.meta));
        }
        if (!exists(tx, n.records)) {
            tx.exec("CREATE TABLE IF NOT EXISTS " + n.records +
                    " (kind TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,"
                    " updated_at TIMESTAMPTZ NOT NULL, PRIMARY KEY (kind, key))");
            actions.push_back("created table " + unquoted(n.records));
        }
        if (!exists(tx, n.logs)) {
            // No index on updated_at: it would cost every completion an index insert to speed up
            // a prune that runs once an hour.
            tx.exec("CREATE TABLE IF NOT EXISTS " + n.logs +
                    " (job_id TEXT NOT NULL, attempt INT NOT NULL,"
                    " updated_at TIMESTAMPTZ NOT NULL, body TEXT NOT NULL,"
                    " PRIMARY KEY (job_id, attempt))");
            actions.push_back("created table " + unquoted(n.logs));
        }
        if (!exists(tx, n.log_groups)) {
            // A row per batch of completions instead of one per job: a row per job cost a no-op
            // drain a third of its throughput. A group is found through its jobs' finished_at,
            // the now() of the statement that wrote both (or, once the job is gone, by a scan).
            tx.exec("CREATE TABLE IF NOT EXISTS " + n.log_groups +
                    " (finished_at TIMESTAMPTZ NOT NULL, entries INT NOT NULL,"
                    " bodies TEXT NOT NULL)");
            tx.exec("CREATE INDEX IF NOT EXISTS " + n.log_groups_index + " ON " + n.log_groups +
                    " (finished_at)");
            actions.push_back("created table " + unquoted(n.log_groups));
        }
        tx.exec("INSERT INTO " + n.meta +
                " (key, value) VALUES ('schema_version', '1') ON CONFLICT (key) DO NOTHING");
        tx.commit();
    }

    if (table_existed && options.counts) {
        pqxx::work tx(db);
        // Writers wait while the rows are counted (readers and claims already running go on).
        tx.exec("LOCK TABLE " + n.jobs + " IN SHARE ROW EXCLUSIVE MODE");
        if (!counts_kept(tx, n)) {
            keep_counts(tx, n);
            actions.push_back("counted the settled rows of " + n.display + " into " +
                              unquoted(n.counts) + ", kept by its triggers from now on");
        } else if (tx.exec1("SELECT " + counts_inserts_per_row_condition(tx, n))[0].as<bool>()) {
            // The counts are right; only the way inserts are counted changes.
            create_count_triggers(tx, n);
            actions.push_back("replaced the triggers of " + unquoted(n.counts) +
                              ": an insert of many finished rows is counted once per statement");
        }
        tx.commit();
    }

    if (table_existed && (options.indexes || options.priorities)) {
        std::vector<IndexSpec> wanted;
        if (options.indexes) {
            wanted = seed_indexes(n);
            for (auto& index : recommended_indexes(n, priorities)) wanted.push_back(index);
        } else if (priorities) {
            wanted.push_back(urgent_index(n));
        }
        for (const auto& index : wanted) {
            pqxx::nontransaction tx(db);
            if (exists(tx, qualified(n, index.name)))
                continue;
            // CONCURRENTLY: an existing table may be busy; a plain CREATE INDEX would block
            // every push and claim until it finished.
            tx.exec("CREATE INDEX CONCURRENTLY IF NOT EXISTS " + index.name + " ON " + n.jobs +
                    " " + index.definition);
            actions.push_back("created index " + unquoted(index.name));
        }
    }
    return actions;
}

std::string counts_kept_condition(pqxx::transaction_base& tx, const Names& n) {
    static_assert(std::size(kCountTriggerEvents) == 4);
    std::string triggers;
    for (const char* event : kCountTriggerEvents)
        triggers += (triggers.empty() ? "" : ", ") + tx.quote(count_trigger_name(n, event));
    return "(to_regclass(" + tx.quote(n.counts) + ") IS NOT NULL AND (SELECT count(*) FROM " +
           "pg_trigger WHERE tgrelid = to_regclass(" + tx.quote(n.jobs) + ") AND tgname IN (" +
           triggers + ") AND tgenabled <> 'D') = 4)";
}

std::string counts_inserts_per_row_condition(pqxx::transaction_base& tx, const Names& n) {
    // tgtype's lowest bit: a row-level trigger.
    return "EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = to_regclass(" + tx.quote(n.jobs) +
           ") AND tgname = " + tx.quote(count_trigger_name(n, "insert")) +
           " AND (tgtype::int & 1) = 1)";
}

bool counts_kept(pqxx::transaction_base& tx, const Names& n) {
    return tx.exec1("SELECT " + counts_kept_condition(tx, n))[0].as<bool>();
}

Health check_health(pqxx::connection& db, const Names& n, bool priorities) {
    auto wanted = seed_indexes(n);
    for (auto& index : recommended_indexes(n, priorities)) wanted.push_back(index);
    pqxx::nontransaction tx(db);
    // One round trip: whether counts are kept, then whether each index exists.
    std::string query =
        "SELECT " + counts_kept_condition(tx, n) + ", " + counts_inserts_per_row_condition(tx, n);
    for (const auto& index : wanted)
        query += ", to_regclass(" + tx.quote(qualified(n, index.name)) + ") IS NOT NULL";
    const auto row = tx.exec1(query);
    Health health;
    health.counts_kept = row[0].as<bool>();
    health.counts_inserts_per_row = row[1].as<bool>();
    for (std::size_t i = 0; i < wanted.size(); ++i) {
        if (!row[static_cast<int>(i + 2)].as<bool>())
            health.missing_indexes.push_back(unquoted(wanted[i].name));
    }
    return health;
}

}  // namespace libqueue::pg
