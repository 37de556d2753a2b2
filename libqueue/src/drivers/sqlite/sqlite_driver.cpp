// The sqlite driver: q's embedded default. One file shared by any number of processes; SQLite's
// write lock (BEGIN IMMEDIATE) makes every claim and outcome atomic across them.
#include "drivers/sqlite/sqlite_driver.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <set>

#include <nlohmann/json.hpp>

#include "drivers/priority_column.hpp"
#include "drivers/push_tick.hpp"
#include "drivers/sqlite/connection.hpp"
#include "drivers/sqlite/rows.hpp"
#include "drivers/sqlite/schema.hpp"
#include "drivers/sqlite/settings.hpp"
#include "drivers/sqlite/statements.hpp"
#include "drivers/sqlite/totals.hpp"
#include "libqueue/errors.hpp"

namespace libqueue {

namespace {

using sqlite::Connection;
using sqlite::Query;
using sqlite::time_text;
using sqlite::TotalsDelta;
using sqlite::WriteTransaction;
namespace sql = sqlite::sql;

// How often an idle wait_for_jobs looks for commits by other processes (PRAGMA data_version).
constexpr Milliseconds kPollInterval{5};
// prune deletes at most this many rows per write transaction, so writers never wait long.
constexpr std::size_t kPruneBatch = 1000;

struct QueueAndName {
    std::string queue;
    std::string name;
};

class SqliteDriver final : public QueueDriver {
  public:
    explicit SqliteDriver(sqlite::Settings settings)
        : settings_(std::move(settings)),
          connection_(settings_.path, settings_.synchronous),
          priorities_(sqlite::ensure_schema(connection_).priorities),
          queries_(priorities_) {}

    std::string name() const override { return "sqlite"; }
    Capabilities capabilities() const override { return {}; }
    TimePoint now() override { return system_now(); }

    PushResult store_one(const NewJob& job) override {
        check_priorities({&job, 1});
        auto result = locked([&] {
            WriteTransaction transaction(connection_);
            // Read after the lock is ours: created_at then follows commit order across processes.
            TimePoint now = system_now();
            TotalsDelta totals;
            PushResult pushed = insert(job, now, time_text(now), totals);
            totals.apply(connection_);
            transaction.commit();
            return pushed;
        });
        if (result.created)
            wake_waiters();
        return result;
    }

    std::vector<PushResult> store_batch(const std::vector<NewJob>& jobs) override {
        check_priorities(jobs);
        auto results = locked([&] {
            WriteTransaction transaction(connection_);
            TimePoint now = system_now();
            const std::string now_text = time_text(now);
            TotalsDelta totals;
            std::vector<PushResult> pushed;
            pushed.reserve(jobs.size());
            for (std::size_t i = 0; i < jobs.size();) {
                if (groupable(jobs, i)) {
                    insert_group(&jobs[i], now, now_text, totals, pushed);
                    i += sql::kInsertRows;
                } else {
                    pushed.push_back(insert(jobs[i], now, now_text, totals));
                    ++i;
                }
            }
            totals.apply(connection_);
            transaction.commit();
            return pushed;
        });
        wake_waiters();
        return results;
    }

    PushResult store_tick(const NewJob& job, const ScheduleTick& tick) override {
        check_priorities({&job, 1});
        auto result = locked([&] {
            WriteTransaction transaction(connection_);
            const auto stored = read_record(schedule_record_kind, tick.schedule);
            const TimePoint now = system_now();
            auto pushed =
                push_tick_step(stored, job, tick,
                               {[&] {
                                    Query exists(connection_, sql::kJobExists);
                                    exists->bind(1, job.id);
                                    return exists->executeStep();
                                },
                                [&] {
                                    TotalsDelta totals;
                                    auto inserted = insert(job, now, time_text(now), totals);
                                    totals.apply(connection_);
                                    return inserted;
                                },
                                [&](const std::string& value) {
                                    write_record(schedule_record_kind, tick.schedule, value, now);
                                }});
            transaction.commit();
            return pushed;
        });
        if (result.created)
            wake_waiters();
        return result;
    }

