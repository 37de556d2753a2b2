// The storage interface every driver implements, and the guarantees each method keeps.
// docs/lifecycle.md is the contract; every state change below names the row of its table
// ("Operations") it implements.
//
// Thread safety: a driver object may be called from several threads at once (a worker with
// concurrency N shares one driver). Drivers serialize internally or use a connection per thread.
// Atomicity: every method is all or nothing. When it throws, nothing was changed.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "libqueue/attempt_log.hpp"
#include "libqueue/job.hpp"
#include "libqueue/schedule_mark.hpp"
#include "libqueue/stats.hpp"
#include "libqueue/time.hpp"

namespace libqueue {

// What a driver cannot do. Conformance tests that need a capability skip for drivers without it.
struct Capabilities {
    bool delayed_jobs = true;              // can hold a job until a due time
    bool shared_between_processes = true;  // several processes may use one queue (not memory)
    bool persistent = true;                // survives a restart of the process (not memory)
};

struct PushResult {
    std::string id;
    bool created = true;  // false: unique_key matched a pending/processing job; id is that job's
};

// The identity of one claim: outcomes apply only while the row is processing with this token.
struct Claim {
    std::string id;
    std::string token;
};
// The claim a claimed (processing) job is held under.
Claim claim_of(const Job& job);

// One finished job for complete_batch.
struct Completion {
    Completion() = default;
    Completion(Claim c, Milliseconds ran, std::optional<AttemptLog> attempt_log = std::nullopt)
        : claim(std::move(c)), ran_for(ran), log(std::move(attempt_log)) {}

    Claim claim;
    Milliseconds ran_for{0};
    // The attempt's log, stored in the same transaction or round trip as the completion where
    // the backend has one (and only where the completion applied).
    std::optional<AttemptLog> log;
};

struct ClaimRequest {
    std::vector<std::string> queues{"default"};  // strict priority: later queues only while the
                                                 // earlier have nothing due
    std::string worker_id;                       // tokens are new_claim_token(worker_id)
    std::size_t limit = 1;                       // claim up to this many due jobs
    // The last `ahead` of the jobs returned are claimed ahead of a free slot: the worker holds
    // them until one frees. Their tokens carry claim_ahead_mark (claim_token does it), and stale
    // recovery gives them back without using up an attempt: they may never have started.
    std::size_t ahead = 0;
};

// The token for the index-th job (0-based) a claim returns: new_claim_token(worker_id), plus
// claim_ahead_mark for the last request.ahead of request.limit.
inline constexpr std::string_view claim_ahead_mark = "~ahead";
std::string claim_token(const ClaimRequest& request, std::size_t index);
bool claimed_ahead(std::string_view token);

// What stale recovery makes of a processing job whose worker is gone: the rule every driver
// applies (drivers in SQL and Lua spell it out, pointing here).
//   retry      the lost run was a failed attempt: pending, counted as a retry
//   give_back  claimed ahead: pending, attempts - 1, not counted (it may never have run)
//   dead       a lost run and no attempt left: failed, last_error "worker lost"
enum class StaleOutcome { retry, give_back, dead };
StaleOutcome stale_outcome(const Job& job);

// `q migrate`: what a driver may do to an existing store beyond creating what is missing.
struct MigrateOptions {
    bool indexes = false;  // also add the driver's recommended indexes to an existing table
    // also add q's priority column (and its index) to an existing jobs table that lacks it
    bool priorities = false;
    // also keep counts of an existing jobs table's settled rows (triggers on it), so that stats
    // need not read them
    bool counts = false;
};

// A place in list order: by created_at, then id. Q's ids sort by creation too, but rows other
// programs wrote ("job_…" beside q's "01…") do not, so the order is the pair.
struct ListPosition {
    TimePoint created_at{};
    std::string id;
};
ListPosition list_position(const Job& job);
// Whether a comes before b in list order.
bool listed_before(const ListPosition& a, const ListPosition& b);
bool listed_before(const Job& a, const Job& b);

// The order list() returns jobs in. `created` is list order (above): what q list shows. `id` is
// by id alone, the order every backend keeps an index in (the primary key), so a walk over every
// job a page at a time (q export) costs each page the same however many jobs the store holds; in
// list order a page is a scan of the store. For jobs q pushed the two agree, as q's ids sort by
// creation. Ids compare as the backend compares its id column (bytes, or PostgreSQL's collation).
enum class ListOrder { created, id };
// Whether `job` comes after `position` in `order` (in id order, only the position's id counts).
bool comes_after(ListOrder order, const ListPosition& position, const Job& job);

// Which finished jobs prune takes: completed and failed of every queue, unless narrowed.
struct PruneScope {
    std::optional<Status> status;  // completed or failed only (pending/processing: none)
    std::optional<std::string> queue;
};
// The statuses prune in `scope` takes: completed and failed, or the one of them scope.status
// names, or none (scope.status names an unfinished state).
std::vector<Status> prune_statuses(const PruneScope& scope);
// Whether prune in `scope` may take `job` (finished time aside): for drivers that filter in C++.
bool in_prune_scope(const Job& job, const PruneScope& scope);

struct ListFilter {
    std::optional<Status> status;
    std::optional<std::string> queue;
    std::optional<std::string> name;
    std::optional<TimePoint> finished_before;  // only jobs with finished_at < this
    std::size_t limit = 100;                   // 0: no limit
    ListOrder order = ListOrder::created;
    // Keyset paging: only jobs after this one in `order`. In list order, drivers that keep the
    // job compare with its stored created_at (exact at the store's precision), else with the
    // position's.
    std::optional<ListPosition> after;
};

// Whether `job` passes every condition of `filter` (limit aside): for drivers that filter in C++.
bool matches(const Job& job, const ListFilter& filter);

// A small record q keeps beside the jobs, in the same backend so that every host sees it: a
// live worker (kind "worker"). Keyed by kind and key; the value is the caller's JSON text;
// updated_at is the driver's clock at the last put.
struct Record {
    std::string key;
    std::string value;
    TimePoint updated_at;
};

using RecordChange = std::function<std::optional<std::string>(
    const std::optional<std::string>& value, TimePoint now)>;

class QueueDriver {
  public:
    virtual ~QueueDriver() = default;

