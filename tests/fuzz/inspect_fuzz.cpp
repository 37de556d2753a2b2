// `q inspect-file`'s readers: inspect_queue_text on every layout, then summarize and the --json
// form of what it found.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "libqueue/errors.hpp"
#include "libqueue/inspect.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    // A fixed "now" keeps runs reproducible: 2026-11-23T17:00:00Z.
    const libqueue::TimePoint now{std::chrono::milliseconds(1'795'453'200'000LL)};
    // A zone with clock changes, so zone-less times meet gaps and repeats too.
    static const libqueue::LocalZone zone("Europe/Berlin");
    try {
        const libqueue::FileInspection inspection =
            libqueue::inspect_queue_text(text, "fuzz.json", now, zone);
        (void)libqueue::summarize(inspection);
        (void)libqueue::inspection_to_json(inspection, 0).dump();
        (void)libqueue::inspection_to_json(inspection, 1).dump();
    } catch (const libqueue::Error&) {
    }
    return 0;
}
