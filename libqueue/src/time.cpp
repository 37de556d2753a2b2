#include "libqueue/time.hpp"

#include <date/date.h>
#include <date/tz.h>

#include <charconv>
#include <cstdlib>
#include <ctime>
#include <optional>
#include <stdexcept>

#include "libqueue/errors.hpp"
#include "libqueue/text.hpp"

namespace libqueue {

TimePoint system_now() {
    return std::chrono::floor<Milliseconds>(std::chrono::system_clock::now());
}

std::string format_iso8601(TimePoint t) {
    return date::format("%FT%TZ", t);
}

namespace {

// Real zones are within ±14:00; ±18:00 is the widest offset any library writes.
constexpr int max_offset_minutes = 18 * 60;

// An ISO 8601 date and time as this scanner reads it, before any zone is applied.
struct Parts {
    date::sys_days day;         // the calendar date (local or UTC, as the zone says)
    Milliseconds in_day{0};     // time of day
    std::optional<int> offset;  // minutes east of UTC; nullopt: no zone given
};

// Reads digits at text[pos, pos + width); nullopt unless all are digits.
std::optional<int> digits(std::string_view text, std::size_t pos, std::size_t width) {
    if (pos + width > text.size())
        return std::nullopt;
    int value = 0;
    for (std::size_t i = pos; i < pos + width; ++i) {
        if (text[i] < '0' || text[i] > '9')
            return std::nullopt;
        value = value * 10 + (text[i] - '0');
    }
    return value;
}

// YYYY-MM-DD, then optionally 'T' or ' ' and HH:MM[:SS[.fraction]], then optionally 'Z' or
// ±HH[[:]MM]. Fractions beyond milliseconds are cut (PostgreSQL writes micro-, .NET 100 ns).
// Hand-written rather than date::parse: date 3.0.1 reads uninitialised seconds for "HH:MM" and
// overflows on some malformed offsets (both undefined behaviour, found by fuzzing).
std::optional<Parts> scan(std::string_view text) {
    auto year = digits(text, 0, 4), month = digits(text, 5, 2), day = digits(text, 8, 2);
    if (!year || !month || !day || text[4] != '-' || text[7] != '-')
        return std::nullopt;
    const date::year_month_day ymd{date::year{*year}, date::month{unsigned(*month)},
                                   date::day{unsigned(*day)}};
    if (!ymd.ok())
        return std::nullopt;
    Parts parts{date::sys_days{ymd}, {}, {}};
    std::size_t pos = 10;
    if (pos == text.size())
        return parts;
    if (text[pos] != 'T' && text[pos] != ' ')
        return std::nullopt;
    auto hour = digits(text, pos + 1, 2), minute = digits(text, pos + 4, 2);
    if (!hour || !minute || text[pos + 3] != ':' || *hour > 23 || *minute > 59)
        return std::nullopt;
    long long ms = (*hour * 60LL + *minute) * 60'000;
    pos += 6;
    if (pos < text.size() && text[pos] == ':') {
        auto second = digits(text, pos + 1, 2);
        if (!second || *second > 59)
            return std::nullopt;
        ms += *second * 1000LL;
        pos += 3;
        if (pos < text.size() && text[pos] == '.') {
            std::size_t first = ++pos;
            int scale = 100;
            while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
                ms += (text[pos] - '0') * scale;
                scale /= 10;
                ++pos;
            }
            if (pos == first)
                return std::nullopt;
        }
    }
    parts.in_day = Milliseconds{ms};
    if (pos == text.size())
        return parts;
    if (text[pos] == 'Z' && pos + 1 == text.size()) {
        parts.offset = 0;
        return parts;
    }
    if (text[pos] != '+' && text[pos] != '-')
        return std::nullopt;
    const int sign = text[pos] == '-' ? -1 : 1;
    auto offset_hours = digits(text, pos + 1, 2);
    if (!offset_hours)
        return std::nullopt;
    pos += 3;
    int offset_minutes = 0;
    if (pos < text.size()) {
        if (text[pos] == ':')
            ++pos;
        auto m = digits(text, pos, 2);
        if (!m || *m > 59 || pos + 2 != text.size())
            return std::nullopt;
        offset_minutes = *m;
    }
    const int offset = *offset_hours * 60 + offset_minutes;
    if (offset > max_offset_minutes)
        return std::nullopt;
    parts.offset = sign * offset;
    return parts;
}

std::optional<TimePoint> parse_with_offset(std::string_view text) {
    auto parts = scan(text);
    if (!parts || !parts->offset)
        return std::nullopt;
    return TimePoint{parts->day} + parts->in_day - std::chrono::minutes{*parts->offset};
}

std::optional<date::local_time<Milliseconds>> parse_local(std::string_view text) {
    auto parts = scan(text);
    if (!parts || parts->offset)
        return std::nullopt;
    return date::local_time<Milliseconds>{parts->day.time_since_epoch()} + parts->in_day;
}

// Seconds since 1970 as digits with an optional sign and fraction ("1764691200", "1764691200.25"):
// what SQLite's unixepoch() and many scripts store. Years 0001 to 9999 only.
std::optional<TimePoint> parse_unix_seconds(std::string_view text) {
    const char* first = text.data();
    const char* last = text.data() + text.size();
    long long seconds = 0;
    auto [end, ec] = std::from_chars(first, last, seconds);
    if (ec != std::errc{} || end == first || seconds < -62'135'596'800 ||
        seconds > 253'402'300'799) {
        return std::nullopt;
    }
    long long millis = 0;
    if (end != last) {
        if (*end != '.' || end + 1 == last)
            return std::nullopt;
        int scale = 100;
        for (const char* p = end + 1; p != last; ++p) {
            if (*p < '0' || *p > '9')
                return std::nullopt;
            millis += (*p - '0') * scale;
            scale /= 10;
        }
        if (text.front() == '-')
            millis = -millis;
    }
    return TimePoint{std::chrono::seconds{seconds}} + Milliseconds{millis};
}

}  // namespace

