// The redis driver: every state change is one Lua script (scripts.hpp, lua_sources.cpp), so it
// is atomic on the server; connections come from a pool that reconnects (pool.hpp).
#include "drivers/redis/redis_driver.hpp"

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "drivers/redis/job_hash.hpp"
#include "drivers/redis/pool.hpp"
#include "drivers/redis/redis_stats.hpp"
#include "drivers/redis/redis_url.hpp"
#include "drivers/redis/scripts.hpp"
#include "libqueue/errors.hpp"

namespace libqueue {

namespace {

using redis::Command;
using redis::Connection;
using redis::ReplyPtr;
using redis::ScriptId;

constexpr std::size_t kBatchChunk = 100;    // jobs per push script call inside a batch
constexpr std::size_t kPipelineChunk = 64;  // commands sent before their replies are read
constexpr std::size_t kScanChunk = 500;     // ids read per round trip when listing
// A status filter in id order reads the state's sets whole and sorts them when they hold at most
// this many ids in all (a few dead jobs among millions), else walks every id of the queues.
constexpr long long kSmallStateSets = 10'000;
constexpr std::int64_t kSweepChunk = 1000;  // jobs per clear/prune/recover script call
// Completions per script call: a batch of any size is one round trip (the calls are pipelined),
// while one call stays short enough not to stall the server for other clients.
constexpr std::size_t kCompleteChunk = 500;

// Job ids, each with its queue.
using QueuedIds = std::vector<std::pair<std::string, std::string>>;

// The job id a member of the state set of `status` names (pending members carry more).
std::string_view id_of_member(Status status, std::string_view member) {
    return status == Status::pending ? redis::id_of_pending_member(member) : member;
}

// The sorted set holding a queue's jobs in `status`, under the queue's base key.
const std::string& state_set(Status status) {
    static const std::map<Status, std::string> sets{{Status::pending, "pending"},
                                                    {Status::processing, "reserved"},
                                                    {Status::completed, "completed"},
                                                    {Status::failed, "dead"}};
    return sets.at(status);
}

struct Settings {
    redis::RedisUrl url;
    std::string prefix = "q";
    Milliseconds stale_after{300'000};
    bool keep_completed = true;
};

Settings read_settings(const DriverContext& context) {
    Settings settings;
    const auto& section = context.section;
    settings.url = redis::parse_redis_url(section.value("url", "redis://127.0.0.1:6379/0"));
    if (!settings.url.password) {
        if (const char* password = std::getenv("Q_REDIS_PASSWORD"); password && *password) {
            settings.url.password = password;
        }
    }
    settings.prefix = section.value("prefix", settings.prefix);
    // The visibility timeout of claim's reclaim: the same stale_after the workers heartbeat
    // against (the config reads the Dart queue system's redis.retry_after into it).
    settings.stale_after = context.config.stale_after;
    settings.keep_completed = context.config.keep_completed;
    return settings;
}

std::string ms_text(Milliseconds d) {
    return std::to_string(d.count());
}

// Restores a connection's reply timeout after a blocking or long command.
class TimeoutScope {
  public:
    TimeoutScope(Connection& connection, Milliseconds timeout) : connection_(connection) {
        connection_.set_command_timeout(timeout);
    }
    ~TimeoutScope() {
        if (!connection_.broken()) {
            try {
                connection_.set_command_timeout(connection_.default_command_timeout());
            } catch (const std::exception&) {
                // The connection is marked broken and will not be reused.
            }
        }
    }
    TimeoutScope(const TimeoutScope&) = delete;
    TimeoutScope& operator=(const TimeoutScope&) = delete;

  private:
    Connection& connection_;
};

class RedisDriver final : public QueueDriver {
  public:
    explicit RedisDriver(Settings settings)
        : settings_(std::move(settings)), pool_(settings_.url, redis::PoolSettings{}) {
        pool_.run([&](Connection& c, int) { scripts_.load_all(c); });
    }

    std::string name() const override { return "redis"; }
    Capabilities capabilities() const override { return {}; }

    TimePoint now() override {
        return pool_.run([](Connection& c, int) { return redis::server_now(c); });
    }

    PushResult store_one(const NewJob& job) override {
        std::string id = job.id.empty() ? new_job_id() : job.id;
        std::vector<std::string> args{settings_.prefix, "0", "1"};
        append_push_args(args, job, id);
        bool retried = false;
        auto reply = pool_.run([&](Connection& c, int attempt) {
            retried = attempt > 0;
            args[1] = retried ? "1" : "0";
            return scripts_.run(c, ScriptId::push, args);
        });
        return push_result(*reply, 0, id, retried);
    }

    std::vector<PushResult> store_batch(const std::vector<NewJob>& jobs) override {
        // Check every id before writing anything.
        std::vector<std::string> ids;
        std::set<std::string> given;
        for (std::size_t i = 0; i < jobs.size(); ++i) {
            if (!jobs[i].id.empty() && !given.insert(jobs[i].id).second) {
                throw DataError("batch job " + std::to_string(i + 1) + ": id '" + jobs[i].id +
                                "' appears twice in the batch");
            }
            ids.push_back(jobs[i].id.empty() ? new_job_id() : jobs[i].id);
        }
        if (!given.empty())
            refuse_taken_ids(given);

        return pool_.run([&](Connection& c, int attempt) {
            return run_batch_transaction(c, jobs, ids, attempt > 0);
        });
    }

