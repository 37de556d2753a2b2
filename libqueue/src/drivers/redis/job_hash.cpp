#include "drivers/redis/job_hash.hpp"

#include <charconv>
#include <climits>
#include <optional>

#include "libqueue/errors.hpp"
#include "libqueue/text.hpp"

namespace libqueue::redis {

namespace {

std::optional<std::int64_t> to_int(std::string_view value) {
    std::int64_t out = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), out);
    if (ec != std::errc{} || end != value.data() + value.size())
        return std::nullopt;
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
    std::string_view attempts, max_retries, priority, created, available, finished;
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
            try {
                job.status = status_from_string(value);
            } catch (const DataError& e) {
                note_unreadable(job, "status", e.what());
            }
            has_status = true;
        } else if (field == "attempts") {
            attempts = value;
        } else if (field == "max_retries") {
            max_retries = value;
        } else if (field == "priority") {
            priority = value;
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
    // Other programs may write these fields too: what cannot be read is noted on the job.
    auto number = [&](std::string_view value, const char* field, int& out) {
        if (value.empty())
            return;
        if (auto n = to_int(value); n && *n >= INT_MIN && *n <= INT_MAX) {
            out = int(*n);
        } else {
            note_unreadable(job, field, "not a number: '" + valid_utf8(value.substr(0, 40)) + "'");
        }
    };
    // q writes epoch milliseconds; any form parse_stored_time reads is taken too.
    auto time = [&](std::string_view value, const char* field) -> std::optional<TimePoint> {
        if (value.empty())
            return std::nullopt;
        if (auto n = to_int(value))
            return from_epoch_ms(*n);
        try {
            return parse_stored_time(value);
        } catch (const DataError& e) {
            note_unreadable(job, field, e.what());
            return std::nullopt;
        }
    };
    number(attempts, "attempts", job.attempts);
    number(max_retries, "max_retries", job.max_retries);
    number(priority, "priority", job.priority);
    job.created_at = time(created, "created_at").value_or(TimePoint{});
    job.available_at = time(available, "available_at");
    job.finished_at = time(finished, "finished_at");
    return job;
}

}  // namespace libqueue::redis
