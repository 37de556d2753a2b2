#include "libqueue/input_limits.hpp"

#include <array>

#include "libqueue/errors.hpp"

namespace libqueue {
namespace {

DataError over_limit(const std::string& what, std::size_t max_bytes) {
    return DataError(what + ": more than " + std::to_string(max_bytes >> 20) + " MiB (the limit)");
}

}  // namespace

std::string read_at_most(std::istream& in, std::size_t max_bytes, const std::string& what) {
    std::string text;
    std::array<char, 64 * 1024> chunk{};
    while (in) {
        in.read(chunk.data(), std::streamsize(chunk.size()));
        text.append(chunk.data(), std::size_t(in.gcount()));
        if (text.size() > max_bytes)
            throw over_limit(what, max_bytes);
    }
    return text;
}

bool BoundedLines::next(std::string& line) {
    line.clear();
    auto* buffer = in_.rdbuf();
    for (;;) {
        const auto c = buffer->sbumpc();
        if (c == std::char_traits<char>::eof()) {
            if (line.empty())
                return false;
            break;
        }
        if (c == '\n')
            break;
        line.push_back(std::char_traits<char>::to_char_type(c));
        if (line.size() > max_line_bytes_)
            throw over_limit(what_ + " line " + std::to_string(number_ + 1), max_line_bytes_);
    }
    ++number_;
    return true;
}

void require_regular_file(const std::filesystem::path& path, const std::string& what) {
    std::error_code error;
    const auto status = std::filesystem::status(path, error);
    if (error || !std::filesystem::exists(status) || std::filesystem::is_regular_file(status))
        return;
    if (std::filesystem::is_directory(status))
        throw NotFoundError(path.string() + ": is a directory, not a " + what);
    throw NotFoundError(path.string() + ": is not a regular file");
}

}  // namespace libqueue
