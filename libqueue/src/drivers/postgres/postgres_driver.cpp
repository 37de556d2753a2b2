// The postgres driver: a table of the kronix_jobs layout shared by any number of workers on any
// number of hosts. Claims are one UPDATE over a FOR UPDATE SKIP LOCKED pick, every outcome is
// fenced by the claim token, all times come from the server's now(), and idle workers wake on
// NOTIFY.
#include "drivers/postgres/postgres_driver.hpp"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string_view>
#include <thread>

#include "drivers/postgres/pg_connection.hpp"
#include "drivers/postgres/pg_dsn.hpp"
#include "drivers/postgres/pg_schema.hpp"
#include "drivers/postgres/pg_settings.hpp"
#include "drivers/postgres/pg_statements.hpp"
#include "drivers/priority_column.hpp"
#include "drivers/push_tick.hpp"
#include "libqueue/errors.hpp"
#include "libqueue/text.hpp"

namespace libqueue {

namespace {

// The id in a unique violation's "DETAIL:  Key (id)=(...) already exists."; empty when the
// server's message is not in that (English) form.
std::string conflicting_id(const std::string& message) {
    const std::string opening = "Key (id)=(";
    const auto start = message.find(opening);
    if (start == std::string::npos)
        return "";
    const auto first = start + opening.size();
    const auto end = message.find(") already exists", first);
    return end == std::string::npos ? "" : message.substr(first, end - first);
}

using namespace pg;
using SteadyClock = std::chrono::steady_clock;

constexpr std::size_t kMaxConnections = 32;
constexpr long long kRecoverBatch = 1000;
constexpr std::size_t kPruneBatch = 500;
// Rows other programs wrote with available_at NULL are looked for at most this often.
constexpr auto kNullDueProbeEvery = std::chrono::milliseconds(1000);

std::optional<std::string> optional_ms(const std::optional<TimePoint>& t) {
    if (!t)
        return std::nullopt;
    return std::to_string(t->time_since_epoch().count());
}

// ListFilter::after as the statements' ($id, $created ms) pair; both NULL: from the start.
struct AfterParams {
    std::optional<std::string> id, created_ms;
    explicit AfterParams(const ListFilter& filter) {
        if (filter.after) {
            id = filter.after->id;
            created_ms = optional_ms(filter.after->created_at);
        }
    }
};

std::optional<std::string> optional_limit(std::size_t limit) {
    if (limit == 0)
        return std::nullopt;
    // LIMIT is a bigint: a larger count means all of them.
    return std::to_string(std::min<std::size_t>(limit, std::size_t(INT64_MAX)));
}

// A PostgreSQL text value is valid UTF-8 without NUL: no row holds anything else, so a lookup
// by such a key finds nothing (the server would refuse the parameter as bad data).
bool text_column_can_hold(const std::string& text) {
    return text.find('\0') == std::string::npos && is_valid_utf8(text);
}

// False when a text of the filter could be in no row (and PostgreSQL would refuse it as a
// parameter): then nothing matches.
bool filter_can_match(const ListFilter& filter) {
    for (const auto* text :
         {filter.after ? &filter.after->id : nullptr, filter.queue ? &*filter.queue : nullptr,
          filter.name ? &*filter.name : nullptr}) {
        if (text && !text_column_can_hold(*text))
            return false;
    }
    return true;
}

class PostgresDriver final : public QueueDriver {
  public:
    explicit PostgresDriver(Settings settings)
        : settings_(std::move(settings)),
          names_(make_names(settings_)),
          complete_batch_query_(complete_batch_query(names_, settings_.keep_completed)),
          pool_(
              make_target(settings_.dsn),
              [this](Connection& c) {
                  prepare_statements(*c.db, names_, settings_.keep_completed);
              },
              kMaxConnections) {
        pool_.check_connection();  // a dead server is reported now, not at the first job
        if (const auto& mode = settings_.worker_synchronous_commit) {
            // Connections of their own, set once when opened: the setting costs no round trip
            // per statement, and no push or operator's change ever runs under it.
            worker_pool_ = std::make_unique<Pool>(
                pool_.target(),
                [this, mode = *mode](Connection& c) {
                    pqxx::nontransaction tx(*c.db);
                    tx.exec("SET synchronous_commit TO " + tx.quote(mode));
                    tx.commit();
                    prepare_statements(*c.db, names_, settings_.keep_completed);
                },
                kMaxConnections);
        }
    }

    std::string name() const override { return "postgres"; }
    Capabilities capabilities() const override { return {}; }

    TimePoint now() override {
        return pool_.run("now", [&](Connection& c, int) {
            pqxx::nontransaction tx(*c.db);
            return TimePoint(Milliseconds(tx.exec_prepared1(stmt::now)[0].as<long long>()));
        });
    }

