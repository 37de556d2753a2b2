// Points in time as libqueue stores them: UTC, millisecond precision, ISO 8601 text on the wire.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

namespace libqueue {

using Milliseconds = std::chrono::milliseconds;
using TimePoint = std::chrono::sys_time<Milliseconds>;

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

}  // namespace libqueue
