// The command words of a command line, checked before CLI11 parses it, so that a typo gets
// "unknown command 'psuh'; did you mean 'push'?" instead of CLI11's "A subcommand is required".
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

namespace q {

// Throws UsageError (exit 64) for the first word that should name a subcommand of the command
// before it but names none, suggesting the closest name. Options and their values are skipped
// (those of the command or of any command above it, as CLI11's fallthrough reads them). An option
// given as "--NAME=" with nothing after the "=" is refused as an empty value.
void check_command_words(const CLI::App& root, const std::vector<std::string>& args);

// The candidate closest to word (a typo of it, or a word it starts), or "" when none is close.
std::string closest_name(const std::string& word, const std::vector<std::string>& candidates);

}  // namespace q
