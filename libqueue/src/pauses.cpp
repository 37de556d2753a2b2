#include "libqueue/pauses.hpp"

#include <algorithm>
#include <optional>

#include "libqueue/errors.hpp"
#include "libqueue/job.hpp"

namespace libqueue {

namespace {

constexpr const char* kind = "pause";

}  // namespace

nlohmann::json Pause::to_json() const {
    return {{"queue", queue},
            {"since", format_iso8601(since)},
            {"until", until ? nlohmann::json(format_iso8601(*until)) : nlohmann::json(nullptr)},
            {"by", by}};
}

void pause_queue(QueueDriver& driver, const std::string& queue, std::optional<Milliseconds> length,
                 const std::string& by) {
    validate_label("queue name", queue);
    nlohmann::json value = {{"by", by}, {"until", nullptr}};
    if (length)
        value["until"] = (driver.now() + *length).time_since_epoch().count();
    driver.put_record(kind, queue,
                      value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

bool resume_queue(QueueDriver& driver, const std::string& queue) {
    return driver.remove_records(kind, {queue}) > 0;
}

std::vector<Pause> paused_queues(QueueDriver& driver) {
    const auto records = records_if_kept(driver, kind);
    // The backend's clock, asked only for a pause with an end: most pauses (and most calls,
    // which find none) have none, and on a server each question is a round trip.
    std::optional<TimePoint> now;
    std::vector<Pause> out;
    std::vector<std::string> ended;
    for (const auto& record : records) {
        const auto value = nlohmann::json::parse(record.value, nullptr, false);
        if (!value.is_object() || !value.contains("by") || !value["by"].is_string())
            continue;  // not q's
        Pause pause{record.key, record.updated_at, std::nullopt, value["by"].get<std::string>()};
        if (value.contains("until") && value["until"].is_number_integer())
            pause.until = TimePoint{Milliseconds{value["until"].get<std::int64_t>()}};
        if (pause.until && !now)
            now = driver.now();
        if (pause.until && *pause.until <= *now) {
            ended.push_back(record.key);
            continue;
        }
        out.push_back(std::move(pause));
    }
    if (!ended.empty())
        driver.remove_records(kind, ended);
    std::sort(out.begin(), out.end(),
              [](const Pause& a, const Pause& b) { return a.queue < b.queue; });
    return out;
}

}  // namespace libqueue