    virtual std::string name() const = 0;
    virtual Capabilities capabilities() const = 0;

    // The driver's clock (the server's where there is one).
    virtual TimePoint now() = 0;

    // push (now / delayed): a pending row, attempts 0 (or NewJob::attempts, for an import),
    // available_at = now + delay or run_at.
    // With unique_key: returns the existing job (created=false) while one with that key is
    // pending or processing. Throws DataError for an invalid NewJob (validate_new_job), having
    // stored nothing. Drivers implement store_one and store_batch, which get valid jobs only.
    PushResult push(const NewJob& job);

    // All or none: every job is validated first ("batch job N: ..."); on any error nothing is
    // stored.
    std::vector<PushResult> push_batch(const std::vector<NewJob>& jobs);

    // push, as the job of a schedule's tick (schedule_mark.hpp), in one atomic step: when the
    // tick is new (tick_is_new), stores the job (created false when a job with its id is there
    // already) and makes the tick the schedule's mark; when it is not, stores nothing and
    // returns the mark's job id, created false. So any number of schedulers enqueue a tick once.
    // Drivers that keep no records (sync) refuse it (UsageError).
    PushResult push_tick(const NewJob& job, const ScheduleTick& tick);

    // claim: up to request.limit due jobs, in claim_order_before's order (the higher priority
    // first, then oldest due: available_at, created_at, id), queues in the given order. Each
    // becomes processing, attempts+1, available_at = now, reserved_by = a fresh claim token. Two
    // concurrent claims never return the same job.
    virtual std::vector<Job> claim(const ClaimRequest& request) = 0;

    // The outcomes. Each applies only where status is processing and reserved_by == claim.token,
    // and returns false (changing nothing) otherwise: the job was recovered and is not ours.
    // heartbeat: available_at = now.
    virtual bool heartbeat(const Claim& claim) = 0;
    // heartbeat for several claims at once; result i is heartbeat(claims[i])'s. The default calls
    // heartbeat() for each; drivers whose every write is costly (file) make it one write.
    virtual std::vector<bool> heartbeat_batch(const std::vector<Claim>& claims);
    // complete: completed, finished_at = now, reserved_by NULL (or the row is deleted where
    // keep_completed is false). ran_for feeds Totals::processing_ms.
    virtual bool complete(const Claim& claim, Milliseconds ran_for) = 0;
    // complete several jobs in one transaction or round trip where the backend has one (the
    // worker hands over every job that finished while the previous batch was being written, so
    // busy workers write one batch per round trip instead of one per job). Result i says whether
    // completions[i] applied, as complete() would. All or nothing where the backend is
    // transactional; the default calls complete() for each in turn.
    virtual std::vector<bool> complete_batch(const std::vector<Completion>& completions);
    // release (retry): pending, available_at = now + delay, last_error = error.
    virtual bool release(const Claim& claim, Milliseconds delay, const std::string& error) = 0;
    // put back: pending, attempts-1, available_at = now + delay. A graceful shutdown puts back
    // with no delay; a job held by its name's limits (limits.hpp) waits for its turn.
    virtual bool put_back(const Claim& claim, Milliseconds delay) = 0;
    // fail (dead): failed, finished_at = now, last_error = error.
    virtual bool fail(const Claim& claim, const std::string& error) = 0;