    std::vector<PushResult> store_batch(const std::vector<NewJob>& jobs) override {
        ensure_schema();
        check_priorities(jobs);

        std::vector<PushResult> results(jobs.size());
        bool any_unique = false;
        for (std::size_t i = 0; i < jobs.size(); ++i) {
            results[i].id = jobs[i].id.empty() ? new_job_id() : jobs[i].id;
            any_unique = any_unique || jobs[i].unique_key.has_value();
        }

        return pool_.run("push", [&](Connection& c, int attempt) {
            try {
                if (!any_unique) {
                    // One statement, no transaction block: one round trip for the whole batch.
                    pqxx::nontransaction tx(*c.db);
                    insert_jobs(tx, c, jobs, results, std::vector<bool>(jobs.size(), true));
                    return results;
                }
                pqxx::work tx(*c.db);
                auto out = push_unique(tx, c, jobs, results);
                tx.commit();
                return out;
            } catch (const pqxx::unique_violation& e) {
                // Ids are chosen before the first attempt, so a retry after a lost connection
                // that meets its own rows knows the first attempt committed.
                if (attempt > 0)
                    return results;
                const std::string id = conflicting_id(e.what());
                throw DataError(
                    "push: " +
                    (id.empty() ? "a job with one of these ids" : "job id '" + id + "'") +
                    " already exists in " + names_.display);
            }
        });
    }

    // Schedulers of one schedule take turns on an advisory lock; the mark is read, the job
    // inserted and the mark moved in one transaction.
    PushResult store_tick(const NewJob& job, const ScheduleTick& tick) override {
        ensure_schema();
        check_priorities({&job, 1});
        return pool_.run("push tick", [&](Connection& c, int) {
            pqxx::work tx(*c.db);
            tx.exec_prepared(stmt::lock_keys,
                             names_.lock_key + ":schedule:", text_array({tick.schedule}));
            const auto read = tx.exec_params(
                "SELECT value FROM " + names_.records + " WHERE kind = $1 AND key = $2",
                schedule_record_kind, tick.schedule);
            auto result = push_tick_step(
                read.empty() ? std::nullopt : std::optional(read[0][0].as<std::string>()), job,
                tick,
                {[&] {
                     return !tx.exec_params("SELECT 1 FROM " + names_.jobs + " WHERE id = $1",
                                            job.id)
                                 .empty();
                 },
                 [&] {
                     const PushResult created{job.id, true};
                     insert_jobs(tx, c, {job}, {created}, {true});
                     return created;
                 },
                 [&](const std::string& value) {
                     put_record_in(tx, schedule_record_kind, tick.schedule, value);
                 }});
            tx.commit();
            return result;
        });
    }

    std::vector<Job> claim(const ClaimRequest& request) override {
        if (request.limit == 0 || request.queues.empty())
            return {};
        ensure_schema();
        fix_null_due(request.queues);
        const std::string worker =
            request.worker_id.empty() ? default_worker_id() : request.worker_id;
        return worker_pool().run("claim", [&](Connection& c, int) {
            std::vector<Job> claimed;
            auto claim_queue = [&](pqxx::transaction_base& tx, const std::string& queue,
                                   std::size_t want) {
                std::vector<std::string> tokens;
                ClaimRequest tokens_for{request.queues, worker, request.limit, request.ahead};
                for (std::size_t i = 0; i < want; ++i)
                    tokens.push_back(claim_token(tokens_for, claimed.size() + i));
                auto rows =
                    tx.exec_prepared(statement(stmt::claim), queue, want, text_array(tokens));
                // RETURNING has no order: put the jobs back in claim order (claim_order_before),
                // the order their tokens were handed out in.
                std::vector<std::pair<long long, Job>> batch;
                for (const auto& row : rows)
                    batch.emplace_back(row[13].as<long long>(), job_from_row(row));
                std::sort(batch.begin(), batch.end(),
                          [](const auto& a, const auto& b) { return a.first < b.first; });
                for (auto& [place, job] : batch) claimed.push_back(std::move(job));
            };
            if (request.queues.size() == 1) {
                pqxx::nontransaction tx(*c.db);
                claim_queue(tx, request.queues.front(), request.limit);
            } else {
                // Strict priority: a later queue only fills what the earlier ones left.
                pqxx::work tx(*c.db);
                for (const auto& queue : request.queues) {
                    if (claimed.size() >= request.limit)
                        break;
                    claim_queue(tx, queue, request.limit - claimed.size());
                }
                tx.commit();
            }
            return claimed;
        });
    }

    bool heartbeat(const Claim& claim) override {
        return affected(worker_pool(), "heartbeat", stmt::heartbeat, claim.id, claim.token);
    }

    bool complete(const Claim& claim, Milliseconds ran_for) override {
        return counted(worker_pool(), "complete", [&](pqxx::transaction_base& tx, Connection& c) {
            return tx.exec_prepared1(
                stmt::complete, claim.id, claim.token, c.shard,
                static_cast<long long>(std::max<long long>(0, ran_for.count())));
        });
    }

