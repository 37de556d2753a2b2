// The Lua text of the driver's scripts, one per ScriptId (arguments listed beside each).
#pragma once

#include <array>
#include <cstddef>
#include <string>

namespace libqueue::redis {

enum class ScriptId {
    push,         // prefix, retry, n, then n x (id name queue payload max_retries run_at delay
                  // has_unique unique_key attempts) -> flat {id, code}: 1 created, 0 unique hit,
                  // 2 id taken
    claim,        // prefix, stale_ms, limit, nqueues, queues..., tokens... -> array of job hashes
    heartbeat,    // prefix, id, token, retry -> 1/0
    complete,     // prefix, id, token, retry, ran_ms, keep(1/0) -> 1/0
    release,      // prefix, id, token, retry, delay_ms, error -> 1/0
    put_back,     // prefix, id, token, retry -> 1/0
    fail,         // prefix, id, token, retry, error -> 1/0
    cancel,       // prefix, id -> 1/0
    retry_dead,   // prefix, id -> 1/0
    delete_dead,  // prefix, id -> 1/0
    recover,      // prefix, queue, stale_ms, limit (-1: all), dry(1/0) -> job hashes as they were
    prune,        // prefix, queue, older_than_ms, limit, status ('' both) -> deleted
    clear,        // prefix, queue, limit -> deleted
    find,         // prefix, id -> job hash or empty
    complete_batch,  // prefix, retry, keep(1/0), n, n x (id token ran_ms), then n x (attempt
                     // log_body, '' for none) -> n x 1/0
    push_tick,       // prefix, schedule, tick (ISO 8601), then one job as for push -> {id, code}:
                     // 1 created, 0 the tick was enqueued already (the mark's job) or its id
                     // was taken
};
inline constexpr std::size_t kScriptCount = 16;

// Each script's full text: the shared helpers followed by its body, in ScriptId order.
std::array<std::string, kScriptCount> lua_sources();

}  // namespace libqueue::redis
