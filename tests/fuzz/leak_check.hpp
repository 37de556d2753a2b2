// The "display form never shows the password" oracle of the DSN and URL targets, without false
// alarms: a password is looked for only when it is at least 6 characters of no separator or
// escape character, and is not part of anything else the display form shows (user, host, ...).
#pragma once

#include <cctype>
#include <string>
#include <string_view>

namespace q_fuzz {

inline bool shows_password(const std::string& shown, const std::string& password,
                           const std::string& everything_else) {
    if (password.size() < 6 ||
        password.find_first_of(" \t\r\n='\"\\:@/?&%[]#,;") != std::string::npos)
        return false;
    if (everything_else.find(password) != std::string::npos)
        return false;
    // What percent-escaping wrote (the user "a\x14" shows as "a%14") is no text of the password's:
    // "%14" followed by "44s3cret" must not read as a shown password "144s3cret".
    std::string unescaped;
    for (std::size_t i = 0; i < shown.size(); ++i) {
        if (shown[i] == '%' && i + 2 < shown.size() && std::isxdigit((unsigned char)shown[i + 1]) &&
            std::isxdigit((unsigned char)shown[i + 2])) {
            unescaped += '\n';
            i += 2;
        } else {
            unescaped += shown[i];
        }
    }
    return unescaped.find(password) != std::string::npos;
}

}  // namespace q_fuzz