    // One statement, so all or nothing. A (id, token) pair given twice applies once, as two
    // complete() calls would: the second copy is not sent and reports false.
    std::vector<bool> complete_batch(const std::vector<Completion>& completions) override {
        std::vector<bool> applied(completions.size(), false);
        if (completions.empty())
            return applied;
        std::vector<std::string> ids, tokens;
        std::vector<long long> ran_ms, attempts, grouped;
        std::vector<std::string> bodies;
        std::vector<std::size_t> position;  // index in completions of each one sent
        std::set<std::pair<std::string_view, std::string_view>> seen;
        for (std::size_t i = 0; i < completions.size(); ++i) {
            const Claim& claim = completions[i].claim;
            if (!seen.emplace(claim.id, claim.token).second)
                continue;
            ids.push_back(claim.id);
            tokens.push_back(claim.token);
            ran_ms.push_back(std::max<long long>(0, completions[i].ran_for.count()));
            const auto& log = completions[i].log;
            attempts.push_back(log ? log->attempt : 0);
            bodies.push_back(log ? attempt_log_body(*log) : std::string());
            // A deleted job leaves no finished_at to find its group by.
            grouped.push_back(settings_.keep_completed &&
                              bodies.back().size() <= kGroupedLogMaxBytes);
            position.push_back(i);
        }
        ensure_schema();
        auto ids_array = text_array(ids);
        auto tokens_array = text_array(tokens);
        auto ran_array = int_array(ran_ms);
        auto attempts_array = int_array(attempts);
        auto bodies_array = text_array(bodies);
        auto grouped_array = int_array(grouped);
        return worker_pool().run("complete", [&](Connection& c, int) {
            pqxx::nontransaction tx(*c.db);
            auto rows =
                ids.size() <= kPreparedCompleteBatchMax
                    ? tx.exec_prepared(stmt::complete_batch, ids_array, tokens_array, ran_array,
                                       c.shard, attempts_array, bodies_array, grouped_array)
                    : tx.exec_params(complete_batch_query_, ids_array, tokens_array, ran_array,
                                     c.shard, attempts_array, bodies_array, grouped_array);
            std::vector<bool> out = applied;
            for (const auto& row : rows) out[position.at(row[0].as<std::size_t>() - 1)] = true;
            return out;
        });
    }

    bool release(const Claim& claim, Milliseconds delay, const std::string& error) override {
        return counted(worker_pool(), "release", [&](pqxx::transaction_base& tx, Connection& c) {
            return tx.exec_prepared1(stmt::release, claim.id, claim.token, delay_ms(delay), error,
                                     c.shard);
        });
    }

    bool put_back(const Claim& claim, Milliseconds delay) override {
        return counted(worker_pool(), "put back", [&](pqxx::transaction_base& tx, Connection&) {
            return tx.exec_prepared1(stmt::put_back, claim.id, claim.token, names_.channel,
                                     delay_ms(delay));
        });
    }

    bool fail(const Claim& claim, const std::string& error) override {
        return counted(worker_pool(), "fail", [&](pqxx::transaction_base& tx, Connection& c) {
            return tx.exec_prepared1(stmt::fail, claim.id, claim.token, error, c.shard);
        });
    }

    std::optional<Job> find(const std::string& id) override {
        if (!text_column_can_hold(id))
            return std::nullopt;
        ensure_schema();
        return pool_.run("find", [&](Connection& c, int) -> std::optional<Job> {
            pqxx::nontransaction tx(*c.db);
            auto rows = tx.exec_prepared(statement(stmt::find), id);
            if (rows.empty())
                return std::nullopt;
            return job_from_row(rows[0]);
        });
    }

    std::vector<std::string> ids_with_prefix(const std::string& prefix,
                                             std::size_t limit) override {
        if (!text_column_can_hold(prefix))
            return {};
        ensure_schema();
        const auto max_rows = optional_limit(limit);
        return pool_.run("ids_with_prefix", [&](Connection& c, int) {
            pqxx::nontransaction tx(*c.db);
            std::vector<std::string> ids;
            for (const auto& row :
                 tx.exec_prepared(stmt::ids_with_prefix, prefix, nullable(max_rows)))
                ids.push_back(row[0].as<std::string>());
            return ids;
        });
    }

    std::vector<Job> list(const ListFilter& filter) override {
        if (!filter_can_match(filter))
            return {};
        ensure_schema();
        std::optional<std::string> status;
        if (filter.status)
            status = std::string(to_string(*filter.status));
        auto before = optional_ms(filter.finished_before);
        const AfterParams after(filter);
        auto limit = optional_limit(filter.limit);
        const bool by_id = filter.order == ListOrder::id;
        return pool_.run("list", [&](Connection& c, int) {
            pqxx::nontransaction tx(*c.db);
            auto rows =
                by_id ? tx.exec_params(list_by_id_query(names_, priorities_), nullable(status),
                                       nullable(filter.queue), nullable(filter.name),
                                       nullable(before), nullable(after.id), nullable(limit))
                      : tx.exec_prepared(statement(stmt::list), nullable(status),
                                         nullable(filter.queue), nullable(filter.name),
                                         nullable(before), nullable(after.id),
                                         nullable(after.created_ms), nullable(limit));
            std::vector<Job> jobs;
            jobs.reserve(rows.size());
            for (const auto& row : rows) jobs.push_back(job_from_row(row));
            return jobs;
        });
    }

    std::uint64_t size(const std::string& queue) override {
        if (!text_column_can_hold(queue))
            return 0;
        ensure_schema();
        return pool_.run("size", [&](Connection& c, int) {
            pqxx::nontransaction tx(*c.db);
            return tx.exec_prepared1(stmt::size, queue)[0].as<std::uint64_t>();
        });
    }

    std::uint64_t clear(const std::string& queue) override {
        if (!text_column_can_hold(queue))
            return 0;
        ensure_schema();
        return pool_.run("clear", [&](Connection& c, int) {
            pqxx::nontransaction tx(*c.db);
            return static_cast<std::uint64_t>(tx.exec_prepared(stmt::clear, queue).affected_rows());
        });
    }