    PushResult store_tick(const NewJob& job, const ScheduleTick& tick) override {
        std::vector<std::string> args{settings_.prefix, tick.schedule, format_iso8601(tick.tick)};
        append_push_args(args, job, job.id);
        auto reply = pool_.run(
            [&](Connection& c, int) { return scripts_.run(c, ScriptId::push_tick, args); });
        return {std::string(redis::text(redis::element(*reply, 0))),
                redis::integer(redis::element(*reply, 1)) == 1};
    }

    std::vector<Job> claim(const ClaimRequest& request) override {
        if (request.queues.empty() || request.limit == 0)
            return {};
        std::vector<std::string> args{settings_.prefix, ms_text(settings_.stale_after),
                                      std::to_string(request.limit),
                                      std::to_string(request.queues.size())};
        args.insert(args.end(), request.queues.begin(), request.queues.end());
        const auto first_token = args.size();
        args.resize(first_token + request.limit);
        // A claim whose reply was lost reserved jobs nobody runs: they come back once stale
        // (at least once). The retry claims again, with fresh tokens.
        auto reply = pool_.run([&](Connection& c, int) {
            for (std::size_t i = first_token; i < args.size(); ++i) {
                args[i] = claim_token(request, i - first_token);  // the i-th job claimed
            }
            return scripts_.run(c, ScriptId::claim, args);
        });
        std::vector<Job> jobs;
        for (std::size_t i = 0; i < redis::size(*reply); ++i) {
            jobs.push_back(redis::job_from_hash(redis::element(*reply, i)));
        }
        return jobs;
    }

    bool heartbeat(const Claim& claim) override { return outcome(ScriptId::heartbeat, claim, {}); }

    bool complete(const Claim& claim, Milliseconds ran_for) override {
        return outcome(
            ScriptId::complete, claim,
            {ms_text(std::max(ran_for, Milliseconds{0})), settings_.keep_completed ? "1" : "0"});
    }

    // One round trip: each chunk of completions is one script call (so one chunk is atomic),
    // and the calls go out as one pipeline. Result i is what complete() would have said.
    std::vector<bool> complete_batch(const std::vector<Completion>& completions) override {
        if (completions.empty())
            return {};
        const std::string keep = settings_.keep_completed ? "1" : "0";
        std::vector<std::vector<std::string>> calls;
        for (std::size_t start = 0; start < completions.size(); start += kCompleteChunk) {
            auto end = std::min(completions.size(), start + kCompleteChunk);
            std::vector<std::string> args{settings_.prefix, "0", keep, std::to_string(end - start)};
            args.reserve(4 + 5 * (end - start));
            for (std::size_t i = start; i < end; ++i) {
                const auto& c = completions[i];
                args.push_back(c.claim.id);
                args.push_back(c.claim.token);
                args.push_back(ms_text(std::max(c.ran_for, Milliseconds{0})));
            }
            for (std::size_t i = start; i < end; ++i) {
                const auto& log = completions[i].log;
                args.push_back(log ? std::to_string(log->attempt) : "0");
                args.push_back(log ? attempt_log_body(*log) : std::string());
            }
            calls.push_back(std::move(args));
        }
        return pool_.run([&](Connection& c, int attempt) {
            // As for complete(): a retry accepts completions that its lost first try applied.
            for (auto& args : calls) args[1] = attempt > 0 ? "1" : "0";
            auto replies = scripts_.run_all(c, ScriptId::complete_batch, calls);
            std::vector<bool> applied;
            applied.reserve(completions.size());
            for (const auto& reply : replies) {
                for (std::size_t i = 0; i < redis::size(*reply); ++i) {
                    applied.push_back(redis::integer(redis::element(*reply, i)) == 1);
                }
            }
            if (applied.size() != completions.size())
                throw InternalError(c.where() + ": complete_batch: unexpected reply shape");
            return applied;
        });
    }

    bool release(const Claim& claim, Milliseconds delay, const std::string& error) override {
        return outcome(ScriptId::release, claim,
                       {ms_text(std::max(delay, Milliseconds{0})), error});
    }

    bool put_back(const Claim& claim, Milliseconds delay) override {
        return outcome(ScriptId::put_back, claim, {ms_text(std::max(delay, Milliseconds{0}))});
    }

    bool fail(const Claim& claim, const std::string& error) override {
        return outcome(ScriptId::fail, claim, {error});
    }

    std::optional<Job> find(const std::string& id) override {
        auto reply = run_script(ScriptId::find, {settings_.prefix, id});
        if (redis::size(*reply) == 0)
            return std::nullopt;
        return redis::job_from_hash(*reply);
    }

    std::vector<Job> list(const ListFilter& filter) override {
        return pool_.run([&](Connection& c, int) { return list_on(c, filter); });
    }

