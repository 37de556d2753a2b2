// Durations as users write them: "250ms", "30s", "5m", "2h", "1d", or a plain number of seconds.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>

#include "libqueue/time.hpp"

namespace libqueue {

// Throws UsageError: "bad duration 'x' (expected e.g. 250ms, 30s, 5m, 2h, 1d)".
Milliseconds parse_duration(std::string_view text);

// A config value: a duration string or a non-negative number of seconds (the Dart queue
// system's config writes 90).
// Throws UsageError as parse_duration.
Milliseconds duration_from_json(const nlohmann::json& value);

// The shortest exact human form: 1500ms -> "1.5s", 90000ms -> "1m30s", 0 -> "0s".
std::string format_duration(Milliseconds d);

}  // namespace libqueue
