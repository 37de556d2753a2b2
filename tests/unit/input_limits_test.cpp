#include <catch2/catch.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "libqueue/errors.hpp"
#include "libqueue/input_limits.hpp"

using namespace libqueue;

namespace {

std::vector<std::string> all_lines(const std::string& text, std::size_t max_line_bytes = 100) {
    std::istringstream in(text);
    BoundedLines lines(in, max_line_bytes, "batch");
    std::vector<std::string> read;
    for (std::string line; lines.next(line);) {
        read.push_back(line);
        CHECK(lines.number() == read.size());
    }
    return read;
}

}  // namespace

TEST_CASE("lines as std::getline reads them", "[input]") {
    CHECK(all_lines("").empty());
    CHECK(all_lines("a") == std::vector<std::string>{"a"});
    CHECK(all_lines("a\n") == std::vector<std::string>{"a"});
    CHECK(all_lines("a\n\nb") == std::vector<std::string>{"a", "", "b"});
    CHECK(all_lines("\n") == std::vector<std::string>{""});
    CHECK(all_lines(std::string("x\0y\n", 4)) == std::vector<std::string>{std::string("x\0y", 3)});
}

TEST_CASE("a line past the limit is refused with its number", "[input]") {
    CHECK(all_lines(std::string(10, 'x'), 10).size() == 1);
    CHECK_THROWS_WITH(all_lines("ok\n" + std::string(11, 'x'), 10),
                      "batch line 2: more than 0 MiB (the limit)");
    CHECK_THROWS_AS(all_lines(std::string(11, 'x'), 10), DataError);
}

TEST_CASE("a whole input up to its limit", "[input]") {
    std::istringstream small(std::string(1 << 20, 'x'));
    CHECK(read_at_most(small, 1 << 20, "payload").size() == std::size_t(1) << 20);
    std::istringstream large(std::string((1 << 20) + 1, 'x'));
    CHECK_THROWS_WITH(read_at_most(large, 1 << 20, "payload"),
                      "payload: more than 1 MiB (the limit)");
}

TEST_CASE("files q locks and replaces must be regular files", "[input]") {
    CHECK_NOTHROW(require_regular_file("/proc/self/exe", "queue file"));  // a link to one
    CHECK_NOTHROW(require_regular_file("/nonexistent/q/queue.json", "queue file"));
    CHECK_THROWS_WITH(require_regular_file("/tmp", "queue file"),
                      "/tmp: is a directory, not a queue file");
    CHECK_THROWS_WITH(require_regular_file("/dev/null", "queue file"),
                      "/dev/null: is not a regular file");
    CHECK_THROWS_AS(require_regular_file("/dev/null", "queue file"), NotFoundError);
}
