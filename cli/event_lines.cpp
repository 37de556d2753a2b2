#include "event_lines.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <ctime>

namespace q {

bool stderr_wants_colour() {
    static const bool wanted = [] {
        if (std::getenv("NO_COLOR") != nullptr)
            return false;
        const char* term = std::getenv("TERM");
        if (term != nullptr && std::strcmp(term, "dumb") == 0)
            return false;
        return ::isatty(STDERR_FILENO) == 1;
    }();
    return wanted;
}

std::string local_clock_text(std::chrono::system_clock::time_point when) {
    const std::time_t seconds = std::chrono::system_clock::to_time_t(when);
    std::tm local{};
    ::localtime_r(&seconds, &local);
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(when.time_since_epoch() %
                                                                          std::chrono::seconds(1))
                        .count();
    return fmt::format("{:02}:{:02}:{:02}.{:03}", local.tm_hour, local.tm_min, local.tm_sec,
                       ms < 0 ? ms + 1000 : ms);
}

std::string event_line(std::chrono::system_clock::time_point when, Tone tone,
                       const std::string& word, const std::string& rest, bool colour) {
    const char* code = nullptr;
    switch (tone) {
        case Tone::good:
            code = "32";  // green
            break;
        case Tone::warning:
            code = "33";  // yellow
            break;
        case Tone::bad:
            code = "31";  // red
            break;
        case Tone::plain:
            break;
    }
    const std::string shown =
        colour && code != nullptr ? fmt::format("\033[{}m{}\033[0m", code, word) : word;
    return local_clock_text(when) + ' ' + shown + (rest.empty() ? "" : " " + rest);
}

}  // namespace q
