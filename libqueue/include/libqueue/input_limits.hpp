// How much q reads from a file or stdin where input enters it. Input need not be a regular file
// (`--payload-file <(cmd)`, a pipe into `q push -`), so its size is known only once read: q reads
// at most one byte past the limit, then refuses, so that /dev/zero or a runaway producer ends in
// one line instead of memory without bound.
#pragma once

#include <cstddef>
#include <filesystem>
#include <istream>
#include <string>
#include <utility>

namespace libqueue {

inline constexpr std::size_t max_payload_input_bytes = std::size_t(64) << 20;  // 64 MiB
// A batch line carries a payload and its job's other fields.
inline constexpr std::size_t max_batch_line_bytes =
    max_payload_input_bytes + (std::size_t(1) << 20);
inline constexpr std::size_t max_config_bytes = std::size_t(4) << 20;  // 4 MiB

// All of `in`, or DataError "WHAT: more than N MiB (the limit)" once it holds more than
// `max_bytes`.
std::string read_at_most(std::istream& in, std::size_t max_bytes, const std::string& what);

// The lines of a stream, one at a time, without the newline. A line longer than `max_line_bytes`
// is refused (DataError "WHAT line N: more than M MiB (the limit)") as soon as it passes it.
class BoundedLines {
  public:
    BoundedLines(std::istream& in, std::size_t max_line_bytes, std::string what)
        : in_(in), max_line_bytes_(max_line_bytes), what_(std::move(what)) {}

    // False at the end of the input.
    bool next(std::string& line);
    // The number of the line next() returned last, from 1.
    std::size_t number() const { return number_; }

  private:
    std::istream& in_;
    std::size_t max_line_bytes_;
    std::string what_;
    std::size_t number_ = 0;
};

// Throws NotFoundError "PATH: is a directory, not a WHAT" or "PATH: is not a regular file" unless
// `path` is a regular file (or a link to one) or missing: for files q locks and replaces (queue
// files), where a FIFO would block and a device never end.
void require_regular_file(const std::filesystem::path& path, const std::string& what);

}  // namespace libqueue
