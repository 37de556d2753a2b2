#include "libqueue/duration.hpp"

#include <cctype>
#include <charconv>
#include <cmath>
#include <nlohmann/json.hpp>

#include "libqueue/errors.hpp"
#include "libqueue/text.hpp"

namespace libqueue {

namespace {

[[noreturn]] void bad_duration(std::string_view text) {
    throw UsageError("bad duration " + libqueue::quoted(text) +
                     " (expected e.g. 250ms, 30s, 5m, 2h, 1d)");
}

long long unit_ms(std::string_view unit) {
    if (unit == "ms")
        return 1;
    if (unit == "s" || unit.empty())
        return 1'000;
    if (unit == "m")
        return 60'000;
    if (unit == "h")
        return 3'600'000;
    if (unit == "d")
        return 86'400'000;
    return -1;
}

}  // namespace

Milliseconds parse_duration(std::string_view text) {
    // One or more number+unit parts ("1m30s"); a bare number is seconds. Fractions allowed
    // ("1.5s").
    if (text.empty())
        bad_duration(text);
    double total = 0;
    int parts = 0;
    // Units go from the largest down, each once: "1h1h" or "30s1m" is a typo, not a sum.
    long long previous_scale = 0;
    std::string_view rest = text;
    while (!rest.empty()) {
        if (rest.front() == '-')
            bad_duration(text);  // from_chars takes "-0" as zero
        double value = 0;
        // Fixed notation only: "1e3s" is a typo far more often than a thousand seconds.
        auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), value,
                                         std::chars_format::fixed);
        if (ec != std::errc{} || end == rest.data() || !std::isfinite(value) || value < 0) {
            bad_duration(text);
        }
        rest.remove_prefix(std::size_t(end - rest.data()));
        std::size_t unit_length = 0;
        while (unit_length < rest.size() &&
               std::isalpha(static_cast<unsigned char>(rest[unit_length])))
            ++unit_length;
        long long scale = unit_ms(rest.substr(0, unit_length));
        if (scale < 0)
            bad_duration(text);
        // A bare number is seconds only on its own: "1m30" and "1.2.3" are mistakes.
        if (unit_length == 0 && (parts > 0 || rest.size() > 0))
            bad_duration(text);
        if (parts > 0 && scale >= previous_scale)
            bad_duration(text);
        previous_scale = scale;
        rest.remove_prefix(unit_length);
        total += value * double(scale);
        ++parts;
    }
    if (total > 1e15)
        bad_duration(text);
    return Milliseconds{static_cast<long long>(total + 0.5)};
}

Milliseconds duration_from_json(const nlohmann::json& value) {
    if (value.is_number()) {
        double seconds = value.get<double>();
        if (seconds < 0 || seconds > 1e12)
            bad_duration(value.dump());
        return Milliseconds{static_cast<long long>(seconds * 1000 + 0.5)};
    }
    if (value.is_string())
        return parse_duration(value.get<std::string>());
    throw UsageError("bad duration " + value.dump() +
                     " (expected a string such as \"30s\" or a number of seconds)");
}

std::string format_duration(Milliseconds d) {
    long long ms = d.count();
    if (ms == 0)
        return "0s";
    std::string out;
    if (ms < 0) {
        out = "-";
        ms = -ms;
    }
    if (ms < 1000)
        return out + std::to_string(ms) + "ms";
    const long long days = ms / 86'400'000, hours = ms / 3'600'000 % 24, minutes = ms / 60'000 % 60;
    const long long seconds = ms / 1000 % 60, millis = ms % 1000;
    if (days)
        out += std::to_string(days) + "d";
    if (hours)
        out += std::to_string(hours) + "h";
    if (minutes)
        out += std::to_string(minutes) + "m";
    if (seconds || millis) {
        out += std::to_string(seconds);
        if (millis) {
            char frac[8];
            std::snprintf(frac, sizeof frac, ".%03lld", millis);
            std::string f(frac);
            while (f.back() == '0') f.pop_back();
            out += f;
        }
        out += "s";
    }
    return out;
}

}  // namespace libqueue