    void put_record(const std::string& kind, const std::string& key,
                    const std::string& value) override {
        ensure_schema();
        pool_.run("put record", [&](Connection& c, int) {
            pqxx::nontransaction tx(*c.db);
            put_record_in(tx, kind, key, value);
        });
    }

    std::vector<Record> records(const std::string& kind) override {
        ensure_schema();
        return pool_.run("records", [&](Connection& c, int) {
            pqxx::nontransaction tx(*c.db);
            std::vector<Record> out;
            for (const auto& row : tx.exec_params(
                     "SELECT key, value, floor(extract(epoch FROM updated_at) * 1000)::int8 FROM " +
                         names_.records + " WHERE kind = $1",
                     kind)) {
                out.push_back(Record{row[0].as<std::string>(), row[1].as<std::string>(),
                                     TimePoint(Milliseconds(row[2].as<long long>()))});
            }
            return out;
        });
    }

    // The record's row is read under an advisory lock on (kind, key), so a change of a record
    // not stored yet is serialized like any other. Two round trips: the transaction is opened,
    // locked and read in one, written and committed in the other (each statement of a simple
    // query reads after the ones before it, so the read sees what the lock waited for). The
    // clock is clock_timestamp(): now() would be when the transaction began, before the wait.
    void change_record(const std::string& kind, const std::string& key,
                       const RecordChange& change) override {
        ensure_schema();
        pool_.run("change record", [&](Connection& c, int) {
            pqxx::nontransaction tx(*c.db);
            const std::string where =
                " WHERE kind = " + tx.quote(kind) + " AND key = " + tx.quote(key);
            try {
                const auto read = tx.exec(
                    "BEGIN; SELECT pg_advisory_xact_lock(hashtextextended(" +
                    tx.quote(names_.lock_key + ":record:" + kind + ":" + key) +
                    ", 0)); SELECT floor(extract(epoch FROM clock_timestamp()) * 1000)::int8, "
                    "(SELECT value FROM " +
                    names_.records + where + ")");
                const TimePoint now(Milliseconds(read[0][0].as<long long>()));
                const auto value = read[0][1].is_null()
                                       ? std::nullopt
                                       : std::optional(read[0][1].as<std::string>());
                const auto changed = change(value, now);
                tx.exec(changed ? upsert_record(tx.quote(kind) + ", " + tx.quote(key) + ", " +
                                                tx.quote(*changed) + ", clock_timestamp()") +
                                      "; COMMIT"
                                : "DELETE FROM " + names_.records + where + "; COMMIT");
            } catch (...) {
                // Not left open (or aborted) for the connection's next user.
                try {
                    tx.exec("ROLLBACK");
                } catch (...) {
                }
                throw;
            }
        });
    }

    std::uint64_t remove_records(const std::string& kind,
                                 const std::vector<std::string>& keys) override {
        if (keys.empty())
            return 0;
        ensure_schema();
        return pool_.run("remove records", [&](Connection& c, int) {
            pqxx::work tx(*c.db);
            std::uint64_t removed = 0;
            for (const auto& key : keys) {
                removed += std::uint64_t(tx.exec_params("DELETE FROM " + names_.records +
                                                            " WHERE kind = $1 AND key = $2",
                                                        kind, key)
                                             .affected_rows());
            }
            tx.commit();
            return removed;
        });
    }

    void put_attempt_logs(const std::vector<AttemptLog>& logs) override {
        if (logs.empty())
            return;
        ensure_schema();
        std::vector<std::string> ids, bodies;
        std::vector<long long> attempts;
        for (const auto& log : logs) {
            ids.push_back(log.job_id);
            attempts.push_back(log.attempt);
            bodies.push_back(attempt_log_body(log));
        }
        pool_.run("put attempt logs", [&](Connection& c, int) {
            pqxx::nontransaction tx(*c.db);
            tx.exec_params("INSERT INTO " + names_.logs +
                               " (job_id, attempt, updated_at, body) SELECT id, attempt, now(),"
                               " body FROM unnest($1::text[], $2::int4[], $3::text[]) AS"
                               " l(id, attempt, body) ON CONFLICT (job_id, attempt) DO UPDATE"
                               " SET updated_at = excluded.updated_at, body = excluded.body",
                           text_array(ids), int_array(attempts), text_array(bodies));
        });
    }

    std::vector<AttemptLog> attempt_logs(const std::string& job_id) override {
        if (!text_column_can_hold(job_id))
            return {};
        ensure_schema();
        return attempt_logs_from_bodies(job_id, pool_.run("attempt logs", [&](Connection& c, int) {
            pqxx::nontransaction tx(*c.db);
            std::map<int, std::string> bodies;
            for (const auto& row : tx.exec_params(
                     "SELECT attempt, body FROM " + names_.logs + " WHERE job_id = $1", job_id)) {
                bodies[row[0].as<int>()] = row[1].as<std::string>();
            }
            // A completion's log in a group is the attempt's final one: it replaces a live copy.
            // A completed job's group shares its finished_at; a job that is gone (pruned,
            // cleared) leaves only a scan of the groups for its id, which the server skips when
            // the job is there (a one-time filter).
            const std::string entry = "(g.bodies::json -> $1)";
            const std::string from_groups = "SELECT (" + entry + " ->> 0)::int, " + entry +
                                            " ->> 1 FROM " + names_.log_groups + " g WHERE ";
            const std::string grouped =
                from_groups + "g.finished_at = (SELECT finished_at FROM " + names_.jobs +
                " WHERE id = $1 AND status = 'completed') UNION ALL " + from_groups +
                "NOT EXISTS (SELECT 1 FROM " + names_.jobs +
                " WHERE id = $1) AND strpos(g.bodies, to_json($1::text)::text) > 0";
            for (const auto& row : tx.exec_params(grouped, job_id)) {
                if (!row[0].is_null())
                    bodies[row[0].as<int>()] = row[1].as<std::string>();
            }
            return bodies;
        }));
    }

