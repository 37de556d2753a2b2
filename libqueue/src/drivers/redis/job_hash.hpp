// Jobs as the driver stores them: one redis hash per job (see scripts.hpp), times as epoch ms.
#pragma once

#include <string>

#include "drivers/redis/connection.hpp"
#include "libqueue/job.hpp"

namespace libqueue::redis {

// From an HGETALL reply (a flat field, value, ... array). Throws DataError for a hash that is
// not a job (a missing id or status, a bad number).
Job job_from_hash(const redisReply& flat);

// The key prefix of one queue: "P:{Q}:" (every key of the queue shares the hash tag {Q}).
std::string queue_base(const std::string& prefix, const std::string& queue);

// The id in a member of a queue's pending set ("CREATED|ID", created_at padded to 15 digits).
std::string_view id_of_pending_member(std::string_view member);

std::int64_t epoch_ms(TimePoint t);
TimePoint from_epoch_ms(std::int64_t ms);

}  // namespace libqueue::redis
