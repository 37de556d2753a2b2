#include "libqueue/schedule_mark.hpp"

#include <nlohmann/json.hpp>

namespace libqueue {

std::string schedule_mark_value(const ScheduleMark& mark) {
    return nlohmann::json{{"tick", format_iso8601(mark.tick)}, {"job", mark.job_id}}.dump(
        -1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::optional<ScheduleMark> read_schedule_mark(std::string_view value) {
    const auto parsed = nlohmann::json::parse(value, nullptr, false);
    if (!parsed.is_object() || !parsed.contains("tick") || !parsed["tick"].is_string() ||
        !parsed.contains("job") || !parsed["job"].is_string())
        return std::nullopt;
    try {
        return ScheduleMark{parse_iso8601(parsed["tick"].get<std::string>()),
                            parsed["job"].get<std::string>()};
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

bool tick_is_new(const std::optional<ScheduleMark>& mark, TimePoint tick) {
    return !mark || mark->tick < tick;
}

}  // namespace libqueue