    std::uint64_t prune_attempt_logs(Milliseconds older_than) override {
        ensure_schema();
        return pool_.run("prune attempt logs", [&](Connection& c, int) {
            pqxx::nontransaction tx(*c.db);
            const auto older = static_cast<long long>(older_than.count());
            auto removed = std::uint64_t(
                tx.exec_params(
                      "DELETE FROM " + names_.logs +
                          " WHERE updated_at < now() - $1::int8 * interval '1 millisecond'",
                      older)
                    .affected_rows());
            removed += tx.exec_params1("WITH gone AS (DELETE FROM " + names_.log_groups +
                                           " WHERE finished_at < now() - $1::int8 * interval "
                                           "'1 millisecond' RETURNING entries) SELECT "
                                           "coalesce(sum(entries), 0) FROM gone",
                                       older)[0]
                           .as<std::uint64_t>();
            return removed;
        });
    }

    bool cancel(const std::string& id) override {
        if (!text_column_can_hold(id))
            return false;
        return counted(pool_, "cancel", [&](pqxx::transaction_base& tx, Connection& c) {
            return tx.exec_prepared1(stmt::cancel, id, c.shard);
        });
    }

    bool retry_dead(const std::string& id) override {
        if (!text_column_can_hold(id))
            return false;
        return counted(pool_, "retry dead letter", [&](pqxx::transaction_base& tx, Connection&) {
            return tx.exec_prepared1(stmt::retry_dead, id, names_.channel);
        });
    }

    std::uint64_t retry_dead_matching(const ListFilter& filter) override {
        if (!filter_can_match(filter))
            return 0;
        ensure_schema();
        auto before = optional_ms(filter.finished_before);
        const AfterParams after(filter);
        auto limit = optional_limit(filter.limit);
        return pool_.run("retry dead letters", [&](Connection& c, int) {
            pqxx::nontransaction tx(*c.db);
            return tx
                .exec_prepared1(stmt::retry_dead_matching, nullable(filter.queue),
                                nullable(filter.name), nullable(before), nullable(after.id),
                                nullable(after.created_ms), nullable(limit), names_.channel)[0]
                .as<std::uint64_t>();
        });
    }

    std::uint64_t clear_dead(const ListFilter& filter) override {
        if (!filter_can_match(filter))
            return 0;
        ensure_schema();
        auto before = optional_ms(filter.finished_before);
        const AfterParams after(filter);
        auto limit = optional_limit(filter.limit);
        return pool_.run("clear dead letters", [&](Connection& c, int) {
            pqxx::nontransaction tx(*c.db);
            return tx
                .exec_prepared1(stmt::clear_dead, nullable(filter.queue), nullable(filter.name),
                                nullable(before), nullable(after.id), nullable(after.created_ms),
                                nullable(limit))[0]
                .as<std::uint64_t>();
        });
    }

    std::vector<Job> recover_stale(Milliseconds stale_after, bool dry_run) override {
        ensure_schema();
        long long stale_ms = std::max<long long>(0, stale_after.count());
        if (dry_run) {
            return pool_.run("list stale jobs", [&](Connection& c, int) {
                pqxx::nontransaction tx(*c.db);
                std::vector<Job> jobs;
                for (const auto& row : tx.exec_prepared(statement(stmt::list_stale), stale_ms)) {
                    jobs.push_back(job_from_row(row));
                }
                return jobs;
            });
        }
        pool_.run("stamp untimed claims", [&](Connection& c, int) {
            pqxx::nontransaction tx(*c.db);
            tx.exec_prepared0(stmt::stamp_untimed_claims);
            return 0;
        });
        // In batches, so one call never holds thousands of row locks for long.
        std::vector<Job> recovered;
        for (;;) {
            auto batch = pool_.run("recover stale jobs", [&](Connection& c, int) {
                pqxx::nontransaction tx(*c.db);
                std::vector<Job> jobs;
                for (const auto& row : tx.exec_prepared(statement(stmt::recover_stale), stale_ms,
                                                        c.shard, kRecoverBatch)) {
                    jobs.push_back(job_from_row(row));
                }
                return jobs;
            });
            bool more = static_cast<long long>(batch.size()) == kRecoverBatch;
            for (auto& job : batch) recovered.push_back(std::move(job));
            if (!more)
                break;
        }
        return recovered;
    }

