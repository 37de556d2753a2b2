#include "libqueue/json_limits.hpp"

#include "libqueue/errors.hpp"

namespace libqueue {

std::size_t json_nesting_depth(std::string_view text, std::size_t stop_above) {
    std::size_t depth = 0, deepest = 0;
    bool in_string = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (in_string) {
            if (c == '\\')
                ++i;  // the escaped character cannot end the string
            else if (c == '"')
                in_string = false;
            continue;
        }
        switch (c) {
            case '"':
                in_string = true;
                break;
            case '[':
            case '{':
                if (++depth > deepest) {
                    deepest = depth;
                    if (deepest > stop_above)
                        return deepest;
                }
                break;
            case ']':
            case '}':
                if (depth > 0)
                    --depth;
                break;
            default:
                break;
        }
    }
    return deepest;
}

bool json_depth_ok(std::string_view text, std::size_t outer_levels) {
    const std::size_t allowed = max_json_depth + outer_levels;
    return json_nesting_depth(text, allowed) <= allowed;
}

std::string json_too_deep(const std::string& what) {
    return what + ": JSON nested deeper than " + std::to_string(max_json_depth) + " levels";
}

void check_json_depth(std::string_view text, const std::string& what, std::size_t outer_levels) {
    if (!json_depth_ok(text, outer_levels))
        throw DataError(json_too_deep(what));
}

}  // namespace libqueue
