// Parts of q built as modules and loaded on first use: the postgres and redis drivers
// (q-driver-NAME.so) and the /metrics HTTP server (q-metrics-http.so). Each brings shared
// libraries (libpq with gnutls and krb5, hiredis, OpenSSL) whose dynamic loading would cost every
// q call milliseconds; a call that needs none of them maps none of them.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace libqueue {

// Where a module file is: beside the running program (a build tree), then in LIBDIR/q relative
// to the program's folder (an installed tree, wherever it was moved), then in the LIBDIR/q q was
// configured for. nullopt when none has it.
std::optional<std::filesystem::path> find_module(const std::string& file);

// The places find_module looks, for messages ("not in A or B").
std::string module_places(const std::string& file);

// The address of `symbol` in module `file`, which is loaded once and never unloaded (what it
// made may outlive any scope). nullptr with *why saying why (not found, not loadable, not q's).
void* module_symbol(const std::string& file, const std::string& symbol, std::string* why);

}  // namespace libqueue
