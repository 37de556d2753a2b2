// Cron expressions (schedules.NAME.cron): any text either parses or is a UsageError; what parses
// gives ticks that move forward, fall on whole minutes and are found again from just before
// them, in UTC and in a zone with daylight-saving changes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "libqueue/cron.hpp"
#include "libqueue/errors.hpp"
#include "libqueue/time.hpp"

namespace {

void check_ticks(const libqueue::CronExpression& cron, const libqueue::LocalZone& zone) {
    // Two weeks before a spring-forward night in Europe/Berlin (2027-03-28).
    auto t = libqueue::parse_iso8601("2027-03-14T00:00:00Z");
    for (int i = 0; i < 4; ++i) {
        const auto next = cron.next_after(t, zone);
        if (!next)
            return;
        if (*next <= t)
            std::abort();  // a tick not after the time it was asked after
        if (next->time_since_epoch() % std::chrono::minutes(1) != libqueue::Milliseconds(0))
            std::abort();  // ticks fall on whole minutes
        if (cron.next_after(*next - libqueue::Milliseconds(1), zone) != next)
            std::abort();  // the tick is not found again from just before it
        t = *next;
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const libqueue::LocalZone utc("UTC");
    static const libqueue::LocalZone berlin("Europe/Berlin");
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    try {
        const auto cron = libqueue::CronExpression::parse(text);
        check_ticks(cron, utc);
        check_ticks(cron, berlin);
    } catch (const libqueue::UsageError&) {
    }
    return 0;
}