    std::uint64_t prune(Milliseconds older_than, std::size_t limit,
                        const PruneScope& scope) override {
        ensure_schema();
        long long older_ms = std::max<long long>(0, older_than.count());
        std::optional<std::string> status;
        if (scope.status)
            status = std::string(to_string(*scope.status));
        std::uint64_t total = 0;
        // Small batches: short transactions, few row locks, and vacuum keeps up.
        for (;;) {
            std::size_t want = kPruneBatch;
            if (limit != 0)
                want = std::min<std::size_t>(want, limit - total);
            if (want == 0)
                break;
            auto deleted = pool_.run("prune", [&](Connection& c, int) {
                pqxx::nontransaction tx(*c.db);
                return tx
                    .exec_prepared1(stmt::prune, older_ms, want, nullable(status),
                                    nullable(scope.queue))[0]
                    .as<std::uint64_t>();
            });
            total += deleted;
            if (deleted < want)
                break;
        }
        pool_.run("prune unique keys", [&](Connection& c, int) {
            pqxx::nontransaction tx(*c.db);
            tx.exec_prepared(stmt::prune_keys);
        });
        return total;
    }

    // Round trips: the transaction's begin and commit, one probe, the counts (when kept), the
    // rows, the totals. A `q stats` under load waits for the server's scheduling on each.
    Stats stats() override {
        ensure_schema();
        return pool_.run("stats", [&](Connection& c, int) {
            // One snapshot for counts and totals, so they agree with each other.
            pqxx::transaction<pqxx::repeatable_read, pqxx::read_only> tx(*c.db);
            // The server's now, whether the settled rows are counted by the table's triggers
            // (then only the live rows are read), and reltuples: the planner's own estimate of
            // the table's rows (-1 before its first analyze, or if the table is gone).
            const auto probe =
                tx.exec1("SELECT " + now_ms_sql() + ", " + counts_kept_condition(tx, names_) +
                         ", coalesce((SELECT reltuples FROM pg_class WHERE oid = "
                         "to_regclass(" +
                         tx.quote(names_.jobs) + ")), -1)");
            StatsBuilder stats(TimePoint(Milliseconds(probe[0].as<long long>())));
            const bool counted = probe[1].as<bool>();
            double settled_rows = 0;
            std::string rows_query = stats_rows_query(names_, counted);
            if (counted) {
                for (const auto& row : tx.exec(
                         "SELECT queue, name, status, sum(jobs)::int8, sum(run_ms)::int8, "
                         "sum(runs)::int8 FROM " +
                         names_.counts +
                         " GROUP BY queue, name, status HAVING sum(jobs) <> 0 OR sum(runs) <> 0")) {
                    const auto queue = row[0].as<std::string>();
                    const auto name = row[1].as<std::string>();
                    const auto jobs = row[3].as<std::uint64_t>();
                    stats.count_rows(queue, name, row[2].as<std::string>(), false, jobs);
                    settled_rows += static_cast<double>(jobs);
                    // The run time of completed rows, for names q never timed (another program
                    // worked them): the counts carry it, so no row is read for it.
                    if (row[5].as<long long>() > 0) {
                        stats.completed_rows_ran(queue, name, Milliseconds(row[4].as<long long>()),
                                                 row[5].as<std::uint64_t>());
                    }
                }
                // The live rows are what the partial indexes q_due and q_stale hold, and the
                // planner underrates reading them that way: it costs each row as a random read
                // of the table and the indexes at the size their past rows left them, so it
                // scans the whole table even where the live rows are a few percent of it, in
                // time that grows with the completed rows kept. At 1,000,000 rows with 30,000
                // live: 86 ms for the (parallel) scan, 17 ms along the indexes; during a soak,
                // 800,000 rows with 28,000 live: 142 against 52. Where most rows are live (a
                // backlog), the scan is the faster, so the indexes are imposed only where the
                // counted rows are most of the table. Sent with the query, in one round trip.
                const auto table_rows = probe[2].as<double>();
                if (table_rows > 0 && settled_rows >= 0.9 * table_rows)
                    rows_query = "SET LOCAL enable_seqscan = off; " + rows_query;
            }
            for (const auto& row : tx.exec(rows_query)) {
                auto queue = row[0].as<std::string>();
                bool due = !row[3].is_null() && row[3].as<bool>();
                stats.count_rows(queue, row[1].as<std::string>(), row[2].as<std::string>(), due,
                                 row[4].as<std::uint64_t>());
                if (due && !row[5].is_null())
                    stats.due_for(queue, Milliseconds(row[5].as<long long>()));
                if (!row[6].is_null()) {
                    stats.completed_rows_ran(queue, row[1].as<std::string>(),
                                             Milliseconds(row[6].as<long long>()),
                                             row[7].as<std::uint64_t>());
                }
            }
            for (const auto& row : tx.exec(stats_totals_query(names_))) {
                Totals t;
                t.pushed = row[2].as<std::uint64_t>();
                t.completed = row[3].as<std::uint64_t>();
                t.dead = row[4].as<std::uint64_t>();
                t.retries = row[5].as<std::uint64_t>();
                t.processing_ms = row[6].as<std::uint64_t>();
                stats.add_totals(row[0].as<std::string>(), row[1].as<std::string>(), t);
            }
            tx.commit();
            return std::move(stats).finish();
        });
    }