    std::vector<std::string> ids_with_prefix(const std::string& prefix,
                                             std::size_t limit) override {
        return pool_.run([&](Connection& c, int) {
            std::vector<std::string> ids;
            std::string from = "[" + prefix;
            const auto queues = queue_names(c, std::nullopt);
            for (;;) {
                const auto next = ids_after(c, queues, from, kScanChunk);
                for (const auto& [id, queue] : next) {
                    if (id.compare(0, prefix.size(), prefix) != 0 ||
                        (limit != 0 && ids.size() == limit))
                        return ids;
                    ids.push_back(id);
                }
                if (next.size() < kScanChunk)
                    return ids;
                from = "(" + next.back().first;
            }
        });
    }

    // Records of a kind are one hash, PREFIX:records:KIND, each field "MS VALUE": the server's
    // time at the put, a space, then the caller's value.
    void put_record(const std::string& kind, const std::string& key,
                    const std::string& value) override {
        pool_.run([&](Connection& c, int) {
            const auto at = redis::epoch_ms(redis::server_now(c));
            auto reply =
                c.command({"HSET", records_key(kind), key, std::to_string(at) + " " + value});
            c.expect(reply, "HSET");
        });
    }

    std::vector<Record> records(const std::string& kind) override {
        return pool_.run([&](Connection& c, int) {
            auto reply = c.command({"HGETALL", records_key(kind)});
            const auto& flat = c.expect(reply, "HGETALL");
            std::vector<Record> out;
            for (std::size_t i = 0; i + 1 < redis::size(flat); i += 2) {
                auto record = stored_record(std::string(redis::text(redis::element(flat, i + 1))));
                if (!record)
                    continue;  // not written by put_record: not a record
                out.push_back(Record{std::string(redis::text(redis::element(flat, i))),
                                     std::move(record->second),
                                     redis::from_epoch_ms(record->first)});
            }
            return out;
        });
    }

    // A record's field as put_record writes it, "MS VALUE": (MS, VALUE); nullopt for anything
    // else.
    static std::optional<std::pair<long long, std::string>> stored_record(const std::string& text) {
        const auto space = text.find(' ');
        long long at = 0;
        if (space == std::string::npos ||
            std::from_chars(text.data(), text.data() + space, at).ec != std::errc{})
            return std::nullopt;
        return std::pair(at, text.substr(space + 1));
    }

    // Optimistic: WATCH the kind's hash, read the record and the server's clock in one round
    // trip, then write in MULTI/EXEC, which fails (and the change is retried) when another
    // client changed the hash in between. A connection left inside the WATCH by an error is not
    // reused.
    void change_record(const std::string& kind, const std::string& key,
                       const RecordChange& change) override {
        const auto hash = records_key(kind);
        pool_.run([&](Connection& c, int) {
            try {
                while (!change_record_once(c, hash, key, change)) {
                }
            } catch (...) {
                c.mark_broken();
                throw;
            }
        });
    }

    // One optimistic try of change_record: false when another client got in between.
    static bool change_record_once(Connection& c, const std::string& hash, const std::string& key,
                                   const RecordChange& change) {
        auto read = c.pipeline({{"WATCH", hash}, {"HGET", hash, key}, {"TIME"}});
        c.expect(read[0], "WATCH");
        const auto& stored = c.expect(read[1], "HGET");
        const auto now = redis::time_of(c.expect(read[2], "TIME"));
        std::optional<std::string> value;
        if (!redis::is_nil(stored)) {
            if (auto record = stored_record(std::string(redis::text(stored))))
                value = std::move(record->second);
        }
        const auto changed = change(value, now);
        redis::Command write =
            changed ? redis::Command{"HSET", hash, key,
                                     std::to_string(redis::epoch_ms(now)) + " " + *changed}
                    : redis::Command{"HDEL", hash, key};
        auto replies = c.pipeline({{"MULTI"}, write, {"EXEC"}});
        c.expect(replies[0], "MULTI");
        if (redis::is_nil(*replies[2]))
            return false;  // the WATCH saw another write: nothing was written
        c.expect(replies[2], "EXEC");
        return true;
    }

    std::uint64_t remove_records(const std::string& kind,
                                 const std::vector<std::string>& keys) override {
        if (keys.empty())
            return 0;
        return pool_.run([&](Connection& c, int) {
            redis::Command command{"HDEL", records_key(kind)};
            command.insert(command.end(), keys.begin(), keys.end());
            auto reply = c.command(command);
            return std::uint64_t(redis::integer(c.expect(reply, "HDEL")));
        });
    }

    // A job's attempt logs are one hash, PREFIX:logs:ID, field = attempt, value = the body; the
    // sorted set PREFIX:logs holds each such job id scored by its last write (ms), which is
    // what prune_attempt_logs goes by: a job's logs go together.
    // (complete_batch writes its logs in its script.)
    void put_attempt_logs(const std::vector<AttemptLog>& logs) override {
        if (logs.empty())
            return;
        pool_.run([&](Connection& c, int) {
            const auto at = std::to_string(redis::epoch_ms(system_now()));
            std::vector<redis::Command> commands;
            for (const auto& log : logs) {
                commands.push_back({"HSET", logs_key(log.job_id), std::to_string(log.attempt),
                                    attempt_log_body(log)});
                commands.push_back({"ZADD", settings_.prefix + ":logs", at, log.job_id});
            }
            for (const auto& reply : c.pipeline(commands)) c.expect(reply, "HSET/ZADD");
        });
    }

