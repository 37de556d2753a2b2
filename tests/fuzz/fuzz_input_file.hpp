// For fuzz targets whose entry point reads a file by name: each input is written to one in-memory
// file per process (memfd), which the target hands to the real loader as /proc/self/fd/N. No disk
// file is written (rewriting one per input makes ext4 flush it on close: some 300 runs a second).
#pragma once

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <string>

namespace q_fuzz {

// Writes the input to the process's memfd and returns its path.
inline const std::string& write_input(const char* name, const std::uint8_t* data,
                                      std::size_t size) {
    static const int fd = ::memfd_create(name, 0);
    static const std::string path = "/proc/self/fd/" + std::to_string(fd);
    if (fd < 0 || ::ftruncate(fd, 0) != 0)
        std::abort();
    std::size_t written = 0;
    while (written < size) {
        ssize_t n = ::pwrite(fd, data + written, size - written, off_t(written));
        if (n <= 0)
            std::abort();
        written += std::size_t(n);
    }
    return path;
}

}  // namespace q_fuzz