    // Any state. nullopt when no such job is stored.
    virtual std::optional<Job> find(const std::string& id) = 0;
    // Jobs matching filter, in filter.order: list order (created_at, then id; see ListPosition)
    // or by id.
    virtual std::vector<Job> list(const ListFilter& filter) = 0;
    // Ids of up to `limit` stored jobs whose id starts with `prefix` (any state), sorted. The
    // default reads every job page by page in id order; drivers that can seek to the prefix in
    // their id index override it.
    virtual std::vector<std::string> ids_with_prefix(const std::string& prefix, std::size_t limit);
    // Pending jobs in the queue (due and delayed).
    virtual std::uint64_t size(const std::string& queue) = 0;
    // Deletes every job of the queue that is not processing; returns how many.
    virtual std::uint64_t clear(const std::string& queue) = 0;
    // cancel: a pending job becomes failed with last_error "cancelled". False if not pending.
    virtual bool cancel(const std::string& id) = 0;

    // dead-letter retry: failed -> pending, attempts 0, available_at = now, last_error kept.
    // retry_dead returns false when the job is not a dead letter.
    virtual bool retry_dead(const std::string& id) = 0;
    // Retries up to filter.limit dead letters matching filter (status is forced to failed);
    // returns how many. Callers page with limit to bound memory.
    virtual std::uint64_t retry_dead_matching(const ListFilter& filter) = 0;
    // Deletes up to filter.limit dead letters matching filter; returns how many.
    virtual std::uint64_t clear_dead(const ListFilter& filter) = 0;

    // recover stale: processing jobs whose available_at is older than now - stale_after become
    // pending (available_at now), or failed ("worker lost") when attempts > max_retries; jobs
    // claimed ahead get their attempt back instead (see stale_outcome).
    // With dry_run nothing changes. Returns the jobs as they were before recovery.
    virtual std::vector<Job> recover_stale(Milliseconds stale_after, bool dry_run) = 0;

    // prune: deletes up to `limit` (0: all) completed and failed jobs finished before
    // now - older_than, of scope.queue only and in scope.status only where they are set.
    virtual std::uint64_t prune(Milliseconds older_than, std::size_t limit,
                                const PruneScope& scope) = 0;

    virtual Stats stats() = 0;

    // Things about the backend an operator should know, one line each, for `q stats` to print
    // (e.g. redis running without persistence, so a restart loses the queue). Default: none.
    virtual std::vector<std::string> warnings() { return {}; }

    // Blocks up to `timeout` or until a push may have made a job due in one of `queues`.
    // Drivers without a wake-up signal just sleep. Spurious wake-ups are fine.
    virtual void wait_for_jobs(const std::vector<std::string>& queues, Milliseconds timeout);

    // Records (see Record). put_record creates or replaces one; records lists those of a kind,
    // in no particular order; remove_records deletes the given keys of a kind that are there
    // and returns how many it deleted. Drivers that keep nothing beyond one process (sync)
    // refuse them (UsageError).
    virtual void put_record(const std::string& kind, const std::string& key,
                            const std::string& value);
    virtual std::vector<Record> records(const std::string& kind);
    virtual std::uint64_t remove_records(const std::string& kind,
                                         const std::vector<std::string>& keys);
    // Reads and replaces one record in a single atomic step against every other change of it,
    // from any process or host: `change` gets the record's value (nullopt: none) and the
    // backend's clock, and returns the new value (nullopt: remove it). It may be called more
    // than once (an optimistic backend retries after a conflict); only the last call's result is
    // stored, so it must not act on the backend itself. Refused like the other record methods.
    virtual void change_record(const std::string& kind, const std::string& key,
                               const RecordChange& change);

    // Attempt logs (attempt_log.hpp). put_attempt_logs creates or replaces each (job id,
    // attempt); attempt_logs lists a job's in attempt order; prune_attempt_logs deletes those
    // last written before now - older_than and returns how many. Drivers that keep nothing
    // beyond one process refuse them (UsageError), as for records.
    virtual void put_attempt_logs(const std::vector<AttemptLog>& logs);
    virtual std::vector<AttemptLog> attempt_logs(const std::string& job_id);
    virtual std::uint64_t prune_attempt_logs(Milliseconds older_than);

    // `q migrate`: creates whatever storage is missing (tables, side tables, indexes of a new
    // table) and, with options.indexes, the driver's recommended indexes on an existing table.
    // Never changes an existing table otherwise. Returns one line per action taken (empty:
    // nothing to do). Drivers without a schema keep this default.
    virtual std::vector<std::string> migrate(const MigrateOptions& options) {
        (void)options;
        return {};
    }

  protected:
    // What push and push_batch store once every job is valid (never empty). store_one is the
    // single-job path; by default a batch of one.
    virtual std::vector<PushResult> store_batch(const std::vector<NewJob>& jobs) = 0;
    virtual PushResult store_one(const NewJob& job) { return store_batch({job}).front(); }
    // What push_tick stores once the job is valid.
    virtual PushResult store_tick(const NewJob& job, const ScheduleTick& tick);
};

// driver.records(kind), or none for a driver that keeps no records (sync): for readers of
// records that are optional (pauses, cancel requests).
std::vector<Record> records_if_kept(QueueDriver& driver, const std::string& kind);

}  // namespace libqueue