    std::vector<AttemptLog> attempt_logs(const std::string& job_id) override {
        const auto job = find(job_id);
        return attempt_logs_from_bodies(job_id, pool_.run([&](Connection& c, int) {
            auto reply = c.command({"HGETALL", logs_key(job_id)});
            const auto& flat = c.expect(reply, "HGETALL");
            std::map<int, std::string> out;
            for (std::size_t i = 0; i + 1 < redis::size(flat); i += 2) {
                const auto field = redis::text(redis::element(flat, i));
                int attempt = 0;
                if (std::from_chars(field.data(), field.data() + field.size(), attempt).ec !=
                    std::errc{})
                    continue;  // not written by put_attempt_logs
                out[attempt] = std::string(redis::text(redis::element(flat, i + 1)));
            }
            // A completion's log in a group is the attempt's final one: it replaces a live copy.
            for (const auto& entry : grouped_logs(c, job_id, job)) {
                const auto space = entry.find(' ');
                int attempt = 0;
                if (space != std::string::npos &&
                    std::from_chars(entry.data(), entry.data() + space, attempt).ec == std::errc{})
                    out[attempt] = entry.substr(space + 1);
            }
            return out;
        }));
    }

    // The group of a completed job is the one stamped with its finished_at; a job that is gone
    // (pruned, cleared) leaves only a look into every group.
    std::vector<std::string> grouped_logs(Connection& c, const std::string& job_id,
                                          const std::optional<Job>& job) const {
        std::vector<std::string> stamps;
        if (job) {
            if (job->status != Status::completed || !job->finished_at)
                return {};
            stamps.push_back(std::to_string(redis::epoch_ms(*job->finished_at)));
        } else {
            auto reply = c.command({"ZRANGE", settings_.prefix + ":loggroups", "0", "-1"});
            const auto& all = c.expect(reply, "ZRANGE");
            for (std::size_t i = 0; i < redis::size(all); ++i)
                stamps.emplace_back(redis::text(redis::element(all, i)));
        }
        std::vector<std::string> out;
        constexpr std::size_t page = 1000;
        for (std::size_t from = 0; from < stamps.size(); from += page) {
            std::vector<redis::Command> commands;
            for (std::size_t i = from; i < std::min(stamps.size(), from + page); ++i)
                commands.push_back({"HGET", log_group_key(stamps[i]), job_id});
            for (const auto& reply : c.pipeline(commands)) {
                if (!redis::is_nil(c.expect(reply, "HGET")))
                    out.emplace_back(redis::text(*reply));
            }
        }
        return out;
    }

    std::uint64_t prune_attempt_logs(Milliseconds older_than) override {
        return prune_keyed_logs(older_than, ":logs",
                                [this](const std::string& id) { return logs_key(id); }) +
               prune_keyed_logs(older_than, ":loggroups",
                                [this](const std::string& stamp) { return log_group_key(stamp); });
    }

    // Removes the hashes listed in the sorted set PREFIX+INDEX with a score before now -
    // older_than (key_of(member) names each); returns the fields they held (one per log).
    template <class KeyOf>
    std::uint64_t prune_keyed_logs(Milliseconds older_than, const std::string& index_suffix,
                                   KeyOf key_of) {
        constexpr int page = 500;
        return pool_.run([&](Connection& c, int) {
            const auto cutoff = redis::epoch_ms(redis::server_now(c) - older_than);
            const std::string index = settings_.prefix + index_suffix;
            std::uint64_t removed = 0;
            for (;;) {
                auto reply =
                    c.command({"ZRANGEBYSCORE", index, "-inf", "(" + std::to_string(cutoff),
                               "LIMIT", "0", std::to_string(page)});
                const auto& ids = c.expect(reply, "ZRANGEBYSCORE");
                if (redis::size(ids) == 0)
                    return removed;
                std::vector<redis::Command> commands;
                redis::Command forget{"ZREM", index};
                for (std::size_t i = 0; i < redis::size(ids); ++i) {
                    const std::string member(redis::text(redis::element(ids, i)));
                    commands.push_back({"HLEN", key_of(member)});
                    commands.push_back({"DEL", key_of(member)});
                    forget.push_back(member);
                }
                commands.push_back(forget);
                auto replies = c.pipeline(commands);
                for (std::size_t i = 0; i + 1 < replies.size(); i += 2)
                    removed += std::uint64_t(redis::integer(c.expect(replies[i], "HLEN")));
                c.expect(replies.back(), "ZREM");
                if (redis::size(ids) < std::size_t(page))
                    return removed;
            }
        });
    }

    std::uint64_t size(const std::string& queue) override {
        return pool_.run([&](Connection& c, int) {
            auto reply = c.command({"ZCARD", base(queue) + "pending"});
            return std::uint64_t(redis::integer(c.expect(reply, "ZCARD")));
        });
    }

