#include "drivers/redis/job_hash.hpp"

#include <charconv>

#include "libqueue/errors.hpp"

namespace libqueue::redis {

namespace {

std::int64_t to_int(std::string_view value, std::string_view field, const std::string& id) {
    std::int64_t out = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), out);
    if (ec != std::errc{} || end != value.data() + value.size()) {
        throw DataError("redis job '" + id + "': " + std::string(field) + " is not a number: '" +
                        std::string(value.substr(0, 40)) + "'");
    }
    return out;
}

}  // namespace

std::string_view id_of_pending_member(std::string_view member) {
    auto bar = member.find('|');
    return bar == std::string_view::npos ? member : member.substr(bar + 1);
}

std::int64_t epoch_ms(TimePoint t) {
    return t.time_since_epoch().count();
}
TimePoint from_epoch_ms(std::int64_t ms) {
    return TimePoint{Milliseconds{ms}};
}

std::string queue_base(const std::string& prefix, const std::string& queue) {
    return prefix + ":{" + queue + "}:";
}

Job job_from_hash(const redisReply& flat) {
    Job job;
    bool has_status = false;
    // Numbers are converted after the loop, once the id is known for messages.
    std::string_view attempts, max_retries, created, available, finished;
    for (std::size_t i = 0; i + 1 < size(flat); i += 2) {
        auto field = text(element(flat, i));
        auto value = text(element(flat, i + 1));
        if (field == "id") {
            job.id = value;
        } else if (field == "name") {
            job.name = value;
        } else if (field == "queue") {
            job.queue = value;
        } else if (field == "status") {
            job.status = status_from_string(value);
            has_status = true;
        } else if (field == "attempts") {
            attempts = value;
        } else if (field == "max_retries") {
            max_retries = value;
        } else if (field == "payload") {
            job.payload = value;
        } else if (field == "last_error") {
            job.last_error = std::string(value);
        } else if (field == "created_at") {
            created = value;
        } else if (field == "available_at") {
            available = value;
        } else if (field == "finished_at") {
            finished = value;
        } else if (field == "reserved_by") {
            job.reserved_by = std::string(value);
        }
        // unique_key, last_token, last_op: the driver's own bookkeeping.
    }
    if (job.id.empty() || !has_status)
        throw DataError("redis: a job hash without id or status");
    if (!attempts.empty())
        job.attempts = int(to_int(attempts, "attempts", job.id));
    if (!max_retries.empty())
        job.max_retries = int(to_int(max_retries, "max_retries", job.id));
    if (!created.empty())
        job.created_at = from_epoch_ms(to_int(created, "created_at", job.id));
    if (!available.empty()) {
        job.available_at = from_epoch_ms(to_int(available, "available_at", job.id));
    }
    if (!finished.empty())
        job.finished_at = from_epoch_ms(to_int(finished, "finished_at", job.id));
    return job;
}

}  // namespace libqueue::redis