    std::vector<Job> claim(const ClaimRequest& request) override {
        if (request.limit == 0 || request.queues.empty())
            return {};
        return locked([&] {
            std::vector<Job> jobs;
            // A read first: an idle poller never takes the write lock.
            if (!any_due(request.queues, time_text(system_now())))
                return jobs;
            WriteTransaction transaction(connection_);
            // The reservation time is when the lock was ours, however long that took.
            const TimePoint now = system_now();
            const std::string now_text = time_text(now);
            for (const auto& queue : request.queues) {
                const auto due = due_ids(queue, now, now_text, request.limit);
                Query take(connection_, queries_.take);
                for (const auto& [id, unreadable_time] : due) {
                    take->reset();
                    take->bind(1, id);
                    take->bind(2, now_text);
                    take->bind(3, claim_token(request, jobs.size()));
                    if (!take->executeStep())
                        continue;
                    jobs.push_back(sqlite::read_job(*take));
                    // The claim overwrote available_at: keep what was wrong with it.
                    if (unreadable_time)
                        note_unreadable(jobs.back(), "available_at", *unreadable_time);
                }
                if (!jobs.empty())
                    break;  // strict priority: later queues only when this is empty
            }
            transaction.commit();
            return jobs;
        });
    }

    bool heartbeat(const Claim& claim) override {
        return locked([&] {
            return change_claimed(sql::kHeartbeat, claim,
                                  [&](SQLite::Statement& s) { s.bind(3, time_text(system_now())); })
                .has_value();
        });
    }

    bool complete(const Claim& claim, Milliseconds ran_for) override {
        return complete_batch({{claim, ran_for}}).front();
    }

