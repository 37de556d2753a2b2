#include "libqueue/time.hpp"

#include <date/date.h>

#include <cctype>
#include <ctime>
#include <optional>
#include <sstream>

#include "libqueue/errors.hpp"

namespace libqueue {

TimePoint system_now() {
    return std::chrono::floor<Milliseconds>(std::chrono::system_clock::now());
}

std::string format_iso8601(TimePoint t) {
    return date::format("%FT%TZ", t);
}

namespace {

using Microseconds = std::chrono::microseconds;

// 'T' for ' ' between date and time, and fractions cut to 6 digits: other programs write
// microseconds (PostgreSQL, Python) or 7 digits (.NET); q keeps milliseconds, so the rest is noise.
std::string normalize(std::string_view text) {
    std::string out(text);
    if (out.size() > 10 && out[10] == ' ')
        out[10] = 'T';
    if (auto dot = out.find('.', 10); dot != std::string::npos) {
        std::size_t end = dot + 1;
        while (end < out.size() && std::isdigit(static_cast<unsigned char>(out[end]))) ++end;
        if (end - dot - 1 > 6)
            out.erase(dot + 7, end - dot - 7);
    }
    return out;
}

// Tries the accepted layouts in turn; date::parse leaves the stream failed when one does not fit.
std::optional<TimePoint> parse_with_offset(std::string_view text) {
    const std::string normalized = normalize(text);
    for (const char* layout : {"%FT%T%Ez", "%FT%TZ", "%FT%T%z", "%FT%R%Ez", "%FT%RZ", "%FT%R%z"}) {
        std::istringstream in(normalized);
        date::sys_time<Microseconds> parsed;
        in >> date::parse(layout, parsed);
        if (!in.fail() && in.peek() == std::char_traits<char>::eof()) {
            return std::chrono::floor<Milliseconds>(parsed);
        }
    }
    return std::nullopt;
}

std::optional<date::local_time<Milliseconds>> parse_local(std::string_view text) {
    const std::string normalized = normalize(text);
    for (const char* layout : {"%FT%T", "%FT%R", "%F"}) {
        std::istringstream in(normalized);
        date::local_time<Microseconds> parsed;
        in >> date::parse(layout, parsed);
        if (!in.fail() && in.peek() == std::char_traits<char>::eof()) {
            return std::chrono::floor<Milliseconds>(parsed);
        }
    }
    return std::nullopt;
}

}  // namespace

TimePoint parse_iso8601(std::string_view text) {
    if (auto t = parse_with_offset(text))
        return *t;
    throw DataError("bad time '" + std::string(text) +
                    "' (expected ISO 8601 such as 2026-11-23T17:00:00.000Z)");
}

TimePoint parse_user_time(std::string_view text) {
    if (auto t = parse_with_offset(text))
        return *t;
    if (auto local = parse_local(text)) {
        // The machine's zone, through the C library, which reads TZ and /etc/localtime.
        auto seconds = std::chrono::floor<std::chrono::seconds>(*local);
        auto days = date::floor<date::days>(seconds);
        date::year_month_day ymd{days};
        date::hh_mm_ss<std::chrono::seconds> hms{seconds - days};
        std::tm tm{};
        tm.tm_year = int(ymd.year()) - 1900;
        tm.tm_mon = int(unsigned(ymd.month())) - 1;
        tm.tm_mday = int(unsigned(ymd.day()));
        tm.tm_hour = int(hms.hours().count());
        tm.tm_min = int(hms.minutes().count());
        tm.tm_sec = int(hms.seconds().count());
        tm.tm_isdst = -1;
        std::time_t epoch = std::mktime(&tm);
        if (epoch != -1) {
            return TimePoint{std::chrono::seconds{epoch}} + (*local - seconds);
        }
    }
    throw UsageError("bad time '" + std::string(text) +
                     "' (expected e.g. 2026-11-23T17:00, 2026-11-23 17:00:00, or with Z/+01:00)");
}

}  // namespace libqueue