    std::uint64_t clear(const std::string& queue) override {
        std::uint64_t total = 0;
        for (;;) {
            auto reply =
                run_script(ScriptId::clear, {settings_.prefix, queue, std::to_string(kSweepChunk)});
            auto n = redis::integer(*reply);
            total += std::uint64_t(n);
            if (n < kSweepChunk)
                return total;
        }
    }

    bool cancel(const std::string& id) override {
        return redis::integer(*run_script(ScriptId::cancel, {settings_.prefix, id})) == 1;
    }

    bool retry_dead(const std::string& id) override {
        return redis::integer(*run_script(ScriptId::retry_dead, {settings_.prefix, id})) == 1;
    }

    std::uint64_t retry_dead_matching(const ListFilter& filter) override {
        return for_each_dead(filter, ScriptId::retry_dead);
    }

    std::uint64_t clear_dead(const ListFilter& filter) override {
        return for_each_dead(filter, ScriptId::delete_dead);
    }

    std::vector<Job> recover_stale(Milliseconds stale_after, bool dry_run) override {
        std::vector<Job> out;
        for (const auto& queue : queues()) {
            for (;;) {
                auto reply =
                    run_script(ScriptId::recover,
                               {settings_.prefix, queue, ms_text(stale_after),
                                dry_run ? "-1" : std::to_string(kSweepChunk), dry_run ? "1" : "0"});
                for (std::size_t i = 0; i < redis::size(*reply); ++i) {
                    out.push_back(redis::job_from_hash(redis::element(*reply, i)));
                }
                if (dry_run || std::int64_t(redis::size(*reply)) < kSweepChunk)
                    break;
            }
        }
        return out;
    }

    std::uint64_t prune(Milliseconds older_than, std::size_t limit,
                        const PruneScope& scope) override {
        std::uint64_t total = 0;
        const auto statuses = prune_statuses(scope);
        if (statuses.empty())
            return 0;
        const std::string status = statuses.size() == 1 ? std::string(to_string(statuses[0])) : "";
        const auto chosen = scope.queue ? std::vector<std::string>{*scope.queue} : queues();
        for (const auto& queue : chosen) {
            for (;;) {
                std::int64_t chunk = kSweepChunk;
                if (limit != 0)
                    chunk = std::min<std::int64_t>(chunk, std::int64_t(limit - total));
                if (chunk <= 0)
                    return total;
                auto reply = run_script(
                    ScriptId::prune,
                    {settings_.prefix, queue, ms_text(older_than), std::to_string(chunk), status});
                auto n = redis::integer(*reply);
                total += std::uint64_t(n);
                if (n < chunk)
                    break;
            }
        }
        return total;
    }

    Stats stats() override {
        return pool_.run(
            [&](Connection& c, int) { return redis::read_stats(c, settings_.prefix); });
    }

    std::vector<std::string> warnings() override {
        return pool_.run([](Connection& c, int) { return redis::persistence_warnings(c); });
    }

    void wait_for_jobs(const std::vector<std::string>& queues, Milliseconds timeout) override {
        if (queues.empty() || timeout <= Milliseconds{0})
            return;
        // No reconnecting here: with the server away, waiting out the timeout is what a wait
        // should do, and the worker's next claim reports the outage (and stops stay prompt).
        try {
            pool_.run_once([&](Connection& c) { block_until_signal(c, queues, timeout); });
        } catch (const redis::ConnectionLost&) {
            std::this_thread::sleep_for(timeout);
        }
    }

