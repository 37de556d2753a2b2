// One text for --help and the man pages: every command's CLI11 description and footer.
//
// Conventions for the text a command gives CLI11:
//   description: the first line is the summary (shown in `q --help` and the man page's NAME);
//                after a blank line, paragraphs of detail.
//   footer:      sections, each headed by a line ending in ':' ("Examples:", "Exit status:");
//                lines indented by two spaces are shown verbatim (commands, tables).
#pragma once

#include <CLI/CLI.hpp>
#include <string>

namespace q {

// The first line of a description.
std::string summary_of(const std::string& description);

// Installs q's help formatter on app (call before adding subcommands, which inherit it): the
// subcommand list shows summaries only.
void install_help_formatter(CLI::App& app);

// The man page (roff) of `command`, a subcommand of root (or root itself for q(1)).
std::string render_man_page(const CLI::App& root, const CLI::App& command,
                            const std::string& version);

// The hidden `q __man [SUBCOMMAND]` that man/meson.build runs at build time.
void add_man_command(CLI::App& app, const std::string& version);

}  // namespace q
