// The file driver's queue-file loader. A file that parses must serialize, parse back and
// serialize to the same text.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "drivers/file/file_format.hpp"
#include "libqueue/errors.hpp"

namespace ff = libqueue::file_queue;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    try {
        (void)ff::line_and_column(text, size / 2);
        const ff::QueueFile file = ff::parse_queue_file(text, "fuzz.qf");
        const std::string written = ff::serialize_queue_file(file, "0123456789abcdef");
        try {
            const ff::QueueFile again = ff::parse_queue_file(written, "rewritten");
            if (ff::serialize_queue_file(again, "0123456789abcdef") != written)
                std::abort();  // the rewrite lost, gained or changed something
        } catch (const libqueue::Error&) {
            std::abort();  // q wrote a file it cannot read back
        }
    } catch (const libqueue::Error&) {
    }
    return 0;
}
