// The tables the postgres driver uses: creating what is missing (`q migrate`, auto_migrate) and
// checking that an existing table has the kronix_jobs columns. The SQL and the side tables are
// described at the top of pg_schema.cpp.
#pragma once

#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "drivers/postgres/pg_settings.hpp"
#include "libqueue/driver.hpp"

namespace libqueue::pg {

// Creates the schema, the jobs table (with the kronix_jobs index and q's recommended ones), and
// q's side tables where missing; with options.indexes also adds q's recommended indexes to an
// existing jobs table (CREATE INDEX CONCURRENTLY, so workers keep running); with
// options.priorities adds q_priority and its index to an existing jobs table that lacks them;
// with options.counts counts its settled rows into q's counts table and adds the triggers that
// keep them.
// Never alters an existing table otherwise. Returns one line per action. Throws ConfigError when an
// existing table lacks a column of the kronix_jobs layout.
std::vector<std::string> migrate(pqxx::connection& db, const Names& names,
                                 const MigrateOptions& options);

// True when the jobs table and q's side tables exist and the jobs table has the kronix_jobs
// columns (ConfigError naming the missing column otherwise). Cheap: one catalog query, no locks.
// `priorities`: whether the jobs table has q's q_priority column.
bool schema_ready(pqxx::connection& db, const Names& names, bool& priorities);

// Whether <table>_q_counts is there and kept: all its triggers exist and are enabled. The
// condition is an SQL boolean expression (its names quoted as literals), for a query that asks
// more in the same round trip.
std::string counts_kept_condition(pqxx::transaction_base& tx, const Names& names);
bool counts_kept(pqxx::transaction_base& tx, const Names& names);
// Whether the insert trigger is the row-level one an older q created (right, but a statement of
// many finished rows takes time quadratic in their number); `q migrate --counts` replaces it.
std::string counts_inserts_per_row_condition(pqxx::transaction_base& tx, const Names& names);

// What a table another program created (or an older q) may lack, asked in one round trip.
struct Health {
    // The kronix_jobs index and q's recommended indexes that the jobs table lacks (unquoted).
    std::vector<std::string> missing_indexes;
    bool counts_kept = false;
    bool counts_inserts_per_row = false;  // see counts_inserts_per_row_condition
};
// `priorities`: the table has q_priority, so the index of jobs with a priority is wanted too.
Health check_health(pqxx::connection& db, const Names& names, bool priorities);

}  // namespace libqueue::pg
