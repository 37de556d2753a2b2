// The Lua text of every script (see scripts.hpp for the keys and each script's arguments).
// Times are the server's clock (TIME; Redis 7 replicates script effects, so TIME is allowed
// before writes). Numbers stored in hashes go through num(): Lua would print 1.7e+12.
#include "drivers/redis/lua_sources.hpp"

#include <iterator>

#include "libqueue/driver.hpp"

namespace libqueue::redis {

namespace {

static_assert(claim_ahead_mark == "~ahead",
              "AHEAD_MARK in the Lua prelude spells claim_ahead_mark");
static_assert(kGroupedLogMaxBytes == 2048,
              "GROUPED_LOG_MAX in the Lua prelude spells kGroupedLogMaxBytes");
static_assert(max_priority == 1000, "MAX_PRIORITY in the Lua prelude spells max_priority");

// Helpers shared by every script: each script is this text followed by its body.
constexpr const char* kPrelude = R"lua(
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function num(x) return string.format('%.0f', x) end
local GROUPED_LOG_MAX = 2048  -- kGroupedLogMaxBytes
local function base_of(prefix, queue) return prefix .. ':{' .. queue .. '}:' end
local SETS = {pending = 'pending', processing = 'reserved', completed = 'completed', failed = 'dead'}

-- Jobs per state and name, for stats by name.
local function count(base, name, state, delta)
  if not name then return end
  local key, field = base .. 'counts', state .. ':' .. name
  if redis.call('HINCRBY', key, field, delta) <= 0 then redis.call('HDEL', key, field) end
end
-- Lifetime totals of the queue and of the name.
local function add_total(base, name, counter, delta)
  if tonumber(delta) == 0 then return end
  redis.call('HINCRBY', base .. 'totals', counter, delta)
  if name then redis.call('HINCRBY', base .. 'totals', counter .. ':' .. name, delta) end
end
-- Members of the pending set are "CREATED|ID" (created_at zero-padded to 15 digits): within
-- one due time (the score) they sort by created_at, then id, as docs/lifecycle.md ("Order and
-- clocks") orders claims.
local function member(base, state, id)
  if state ~= 'pending' then return id end
  local created = redis.call('HGET', base .. 'job:' .. id, 'created_at') or '0'
  return string.rep('0', 15 - #created) .. created .. '|' .. id
end
local function id_of(pending_member) return string.sub(pending_member, 17) end
-- Pending jobs with a priority are also in the zset 'urgent' (the same member), scored by
-- level, highest priority first, then due time: a level spans LEVEL ms of due times (2^43 ms:
-- until the year 2248; a later due time counts as that year's). Claims take the due jobs of
-- each level in turn (claim_order_before) before those of 'pending'.
local MAX_PRIORITY = 1000  -- max_priority
local LEVEL = 8796093022208
local function urgent_score(priority, due)
  return num((MAX_PRIORITY - priority) * LEVEL + math.min(math.max(due, 0), LEVEL - 1))
end
local function priority_of(base, id)
  return tonumber(redis.call('HGET', base .. 'job:' .. id, 'priority') or '0') or 0
end
-- From one state's set to another's (to = nil: out of every set), keeping the counts.
local function move(base, id, name, from, to, score)
  local priority = 0
  if from == 'pending' or to == 'pending' then priority = priority_of(base, id) end
  local m = member(base, from, id)
  redis.call('ZREM', base .. SETS[from], m)
  if from == 'pending' and priority > 0 then redis.call('ZREM', base .. 'urgent', m) end
  count(base, name, from, -1)
  if to then
    m = member(base, to, id)
    redis.call('ZADD', base .. SETS[to], score, m)
    if to == 'pending' and priority > 0 then
      redis.call('ZADD', base .. 'urgent', urgent_score(priority, tonumber(score)), m)
    end
    count(base, name, to, 1)
  end
end
-- A unique key is held only while its job is pending or processing.
local function release_unique(base, job, id)
  local key = redis.call('HGET', job, 'unique_key')
  if key and redis.call('HGET', base .. 'unique', key) == id then
    redis.call('HDEL', base .. 'unique', key)
  end
end
-- Deletes the job's hash and index entries (not its state set: see move).
local function forget(prefix, base, id)
  redis.call('DEL', base .. 'job:' .. id)
  redis.call('ZREM', base .. 'ids', id)
  redis.call('HDEL', prefix .. ':index', id)
end
-- Idle workers BLPOP this list; it is capped so that signals nobody took stay cheap.
local function wake(base, n)
  for i = 1, math.min(n, 64) do redis.call('LPUSH', base .. 'wake', '1') end
  redis.call('LTRIM', base .. 'wake', 0, 63)
end
local function locate(prefix, id)
  local queue = redis.call('HGET', prefix .. ':index', id)
  if not queue then return nil, nil end
  local base = base_of(prefix, queue)
  return base, base .. 'job:' .. id
end
local function owned(job, token)
  local f = redis.call('HMGET', job, 'status', 'reserved_by')
  return f[1] == 'processing' and f[2] == token
end
-- An outcome sent again after its reply was lost: it already happened, under this token.
local function done_before(job, token, op)
  local f = redis.call('HMGET', job, 'last_token', 'last_op')
  return f[1] == token and f[2] == op
end
-- CMD KEY ARGS... in calls of at most 4000 arguments (unpack's limit; pairs stay together).
local function call_spread(cmd, key, args)
  for i = 1, #args, 4000 do
    redis.call(cmd, key, unpack(args, i, math.min(i + 3999, #args)))
  end
end
-- complete for n jobs, (id, token, ran_ms) at list[from + 1 ...]: for each, 1 when it applied
-- (or, on a retry, had applied under this token), else 0. Each job's own hash changes at once,
-- so a later entry for the same job sees it; the sets, counts and totals of a queue change once.
local function complete_all(prefix, retry, keep, list, from, n, now)
  local stamp = num(now)
  local out, queues = {}, {}
  for i = 0, n - 1 do
    local a = from + i * 3
    local id, token, ran_ms = list[a + 1], list[a + 2], list[a + 3]
    local base, job = locate(prefix, id)
    local applied = 0
    if not base then
      if retry and not keep then applied = 1 end
    else
      local f = redis.call('HMGET', job, 'status', 'reserved_by', 'name', 'unique_key',
        'last_token', 'last_op')
      if f[1] == 'processing' and f[2] == token then
        applied = 1
        local q = queues[base]
        if not q then
          q = {ids = {}, done = {}, names = {}, ran = {}}
          queues[base] = q
        end
        q.ids[#q.ids + 1] = id
        q.done[#q.done + 1] = stamp
        q.done[#q.done + 1] = id
        local name = f[3]  -- false for a hash without one: then only the queue's totals count
        q.names[name] = (q.names[name] or 0) + 1
        q.ran[name] = (q.ran[name] or 0) + tonumber(ran_ms)
        if f[4] and redis.call('HGET', base .. 'unique', f[4]) == id then
          redis.call('HDEL', base .. 'unique', f[4])
        end
        if keep then
          redis.call('HSET', job, 'status', 'completed', 'finished_at', stamp,
            'last_token', token, 'last_op', 'complete')
          redis.call('HDEL', job, 'reserved_by')
        else
          redis.call('DEL', job)
          redis.call('HDEL', prefix .. ':index', id)
        end
      elseif retry and f[5] == token and f[6] == 'complete' then
        applied = 1
      end
    end
    out[#out + 1] = applied
  end
  for base, q in pairs(queues) do
    call_spread('ZREM', base .. 'reserved', q.ids)
    if keep then
      call_spread('ZADD', base .. 'completed', q.done)
    else
      call_spread('ZREM', base .. 'ids', q.ids)
    end
    for name, k in pairs(q.names) do
      count(base, name, 'processing', -k)
      if keep then count(base, name, 'completed', k) end
      add_total(base, name, 'completed', k)
      add_total(base, name, 'processing_ms', num(q.ran[name]))
    end
  end
  return out
end
-- recover stale: processing jobs whose available_at is older than now - stale go back to
-- pending, or dead ("worker lost") when their attempts are used up; jobs claimed ahead go back
-- with their attempt returned. Returns them as they were.
local AHEAD_MARK = '~ahead'  -- claim_ahead_mark
local function recover(prefix, base, now, stale, limit, dry)
  local ids = redis.call('ZRANGEBYSCORE', base .. 'reserved', '-inf', '(' .. num(now - stale),
    'LIMIT', 0, limit)
  local out, back = {}, 0
  for _, id in ipairs(ids) do
    local job = base .. 'job:' .. id
    local before = redis.call('HGETALL', job)
    if #before == 0 then
      if not dry then redis.call('ZREM', base .. 'reserved', id) end
    else
      out[#out + 1] = before
      if not dry then
        local f = redis.call('HMGET', job, 'name', 'attempts', 'max_retries', 'reserved_by')
        redis.call('HDEL', job, 'reserved_by')
        -- stale_outcome's rule (driver.hpp): a job claimed ahead gets its attempt back.
        local token = f[4] or ''
        local ahead = string.sub(token, -string.len(AHEAD_MARK)) == AHEAD_MARK
        if ahead then
          redis.call('HSET', job, 'status', 'pending', 'available_at', num(now),
            'attempts', math.max(tonumber(f[2]) - 1, 0))
          move(base, id, f[1], 'processing', 'pending', now)
          back = back + 1
        elseif tonumber(f[2]) > tonumber(f[3]) then
          redis.call('HSET', job, 'status', 'failed', 'available_at', num(now),
            'finished_at', num(now), 'last_error', 'worker lost')
          move(base, id, f[1], 'processing', 'failed', now)
          release_unique(base, job, id)
          add_total(base, f[1], 'dead', 1)
        else
          redis.call('HSET', job, 'status', 'pending', 'available_at', num(now))
          move(base, id, f[1], 'processing', 'pending', now)
          add_total(base, f[1], 'retries', 1)  -- the lost run was a failed attempt
          back = back + 1
        end
      end
    end
  end
  if back > 0 then wake(base, back) end
  return out
end

-- Stores one job of a push (the PUSH_ARGS arguments after ARGV[a]: id name queue payload
-- max_retries run_at delay has_unique unique_key attempts priority); woken counts the wake-ups
-- owed per queue.
-- Returns the id and a code: 1 created, 0 a pending/processing job holds the unique key (its id),
-- 2 the id is taken.
local PUSH_ARGS = 11  -- kPushArgs
local function push_one(prefix, now, a, woken)
  local id, name, queue, payload = ARGV[a + 1], ARGV[a + 2], ARGV[a + 3], ARGV[a + 4]
  local max_retries, run_at, delay = ARGV[a + 5], ARGV[a + 6], ARGV[a + 7]
  local has_unique, unique = ARGV[a + 8] == '1', ARGV[a + 9]
  local attempts, priority = ARGV[a + 10], tonumber(ARGV[a + 11])
  local base = base_of(prefix, queue)
  local holder = false
  if has_unique then
    holder = redis.call('HGET', base .. 'unique', unique)
    if holder then
      local status = redis.call('HGET', base .. 'job:' .. holder, 'status')
      if status ~= 'pending' and status ~= 'processing' then holder = false end
    end
  end
  if holder then return holder, 0 end
  if redis.call('HEXISTS', prefix .. ':index', id) == 1 then return id, 2 end
  local due = now + tonumber(delay)
  if run_at ~= '' then due = tonumber(run_at) end
  local job = base .. 'job:' .. id
  redis.call('HSET', job, 'id', id, 'name', name, 'queue', queue, 'status', 'pending',
    'attempts', attempts, 'max_retries', max_retries, 'payload', payload,
    'created_at', num(now), 'available_at', num(due))
  if has_unique then
    redis.call('HSET', job, 'unique_key', unique)
    redis.call('HSET', base .. 'unique', unique, id)
  end
  local m = member(base, 'pending', id)
  redis.call('ZADD', base .. 'pending', due, m)
  if priority > 0 then
    redis.call('HSET', job, 'priority', priority)
    redis.call('ZADD', base .. 'urgent', urgent_score(priority, due), m)
  end
  redis.call('ZADD', base .. 'ids', 0, id)
  redis.call('HSET', prefix .. ':index', id, queue)
  redis.call('SADD', prefix .. ':queues', queue)
  count(base, name, 'pending', 1)
  add_total(base, name, 'pushed', 1)
  woken[base] = (woken[base] or 0) + 1
  return id, 1
end
)lua";

constexpr const char* kPush = R"lua(
local prefix, retry, n = ARGV[1], ARGV[2] == '1', tonumber(ARGV[3])
local now = now_ms()
local out, woken = {}, {}
for i = 0, n - 1 do
  local id, code = push_one(prefix, now, 3 + i * PUSH_ARGS, woken)
  out[#out + 1] = id
  out[#out + 1] = code
end
for base, k in pairs(woken) do wake(base, k) end
return out
)lua";

// The job of a schedule's tick, stored only when the tick is later than the schedule's mark
// (tick_is_new, schedule_mark.hpp: the marks' ISO 8601 texts compare as their times do); the
// mark, a record (field "MS VALUE" of P:records:schedule), moves with it.
constexpr const char* kPushTick = R"lua(
local prefix, schedule, tick, id = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local marks = prefix .. ':records:schedule'
local stored = redis.call('HGET', marks, schedule)
if stored then
  local space = string.find(stored, ' ', 1, true)
  local ok, mark = pcall(cjson.decode, string.sub(stored, (space or 0) + 1))
  if ok and type(mark) == 'table' and type(mark.tick) == 'string' and
      type(mark.job) == 'string' and mark.tick >= tick then
    return {mark.job, 0}
  end
end
local now = now_ms()
local woken, code = {}, 0
if redis.call('HEXISTS', prefix .. ':index', id) == 0 then
  id, code = push_one(prefix, now, 3, woken)
end
redis.call('HSET', marks, schedule, num(now) .. ' ' .. cjson.encode({tick = tick, job = id}))
for base, k in pairs(woken) do wake(base, k) end
return {id, code}
)lua";

// Strict priority: later queues only fill what the earlier left of the limit. Every queue's
// reserved jobs past their deadline are reclaimed on the way (at most 100 per queue and call).
constexpr const char* kClaim = R"lua(
local prefix, stale, limit, nq = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local now = now_ms()
local stamp = num(now)
local out, used = {}, 0
-- Claims the jobs of `members` (pending ones of the queue at `base`), noting them in `reserved`
-- and `names`; the caller takes them out of their sets. Per job one HGETALL and one HSET, the
-- reply being the hash read with the changes applied (no second read).
local function take(base, members, reserved, names)
  for _, m in ipairs(members) do
    local id = id_of(m)
    local job = base .. 'job:' .. id
    local flat = redis.call('HGETALL', job)
    local at = {}  -- field -> index of its value in flat
    for i = 1, #flat, 2 do at[flat[i]] = i + 1 end
    local name = at.name and flat[at.name]
    if name then  -- a member whose hash is gone (or no job's) is only dropped
      used = used + 1
      local token = ARGV[4 + nq + used]
      local attempts = num((at.attempts and tonumber(flat[at.attempts]) or 0) + 1)
      redis.call('HSET', job, 'status', 'processing', 'attempts', attempts,
        'available_at', stamp, 'reserved_by', token)
      for field, value in pairs({status = 'processing', attempts = attempts,
                                 available_at = stamp, reserved_by = token}) do
        if at[field] then
          flat[at[field]] = value
        else
          flat[#flat + 1] = field
          flat[#flat + 1] = value
        end
      end
      reserved[#reserved + 1] = stamp
      reserved[#reserved + 1] = id
      names[name] = (names[name] or 0) + 1
      out[#out + 1] = flat
    end
  end
end
for q = 1, nq do
  local base = base_of(prefix, ARGV[4 + q])
  recover(prefix, base, now, stale, 100, false)
  -- The sets and counts change once per queue.
  local reserved, names = {}, {}
  -- Jobs with a priority: the highest level with a pending job, its due jobs, the next level...
  -- (a level's delayed jobs are stepped over by one ZRANGEBYSCORE).
  local from = 0
  while #out < limit do
    local first = redis.call('ZRANGEBYSCORE', base .. 'urgent', num(from), '+inf', 'WITHSCORES',
      'LIMIT', 0, 1)
    if #first == 0 then break end
    local level = math.floor(tonumber(first[2]) / LEVEL) * LEVEL
    local members = redis.call('ZRANGEBYSCORE', base .. 'urgent', num(level), num(level + now),
      'LIMIT', 0, limit - #out)
    if #members > 0 then
      take(base, members, reserved, names)
      call_spread('ZREM', base .. 'urgent', members)
      call_spread('ZREM', base .. 'pending', members)
    end
    from = level + LEVEL
  end
  if #out < limit then
    local members = redis.call('ZRANGEBYSCORE', base .. 'pending', '-inf', stamp,
      'LIMIT', 0, limit - #out)
    if #members > 0 then
      take(base, members, reserved, names)
      call_spread('ZREM', base .. 'pending', members)
    end
  end
  if #reserved > 0 then
    call_spread('ZADD', base .. 'reserved', reserved)
    for name, k in pairs(names) do
      count(base, name, 'pending', -k)
      count(base, name, 'processing', k)
    end
  end
end
return out
)lua";

constexpr const char* kHeartbeat = R"lua(
local prefix, id, token = ARGV[1], ARGV[2], ARGV[3]
local base, job = locate(prefix, id)
if not base or not owned(job, token) then return 0 end
local now = now_ms()
redis.call('HSET', job, 'available_at', num(now))
redis.call('ZADD', base .. 'reserved', now, id)
return 1
)lua";

constexpr const char* kComplete = R"lua(
return complete_all(ARGV[1], ARGV[4] == '1', ARGV[6] == '1', {ARGV[2], ARGV[3], ARGV[5]}, 0, 1,
  now_ms())[1]
)lua";

// The attempt logs of the completions that applied are written in the same call: a second round
// trip of HSET and ZADD per job after it cost a no-op drain a fifth of its throughput. A short
// log of a kept job goes into the hash PREFIX:loggroup:STAMP (field: job id, value: "ATTEMPT
// BODY"), STAMP being the jobs' finished_at, listed in the sorted set PREFIX:loggroups: one new
// key per batch instead of one per job. Any other log gets its job's own hash, as
// put_attempt_logs writes it. A resent batch writes per job: its jobs' finished_at may be the
// first send's.
constexpr const char* kCompleteBatch = R"lua(
local prefix, retry, keep, n, now = ARGV[1], ARGV[2] == '1', ARGV[3] == '1', tonumber(ARGV[4]),
  now_ms()
local out = complete_all(prefix, retry, keep, ARGV, 4, n, now)
local logs, scored, grouped = 4 + 3 * n, {}, {}
for i = 1, n do
  local attempt, body = ARGV[logs + 2 * i - 1], ARGV[logs + 2 * i]
  if out[i] == 1 and body ~= '' then
    local id = ARGV[4 + 3 * (i - 1) + 1]
    if keep and not retry and #body <= GROUPED_LOG_MAX then
      grouped[#grouped + 1] = id
      grouped[#grouped + 1] = attempt .. ' ' .. body
    else
      redis.call('HSET', prefix .. ':logs:' .. id, attempt, body)
      scored[#scored + 1] = now
      scored[#scored + 1] = id
    end
  end
end
if #scored > 0 then call_spread('ZADD', prefix .. ':logs', scored) end
if #grouped > 0 then
  local stamp = num(now)
  call_spread('HSET', prefix .. ':loggroup:' .. stamp, grouped)
  redis.call('ZADD', prefix .. ':loggroups', now, stamp)
end
return out
)lua";

constexpr const char* kRelease = R"lua(
local prefix, id, token, retry = ARGV[1], ARGV[2], ARGV[3], ARGV[4] == '1'
local base, job = locate(prefix, id)
if not base then return 0 end
if not owned(job, token) then return (retry and done_before(job, token, 'release')) and 1 or 0 end
local now = now_ms()
local due = now + tonumber(ARGV[5])
local name = redis.call('HGET', job, 'name')
redis.call('HSET', job, 'status', 'pending', 'available_at', num(due), 'last_error', ARGV[6],
  'last_token', token, 'last_op', 'release')
redis.call('HDEL', job, 'reserved_by')
move(base, id, name, 'processing', 'pending', due)
add_total(base, name, 'retries', 1)
wake(base, 1)
return 1
)lua";

constexpr const char* kPutBack = R"lua(
local prefix, id, token, retry = ARGV[1], ARGV[2], ARGV[3], ARGV[4] == '1'
local base, job = locate(prefix, id)
if not base then return 0 end
if not owned(job, token) then return (retry and done_before(job, token, 'put_back')) and 1 or 0 end
local due = now_ms() + (tonumber(ARGV[5]) or 0)
local name = redis.call('HGET', job, 'name')
redis.call('HINCRBY', job, 'attempts', -1)
redis.call('HSET', job, 'status', 'pending', 'available_at', num(due),
  'last_token', token, 'last_op', 'put_back')
redis.call('HDEL', job, 'reserved_by')
move(base, id, name, 'processing', 'pending', due)
wake(base, 1)
return 1
)lua";

constexpr const char* kFail = R"lua(
local prefix, id, token, retry = ARGV[1], ARGV[2], ARGV[3], ARGV[4] == '1'
local base, job = locate(prefix, id)
if not base then return 0 end
if not owned(job, token) then return (retry and done_before(job, token, 'fail')) and 1 or 0 end
local now = now_ms()
local name = redis.call('HGET', job, 'name')
redis.call('HSET', job, 'status', 'failed', 'finished_at', num(now), 'last_error', ARGV[5],
  'last_token', token, 'last_op', 'fail')
redis.call('HDEL', job, 'reserved_by')
move(base, id, name, 'processing', 'failed', now)
release_unique(base, job, id)
add_total(base, name, 'dead', 1)
return 1
)lua";

constexpr const char* kCancel = R"lua(
local prefix, id = ARGV[1], ARGV[2]
local base, job = locate(prefix, id)
if not base or redis.call('HGET', job, 'status') ~= 'pending' then return 0 end
local now = now_ms()
local name = redis.call('HGET', job, 'name')
redis.call('HSET', job, 'status', 'failed', 'last_error', 'cancelled', 'finished_at', num(now))
move(base, id, name, 'pending', 'failed', now)
release_unique(base, job, id)
add_total(base, name, 'dead', 1)
return 1
)lua";

constexpr const char* kRetryDead = R"lua(
local prefix, id = ARGV[1], ARGV[2]
local base, job = locate(prefix, id)
if not base or redis.call('HGET', job, 'status') ~= 'failed' then return 0 end
local now = now_ms()
local name = redis.call('HGET', job, 'name')
redis.call('HSET', job, 'status', 'pending', 'attempts', '0', 'available_at', num(now))
redis.call('HDEL', job, 'finished_at', 'reserved_by', 'last_error')
move(base, id, name, 'failed', 'pending', now)
local key = redis.call('HGET', job, 'unique_key')
if key then redis.call('HSETNX', base .. 'unique', key, id) end
wake(base, 1)
return 1
)lua";

constexpr const char* kDeleteDead = R"lua(
local prefix, id = ARGV[1], ARGV[2]
local base, job = locate(prefix, id)
if not base or redis.call('HGET', job, 'status') ~= 'failed' then return 0 end
move(base, id, redis.call('HGET', job, 'name'), 'failed', nil, 0)
forget(prefix, base, id)
return 1
)lua";

constexpr const char* kRecover = R"lua(
local prefix = ARGV[1]
return recover(prefix, base_of(prefix, ARGV[2]), now_ms(), tonumber(ARGV[3]), tonumber(ARGV[4]),
  ARGV[5] == '1')
)lua";

constexpr const char* kPrune = R"lua(
local prefix = ARGV[1]
local base = base_of(prefix, ARGV[2])
local cutoff = now_ms() - tonumber(ARGV[3])
local limit, n = tonumber(ARGV[4]), 0
local states = {'completed', 'failed'}
if ARGV[5] ~= '' then states = {ARGV[5]} end
for _, state in ipairs(states) do
  if n < limit then
    local ids = redis.call('ZRANGEBYSCORE', base .. SETS[state], '-inf', '(' .. num(cutoff),
      'LIMIT', 0, limit - n)
    for _, id in ipairs(ids) do
      move(base, id, redis.call('HGET', base .. 'job:' .. id, 'name'), state, nil, 0)
      forget(prefix, base, id)
      n = n + 1
    end
  end
end
return n
)lua";

constexpr const char* kClear = R"lua(
local prefix = ARGV[1]
local base = base_of(prefix, ARGV[2])
local limit, n = tonumber(ARGV[3]), 0
for _, state in ipairs({'pending', 'completed', 'failed'}) do
  if n < limit then
    local members = redis.call('ZRANGE', base .. SETS[state], 0, limit - n - 1)
    for _, m in ipairs(members) do
      local id = m
      if state == 'pending' then id = id_of(m) end
      local job = base .. 'job:' .. id
      release_unique(base, job, id)
      redis.call('ZREM', base .. SETS[state], m)
      if state == 'pending' then redis.call('ZREM', base .. 'urgent', m) end
      count(base, redis.call('HGET', job, 'name'), state, -1)
      forget(prefix, base, id)
      n = n + 1
    end
  end
end
return n
)lua";

constexpr const char* kFind = R"lua(
local base, job = locate(ARGV[1], ARGV[2])
if not base then return {} end
return redis.call('HGETALL', job)
)lua";

}  // namespace

std::array<std::string, kScriptCount> lua_sources() {
    // In ScriptId order.
    const char* bodies[] = {kPush,  kClaim,  kHeartbeat,     kComplete,   kRelease, kPutBack,
                            kFail,  kCancel, kRetryDead,     kDeleteDead, kRecover, kPrune,
                            kClear, kFind,   kCompleteBatch, kPushTick};
    static_assert(std::size(bodies) == kScriptCount);
    std::array<std::string, kScriptCount> out;
    for (std::size_t i = 0; i < kScriptCount; ++i) out[i] = std::string(kPrelude) + bodies[i];
    return out;
}

}  // namespace libqueue::redis
