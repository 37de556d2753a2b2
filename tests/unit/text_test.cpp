#include <catch2/catch.hpp>
#include <string>

#include "libqueue/errors.hpp"
#include "libqueue/json_limits.hpp"
#include "libqueue/text.hpp"

using namespace libqueue;
using namespace std::string_literals;

TEST_CASE("valid_utf8 keeps valid text and replaces every ill-formed byte") {
    CHECK(valid_utf8("café ✓ 𝄞") == "café ✓ 𝄞");
    CHECK(valid_utf8("caf\xe9") == "caf\xEF\xBF\xBD");                            // Latin-1 é
    CHECK(valid_utf8("a\0b"s) == "ab");                                           // NUL removed
    CHECK(valid_utf8("\xC0\xAF") == "\xEF\xBF\xBD\xEF\xBF\xBD");                  // overlong '/'
    CHECK(valid_utf8("\xED\xA0\x80") == "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // surrogate
    CHECK(valid_utf8("\xF4\x90\x80\x80").find("\xF4") == std::string::npos);      // > U+10FFFF
    CHECK(valid_utf8("\xE2\x9C") == "\xEF\xBF\xBD\xEF\xBF\xBD");  // truncated at the end
    for (int b = 0; b < 256; ++b) {
        const std::string one(1, static_cast<char>(b));
        CHECK(is_valid_utf8(valid_utf8(one + "x" + one)));
    }
}

TEST_CASE("json_nesting_depth counts brackets outside strings only") {
    CHECK(json_nesting_depth("{}") == 1);
    CHECK(json_nesting_depth(R"({"a": [[1], {"b": []}]})") == 4);
    CHECK(json_nesting_depth(R"("[[[[\"[[[")") == 0);
    CHECK(json_nesting_depth(R"(["\\", [[]]])") == 3);
    CHECK(json_depth_ok(std::string(512, '[') + std::string(512, ']')));
    CHECK_FALSE(json_depth_ok(std::string(513, '[')));
    CHECK(json_nesting_depth(std::string(1'000'000, '[')) == max_json_depth + 1);  // stops early
    CHECK_THROWS_AS(check_json_depth(std::string(100'000, '['), "payload"), DataError);
}

TEST_CASE("escape_controls shows every control character but tab as \\xNN") {
    CHECK(escape_controls("plain text, café") == "plain text, café");
    CHECK(escape_controls("a\tb") == "a\tb");
    CHECK(escape_controls("\x1b[2J\x1b]0;title\x07") == "\\x1b[2J\\x1b]0;title\\x07");
    CHECK(escape_controls(std::string("a\0b\r\n\x7f", 6)) == "a\\x00b\\x0d\\x0a\\x7f");
}