  private:
    // Blocks in BLPOP on the queues' wake-up lists (push, release and recovery signal them), but
    // never past the due time of the earliest delayed job; returns at once when one is due.
    void block_until_signal(Connection& c, const std::vector<std::string>& queues,
                            Milliseconds timeout) {
        std::vector<Command> peek{{"TIME"}};
        for (const auto& queue : queues) {
            peek.push_back({"ZRANGE", base(queue) + "pending", "0", "0", "WITHSCORES"});
        }
        auto replies = c.pipeline(peek);
        const auto& time = c.expect(replies[0], "TIME");
        std::int64_t now = redis::integer(redis::element(time, 0)) * 1000 +
                           redis::integer(redis::element(time, 1)) / 1000;
        auto wait = timeout;
        for (std::size_t i = 1; i < replies.size(); ++i) {
            const auto& first = c.expect(replies[i], "ZRANGE");
            if (redis::size(first) < 2)
                continue;
            auto due = std::int64_t(std::stod(std::string(redis::text(redis::element(first, 1)))));
            if (due <= now)
                return;  // something is due already
            wait = std::min(wait, Milliseconds(due - now));
        }
        Command blpop{"BLPOP"};
        for (const auto& queue : queues) blpop.push_back(base(queue) + "wake");
        // BLPOP takes seconds with decimals (Redis >= 6).
        blpop.push_back(std::to_string(double(wait.count()) / 1000.0));
        TimeoutScope scope(c, wait + Milliseconds{5'000});
        c.expect(c.command(blpop), "BLPOP");
    }

    std::string base(const std::string& queue) const {
        return redis::queue_base(settings_.prefix, queue);
    }

    std::string logs_key(const std::string& job_id) const {
        return settings_.prefix + ":logs:" + job_id;
    }

    std::string log_group_key(const std::string& stamp) const {
        return settings_.prefix + ":loggroup:" + stamp;
    }

    std::string records_key(const std::string& kind) const {
        return settings_.prefix + ":records:" + kind;
    }

    ReplyPtr run_script(ScriptId id, const std::vector<std::string>& args) {
        return pool_.run([&](Connection& c, int) { return scripts_.run(c, id, args); });
    }

    // The outcomes: a retry after a lost connection tells the script so, and it then accepts
    // that the same outcome under the same token already happened.
    bool outcome(ScriptId id, const Claim& claim, std::vector<std::string> extra) {
        std::vector<std::string> args{settings_.prefix, claim.id, claim.token, "0"};
        args.insert(args.end(), extra.begin(), extra.end());
        return pool_.run([&](Connection& c, int attempt) {
            args[3] = attempt > 0 ? "1" : "0";
            return redis::integer(*scripts_.run(c, id, args)) == 1;
        });
    }

    std::vector<std::string> queues() {
        return pool_.run([&](Connection& c, int) {
            auto reply = c.command({"SMEMBERS", settings_.prefix + ":queues"});
            const auto& members = c.expect(reply, "SMEMBERS");
            std::vector<std::string> out;
            for (std::size_t i = 0; i < redis::size(members); ++i) {
                out.emplace_back(redis::text(redis::element(members, i)));
            }
            std::sort(out.begin(), out.end());
            return out;
        });
    }

    // A job's arguments to the push scripts: PUSH_ARGS (11) of them, in push_one's order.
    static void append_push_args(std::vector<std::string>& args, const NewJob& job,
                                 const std::string& id) {
        args.push_back(id);
        args.push_back(job.name);
        args.push_back(job.queue);
        args.push_back(job.payload);
        args.push_back(std::to_string(job.max_retries));
        args.push_back(job.run_at ? std::to_string(redis::epoch_ms(*job.run_at)) : "");
        args.push_back(ms_text(job.delay));
        args.push_back(job.unique_key ? "1" : "0");
        args.push_back(job.unique_key.value_or(""));
        args.push_back(std::to_string(job.attempts));
        args.push_back(std::to_string(job.priority));
    }

    // One {id, code} pair of a push script's reply (see ScriptId::push).
    static PushResult push_result(const redisReply& reply, std::size_t j, const std::string& id,
                                  bool retried) {
        std::string got(redis::text(redis::element(reply, j * 2)));
        auto code = redis::integer(redis::element(reply, j * 2 + 1));
        if (code == 1)
            return {got, true};
        if (code == 0)
            return {got, retried && got == id};  // our own job, if we ran before
        if (retried)
            return {id, true};  // the first try stored it; its reply was lost
        throw DataError("job id '" + id + "' already exists");
    }

    void refuse_taken_ids(const std::set<std::string>& ids) {
        std::vector<std::string> all(ids.begin(), ids.end());
        pool_.run([&](Connection& c, int) {
            for (std::size_t start = 0; start < all.size(); start += kScanChunk) {
                Command hmget{"HMGET", settings_.prefix + ":index"};
                auto end = std::min(all.size(), start + kScanChunk);
                hmget.insert(hmget.end(), all.begin() + long(start), all.begin() + long(end));
                auto reply = c.command(hmget);
                const auto& found = c.expect(reply, "HMGET");
                for (std::size_t i = 0; i < redis::size(found); ++i) {
                    if (!redis::is_nil(redis::element(found, i))) {
                        throw DataError("job id '" + all[start + i] + "' already exists");
                    }
                }
            }
        });
    }

    // MULTI, SCRIPT LOAD, one push script call per chunk of jobs, EXEC: all stored or none. The
    // commands go out a few dozen at a time so neither side buffers the whole batch twice.
    std::vector<PushResult> run_batch_transaction(Connection& c, const std::vector<NewJob>& jobs,
                                                  const std::vector<std::string>& ids,
                                                  bool retried) {
        std::vector<PushResult> results;
        results.reserve(jobs.size());
        try {
            TimeoutScope scope(c, std::max(c.default_command_timeout(), Milliseconds{120'000}));
            std::size_t unread = 0;
            auto send = [&](const Command& command) {
                c.append(command);
                if (++unread == kPipelineChunk) {
                    for (; unread > 0; --unread) c.expect(c.read_reply(), "queueing a batch");
                }
            };
            send({"MULTI"});
            send(scripts_.load(ScriptId::push));
            for (std::size_t start = 0; start < jobs.size(); start += kBatchChunk) {
                auto end = std::min(jobs.size(), start + kBatchChunk);
                std::vector<std::string> args{settings_.prefix, retried ? "1" : "0",
                                              std::to_string(end - start)};
                for (std::size_t i = start; i < end; ++i) append_push_args(args, jobs[i], ids[i]);
                send(scripts_.evalsha(ScriptId::push, args));
            }
            for (; unread > 0; --unread) c.expect(c.read_reply(), "queueing a batch");
            auto exec = c.command({"EXEC"});
            const auto& replies = c.expect(exec, "EXEC");
            if (redis::is_nil(replies))
                throw InternalError(c.where() + ": the batch was aborted");
            // Element 0 is SCRIPT LOAD's answer; then one reply per chunk of kBatchChunk jobs.
            for (std::size_t i = 1; i < redis::size(replies); ++i) {
                const auto& chunk = redis::element(replies, i);
                if (redis::is_error(chunk)) {
                    throw InternalError(c.where() +
                                        ": batch push: " + std::string(redis::text(chunk)));
                }
                for (std::size_t j = 0; j * 2 < redis::size(chunk); ++j) {
                    results.push_back(
                        push_result(chunk, j, ids[(i - 1) * kBatchChunk + j], retried));
                }
            }
        } catch (const redis::ConnectionLost&) {
            throw;
        } catch (...) {
            // A half-sent transaction must not go back to the pool.
            c.mark_broken();
            throw;
        }
        return results;
    }

    // Jobs of one queue matching the filter, in list order (created_at, id) after filter.after,
    // at most `limit` (0: all). Redis keeps no index in that order, so every candidate (the
    // state's set, or every id of the queue) is read, in chunks, keeping the first `limit`.
    std::vector<Job> list_queue(Connection& c, const std::string& queue, const ListFilter& filter,
                                std::size_t limit) {
        QueuedIds ids;
        if (filter.status) {
            auto reply = c.command({"ZRANGE", base(queue) + state_set(*filter.status), "0", "-1"});
            const auto& members = c.expect(reply, "ZRANGE");
            for (std::size_t i = 0; i < redis::size(members); ++i) {
                ids.emplace_back(
                    id_of_member(*filter.status, redis::text(redis::element(members, i))), queue);
            }
        } else {
            auto reply = c.command({"ZRANGE", base(queue) + "ids", "0", "-1"});
            const auto& members = c.expect(reply, "ZRANGE");
            for (std::size_t i = 0; i < redis::size(members); ++i) {
                ids.emplace_back(redis::text(redis::element(members, i)), queue);
            }
        }
        // A max-heap in list order: its top is the last of the first `limit` kept so far.
        std::vector<Job> kept;
        const auto later_first = [](const Job& a, const Job& b) { return listed_before(a, b); };
        read_matching(c, ids, filter, [&](Job job) {
            if (limit != 0 && kept.size() == limit) {
                if (!listed_before(job, kept.front()))
                    return true;
                std::pop_heap(kept.begin(), kept.end(), later_first);
                kept.pop_back();
            }
            kept.push_back(std::move(job));
            std::push_heap(kept.begin(), kept.end(), later_first);
            return true;
        });
        std::sort_heap(kept.begin(), kept.end(), later_first);
        return kept;
    }

    // The queues a filter covers: its one queue, or every queue the store knows.
    std::vector<std::string> queue_names(Connection& c, const std::optional<std::string>& only) {
        std::vector<std::string> names;
        if (only) {
            names.push_back(*only);
        } else {
            auto reply = c.command({"SMEMBERS", settings_.prefix + ":queues"});
            const auto& members = c.expect(reply, "SMEMBERS");
            for (std::size_t i = 0; i < redis::size(members); ++i) {
                names.emplace_back(redis::text(redis::element(members, i)));
            }
        }
        return names;
    }

    // The next `count` ids after `from` (a ZRANGEBYLEX bound) of every queue together, in id
    // order, each with its queue. A queue's ids are a sorted set of equal scores, so in id order.
    QueuedIds ids_after(Connection& c, const std::vector<std::string>& queues,
                        const std::string& from, std::size_t count) {
        std::vector<Command> ranges;
        for (const auto& queue : queues) {
            ranges.push_back({"ZRANGEBYLEX", base(queue) + "ids", from, "+", "LIMIT", "0",
                              std::to_string(count)});
        }
        QueuedIds next;
        const auto replies = c.pipeline(ranges);
        for (std::size_t q = 0; q < queues.size(); ++q) {
            const auto& members = c.expect(replies[q], "ZRANGEBYLEX");
            for (std::size_t i = 0; i < redis::size(members); ++i) {
                next.emplace_back(redis::text(redis::element(members, i)), queues[q]);
            }
        }
        std::sort(next.begin(), next.end());
        if (next.size() > count)
            next.resize(count);
        return next;
    }

    // The ids in `status` of every queue after `after`, sorted, unless the queues' sets of that
    // state hold more than kSmallStateSets ids in all.
    std::optional<QueuedIds> few_in_state(Connection& c, const std::vector<std::string>& queues,
                                          Status status, const std::optional<std::string>& after) {
        std::vector<Command> counts;
        for (const auto& queue : queues)
            counts.push_back({"ZCARD", base(queue) + state_set(status)});
        long long total = 0;
        for (const auto& reply : c.pipeline(counts)) total += c.expect(reply, "ZCARD").integer;
        if (total > kSmallStateSets)
            return std::nullopt;
        std::vector<Command> ranges;
        for (const auto& queue : queues) {
            ranges.push_back({"ZRANGE", base(queue) + state_set(status), "0", "-1"});
        }
        const auto replies = c.pipeline(ranges);
        QueuedIds ids;
        for (std::size_t q = 0; q < queues.size(); ++q) {
            const auto& members = c.expect(replies[q], "ZRANGE");
            for (std::size_t i = 0; i < redis::size(members); ++i) {
                const auto id = id_of_member(status, redis::text(redis::element(members, i)));
                if (!after || id > *after)
                    ids.emplace_back(id, queues[q]);
            }
        }
        std::sort(ids.begin(), ids.end());
        return ids;
    }

    // Reads the jobs of `ids`, kScanChunk to a pipelined round trip, and hands each that still
    // exists and matches the filter to `take`, in order, while it returns true; false once it
    // returned false (the rest is not read).
    template <class Take>
    bool read_matching(Connection& c, const QueuedIds& ids, const ListFilter& filter, Take&& take) {
        for (std::size_t start = 0; start < ids.size(); start += kScanChunk) {
            std::vector<Command> gets;
            for (std::size_t i = start; i < std::min(ids.size(), start + kScanChunk); ++i) {
                gets.push_back({"HGETALL", base(ids[i].second) + "job:" + ids[i].first});
            }
            for (const auto& reply : c.pipeline(gets)) {
                const auto& hash = c.expect(reply, "HGETALL");
                if (redis::size(hash) == 0)
                    continue;  // deleted meanwhile
                auto job = redis::job_from_hash(hash);
                if (matches(job, filter) && !take(std::move(job)))
                    return false;
            }
        }
        return true;
    }

    // Appends the jobs of `ids` that match the filter to `out`, up to filter.limit; true once
    // it holds that many.
    bool append_matching(Connection& c, const QueuedIds& ids, const ListFilter& filter,
                         std::vector<Job>& out) {
        return !read_matching(c, ids, filter, [&](Job job) {
            out.push_back(std::move(job));
            return filter.limit == 0 || out.size() < filter.limit;
        });
    }

    // list() in id order. A page reads the ids that follow the last one it was given and the
    // hashes of those, so a walk over every job reads each once; or, for a status that few jobs
    // are in, that state's ids, sorted.
    std::vector<Job> list_by_id(Connection& c, const ListFilter& filter) {
        const auto queues = queue_names(c, filter.queue);
        std::optional<std::string> after;
        if (filter.after)
            after = filter.after->id;
        std::vector<Job> out;
        if (filter.status) {
            if (auto ids = few_in_state(c, queues, *filter.status, after)) {
                append_matching(c, *ids, filter, out);
                return out;
            }
        }
        std::string from = after ? "(" + *after : "-";
        for (;;) {
            const auto next = ids_after(c, queues, from, kScanChunk);
            if (next.empty() || append_matching(c, next, filter, out))
                return out;
            from = "(" + next.back().first;
        }
    }

    std::vector<Job> list_on(Connection& c, const ListFilter& filter) {
        if (filter.order == ListOrder::id)
            return list_by_id(c, filter);
        const auto names = queue_names(c, filter.queue);
        std::vector<Job> out;
        for (const auto& queue : names) {
            auto jobs = list_queue(c, queue, filter, filter.limit);
            out.insert(out.end(), std::make_move_iterator(jobs.begin()),
                       std::make_move_iterator(jobs.end()));
        }
        std::sort(out.begin(), out.end(),
                  [](const Job& a, const Job& b) { return listed_before(a, b); });
        if (filter.limit != 0 && out.size() > filter.limit)
            out.resize(filter.limit);
        return out;
    }

    // Runs a per-job dead-letter script on the dead letters matching filter (status forced).
    std::uint64_t for_each_dead(const ListFilter& filter, ScriptId id) {
        ListFilter dead = filter;
        dead.status = Status::failed;
        auto jobs = list(dead);
        std::uint64_t done = 0;
        for (std::size_t start = 0; start < jobs.size(); start += kScanChunk) {
            auto end = std::min(jobs.size(), start + kScanChunk);
            done += pool_.run([&](Connection& c, int) {
                std::vector<Command> commands{scripts_.load(id)};
                for (std::size_t i = start; i < end; ++i) {
                    commands.push_back(scripts_.evalsha(id, {settings_.prefix, jobs[i].id}));
                }
                auto replies = c.pipeline(commands);
                std::uint64_t n = 0;
                for (std::size_t i = 1; i < replies.size(); ++i) {
                    n += redis::integer(c.expect(replies[i], "dead letters")) == 1 ? 1 : 0;
                }
                return n;
            });
        }
        return done;
    }

    Settings settings_;
    redis::Pool pool_;
    redis::Scripts scripts_;
};

}  // namespace

std::unique_ptr<QueueDriver> make_redis_driver(const DriverContext& context) {
    return std::make_unique<RedisDriver>(read_settings(context));
}

}  // namespace libqueue
