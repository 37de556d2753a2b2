// Times: parse_iso8601, parse_stored_time, parse_user_time. What parse_iso8601 accepts must read
// back from format_iso8601 as the same instant.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "libqueue/errors.hpp"
#include "libqueue/time.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    try {
        const libqueue::TimePoint t = libqueue::parse_iso8601(text);
        const std::string formatted = libqueue::format_iso8601(t);
        if (libqueue::parse_iso8601(formatted) != t)
            std::abort();  // format_iso8601's text does not read back as the same instant
    } catch (const libqueue::Error&) {
    }
    try {
        (void)libqueue::format_iso8601(libqueue::parse_stored_time(text));
    } catch (const libqueue::Error&) {
    }
    try {
        (void)libqueue::format_iso8601(libqueue::parse_user_time(text));
    } catch (const libqueue::Error&) {
    }
    return 0;
}
