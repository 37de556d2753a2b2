// The config loader: load_config on arbitrary file contents, then redacted_json (what `q config`
// prints). Only libqueue::Error is expected; anything else, a crash or a sanitizer report is a bug.
#include <cstddef>
#include <cstdint>

#include "fuzz_input_file.hpp"
#include "libqueue/config.hpp"
#include "libqueue/errors.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto& path = q_fuzz::write_input("q.json", data, size);
    try {
        libqueue::Config config = libqueue::load_config(path);
        (void)libqueue::redacted_json(config).dump();
        (void)config.section(config.driver);
    } catch (const libqueue::Error&) {
    }
    return 0;
}
