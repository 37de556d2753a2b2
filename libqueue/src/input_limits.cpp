#include "libqueue/input_limits.hpp"

#include <array>

#include "libqueue/errors.hpp"

namespace libqueue {

std::string read_at_most(std::istream& in, std::size_t max_bytes, const std::string& what) {
    std::string text;
    std::array<char, 64 * 1024> chunk{};
    while (in) {
        in.read(chunk.data(), std::streamsize(chunk.size()));
        text.append(chunk.data(), std::size_t(in.gcount()));
        if (text.size() > max_bytes) {
            throw DataError(what + ": more than " + std::to_string(max_bytes >> 20) +
                            " MiB (the limit)");
        }
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
        if (line.size() > max_line_bytes_) {
            throw DataError(what_ + " line " + std::to_string(number_ + 1) + ": more than " +
                            std::to_string(max_line_bytes_ >> 20) + " MiB (the limit)");
        }
    }
    ++number_;
    return true;
}

void require_regular_file(const std::filesystem::path& path) {
    std::error_code error;
    const auto status = std::filesystem::status(path, error);
    if (!error && std::filesystem::exists(status) && !std::filesystem::is_regular_file(status))
        throw NotFoundError(path.string() + ": is not a regular file");
}

}  // namespace libqueue
