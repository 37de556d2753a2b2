// `q push --batch`'s NDJSON reader (cli/batch.cpp) on arbitrary file contents.
#include <cstddef>
#include <cstdint>

#include "batch.hpp"
#include "fuzz_input_file.hpp"
#include "libqueue/errors.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto& path = q_fuzz::write_input("batch.ndjson", data, size);
    try {
        (void)q::read_batch(path, "default");
    } catch (const libqueue::Error&) {
    }
    return 0;
}
