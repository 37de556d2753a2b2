// Durations: parse_duration on text, duration_from_json on a JSON value; whatever parses must
// format and parse back to the same value (format_duration promises "the shortest exact form").
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string_view>

#include "libqueue/duration.hpp"
#include "libqueue/errors.hpp"

namespace {

void round_trip(libqueue::Milliseconds d) {
    const std::string text = libqueue::format_duration(d);
    if (libqueue::parse_duration(text) != d)
        std::abort();  // format_duration's text does not read back as the same duration
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    try {
        round_trip(libqueue::parse_duration(text));
    } catch (const libqueue::Error&) {
    }
    const auto value = nlohmann::json::parse(text, nullptr, false);
    if (!value.is_discarded()) {
        try {
            round_trip(libqueue::duration_from_json(value));
        } catch (const libqueue::Error&) {
        }
    }
    return 0;
}