    // A table another program created (or an older q) may lack q's recommended indexes (without
    // the claim-order one, a claim sorts every due job that shares the oldest due time: a whole
    // pushed batch) and the counts stats reads: say how to fix it.
    std::vector<std::string> warnings() override {
        ensure_schema();
        const auto health = pool_.run("check indexes", [&](Connection& c, int) {
            return check_health(*c.db, names_, priorities_);
        });
        std::vector<std::string> lines;
        if (!health.missing_indexes.empty()) {
            std::string list;
            for (const auto& name : health.missing_indexes)
                list += (list.empty() ? "" : ", ") + name;
            lines.push_back("PostgreSQL table " + names_.display +
                            " lacks q's recommended indexes (" + list +
                            "): claims, completions, stale recovery and prune read more rows than "
                            "they need; run `q migrate --indexes`");
        }
        if (!health.counts_kept) {
            lines.push_back("PostgreSQL table " + names_.display +
                            " keeps no counts of its completed and dead rows: q stats reads "
                            "every row; run `q migrate --counts`");
        } else if (health.counts_inserts_per_row) {
            lines.push_back("PostgreSQL table " + names_.display +
                            " counts inserted rows one by one: a statement inserting many "
                            "completed or dead rows takes time quadratic in their number; run "
                            "`q migrate --counts`");
        }
        return lines;
    }

    void wait_for_jobs(const std::vector<std::string>& queues, Milliseconds timeout) override;

    std::vector<std::string> migrate(const MigrateOptions& options) override {
        auto actions = pool_.run("migrate", [&](Connection& c, int) {
            auto done = pg::migrate(*c.db, names_, options);
            bool priorities = false;
            schema_ready(*c.db, names_, priorities);
            priorities_ = priorities;
            return done;
        });
        schema_ready_ = true;
        return actions;
    }

  private:
    // First use: the tables exist (created when auto_migrate is on), or a ConfigError says how
    // to create them. Checked once per driver.
    void ensure_schema() {
        if (schema_ready_)
            return;
        std::lock_guard lock(schema_mutex_);
        if (schema_ready_)
            return;
        pool_.run("schema check", [&](Connection& c, int) {
            bool priorities = false;
            if (!schema_ready(*c.db, names_, priorities)) {
                if (!settings_.auto_migrate) {
                    throw ConfigError("PostgreSQL table " + names_.display +
                                      " or q's side tables are missing: run `q migrate`, or set "
                                      "queue.postgres.auto_migrate to true");
                }
                pg::migrate(*c.db, names_, {});
                schema_ready(*c.db, names_, priorities);
            }
            priorities_ = priorities;
        });
        schema_ready_ = true;
    }

    // The form of a statement for this table: with q_priority or without (pg_statements.hpp).
    std::string statement(const char* name) const { return statement_name(name, priorities_); }

    void check_priorities(std::span<const NewJob> jobs) const {
        if (!priorities_)
            refuse_priorities(jobs, "PostgreSQL table " + names_.display);
    }

    void put_record_in(pqxx::transaction_base& tx, const std::string& kind, const std::string& key,
                       const std::string& value) {
        tx.exec_params(upsert_record("$1, $2, $3, now()"), kind, key, value);
    }

    // The statement that creates or replaces one record: `values` are its kind, key, value and
    // updated_at.
    std::string upsert_record(const std::string& values) const {
        return "INSERT INTO " + names_.records + " (kind, key, value, updated_at) VALUES (" +
               values +
               ") ON CONFLICT (kind, key) DO UPDATE SET value = excluded.value, updated_at = "
               "excluded.updated_at";
    }

    // A delay as the statements take it: whole milliseconds, never below 0.
    static long long delay_ms(Milliseconds delay) { return std::max<long long>(0, delay.count()); }

    // Inserts the jobs marked in `insert` (one statement, one NOTIFY).
    void insert_jobs(pqxx::transaction_base& tx, Connection& c, const std::vector<NewJob>& jobs,
                     const std::vector<PushResult>& results, const std::vector<bool>& insert) {
        std::vector<std::string> ids, names, queues, payloads;
        std::vector<long long> max_retries, delays, attempts, priorities;
        std::vector<std::optional<long long>> run_at;
        for (std::size_t i = 0; i < jobs.size(); ++i) {
            if (!insert[i])
                continue;
            const auto& job = jobs[i];
            ids.push_back(results[i].id);
            names.push_back(job.name);
            queues.push_back(job.queue);
            payloads.push_back(job.payload);
            max_retries.push_back(job.max_retries);
            attempts.push_back(job.attempts);
            priorities.push_back(job.priority);
            delays.push_back(std::max<long long>(0, job.delay.count()));
            run_at.push_back(job.run_at
                                 ? std::optional<long long>(job.run_at->time_since_epoch().count())
                                 : std::nullopt);
        }
        if (ids.empty())
            return;
        tx.exec_prepared(statement(stmt::push), text_array(ids), text_array(names),
                         text_array(queues), int_array(max_retries), text_array(payloads),
                         nullable_int_array(run_at), int_array(delays), c.shard, names_.channel,
                         int_array(attempts), int_array(priorities));
    }

