// What q never shows or passes on: the credential variables it reads, and connection strings it
// cannot parse (an unparsed string gives no way to tell the password from the rest).
#pragma once

#include <array>
#include <string>
#include <string_view>

namespace libqueue {

// Environment variables that hold a password q (or libpq, for q) reads. Handlers do not inherit
// them from the worker, and `q config` shows a handler's own setting of them as "***".
inline constexpr std::array<std::string_view, 2> kSecretVariables = {
    "PGPASSWORD",        // libpq's password for queue.postgres
    "Q_REDIS_PASSWORD",  // queue.redis's password when the URL has none
};

bool is_secret_variable(std::string_view name);

// The form a connection string that did not parse is named by: its scheme when it starts with
// one ("redis://... (unparseable, not shown)"), else nothing of it at all.
std::string unparseable_display(std::string_view text);

}  // namespace libqueue