TimePoint parse_iso8601(std::string_view text) {
    if (auto t = parse_with_offset(text))
        return *t;
    throw DataError("bad time " + quoted(text) +
                    " (expected ISO 8601 such as 2026-11-23T17:00:00.000Z)");
}

TimePoint parse_stored_time(std::string_view text) {
    if (auto t = parse_with_offset(text))
        return *t;
    if (auto t = parse_local(text))
        return TimePoint{t->time_since_epoch()};  // no zone in a stored time: UTC, as SQLite writes
    if (auto t = parse_unix_seconds(text))
        return *t;
    throw DataError("bad time " + quoted(text) +
                    " (expected ISO 8601, SQLite's 2026-11-23 17:00:00, or unix seconds)");
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
    throw UsageError("bad time " + quoted(text) +
                     " (expected e.g. 2026-11-23T17:00, 2026-11-23 17:00:00, or with Z/+01:00)");
}

namespace {

const date::time_zone* find_zone(const std::string& name) {
    try {
        return date::locate_zone(name);
    } catch (const std::runtime_error&) {
        return nullptr;  // not in the tz database (or no tz database at all)
    }
}

}  // namespace

LocalZone::LocalZone(const std::string& name) {
    if (!name.empty()) {
        zone_ = find_zone(name);
        if (zone_ == nullptr) {
            throw UsageError("unknown time zone " + quoted(name) +
                             " (expected a tz database name such as Europe/Berlin or UTC)");
        }
    } else if (const char* tz = std::getenv("TZ"); tz != nullptr && *tz != '\0') {
        zone_ = find_zone(tz[0] == ':' ? tz + 1 : tz);  // POSIX allows ":Area/City"
    }
    if (zone_ == nullptr) {
        try {
            zone_ = date::current_zone();
        } catch (const std::runtime_error&) {
            zone_ = find_zone("UTC");
        }
    }
    name_ = zone_ != nullptr ? std::string(zone_->name()) : "UTC";
}

TimePoint LocalZone::read(std::string_view text, bool* zoneless) const {
    if (zoneless != nullptr)
        *zoneless = false;
    if (auto t = parse_with_offset(text))
        return *t;
    if (auto local = parse_local(text)) {
        if (zoneless != nullptr)
            *zoneless = true;
        return to_sys(LocalTime{local->time_since_epoch()});
    }
    throw DataError("bad time " + quoted(text) +
                    " (expected ISO 8601 such as 2026-12-02T16:21:28.222930, with or without a "
                    "zone)");
}

LocalTime LocalZone::to_local(TimePoint t) const {
    if (zone_ == nullptr)  // no tz database on this machine: UTC, as name() says
        return LocalTime{t.time_since_epoch()};
    return LocalTime{zone_->to_local(t).time_since_epoch()};
}

TimePoint LocalZone::to_sys(LocalTime t) const {
    if (zone_ == nullptr)
        return TimePoint{t.time_since_epoch()};
    // date::local_time is its own clock type; std::chrono::local_time is not the same type.
    const date::local_time<Milliseconds> local{t.time_since_epoch()};
    return TimePoint{zone_->to_sys(local, date::choose::earliest).time_since_epoch()};
}

}  // namespace libqueue