    // Pushes with unique keys, in the caller's transaction: per key, an advisory lock makes
    // concurrent pushes take turns, then the key is free unless its job is pending/processing.
    std::vector<PushResult> push_unique(pqxx::transaction_base& tx, Connection& c,
                                        const std::vector<NewJob>& jobs,
                                        std::vector<PushResult> results) {
        std::set<std::string> key_set;
        for (const auto& job : jobs) {
            if (job.unique_key)
                key_set.insert(*job.unique_key);
        }
        std::vector<std::string> keys(key_set.begin(), key_set.end());  // sorted: one lock order
        tx.exec_prepared(stmt::lock_keys, names_.lock_key + ":unique:", text_array(keys));
        std::map<std::string, std::string> holder;
        for (const auto& row : tx.exec_prepared(stmt::active_keys, text_array(keys))) {
            holder[row[0].as<std::string>()] = row[1].as<std::string>();
        }
        std::vector<bool> insert(jobs.size(), true);
        std::vector<std::string> taken_keys, taken_ids;
        for (std::size_t i = 0; i < jobs.size(); ++i) {
            if (!jobs[i].unique_key)
                continue;
            const auto& key = *jobs[i].unique_key;
            if (auto it = holder.find(key); it != holder.end()) {
                results[i].id = it->second;
                results[i].created = false;
                insert[i] = false;
            } else {
                holder[key] = results[i].id;
                taken_keys.push_back(key);
                taken_ids.push_back(results[i].id);
            }
        }
        insert_jobs(tx, c, jobs, results, insert);
        if (!taken_keys.empty()) {
            tx.exec_prepared(stmt::take_keys, text_array(taken_keys), text_array(taken_ids));
        }
        return results;
    }

    // Rows with available_at NULL (other programs' rows) get their created_at, at most once a
    // second, so the claim itself stays an ordered index scan over available_at.
    void fix_null_due(const std::vector<std::string>& queues) {
        auto now = SteadyClock::now().time_since_epoch().count();
        auto last = last_null_probe_.load();
        if (last != 0 &&
            now - last <
                std::chrono::duration_cast<SteadyClock::duration>(kNullDueProbeEvery).count()) {
            return;
        }
        if (!last_null_probe_.compare_exchange_strong(last, now))
            return;  // another thread does it
        pool_.run("claim", [&](Connection& c, int) {
            pqxx::nontransaction tx(*c.db);
            tx.exec_prepared(stmt::fix_null_due, text_array(queues));
        });
    }

    template <class... Args>
    bool affected(Pool& pool, const char* what, const char* statement, const Args&... args) {
        ensure_schema();
        return pool.run(what, [&](Connection& c, int) {
            pqxx::nontransaction tx(*c.db);
            return tx.exec_prepared(statement, args...).affected_rows() > 0;
        });
    }

    // Statements that return their count as the first column of one row.
    template <class Fn>
    bool counted(Pool& pool, const char* what, Fn fn) {
        ensure_schema();
        return pool.run(what, [&](Connection& c, int) {
            pqxx::nontransaction tx(*c.db);
            return fn(tx, c)[0].template as<long long>() > 0;
        });
    }

    Settings settings_;
    Names names_;
    std::string
        complete_batch_query_;  // large batches run it with their values (pg_statements.hpp)
    Pool pool_;
    // A worker's claims, heartbeats and outcomes, when queue.postgres.synchronous_commit says how
    // they commit; else these go through pool_ too.
    std::unique_ptr<Pool> worker_pool_;
    Pool& worker_pool() { return worker_pool_ ? *worker_pool_ : pool_; }
    std::mutex schema_mutex_;
    std::atomic<bool> schema_ready_{false};
    std::atomic<bool> priorities_{false};  // the jobs table has q_priority (set by ensure_schema)
    std::atomic<SteadyClock::rep> last_null_probe_{0};

    // The LISTEN connection: one per driver, used by one waiting thread at a time.
    std::timed_mutex listen_mutex_;
    std::unique_ptr<pqxx::connection> listen_db_;
};

void PostgresDriver::wait_for_jobs(const std::vector<std::string>&, Milliseconds timeout) {
    // Notifications name the queues that got jobs, but a wake-up for another queue costs one
    // empty claim, so any notification on this table's channel ends the wait.
    auto deadline = SteadyClock::now() + timeout;
    std::unique_lock lock(listen_mutex_, std::defer_lock);
    if (!lock.try_lock_for(timeout))
        return;
    try {
        if (!listen_db_ || !listen_db_->is_open()) {
            listen_db_.reset();
            auto db = pool_.connect_once();
            pqxx::nontransaction tx(*db);
            tx.exec("LISTEN " + tx.quote_name(names_.channel));
            listen_db_ = std::move(db);
        }
        for (;;) {
            if (listen_db_->get_notifs() > 0)
                return;
            auto left = std::chrono::duration_cast<std::chrono::microseconds>(deadline -
                                                                              SteadyClock::now());
            if (left.count() <= 0)
                return;
            if (listen_db_->await_notification(left.count() / 1'000'000, left.count() % 1'000'000) >
                0) {
                return;
            }
            if (!listen_db_->is_open())
                throw pqxx::broken_connection("LISTEN connection lost");
        }
    } catch (const std::exception&) {
        // Polling is the fallback: the caller claims again after the timeout.
        listen_db_.reset();
        std::this_thread::sleep_until(deadline);
    }
}

}  // namespace

std::unique_ptr<QueueDriver> make_postgres_driver(const DriverContext& context) {
    return std::make_unique<PostgresDriver>(read_settings(context));
}

nlohmann::json postgres_section_display(const nlohmann::json& section) {
    nlohmann::json shown = section;
    if (auto it = shown.find("dsn"); it != shown.end() && it->is_string())
        *it = pg::display_dsn(it->get<std::string>());
    return shown;
}

}  // namespace libqueue
