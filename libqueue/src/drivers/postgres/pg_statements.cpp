#include "drivers/postgres/pg_statements.hpp"

#include <limits>

#include "libqueue/driver.hpp"
#include "libqueue/errors.hpp"
#include "libqueue/text.hpp"

namespace libqueue::pg {

namespace {

// Times leave the server as epoch milliseconds (exact, no time zone or text parsing) and enter it
// the same way. "now" is always the server's now().
std::string ms(const std::string& expression) {
    return "floor(extract(epoch FROM " + expression + ") * 1000)::int8";
}
std::string at(const std::string& parameter) {
    return "(timestamptz 'epoch' + (" + parameter + ")::int8 * interval '1 millisecond')";
}

// list()'s order: created_at in ms as q reads it (0 where a row has none q can read), then id.
// In the ms q hands out, so that a position (ListPosition) taken from a listed job compares
// exactly with the rows, and is still a place in the order after its row is gone.
std::string list_order(const std::string& alias) {
    const std::string created = alias + ".created_at";
    return "CASE WHEN isfinite(" + created + ") THEN " + ms(created) + " ELSE 0 END, " + alias +
           ".id";
}

// Keyset paging in list order: rows after the position (id, created ms); an id of NULL: from
// the start.
std::string after_position(const std::string& alias, const std::string& id,
                           const std::string& created_ms) {
    return "(" + id + "::text IS NULL OR (" + list_order(alias) + ") > (" + created_ms +
           "::int8, " + id + "))";
}

// Other programs may store 'infinity' and '-infinity', which no count of ms holds: they leave
// the server as the int8 extremes (quoted: -9223372036854775808 unquoted is the negation of a
// number no int8 holds), which job_from_row notes as unreadable.
constexpr long long infinite_past = std::numeric_limits<long long>::min();
constexpr long long infinite_future = std::numeric_limits<long long>::max();

std::string stored_ms(const std::string& column) {
    return "CASE WHEN " + column + " IS NULL THEN NULL WHEN isfinite(" + column + ") THEN " +
           ms(column) + " WHEN " + column + " < 'epoch' THEN '" + std::to_string(infinite_past) +
           "'::int8 ELSE '" + std::to_string(infinite_future) + "'::int8 END";
}

// The kronix_jobs columns, then the priority: q's column where the table has it (`priorities`),
// else 0.
std::string job_columns(const std::string& a, bool priorities) {
    return a + ".id, " + a + ".name, " + a + ".queue, " + a + ".status, " + a + ".attempts, " + a +
           ".max_retries, " + a + ".payload, " + a + ".last_error, " +
           stored_ms(a + ".created_at") + ", " + stored_ms(a + ".available_at") + ", " +
           stored_ms(a + ".finished_at") + ", " + a + ".reserved_by, " +
           (priorities ? a + ".q_priority" : std::string("0"));
}

// The name of a statement in the form for a table with q_priority (`priorities`) or without.
std::string variant(const char* name, bool priorities) {
    return priorities ? std::string(name) + "_p" : std::string(name);
}

// Adds to q's counters for each (queue, name) of `source`: `columns` and `values` are parallel
// lists ("completed, processing_ms" / "count(*), sum($4::int8)"). Rows are upserted in (queue,
// name) order, so two batches that share a shard lock their counter rows in one order and never
// deadlock on them.
std::string add_totals(const Names& n, const std::vector<std::pair<std::string, std::string>>& adds,
                       const std::string& source, const std::string& shard_param) {
    std::string columns, values, updates;
    for (const auto& [column, value] : adds) {
        columns += ", " + column;
        values += ", " + value;
        updates += std::string(updates.empty() ? "" : ", ") + column + " = t." + column +
                   " + EXCLUDED." + column;
    }
    return "INSERT INTO " + n.totals + " AS t (queue, name, shard" + columns +
           ") SELECT queue, name, " + shard_param + "::int2" + values + " FROM " + source +
           " GROUP BY queue, name ORDER BY queue, name" +
           " ON CONFLICT (queue, name, shard) DO UPDATE SET " + updates;
}

// One NOTIFY per statement, naming the queues that got due jobs ('*': too many to list).
std::string notify_queues(const std::string& source, const std::string& channel_param) {
    return "(SELECT pg_notify(" + channel_param +
           ", CASE WHEN length(q) > 7000 THEN '*' ELSE q END)::text FROM (SELECT "
           "string_agg(DISTINCT queue, ',') AS q FROM " +
           source + ") x WHERE q IS NOT NULL)";
}

// The outcome statements share this guard: the row is ours only while it is processing with our
// claim token (docs/lifecycle.md, "Claim tokens and fencing").
const char* const kOurs = "id = $1 AND status = 'processing' AND reserved_by = $2";

std::string quote_element(const std::string& value) {
    std::string out = "\"";
    for (char c : value) {
        if (c == '"' || c == '\\')
            out += '\\';
        out += c;
    }
    return out + "\"";
}

template <class T, class Format>
std::string array_literal(const std::vector<T>& values, Format format) {
    std::string out = "{";
    for (std::size_t i = 0; i < values.size(); ++i) {
        if (i)
            out += ',';
        out += format(values[i]);
    }
    return out + "}";
}

// The statements whose SQL depends on whether the jobs table has q_priority (`p`): named
// variant(stmt::x, p).
void prepare_job_statements(pqxx::connection& db, const Names& n, bool p) {
    const std::string J = n.jobs;

    // $1 ids, $2 names, $3 queues, $4 max_retries, $5 payloads, $6 run_at ms (NULL: use delay),
    // $7 delay ms, $8 shard, $9 channel, $10 attempts, $11 priorities (ignored without
    // q_priority: push refuses a priority there first). All rows or none; returns how many.
    db.prepare(variant(stmt::push, p),
               "WITH src AS (SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], "
               "$5::text[], $6::int8[], $7::int8[], $10::int[], $11::int[]) AS u(id, name, "
               "queue, max_retries, payload, run_at, delay, attempts, priority) "
               // An uncorrelated subquery: evaluated once, before the first row is inserted.
               "WHERE (SELECT set_config('" +
                   std::string(kInsertsOnlyPending) +
                   "', 'on', true)) IS NOT NULL), "
                   "ins AS (INSERT INTO " +
                   J +
                   " (id, name, queue, status, attempts, max_retries, payload, created_at, "
                   "available_at" +
                   (p ? ", q_priority" : "") +
                   ") SELECT id, name, queue, 'pending', attempts, max_retries, payload, now(), "
                   "COALESCE(" +
                   at("run_at") + ", now() + delay * interval '1 millisecond')" +
                   (p ? ", priority" : "") +
                   " FROM src RETURNING queue, name), "
                   "tot AS (" +
                   add_totals(n, {{"pushed", "count(*)"}}, "ins", "$8") +
                   ") SELECT (SELECT count(*) FROM ins), " + notify_queues("ins", "$9"));

    // $1 queue, $2 limit, $3 claim tokens (one per job, text[]) -> job columns + the job's place
    // in claim order, whose token it got. SKIP LOCKED: concurrent claimers pass over each other's
    // rows instead of waiting. (FOR UPDATE cannot share a query level with row_number(), hence two
    // steps.) The id = ANY(...) condition lets the update find its rows by primary key: joined on
    // id alone, the planner hashes the whole table whenever that looks cheaper than N index probes
    // (a table of a few ten thousand rows), and a claim of 100 then reads every row.
    // With q_priority, claim_order_before's order: due jobs with a priority come first, from
    // their own partial index (empty while no job has one: one empty probe for default jobs);
    // what they leave of $2 is filled from the due index with jobs of priority 0. (The due jobs
    // with a priority missing from `urgent` are locked by other claims, so `plain` steps over
    // few rows.)
    const std::string due = " WHERE queue = $1 AND status = 'pending' AND available_at <= now() ";
    const std::string picked =
        p ? "urgent AS (SELECT id, available_at AS due, created_at, q_priority AS priority FROM " +
                J + due +
                "AND q_priority > 0 ORDER BY q_priority DESC, available_at, created_at, id LIMIT "
                "$2 FOR UPDATE SKIP LOCKED), plain AS (SELECT id, available_at AS due, "
                "created_at, 0 AS priority FROM " +
                J + due +
                "AND q_priority = 0 ORDER BY available_at, created_at, id LIMIT ($2 - (SELECT "
                "count(*) FROM urgent)) FOR UPDATE SKIP LOCKED), picked AS (SELECT * FROM urgent "
                "UNION ALL SELECT * FROM plain), "
          : "picked AS (SELECT id, available_at AS due, created_at, 0 AS priority FROM " + J + due +
                "ORDER BY available_at, created_at, id LIMIT $2 FOR UPDATE SKIP LOCKED), ";
    db.prepare(variant(stmt::claim, p),
               "WITH " + picked +
                   "numbered AS (SELECT id, row_number() OVER (ORDER BY priority DESC, due, "
                   "created_at, id) AS n FROM picked) "
                   "UPDATE " +
                   J +
                   " AS j SET status = 'processing', attempts = j.attempts + 1, available_at = "
                   "now(), reserved_by = ($3::text[])[t.n] FROM numbered t WHERE j.id = t.id AND "
                   "j.id = ANY(ARRAY(SELECT id FROM picked)) "
                   "RETURNING " +
                   job_columns("j", p) + ", t.n");

    db.prepare(variant(stmt::find, p),
               "SELECT " + job_columns("j", p) + " FROM " + J + " j WHERE j.id = $1");

    // $1 status, $2 queue, $3 name, $4 finished before (ms), $5 after id, $6 after created
    // (ms), $7 limit (NULL: all).
    db.prepare(variant(stmt::list, p),
               "SELECT " + job_columns("j", p) + " FROM " + J +
                   " j WHERE ($1::text IS NULL OR j.status = $1) AND ($2::text IS NULL "
                   "OR j.queue = $2) AND ($3::text IS NULL OR j.name = $3) AND "
                   "($4::int8 IS NULL OR j.finished_at < " +
                   at("$4") + ") AND " + after_position("j", "$5", "$6") + " ORDER BY " +
                   list_order("j") + " LIMIT $7::int8");

    // $1 stale after (ms), $2 shard, $3 limit -> the jobs as they were. A lost run is a failed
    // attempt: counted as a retry, or as dead when no attempt is left. A heartbeat that commits
    // first moves available_at, and the row no longer matches when it is re-checked under lock.
    // What becomes of each stale job is stale_outcome's rule (driver.hpp), spelled in SQL: a job
    // claimed ahead gets its attempt back; otherwise the lost run counts.
    const std::string ahead =
        "(COALESCE(s.reserved_by, '') LIKE '%" + std::string(claim_ahead_mark) + "')";
    const std::string dead = "(s.attempts > s.max_retries AND NOT " + ahead + ")";
    const std::string stale_where =
        " WHERE status = 'processing' AND available_at < now() - $1::int8 * interval '1 "
        "millisecond'";
    db.prepare(variant(stmt::recover_stale, p),
               "WITH stale AS (SELECT * FROM " + J + stale_where +
                   " ORDER BY available_at LIMIT $3 FOR UPDATE SKIP LOCKED), "
                   "upd AS (UPDATE " +
                   J + " AS j SET status = CASE WHEN " + dead +
                   " THEN 'failed' ELSE 'pending' END, "
                   "attempts = CASE WHEN " +
                   ahead +
                   " THEN greatest(s.attempts - 1, 0) ELSE "
                   "s.attempts END, available_at = now(), reserved_by = NULL, finished_at = CASE "
                   "WHEN " +
                   dead + " THEN now() END, last_error = CASE WHEN " + dead +
                   " THEN 'worker lost' ELSE j.last_error END FROM stale s WHERE j.id = s.id "
                   "RETURNING j.queue, j.name, j.status, " +
                   ahead +
                   " AS given_back), "
                   "tot AS (" +
                   add_totals(n,
                              {{"dead", "count(*) FILTER (WHERE status = 'failed')"},
                               {"retries",
                                "count(*) FILTER (WHERE status = 'pending' AND NOT "
                                "given_back)"}},
                              "upd", "$2") +
                   ") SELECT " + job_columns("s", p) + " FROM stale s ORDER BY s.available_at");
    db.prepare(variant(stmt::list_stale, p), "SELECT " + job_columns("s", p) + " FROM " + J + " s" +
                                                 stale_where + " ORDER BY s.available_at");
}

}  // namespace

std::string list_by_id_query(const Names& n, bool priorities) {
    return "SELECT " + job_columns("j", priorities) + " FROM " + n.jobs +
           " j WHERE ($1::text IS NULL OR j.status = $1) AND ($2::text IS NULL OR j.queue = $2) "
           "AND ($3::text IS NULL OR j.name = $3) AND ($4::int8 IS NULL OR j.finished_at < " +
           at("$4") + ") AND ($5::text IS NULL OR j.id > $5) ORDER BY j.id LIMIT $6::int8";
}

std::string statement_name(const char* name, bool priorities) {
    return variant(name, priorities);
}

// The logs of the completions that applied are written by the same statement: a short one into
// one log group row for the batch (stamped with the same now() as the jobs' finished_at), any
// other into a row of its own. One statement for the whole batch: one round trip and one commit,
// and one counter upsert per (queue, name) instead of per job. The plan rests on
// idx_<table>_q_stale: with it the planner hashes the processing rows against the batch; without
// it, statistics that show few processing rows make it join them by a nested loop that compares
// every row with every completion (tests/bench/results/ANALYSIS.md, 2026-12-06).
std::string complete_batch_query(const Names& n, bool keep_completed) {
    const std::string J = n.jobs;
    const std::string batch =
        "(SELECT * FROM unnest($1::text[], $2::text[], $3::int8[], $5::int4[], $6::text[], "
        "$7::int4[]) WITH ORDINALITY AS c(id, token, ran_ms, attempt, body, grouped, i))";
    const std::string batch_ours =
        "j.id = ANY($1::text[]) AND j.id = c.id AND j.status = 'processing' AND "
        "j.reserved_by = c.token";
    std::string finish_batch =
        keep_completed
            ? "UPDATE " + J +
                  " AS j SET status = 'completed', finished_at = now(), reserved_by = NULL FROM " +
                  batch + " c WHERE " + batch_ours
            : "DELETE FROM " + J + " AS j USING " + batch + " c WHERE " + batch_ours;
    return "WITH done AS (" + finish_batch +
           " RETURNING j.queue, j.name, c.ran_ms, c.i, c.id, c.attempt, c.body, c.grouped), tot AS "
           "(" +
           add_totals(n, {{"completed", "count(*)"}, {"processing_ms", "sum(ran_ms)"}}, "done",
                      "$4") +
           "), logged AS (INSERT INTO " + n.logs +
           " (job_id, attempt, updated_at, body) SELECT id, attempt, now(), body FROM done WHERE "
           "body <> '' AND grouped = 0 ON CONFLICT (job_id, attempt) DO UPDATE SET updated_at = "
           "excluded.updated_at, body = excluded.body), grouped AS (INSERT INTO " +
           n.log_groups +
           " (finished_at, entries, bodies) SELECT now(), count(*), json_object_agg(id, "
           "json_build_array(attempt, body))::text FROM done WHERE body <> '' AND grouped = 1 "
           "HAVING count(*) > 0) SELECT i FROM done";
}

void prepare_statements(pqxx::connection& db, const Names& n, bool keep_completed) {
    const std::string J = n.jobs;
    // Statements that read or write priorities come in two forms (statement_name picks one);
    // libpqxx sends a statement to the server on first use, so the unused form costs nothing.
    for (bool p : {false, true}) prepare_job_statements(db, n, p);

    db.prepare(stmt::now, "SELECT " + ms("now()"));

    // $1 lock key prefix, $2 unique keys (sorted, so concurrent batches lock in one order).
    db.prepare(stmt::lock_keys,
               "SELECT count(pg_advisory_xact_lock(hashtextextended($1 || k, 0))::text) "
               "FROM unnest($2::text[]) AS k");
    // $1 unique keys -> (key, job id) where that job still holds the key.
    db.prepare(stmt::active_keys, "SELECT u.unique_key, u.job_id FROM " + n.unique + " u JOIN " +
                                      J +
                                      " j ON j.id = u.job_id WHERE u.unique_key = ANY($1::text[]) "
                                      "AND j.status IN " +
                                      std::string(kLiveStatuses));
    // $1 keys, $2 job ids.
    db.prepare(stmt::take_keys, "INSERT INTO " + n.unique +
                                    " AS u (unique_key, job_id) SELECT * FROM unnest($1::text[], "
                                    "$2::text[]) ON CONFLICT (unique_key) DO UPDATE SET job_id = "
                                    "EXCLUDED.job_id");

    // $1 queues. Rows other programs wrote with available_at NULL are due now; giving them their
    // created_at keeps the claim an ordered index scan and their place in line (now() for a
    // created_at in the future or 'infinity': due, last in line). Returns how many.
    db.prepare(stmt::fix_null_due,
               "WITH fixed AS (UPDATE " + J +
                   " SET available_at = LEAST(created_at, now()) WHERE id IN (SELECT " +
                   "id FROM " + J +
                   " WHERE queue = ANY($1::text[]) AND status = 'pending' AND available_at IS "
                   "NULL LIMIT 1000 FOR UPDATE SKIP LOCKED) RETURNING 1) SELECT count(*) FROM "
                   "fixed");

    // $1 id, $2 token.
    db.prepare(stmt::heartbeat, "UPDATE " + J + " SET available_at = now() WHERE " + kOurs);

    // $1 id, $2 token, $3 shard, $4 ran for (ms) -> count (0: not ours).
    std::string finish =
        keep_completed ? "UPDATE " + J +
                             " SET status = 'completed', finished_at = now(), reserved_by = NULL "
                             "WHERE " +
                             kOurs + " RETURNING queue, name"
                       : "DELETE FROM " + J + " WHERE " + kOurs + " RETURNING queue, name";
    db.prepare(stmt::complete,
               "WITH done AS (" + finish + "), tot AS (" +
                   add_totals(n, {{"completed", "count(*)"}, {"processing_ms", "sum($4::int8)"}},
                              "done", "$3") +
                   ") SELECT count(*) FROM done");
    db.prepare(stmt::complete_batch, complete_batch_query(n, keep_completed));
    // $1 id, $2 token, $3 delay ms, $4 error, $5 shard -> count.
    db.prepare(stmt::release,
               "WITH done AS (UPDATE " + J +
                   " SET status = 'pending', available_at = now() + $3::int8 * interval '1 "
                   "millisecond', last_error = $4, reserved_by = NULL WHERE " +
                   kOurs + " RETURNING queue, name), tot AS (" +
                   add_totals(n, {{"retries", "count(*)"}}, "done", "$5") +
                   ") SELECT count(*) FROM done");
    // $1 id, $2 token, $3 channel, $4 delay (ms) -> count. The attempt is given back: neither a
    // graceful shutdown nor a hold by the name's limits is a failed run.
    db.prepare(stmt::put_back, "WITH done AS (UPDATE " + J +
                                   " SET status = 'pending', attempts = GREATEST(attempts - 1, 0), "
                                   "available_at = now() + $4::int8 * interval '1 millisecond', "
                                   "reserved_by = NULL WHERE " +
                                   kOurs + " RETURNING queue) SELECT count(*), " +
                                   notify_queues("done", "$3") + " FROM done");
    // $1 id, $2 token, $3 error, $4 shard -> count.
    db.prepare(stmt::fail, "WITH done AS (UPDATE " + J +
                               " SET status = 'failed', finished_at = now(), last_error = $3, "
                               "reserved_by = NULL WHERE " +
                               kOurs + " RETURNING queue, name), tot AS (" +
                               add_totals(n, {{"dead", "count(*)"}}, "done", "$4") +
                               ") SELECT count(*) FROM done");

    // starts_with, not a range on id: under the database's collation a range of text is not
    // the set of ids with a prefix. One scan in the server, for ids typed by hand.
    db.prepare(stmt::ids_with_prefix,
               "SELECT id FROM " + J + " WHERE starts_with(id, $1) ORDER BY id LIMIT $2");
    db.prepare(stmt::size,
               "SELECT count(*) FROM " + J + " WHERE queue = $1 AND status = 'pending'");
    db.prepare(stmt::clear, "DELETE FROM " + J + " WHERE queue = $1 AND status <> 'processing'");
    // $1 id, $2 shard -> count.
    db.prepare(stmt::cancel, "WITH done AS (UPDATE " + J +
                                 " SET status = 'failed', last_error = 'cancelled', finished_at = "
                                 "now(), reserved_by = NULL WHERE id = $1 AND status = 'pending' "
                                 "RETURNING queue, name), tot AS (" +
                                 add_totals(n, {{"dead", "count(*)"}}, "done", "$2") +
                                 ") SELECT count(*) FROM done");

    const std::string dead_retried =
        " SET status = 'pending', attempts = 0, available_at = now(), finished_at = NULL, "
        "reserved_by = NULL, last_error = NULL";
    // $1 id, $2 channel -> count.
    db.prepare(stmt::retry_dead, "WITH done AS (UPDATE " + J + dead_retried +
                                     " WHERE id = $1 AND status = 'failed' RETURNING queue) "
                                     "SELECT count(*), " +
                                     notify_queues("done", "$2") + " FROM done");
    const std::string dead_matching =
        "SELECT d.id FROM " + J +
        " d WHERE status = 'failed' AND ($1::text IS NULL OR queue = $1) AND ($2::text IS NULL OR "
        "name = $2) AND ($3::int8 IS NULL OR finished_at < " +
        at("$3") + ") AND " + after_position("d", "$4", "$5") + " ORDER BY " + list_order("d") +
        " LIMIT $6::int8 FOR UPDATE SKIP LOCKED";
    // $1 queue, $2 name, $3 finished before (ms), $4 after id, $5 after created (ms), $6 limit,
    // $7 channel -> count.
    db.prepare(stmt::retry_dead_matching,
               "WITH pick AS (" + dead_matching + "), done AS (UPDATE " + J + " AS j" +
                   dead_retried +
                   " FROM pick p WHERE j.id = p.id RETURNING j.queue) SELECT "
                   "count(*), " +
                   notify_queues("done", "$7") + " FROM done");
    // $1 queue, $2 name, $3 finished before (ms), $4 after id, $5 after created (ms), $6 limit
    // -> count.
    db.prepare(stmt::clear_dead, "WITH pick AS (" + dead_matching + "), done AS (DELETE FROM " + J +
                                     " j USING pick p WHERE j.id = p.id RETURNING 1) "
                                     "SELECT count(*) FROM done");

    // -> count. A processing row with no available_at was claimed by a program that records no
    // claim time (the Dart driver's pop of a job pushed without a delay): it gets the time q
    // first sees it, and is stale once stale_after has passed since then.
    db.prepare(stmt::stamp_untimed_claims,
               "UPDATE " + J +
                   " SET available_at = now() WHERE status = 'processing' AND "
                   "available_at IS NULL");

    // $1 older than (ms), $2 batch size -> count.
    db.prepare(stmt::prune,
               "WITH pick AS (SELECT id FROM " + J +
                   " WHERE status IN ('completed', 'failed') AND finished_at < now() - $1::int8 * "
                   "interval '1 millisecond' AND ($3::text IS NULL OR status = $3) AND ($4::text "
                   "IS NULL OR queue = $4) LIMIT $2 FOR UPDATE SKIP LOCKED), done AS (DELETE "
                   "FROM " +
                   J +
                   " j USING pick p WHERE j.id = p.id RETURNING 1) SELECT count(*) "
                   "FROM done");
    db.prepare(stmt::prune_keys,
               "DELETE FROM " + n.unique + " WHERE unique_key IN (SELECT u.unique_key FROM " +
                   n.unique + " u WHERE NOT EXISTS (SELECT 1 FROM " + J +
                   " j WHERE j.id = u.job_id AND j.status IN " + kLiveStatuses + ") LIMIT 1000)");
}

// queue, name, status, due, count, age of the oldest due job (ms), then the run time (ms) summed
// over the completed rows whose finished_at - available_at times it, and how many.
std::string stats_rows_query(const Names& n, bool live_only) {
    const std::string timed_run = row_run_is_timed();
    const std::string run_time_sum = "sum(" + row_run_time_ms() + ") FILTER (WHERE " + timed_run +
                                     "), count(*) FILTER (WHERE " + timed_run + ")";
    // Live rows are spelled as an OR so that the planner can join the two partial indexes, one
    // per state.
    const std::string where =
        live_only ? " WHERE (status = 'pending' OR status = 'processing')" : "";
    return "SELECT queue, name, status, due, count(*), " + ms("now()") + " - min(" +
           ms("COALESCE(available_at, created_at)") +
           ") FILTER (WHERE due AND isfinite(COALESCE(available_at, created_at))), " +
           run_time_sum +
           " FROM (SELECT queue, name, status, status = 'pending' AND "
           "(available_at IS NULL OR available_at <= now()) AS due, available_at, "
           "created_at, finished_at FROM " +
           n.jobs + where + ") x GROUP BY queue, name, status, due";
}

std::string stats_totals_query(const Names& n) {
    return "SELECT queue, name, sum(pushed)::int8, sum(completed)::int8, sum(dead)::int8, "
           "sum(retries)::int8, sum(processing_ms)::int8 FROM " +
           n.totals + " GROUP BY queue, name";
}

std::string now_ms_sql() {
    return ms("now()");
}

std::string row_run_time_ms() {
    return ms("finished_at") + " - " + ms("available_at");
}

std::string row_run_is_timed() {
    return "status = 'completed' AND isfinite(available_at) AND isfinite(finished_at) AND "
           "finished_at >= available_at";
}

Job job_from_row(const pqxx::row& row, int first) {
    Job job;
    // Other programs share the table: a field q cannot read (a status of theirs, an infinite
    // time) is noted on the job instead of failing the whole statement.
    auto read = [&](int column, const char* name, auto&& convert) {
        const pqxx::field f = row[first + column];
        try {
            convert(f);
        } catch (const Error& e) {
            note_unreadable(job, name, e.what());  // says what it expected
        } catch (const std::exception&) {
            const std::string shown =
                f.is_null()
                    ? std::string("NULL")
                    : "'" + valid_utf8(std::string_view(f.c_str(), f.size()).substr(0, 40)) + "'";
            note_unreadable(job, name, "bad value " + shown);
        }
    };
    auto at_ms = [&](int column, const char* name) -> std::optional<TimePoint> {
        const pqxx::field f = row[first + column];
        if (f.is_null())
            return std::nullopt;
        const auto ms = f.as<long long>();
        if (ms == infinite_past || ms == infinite_future) {
            note_unreadable(job, name,
                            ms == infinite_past ? "bad time '-infinity'" : "bad time 'infinity'");
            return std::nullopt;
        }
        return TimePoint(Milliseconds(ms));
    };
    job.id = row[first + 0].as<std::string>();
    job.name = row[first + 1].as<std::string>();
    job.queue = row[first + 2].as<std::string>();
    read(3, "status", [&](const pqxx::field& f) {
        job.status = status_from_string(std::string_view(f.c_str(), f.size()));
    });
    read(4, "attempts", [&](const pqxx::field& f) { job.attempts = f.as<int>(); });
    read(5, "max_retries", [&](const pqxx::field& f) { job.max_retries = f.as<int>(); });
    // Other programs may leave payload NULL: that is JSON null, not an empty string.
    job.payload = row[first + 6].is_null() ? "null" : row[first + 6].as<std::string>();
    if (!row[first + 7].is_null())
        job.last_error = row[first + 7].as<std::string>();
    job.created_at = at_ms(8, "created_at").value_or(TimePoint{});
    job.available_at = at_ms(9, "available_at");
    job.finished_at = at_ms(10, "finished_at");
    if (!row[first + 11].is_null())
        job.reserved_by = row[first + 11].as<std::string>();
    read(12, "q_priority", [&](const pqxx::field& f) { job.priority = f.as<int>(); });
    return job;
}

std::string text_array(const std::vector<std::string>& values) {
    return array_literal(values, quote_element);
}

std::string nullable_text_array(const std::vector<std::optional<std::string>>& values) {
    return array_literal(values, [](const std::optional<std::string>& v) {
        return v ? quote_element(*v) : std::string("NULL");
    });
}

std::string int_array(const std::vector<long long>& values) {
    return array_literal(values, [](long long v) { return std::to_string(v); });
}

std::string nullable_int_array(const std::vector<std::optional<long long>>& values) {
    return array_literal(values, [](const std::optional<long long>& v) {
        return v ? std::to_string(*v) : std::string("NULL");
    });
}

}  // namespace libqueue::pg