    // One write transaction for the whole batch: under synchronous=FULL one fsync, not one per job.
    std::vector<bool> complete_batch(const std::vector<Completion>& completions) override {
        if (completions.empty())
            return {};
        return locked([&] {
            WriteTransaction transaction(connection_);
            const std::string now_text = time_text(system_now());
            std::vector<bool> applied;
            applied.reserve(completions.size());
            TotalsDelta totals;
            {
                Query query(connection_,
                            settings_.keep_completed ? sql::kComplete : sql::kCompleteAndDelete);
                for (const auto& completion : completions) {
                    query->reset();
                    query->bind(1, completion.claim.id);
                    query->bind(2, completion.claim.token);
                    if (settings_.keep_completed)
                        query->bind(3, now_text);
                    // RETURNING: the row is changed by the first step, which yields queue, name.
                    const bool done = query->executeStep();
                    applied.push_back(done);
                    if (!done)
                        continue;
                    Totals& t =
                        totals.at(query->getColumn(0).getString(), query->getColumn(1).getString());
                    t.completed += 1;
                    t.processing_ms +=
                        std::uint64_t(std::max<std::int64_t>(0, completion.ran_for.count()));
                }
            }
            {
                Query forget(connection_, sql::kForgetKey);
                for (std::size_t i = 0; i < completions.size(); ++i) {
                    if (!applied[i])
                        continue;
                    forget->reset();
                    forget->bind(1, completions[i].claim.id);
                    forget->exec();
                }
            }
            {
                const std::int64_t now_ms = system_now().time_since_epoch().count();
                nlohmann::json group = nlohmann::json::object();
                for (std::size_t i = 0; i < completions.size(); ++i) {
                    if (!applied[i] || !completions[i].log)
                        continue;
                    const auto& log = *completions[i].log;
                    std::string body = attempt_log_body(log);
                    // A deleted job leaves no finished_at to find its group by.
                    if (settings_.keep_completed && body.size() <= kGroupedLogMaxBytes)
                        group[log.job_id] = nlohmann::json::array({log.attempt, std::move(body)});
                    else
                        store_attempt_log(log.job_id, log.attempt, body, now_ms);
                }
                if (!group.empty()) {
                    Query query(connection_, sql::kPutAttemptLogGroup);
                    query->bind(1, now_text);
                    query->bind(2, now_ms);
                    query->bind(3, std::int64_t(group.size()));
                    query->bind(
                        4, group.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
                    query->exec();
                }
            }
            totals.apply(connection_);
            transaction.commit();
            return applied;
        });
    }

    bool release(const Claim& claim, Milliseconds delay, const std::string& error) override {
        return locked([&] {
            WriteTransaction transaction(connection_);
            auto job = change_claimed(sql::kRelease, claim, [&](SQLite::Statement& s) {
                s.bind(3, time_text(system_now() + std::max(delay, Milliseconds{0})));
                s.bind(4, error);
            });
            if (!job)
                return false;
            TotalsDelta totals;
            totals.at(job->queue, job->name).retries = 1;
            totals.apply(connection_);
            transaction.commit();
            return true;
        });
    }

    bool put_back(const Claim& claim, Milliseconds delay) override {
        bool done = locked([&] {
            return change_claimed(
                       sql::kPutBack, claim,
                       [&](SQLite::Statement& s) { s.bind(3, time_text(system_now() + delay)); })
                .has_value();
        });
        if (done)
            wake_waiters();
        return done;
    }

    bool fail(const Claim& claim, const std::string& error) override {
        return locked([&] {
            WriteTransaction transaction(connection_);
            auto job = change_claimed(sql::kFail, claim, [&](SQLite::Statement& s) {
                s.bind(3, time_text(system_now()));
                s.bind(4, error);
            });
            if (!job)
                return false;
            TotalsDelta totals;
            totals.at(job->queue, job->name).dead = 1;
            totals.apply(connection_);
            forget_key(claim.id);
            transaction.commit();
            return true;
        });
    }

    std::optional<Job> find(const std::string& id) override {
        return locked([&]() -> std::optional<Job> {
            Query query(connection_, queries_.find);
            query->bind(1, id);
            if (!query->executeStep())
                return std::nullopt;
            return sqlite::read_job(*query);
        });
    }

    // A range on the primary key, [prefix, the prefix with its last byte raised): SQLite
    // compares text as bytes, so that is exactly the ids that start with it.
    std::vector<std::string> ids_with_prefix(const std::string& prefix,
                                             std::size_t limit) override {
        std::string end = prefix;
        while (!end.empty() && static_cast<unsigned char>(end.back()) == 0xff) end.pop_back();
        if (!end.empty())
            end.back() = static_cast<char>(static_cast<unsigned char>(end.back()) + 1);
        return locked([&] {
            Query query(connection_, end.empty() ? "SELECT id FROM kronix_jobs WHERE id >= ?1 "
                                                   "AND ?2 = '' ORDER BY id LIMIT ?3"
                                                 : "SELECT id FROM kronix_jobs WHERE id >= ?1 "
                                                   "AND id < ?2 ORDER BY id LIMIT ?3");
            query->bind(1, prefix);
            query->bind(2, end);
            query->bind(3, limit == 0 ? std::int64_t(-1) : std::int64_t(limit));
            std::vector<std::string> ids;
            while (query->executeStep()) ids.push_back(query->getColumn(0).getString());
            return ids;
        });
    }

    std::vector<Job> list(const ListFilter& filter) override {
        sql::FilterSql where(filter);
        return locked([&] {
            const std::string text = "SELECT " + queries_.columns + " FROM kronix_jobs WHERE " +
                                     where.where + where.order_by + " LIMIT ?";
            std::vector<Job> jobs;
            Query query(connection_, text);
            int next = where.bind(*query, 1);
            query->bind(next, sql::limit_or_all(filter.limit));
            while (query->executeStep()) jobs.push_back(sqlite::read_job(*query));
            return jobs;
        });
    }

    std::uint64_t size(const std::string& queue) override {
        return locked([&] {
            Query query(connection_, sql::kSize);
            query->bind(1, queue);
            query->executeStep();
            return std::uint64_t(query->getColumn(0).getInt64());
        });
    }

    std::uint64_t clear(const std::string& queue) override {
        return locked([&] {
            WriteTransaction transaction(connection_);
            Query query(connection_, sql::kClear);
            query->bind(1, queue);
            auto removed = std::uint64_t(query->exec());
            if (removed > 0)
                connection_.run(sql::kForgetOrphanKeys);
            transaction.commit();
            return removed;
        });
    }

    void put_record(const std::string& kind, const std::string& key,
                    const std::string& value) override {
        locked([&] { write_record(kind, key, value, system_now()); });
    }

    std::vector<Record> records(const std::string& kind) override {
        return locked([&] {
            Query query(connection_, sql::kRecords);
            query->bind(1, kind);
            std::vector<Record> out;
            while (query->executeStep()) {
                out.push_back(Record{query->getColumn(0).getString(),
                                     query->getColumn(1).getString(),
                                     sqlite::parse_time_text(query->getColumn(2).getText())});
            }
            return out;
        });
    }

    void change_record(const std::string& kind, const std::string& key,
                       const RecordChange& change) override {
        locked([&] {
            WriteTransaction transaction(connection_);
            const auto now = system_now();
            if (const auto changed = change(read_record(kind, key), now)) {
                write_record(kind, key, *changed, now);
            } else {
                Query remove(connection_, sql::kRemoveRecord);
                remove->bind(1, kind);
                remove->bind(2, key);
                remove->exec();
            }
            transaction.commit();
        });
    }

    std::uint64_t remove_records(const std::string& kind,
                                 const std::vector<std::string>& keys) override {
        return locked([&] {
            WriteTransaction transaction(connection_);
            std::uint64_t removed = 0;
            for (const auto& key : keys) {
                Query query(connection_, sql::kRemoveRecord);
                query->bind(1, kind);
                query->bind(2, key);
                removed += std::uint64_t(query->exec());
            }
            transaction.commit();
            return removed;
        });
    }

    void put_attempt_logs(const std::vector<AttemptLog>& logs) override {
        locked([&] {
            WriteTransaction transaction(connection_);
            const std::int64_t now_ms = system_now().time_since_epoch().count();
            for (const auto& log : logs)
                store_attempt_log(log.job_id, log.attempt, attempt_log_body(log), now_ms);
            transaction.commit();
        });
    }

    std::vector<AttemptLog> attempt_logs(const std::string& job_id) override {
        return locked([&] {
            Query query(connection_, sql::kAttemptLogs);
            query->bind(1, job_id);
            std::map<int, std::string> bodies;
            while (query->executeStep())
                bodies[query->getColumn(0).getInt()] = query->getColumn(1).getString();
            // A completion's log in a group is the attempt's final one: it replaces a live copy.
            for_each_grouped_log(
                job_id, [&](int attempt, std::string body) { bodies[attempt] = std::move(body); });
            return attempt_logs_from_bodies(job_id, bodies);
        });
    }

    // The group of a completed job shares its finished_at; a job that is gone (pruned,
    // cleared) leaves only a scan of the groups that mention its id.
    template <class Visit>
    void for_each_grouped_log(const std::string& job_id, Visit visit) {
        Query exists(connection_, sql::kJobExists);
        exists->bind(1, job_id);
        const bool job_exists = exists->executeStep();
        exists->reset();
        Query groups(connection_,
                     job_exists ? sql::kAttemptLogGroupOfJob : sql::kAttemptLogGroupsMentioning);
        groups->bind(1, job_exists ? job_id
                                   : nlohmann::json(job_id).dump(
                                         -1, ' ', false, nlohmann::json::error_handler_t::replace));
        while (groups->executeStep()) {
            const auto group = nlohmann::json::parse(groups->getColumn(0).getString(), nullptr,
                                                     /*allow_exceptions=*/false);
            const auto entry = group.is_object() ? group.find(job_id) : group.end();
            if (entry != group.end() && entry->is_array() && entry->size() == 2 &&
                (*entry)[0].is_number_integer() && (*entry)[1].is_string())
                visit((*entry)[0].get<int>(), (*entry)[1].get<std::string>());
        }
    }

    std::uint64_t prune_attempt_logs(Milliseconds older_than) override {
        return locked([&] {
            const auto cutoff =
                std::int64_t((system_now() - older_than).time_since_epoch().count());
            WriteTransaction transaction(connection_);
            Query query(connection_, sql::kPruneAttemptLogs);
            query->bind(1, cutoff);
            auto removed = std::uint64_t(query->exec());
            Query groups(connection_, sql::kPruneAttemptLogGroups);
            groups->bind(1, cutoff);
            while (groups->executeStep()) removed += std::uint64_t(groups->getColumn(0).getInt64());
            transaction.commit();
            return removed;
        });
    }

    bool cancel(const std::string& id) override {
        return locked([&] {
            WriteTransaction transaction(connection_);
            std::optional<QueueAndName> job;
            {
                Query query(connection_, sql::kCancel);
                query->bind(1, id);
                query->bind(2, time_text(system_now()));
                if (query->executeStep()) {
                    job = QueueAndName{query->getColumn(0).getString(),
                                       query->getColumn(1).getString()};
                }
            }
            if (!job)
                return false;
            TotalsDelta totals;
            totals.at(job->queue, job->name).dead = 1;
            totals.apply(connection_);
            forget_key(id);
            transaction.commit();
            return true;
        });
    }

    bool retry_dead(const std::string& id) override {
        bool done = locked([&] {
            Query query(connection_, sql::kRetryDead);
            query->bind(1, time_text(system_now()));
            query->bind(2, id);
            return query->exec() == 1;
        });
        if (done)
            wake_waiters();
        return done;
    }

    std::uint64_t retry_dead_matching(const ListFilter& filter) override {
        ListFilter dead = filter;
        dead.status = Status::failed;
        sql::FilterSql where(dead);
        const std::string text = sql::kDeadRetried +
                                 " WHERE id IN (SELECT id FROM kronix_jobs WHERE " + where.where +
                                 where.order_by + " LIMIT ?)";
        auto retried = locked([&] {
            Query query(connection_, text);
            query->bind(1, time_text(system_now()));
            int next = where.bind(*query, 2);
            query->bind(next, sql::limit_or_all(filter.limit));
            return std::uint64_t(query->exec());
        });
        if (retried > 0)
            wake_waiters();
        return retried;
    }

    std::uint64_t clear_dead(const ListFilter& filter) override {
        ListFilter dead = filter;
        dead.status = Status::failed;
        sql::FilterSql where(dead);
        const std::string text =
            "DELETE FROM kronix_jobs WHERE id IN (SELECT id FROM kronix_jobs WHERE " + where.where +
            where.order_by + " LIMIT ?)";
        return locked([&] {
            Query query(connection_, text);
            int next = where.bind(*query, 1);
            query->bind(next, sql::limit_or_all(filter.limit));
            return std::uint64_t(query->exec());
        });
    }

    std::vector<Job> recover_stale(Milliseconds stale_after, bool dry_run) override {
        std::vector<Job> stale;
        locked([&] {
            std::optional<WriteTransaction> transaction;
            if (!dry_run)
                transaction.emplace(connection_);
            TimePoint now = system_now();
            const std::string now_text = time_text(now);
            const std::string cutoff = time_text(now - stale_after);
            for (const auto& queue : queue_names()) {
                if (!dry_run) {
                    Query stamp(connection_, sql::kStampUntimedClaims);
                    stamp->bind(1, queue);
                    stamp->bind(2, now_text);
                    stamp->exec();
                }
                Query query(connection_, queries_.stale);
                query->bind(1, queue);
                query->bind(2, cutoff);
                while (query->executeStep()) stale.push_back(sqlite::read_job(*query));
            }
            if (dry_run)
                return;
            TotalsDelta totals;
            for (const auto& job : stale) {
                const StaleOutcome outcome = stale_outcome(job);
                Query query(connection_, outcome == StaleOutcome::dead ? sql::kRecoverToFailed
                                         : outcome == StaleOutcome::give_back
                                             ? sql::kRecoverUncharged
                                             : sql::kRecoverToPending);
                query->bind(1, job.id);
                query->bind(2, now_text);
                query->exec();
                Totals& t = totals.at(job.queue, job.name);
                if (outcome == StaleOutcome::dead) {
                    t.dead += 1;
                    forget_key(job.id);
                } else if (outcome == StaleOutcome::retry) {
                    t.retries += 1;  // the lost run was a failed attempt, counted like any other
                }
            }
            totals.apply(connection_);
            transaction->commit();
        });
        if (!dry_run && !stale.empty())
            wake_waiters();
        return stale;
    }

    std::uint64_t prune(Milliseconds older_than, std::size_t limit,
                        const PruneScope& scope) override {
        const std::string cutoff = time_text(system_now() - older_than);
        std::uint64_t removed = 0;
        std::vector<std::string> queues;
        if (scope.queue)
            queues.push_back(*scope.queue);
        else
            queues = locked([&] { return queue_names(); });
        for (const auto& queue : queues) {
            for (const auto status_value : prune_statuses(scope)) {
                const std::string status(to_string(status_value));
                // One bounded transaction per batch; the lock is let go between batches.
                while (limit == 0 || removed < limit) {
                    std::size_t batch =
                        limit == 0 ? kPruneBatch : std::min(kPruneBatch, limit - removed);
                    auto n = locked([&] {
                        Query query(connection_, sql::kPrune);
                        query->bind(1, queue);
                        query->bind(2, status);
                        query->bind(3, cutoff);
                        query->bind(4, std::int64_t(batch));
                        return std::uint64_t(query->exec());
                    });
                    removed += n;
                    if (n < batch)
                        break;
                }
            }
        }
        return removed;
    }

    std::vector<std::string> migrate(const MigrateOptions& options) override {
        if (!options.priorities)
            return {};
        return locked([&] {
            auto actions = sqlite::add_priorities(connection_);
            priorities_ = true;
            queries_ = sql::JobQueries(true);
            return actions;
        });
    }

    Stats stats() override {
        return locked([&] { return sqlite::read_stats(connection_, system_now()); });
    }

    void wait_for_jobs(const std::vector<std::string>& queues, Milliseconds timeout) override {
        using Clock = std::chrono::steady_clock;
        if (timeout <= Milliseconds{0})
            return;
        auto deadline = Clock::now() + timeout;
        if (auto next = watched([&] { return next_due_in(queues); }))
            deadline = std::min(deadline, Clock::now() + *next);

        // Pushes through this object wake at once. Commits by other processes show as a new
        // data_version; one waiting thread (the poller) looks every kPollInterval and wakes the
        // rest, so N idle threads cost what one does.
        std::unique_lock lock(wake_mutex_);
        const std::uint64_t generation = wakes_;
        bool poller = false;
        auto leave = [&] {
            if (poller) {
                polling_ = false;
                wake_.notify_all();  // someone else takes over polling
            }
        };
        while (true) {
            if (wakes_ != generation || Clock::now() >= deadline) {
                leave();
                return;
            }
            if (!poller && polling_) {
                wake_.wait_until(lock, deadline);
                continue;
            }
            poller = polling_ = true;
            auto until = std::min(deadline, Clock::now() + kPollInterval);
            if (wake_.wait_until(lock, until, [&] { return wakes_ != generation; }))
                continue;
            lock.unlock();
            bool changed = false;
            try {
                changed = watched([&] { return data_changed(); });
            } catch (...) {
                lock.lock();
                leave();
                throw;
            }
            lock.lock();
            if (changed) {
                ++wakes_;
                wake_.notify_all();
            }
        }
    }

  private:
    // Inside a write transaction.
    void store_attempt_log(const std::string& job_id, int attempt, const std::string& body,
                           std::int64_t now_ms) {
        Query query(connection_, sql::kPutAttemptLog);
        query->bind(1, job_id);
        query->bind(2, attempt);
        query->bind(3, now_ms);
        query->bind(4, body);
        query->exec();
    }

    // Runs f holding the connection, with SQLite's errors turned into libqueue's.
    template <class F>
    auto locked(F&& f) -> decltype(f()) {
        std::lock_guard lock(mutex_);
        try {
            return f();
        } catch (const SQLite::Exception& e) {
            connection_.raise(e);
        }
    }

    PushResult insert(const NewJob& job, TimePoint now, const std::string& now_text,
                      TotalsDelta& totals) {
        if (job.unique_key) {
            Query holder(connection_, sql::kKeyHolder);
            holder->bind(1, *job.unique_key);
            if (holder->executeStep()) {
                PushResult existing;
                existing.id = holder->getColumn(0).getString();
                existing.created = false;
                return existing;
            }
        }
        PushResult result;
        result.id = job.id.empty() ? new_job_id() : job.id;
        std::string later_due;
        {
            Query insert(connection_, sql::kInsert);
            bind_row(*insert, 0, result.id, job, now_text,
                     due_text_of(job, now, now_text, later_due));
            try {
                insert->exec();
            } catch (const SQLite::Exception& e) {
                if ((e.getErrorCode() & 0xff) == SQLITE_CONSTRAINT) {
                    throw DataError("job id '" + result.id + "' already exists");
                }
                throw;
            }
        }
        if (job.unique_key) {
            Query take(connection_, sql::kTakeKey);
            take->bind(1, *job.unique_key);
            take->bind(2, result.id);
            take->exec();
        }
        set_priority(result.id, job.priority);
        totals.at(job.queue, job.name).pushed += 1;
        return result;
    }

    // A job's priority, written after its row: the inserts stay the same for every table, and
    // default jobs (most) cost nothing more.
    void set_priority(const std::string& id, int priority) {
        if (priority == 0)
            return;
        Query query(connection_, sql::kSetPriority);
        query->bind(1, id);
        query->bind(2, priority);
        query->exec();
    }

    // Caller holds the lock.
    std::optional<std::string> read_record(const std::string& kind, const std::string& key) {
        Query read(connection_, sql::kRecord);
        read->bind(1, kind);
        read->bind(2, key);
        if (!read->executeStep())
            return std::nullopt;
        return read->getColumn(0).getString();
    }

    // Creates or replaces a record, written at `now`. Caller holds the lock.
    void write_record(const std::string& kind, const std::string& key, const std::string& value,
                      TimePoint now) {
        Query write(connection_, sql::kPutRecord);
        write->bind(1, kind);
        write->bind(2, key);
        write->bind(3, value);
        write->bind(4, time_text(now));
        write->exec();
    }

    void check_priorities(std::span<const NewJob> jobs) const {
        if (!priorities_)
            refuse_priorities(jobs, settings_.path.string() + ": table kronix_jobs");
    }

    // The next kInsertRows jobs from `first` can go in one kInsertMany: none claims a unique key
    // (a key's check must see the rows inserted before it).
    static bool groupable(const std::vector<NewJob>& jobs, std::size_t first) {
        if (jobs.size() - first < std::size_t(sql::kInsertRows))
            return false;
        return std::none_of(jobs.begin() + std::ptrdiff_t(first),
                            jobs.begin() + std::ptrdiff_t(first) + sql::kInsertRows,
                            [](const NewJob& job) { return job.unique_key.has_value(); });
    }

    // Inserts kInsertRows jobs from `jobs` with one statement. A duplicate id fails the whole
    // statement (SQLite undoes its rows); the rows then go one by one, so the error names the id.
    void insert_group(const NewJob* jobs, TimePoint now, const std::string& now_text,
                      TotalsDelta& totals, std::vector<PushResult>& pushed) {
        // Bound without copies: these strings outlive the statement's execution.
        std::array<std::string, sql::kInsertRows> ids;
        std::array<std::string, sql::kInsertRows> later_dues;
        bool duplicate = false;
        {
            Query insert(connection_, sql::kInsertMany);
            for (int row = 0; row < sql::kInsertRows; ++row) {
                const NewJob& job = jobs[row];
                ids[row] = job.id.empty() ? new_job_id() : job.id;
                bind_row(*insert, row, ids[row], job, now_text,
                         due_text_of(job, now, now_text, later_dues[row]));
            }
            try {
                insert->exec();
            } catch (const SQLite::Exception& e) {
                if ((e.getErrorCode() & 0xff) != SQLITE_CONSTRAINT)
                    throw;
                duplicate = true;
            }
        }
        for (int row = 0; row < sql::kInsertRows; ++row) {
            if (duplicate) {
                pushed.push_back(insert(jobs[row], now, now_text, totals));
                continue;
            }
            PushResult result;
            result.id = std::move(ids[row]);
            set_priority(result.id, jobs[row].priority);
            pushed.push_back(std::move(result));
            totals.at(jobs[row].queue, jobs[row].name).pushed += 1;
        }
    }

    // A job's available_at as text: now's for a job due at once (most are), else written into
    // `later` (which the caller keeps alive while the text is bound).
    static const std::string& due_text_of(const NewJob& job, TimePoint now,
                                          const std::string& now_text, std::string& later) {
        if (!job.run_at && job.delay.count() == 0)
            return now_text;
        later = time_text(job.run_at ? *job.run_at : now + job.delay);
        return later;
    }

    // Binds one row of kInsert's parameters at row `row` of a (multi-row) insert, without
    // copying: the caller keeps every string alive until the statement has run.
    static void bind_row(SQLite::Statement& insert, int row, const std::string& id,
                         const NewJob& job, const std::string& now_text,
                         const std::string& due_text) {
        const int base = row * sql::kInsertParams;
        insert.bindNoCopy(base + 1, id);
        insert.bindNoCopy(base + 2, job.name);
        insert.bindNoCopy(base + 3, job.queue);
        insert.bind(base + 4, job.max_retries);
        insert.bindNoCopy(base + 5, job.payload);
        insert.bindNoCopy(base + 6, now_text);
        insert.bindNoCopy(base + 7, due_text);
        insert.bind(base + 8, job.attempts);
    }

    bool any_due(const std::vector<std::string>& queues, const std::string& now_text) {
        for (const auto& queue : queues) {
            Query query(connection_, sql::kAnyDue);
            query->bind(1, queue);
            query->bind(2, now_text);
            if (query->executeStep())
                return true;
        }
        return false;
    }

    // A due row's id, and what is wrong with its available_at when that cannot be read.
    struct DueRow {
        std::string id;
        std::optional<std::string> unreadable_time;
    };

    std::vector<DueRow> due_ids(const std::string& queue, TimePoint now,
                                const std::string& now_text, std::size_t limit) {
        std::vector<DueRow> due;
        if (priorities_) {
            Query query(connection_, sql::kDueUrgentOrUntimed);
            query->bind(1, queue);
            query->bind(2, now_text);
            query->bind(3, std::int64_t(limit));
            while (due.size() < limit && query->executeStep())
                due.push_back({query->getColumn(0).getString(), {}});
        } else {
            Query query(connection_, sql::kDueWithoutTime);
            query->bind(1, queue);
            query->bind(2, std::int64_t(limit));
            while (query->executeStep()) due.push_back({query->getColumn(0).getString(), {}});
        }
        // Rows rewritten below were not due after all; in q's form they sort after now, so
        // another pass finds the due rows behind them (never the same row twice). Without it, a
        // claim could come back empty while jobs are due, and a --stop-when-empty worker stop.
        std::set<std::string> kept;
        for (const auto& row : due) kept.insert(row.id);
        bool rewrote = true;
        while (due.size() < limit && rewrote) {
            Query query(connection_, sql::kDue);
            query->bind(1, queue);
            query->bind(2, now_text);
            query->bind(3, std::int64_t(limit));  // rows kept by an earlier pass come again
            std::vector<std::pair<std::string, std::string>> rewrites;
            while (query->executeStep() && due.size() < limit) {
                DueRow row{query->getColumn(0).getString(), {}};
                if (!kept.insert(row.id).second)
                    continue;
                const std::string text = query->getColumn(1).getString();
                try {
                    const TimePoint due_at = sqlite::parse_time_text(text);
                    // Another program's form compares as text only roughly ("2026-12-02
                    // 16:00:00" sorts before every "2026-12-02T…"): stored in q's form, it
                    // sorts right from now on.
                    if (due_at > now && !sqlite::is_time_text(text)) {
                        rewrites.emplace_back(row.id, sqlite::time_text(due_at));
                        continue;
                    }
                } catch (const DataError& e) {
                    row.unreadable_time = e.what();
                }
                due.push_back(std::move(row));
            }
            for (const auto& [id, text] : rewrites) {
                Query rewrite(connection_, sql::kSetAvailableAt);
                rewrite->bind(1, id);
                rewrite->bind(2, text);
                rewrite->exec();
            }
            rewrote = !rewrites.empty();
        }
        return due;
    }

    // Runs an outcome statement for claim; nullopt when the job is not processing under it.
    template <class Bind>
    std::optional<QueueAndName> change_claimed(const std::string& text, const Claim& claim,
                                               Bind&& bind_rest) {
        Query query(connection_, text);
        query->bind(1, claim.id);
        query->bind(2, claim.token);
        bind_rest(*query);
        if (!query->executeStep())
            return std::nullopt;
        return QueueAndName{query->getColumn(0).getString(), query->getColumn(1).getString()};
    }

    void forget_key(const std::string& id) {
        Query query(connection_, sql::kForgetKey);
        query->bind(1, id);
        query->exec();
    }

    std::vector<std::string> queue_names() {
        std::vector<std::string> names;
        Query query(connection_, sql::kQueues);
        while (query->executeStep()) names.push_back(query->getColumn(0).getString());
        return names;
    }

    // Runs f on the watch connection (opened on first use), with SQLite's errors translated.
    template <class F>
    auto watched(F&& f) -> decltype(f()) {
        std::lock_guard lock(watch_mutex_);
        try {
            if (!watch_) {
                watch_ = std::make_unique<Connection>(settings_.path, "NORMAL");
                seen_version_ = data_version();
            }
            return f();
        } catch (const SQLite::Exception& e) {
            watch_->raise(e);
        }
    }

    // Whether any connection committed since the last look (watch_mutex_ held).
    bool data_changed() {
        std::int64_t version = data_version();
        bool changed = version != seen_version_;
        seen_version_ = version;
        return changed;
    }

    std::int64_t data_version() {
        Query query(*watch_, sql::kDataVersion);
        query->executeStep();
        return query->getColumn(0).getInt64();
    }

    // How long until the earliest delayed job of queues becomes due (watch_mutex_ held).
    std::optional<Milliseconds> next_due_in(const std::vector<std::string>& queues) {
        TimePoint now = system_now();
        std::optional<TimePoint> earliest;
        for (const auto& queue : queues) {
            Query query(*watch_, sql::kNextDue);
            query->bind(1, queue);
            query->bind(2, time_text(now));
            if (query->executeStep() && !query->isColumnNull(0)) {
                // Another program's unreadable time only makes this wait the full timeout.
                try {
                    TimePoint due = sqlite::parse_time_text(query->getColumn(0).getText());
                    earliest = earliest ? std::min(*earliest, due) : due;
                } catch (const DataError&) {
                }
            }
        }
        if (!earliest)
            return std::nullopt;
        return std::max(Milliseconds{0}, *earliest - now) + Milliseconds{1};
    }

    void wake_waiters() {
        {
            std::lock_guard lock(wake_mutex_);
            ++wakes_;
        }
        wake_.notify_all();
    }

    sqlite::Settings settings_;
    std::mutex mutex_;
    Connection connection_;
    // Whether kronix_jobs has q_priority (set once it is known; q migrate --priorities adds it),
    // and the statements for that table. queries_ is read and changed under mutex_ only.
    std::atomic<bool> priorities_;
    sql::JobQueries queries_;

    // wait_for_jobs polls on a connection of its own, so waiting never holds mutex_.
    std::mutex watch_mutex_;
    std::unique_ptr<Connection> watch_;
    std::int64_t seen_version_ = 0;  // data_version at the poller's last look

    std::mutex wake_mutex_;
    std::condition_variable wake_;
    std::uint64_t wakes_ = 0;  // bumped by every push and every commit the poller notices
    bool polling_ = false;     // one waiting thread polls data_version at a time
};

}  // namespace

std::unique_ptr<QueueDriver> make_sqlite_driver(const DriverContext& context) {
    return std::make_unique<SqliteDriver>(sqlite::read_settings(context));
}

}  // namespace libqueue
