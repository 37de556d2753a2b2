// The Lua scripts that make every state change atomic, and running them with EVALSHA (loading a
// script again when the server answers NOSCRIPT, e.g. after a restart emptied its script cache).
//
// Keys (P = queue.redis.prefix, Q = the queue; all keys of one queue share the hash tag {Q}):
//   P:{Q}:job:ID     hash: the job record's columns (docs/lifecycle.md, "The job record"; times
//                    as epoch ms), priority (when not 0), unique_key, and
//                    last_token/last_op (an outcome resent after a lost reply is recognized)
//   P:{Q}:pending    zset "CREATED|ID" -> available_at: due (score <= now) and delayed jobs in
//                    one set, so "oldest due first" is one ZRANGEBYSCORE and no job waits for a
//                    mover; the member (created_at padded to 15 digits, then the id) breaks
//                    ties of the due time by created_at, then id
//   P:{Q}:urgent     zset "CREATED|ID" -> (1000 - priority) * 2^43 + available_at: the pending
//                    jobs with a priority (also in P:{Q}:pending, so every reader of pending
//                    jobs sees them), one range of scores per priority level, highest first;
//                    claims take each level's due jobs before those of pending
//   P:{Q}:reserved   zset id -> available_at of processing jobs (claim/heartbeat time); a job
//                    is past its deadline when the score is older than now - stale_after
//   P:{Q}:completed  zset id -> finished_at;  P:{Q}:dead  zset id -> finished_at
//   P:{Q}:ids        zset of every id with score 0: id-ordered paging for list (ZRANGEBYLEX)
//   P:{Q}:unique     hash unique_key -> id, while that job is pending or processing
//   P:{Q}:totals     hash COUNTER and COUNTER:NAME -> lifetime totals (pushed, completed,
//                    dead, retries, processing_ms)
//   P:{Q}:counts     hash STATE:NAME -> jobs in that state now (stats by name)
//   P:{Q}:wake       list: push and release signal idle workers blocked in BLPOP
//   P:index          hash id -> queue (find, outcomes by id);  P:queues  set of queue names
//   P:records:KIND   hash key -> "MS VALUE": q's records (workers, pauses, cancel requests,
//                    schedule marks); push_tick reads and moves P:records:schedule
#pragma once

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "drivers/redis/connection.hpp"
#include "drivers/redis/lua_sources.hpp"

namespace libqueue::redis {

class Scripts {
  public:
    Scripts();

    // SCRIPT LOAD of every script; the server's answers are the SHA1s EVALSHA uses.
    void load_all(Connection& connection);

    // EVALSHA with no declared keys (see the comment at the top about the key layout); on
    // NOSCRIPT loads the script and runs it again. Error replies are thrown (Connection::expect).
    ReplyPtr run(Connection& connection, ScriptId id, const std::vector<std::string>& args) const;
    // Several calls of one script in one round trip (a pipeline), replies in order; calls
    // answered NOSCRIPT did not run and are sent again after loading the script.
    std::vector<ReplyPtr> run_all(Connection& connection, ScriptId id,
                                  const std::vector<std::vector<std::string>>& calls) const;

    // For pipelines and transactions: the EVALSHA command, and the SCRIPT LOAD that makes sure
    // the script is there (send it first in the same pipeline or MULTI).
    Command evalsha(ScriptId id, const std::vector<std::string>& args) const;
    Command load(ScriptId id) const;

  private:
    std::array<std::string, kScriptCount> sources_;
    std::array<std::string, kScriptCount> shas_;
};

}  // namespace libqueue::redis
