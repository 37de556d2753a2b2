#include "secrets.hpp"

#include <algorithm>
#include <cctype>

namespace libqueue {

bool is_secret_variable(std::string_view name) {
    return std::find(kSecretVariables.begin(), kSecretVariables.end(), name) !=
           kSecretVariables.end();
}

std::string unparseable_display(std::string_view text) {
    static constexpr std::string_view kNotShown = "(unparseable, not shown)";
    const auto end = text.find("://");
    // RFC 3986's scheme characters only: anything else may be part of a secret.
    const auto scheme = text.substr(0, end);
    const bool is_scheme = end != std::string_view::npos && !scheme.empty() &&
                           std::isalpha(static_cast<unsigned char>(scheme.front())) &&
                           std::all_of(scheme.begin(), scheme.end(), [](unsigned char c) {
                               return std::isalnum(c) || c == '+' || c == '-' || c == '.';
                           });
    if (!is_scheme)
        return std::string(kNotShown);
    return std::string(scheme) + "://... " + std::string(kNotShown);
}

}  // namespace libqueue
