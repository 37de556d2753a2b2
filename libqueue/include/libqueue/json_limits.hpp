// How deeply JSON may nest where it enters q. nlohmann::json serializes recursively, so a
// document nested some ten thousand levels deep overflows the stack of whatever prints it; q
// refuses such documents at every entry (payloads, batch lines, queue files, the config file)
// and reads a stored payload beyond the limit (a row another program wrote) as plain text.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace libqueue {

inline constexpr std::size_t max_json_depth = 512;

// The deepest nesting of arrays and objects in `text`, counted without parsing (strings and their
// escapes are skipped), so it is safe on any input. Stops counting past `stop_above`.
std::size_t json_nesting_depth(std::string_view text, std::size_t stop_above = max_json_depth);

// True when `text` nests no deeper than max_json_depth, plus `outer_levels` for a document that
// carries payloads that many levels down (a batch line: 1).
bool json_depth_ok(std::string_view text, std::size_t outer_levels = 0);

// "WHAT: JSON nested deeper than 512 levels".
std::string json_too_deep(const std::string& what);

// Throws DataError(json_too_deep(what)) unless json_depth_ok(text, outer_levels).
void check_json_depth(std::string_view text, const std::string& what, std::size_t outer_levels = 0);

}  // namespace libqueue
