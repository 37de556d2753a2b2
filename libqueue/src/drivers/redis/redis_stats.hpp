// `q stats` for redis: counts from the state sets, totals and per-name counts from the hashes
// the scripts keep, and a warning when the server keeps nothing on disk.
#pragma once

#include <string>
#include <vector>

#include "drivers/redis/connection.hpp"
#include "libqueue/stats.hpp"

namespace libqueue::redis {

// Reads without blocking the server: a few commands per queue, and a scan of the delayed jobs
// (paged) for the due/delayed split by name. Not one snapshot: counts of a busy queue may be a
// job apart.
Stats read_stats(Connection& connection, const std::string& prefix);

// One line when the server runs with neither AOF nor RDB snapshots; empty otherwise, and when
// the server does not let us ask (CONFIG disabled).
std::vector<std::string> persistence_warnings(Connection& connection);

// The server's clock (TIME), or the time a TIME reply holds.
TimePoint server_now(Connection& connection);
TimePoint time_of(const redisReply& time);

}  // namespace libqueue::redis
