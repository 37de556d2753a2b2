// Shell completion scripts, generated from the same CLI11 command table as --help and the man
// pages, so that a new command or option completes without anyone editing a script.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

namespace q {

// The bash completion script for root (`complete -F _q q`). Values that live in the backend
// (queue names, job names, dead job ids) are asked of `q __values KIND` as the user types.
std::string bash_completion(const CLI::App& root);

// The fish completion script for root.
std::string fish_completion(const CLI::App& root);

}  // namespace q
