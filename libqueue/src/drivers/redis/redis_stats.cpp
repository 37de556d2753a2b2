#include "drivers/redis/redis_stats.hpp"

#include <algorithm>
#include <map>

#include "drivers/redis/job_hash.hpp"

namespace libqueue::redis {

namespace {

constexpr std::size_t kScanPage = 1000;

std::uint64_t* totals_field(Totals& totals, std::string_view counter) {
    if (counter == "pushed")
        return &totals.pushed;
    if (counter == "completed")
        return &totals.completed;
    if (counter == "dead")
        return &totals.dead;
    if (counter == "retries")
        return &totals.retries;
    if (counter == "processing_ms")
        return &totals.processing_ms;
    return nullptr;  // a counter of a later version: ignore
}

// totals: "COUNTER" for the queue, "COUNTER:NAME" per name (counters have no ':').
void read_totals(const redisReply& flat, QueueStats& stats) {
    for (std::size_t i = 0; i + 1 < size(flat); i += 2) {
        auto field = text(element(flat, i));
        auto value =
            static_cast<std::uint64_t>(std::max<std::int64_t>(0, integer(element(flat, i + 1))));
        auto colon = field.find(':');
        if (colon == std::string_view::npos) {
            if (auto* slot = totals_field(stats.totals, field))
                *slot = value;
        } else {
            auto name = std::string(field.substr(colon + 1));
            if (auto* slot = totals_field(stats.totals_by_name[name], field.substr(0, colon))) {
                *slot = value;
            }
        }
    }
}

// counts: "STATE:NAME" -> jobs. Pending ones are put in `due` until the delayed scan splits them.
void read_counts(const redisReply& flat, QueueStats& stats) {
    for (std::size_t i = 0; i + 1 < size(flat); i += 2) {
        auto field = text(element(flat, i));
        auto value =
            static_cast<std::uint64_t>(std::max<std::int64_t>(0, integer(element(flat, i + 1))));
        auto colon = field.find(':');
        if (colon == std::string_view::npos)
            continue;
        auto state = field.substr(0, colon);
        auto& counts = stats.by_name[std::string(field.substr(colon + 1))];
        if (state == "pending")
            counts.due = value;
        if (state == "processing")
            counts.processing = value;
        if (state == "completed")
            counts.completed = value;
        if (state == "failed")
            counts.failed = value;
    }
}

// The delayed jobs' names, a page at a time, to move them from `due` to `delayed` by name.
void split_delayed_by_name(Connection& connection, const std::string& base, std::int64_t now,
                           QueueStats& stats) {
    std::map<std::string, std::uint64_t> delayed;
    for (std::size_t offset = 0;; offset += kScanPage) {
        auto page = connection.command({"ZRANGEBYSCORE", base + "pending",
                                        "(" + std::to_string(now), "+inf", "LIMIT",
                                        std::to_string(offset), std::to_string(kScanPage)});
        const auto& ids = connection.expect(page, "reading delayed jobs");
        if (size(ids) == 0)
            break;
        std::vector<Command> gets;
        for (std::size_t i = 0; i < size(ids); ++i) {
            auto id = id_of_pending_member(text(element(ids, i)));
            gets.push_back({"HGET", base + "job:" + std::string(id), "name"});
        }
        for (const auto& reply : connection.pipeline(gets)) {
            if (!is_nil(*reply) && !is_error(*reply))
                ++delayed[std::string(text(*reply))];
        }
        if (size(ids) < kScanPage)
            break;
    }
    for (const auto& [name, n] : delayed) {
        auto& counts = stats.by_name[name];
        counts.delayed = std::min(n, counts.due);
        counts.due -= counts.delayed;
    }
}

bool is_empty(const QueueStats& s) {
    const auto& c = s.counts;
    const auto& t = s.totals;
    return c.due + c.delayed + c.processing + c.completed + c.failed == 0 &&
           t.pushed + t.completed + t.dead + t.retries + t.processing_ms == 0;
}

}  // namespace

TimePoint time_of(const redisReply& time) {
    return from_epoch_ms(integer(element(time, 0)) * 1000 + integer(element(time, 1)) / 1000);
}

TimePoint server_now(Connection& connection) {
    auto reply = connection.command({"TIME"});
    return time_of(connection.expect(reply, "TIME"));
}

Stats read_stats(Connection& connection, const std::string& prefix) {
    Stats stats;
    stats.now = server_now(connection);
    auto now = epoch_ms(stats.now);
    auto now_text = std::to_string(now);

    auto members = connection.command({"SMEMBERS", prefix + ":queues"});
    std::vector<std::string> queues;
    const auto& list = connection.expect(members, "listing queues");
    for (std::size_t i = 0; i < size(list); ++i) queues.emplace_back(text(element(list, i)));
    std::sort(queues.begin(), queues.end());

    for (const auto& queue : queues) {
        auto base = queue_base(prefix, queue);
        auto replies = connection.pipeline({
            {"ZCOUNT", base + "pending", "-inf", now_text},
            {"ZCARD", base + "pending"},
            {"ZCARD", base + "reserved"},
            {"ZCARD", base + "completed"},
            {"ZCARD", base + "dead"},
            {"HGETALL", base + "totals"},
            {"HGETALL", base + "counts"},
            {"ZRANGEBYSCORE", base + "pending", "-inf", now_text, "WITHSCORES", "LIMIT", "0", "1"},
        });
        QueueStats q;
        q.queue = queue;
        auto count = [&](std::size_t i) {
            return static_cast<std::uint64_t>(integer(connection.expect(replies[i], "stats")));
        };
        q.counts.due = count(0);
        q.counts.delayed = count(1) - std::min(count(1), q.counts.due);
        q.counts.processing = count(2);
        q.counts.completed = count(3);
        q.counts.failed = count(4);
        read_totals(connection.expect(replies[5], "stats"), q);
        read_counts(connection.expect(replies[6], "stats"), q);
        const auto& oldest = connection.expect(replies[7], "stats");
        if (size(oldest) >= 2) {
            auto due_at = std::stoll(std::string(text(element(oldest, 1))));
            q.oldest_due_age = Milliseconds(std::max<std::int64_t>(0, now - due_at));
        }
        if (q.counts.delayed > 0)
            split_delayed_by_name(connection, base, now, q);
        if (!is_empty(q))
            stats.queues.push_back(std::move(q));
    }
    return stats;
}

std::vector<std::string> persistence_warnings(Connection& connection) {
    auto replies =
        connection.pipeline({{"CONFIG", "GET", "appendonly"}, {"CONFIG", "GET", "save"}});
    if (is_error(*replies[0]) || is_error(*replies[1]) || size(*replies[0]) < 2 ||
        size(*replies[1]) < 2) {
        return {};
    }
    auto aof = text(element(*replies[0], 1));
    auto save = text(element(*replies[1], 1));
    if (aof == "no" && save.empty()) {
        return {connection.where() +
                " keeps nothing on disk (appendonly no, no save points): a restart of the server "
                "loses every job; turn on appendonly"};
    }
    return {};
}

}  // namespace libqueue::redis
