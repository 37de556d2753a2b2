// Points in time as libqueue stores them: UTC, millisecond precision, ISO 8601 text on the wire.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

namespace date {
class time_zone;
}

namespace libqueue {

using Milliseconds = std::chrono::milliseconds;
using TimePoint = std::chrono::sys_time<Milliseconds>;
using LocalTime = std::chrono::local_time<Milliseconds>;  // a wall-clock time, zone not said

// The local system clock, truncated to milliseconds. Drivers with a server use the server's clock.
TimePoint system_now();

// "2026-11-23T17:00:00.000Z": the form SQLite rows and files store, which sorts as text.
std::string format_iso8601(TimePoint t);

// Accepts ISO 8601 with 'Z' or a ±HH:MM offset, with or without fractional seconds, 'T' or ' '
// between date and time; offsets up to ±18:00. Throws DataError naming the text.
TimePoint parse_iso8601(std::string_view text);

// A time read from a store other programs write too: whatever parse_iso8601 accepts, and also a
// time without a zone (UTC: SQLite's datetime() writes "2026-11-23 17:00:00"), a bare date, or
// seconds since 1970 with an optional fraction. Throws DataError naming the text.
TimePoint parse_stored_time(std::string_view text);

// For `--at`: like parse_iso8601, but a time without an offset is the machine's local time.
// Throws UsageError naming the text.
TimePoint parse_user_time(std::string_view text);

// The zone in which times written without one are read: another program's local time (the Dart
// file driver writes DateTime.now().toIso8601String(), local time with no zone).
class LocalZone {
  public:
    // name: an IANA zone ("Europe/Berlin", "UTC"); empty: $TZ when it names a zone, else this
    // machine's zone (/etc/localtime), else UTC. Throws UsageError for a name the system's tz
    // database does not know.
    explicit LocalZone(const std::string& name = "");

    const std::string& name() const { return name_; }

    // With a zone or offset, as given; without one, local time in this zone (the earlier instant
    // when a clock change repeats it, the change itself when the clock skipped it). Sets *zoneless
    // when the text had no zone. Throws DataError naming the text.
    TimePoint read(std::string_view text, bool* zoneless = nullptr) const;

    // Wall-clock time in this zone, and back: a wall-clock time the clock repeats is the earlier
    // instant, one it skipped is the instant of the change.
    LocalTime to_local(TimePoint t) const;
    TimePoint to_sys(LocalTime t) const;

  private:
    const date::time_zone* zone_ = nullptr;
    std::string name_;
};

}  // namespace libqueue
