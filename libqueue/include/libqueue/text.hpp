// Text that comes from outside q (a handler's stderr, an exception's message, a row another
// program wrote) is stored and printed only after it is made valid UTF-8: PostgreSQL refuses
// invalid bytes, JSON output cannot carry them, and a NUL cuts C strings short.
#pragma once

#include <string>
#include <string_view>

namespace libqueue {

// `text` with every byte that is not part of a well-formed UTF-8 sequence (stray continuation
// bytes, truncated or overlong sequences, surrogates, code points above U+10FFFF) replaced by
// U+FFFD, and NUL bytes removed. Valid text comes back unchanged.
std::string valid_utf8(std::string_view text);

// True when `text` is well-formed UTF-8 (NUL included).
bool is_valid_utf8(std::string_view text);

// `text` for a message, in single quotes: made valid UTF-8, and cut after 64 bytes (marked with
// "…") so a whole foreign blob never lands in one line.
std::string quoted(std::string_view text);

// `text` for a terminal: every control character but tab (an escape sequence could rewrite the
// screen, the title or the clipboard) written as \xNN. Other bytes are left as they are.
std::string escape_controls(std::string_view text);

// A name that may be put into SQL unquoted: ASCII letters, digits and _, not starting with a
// digit, not empty (table and schema names).
bool is_plain_identifier(std::string_view text);

}  // namespace libqueue
