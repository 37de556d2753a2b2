// Every subcommand adds itself to the app through one function, add_<name>_command; the list
// of them is cli/meson.build's q_commands (generated into command_list.hpp).
#pragma once

#include <CLI/CLI.hpp>

#include "context.hpp"

namespace q {

#define Q_COMMAND(name) void add_##name##_command(CLI::App& app, Context& context);
#include "command_list.hpp"  // Q_COMMAND(name) for every subcommand
#undef Q_COMMAND

}  // namespace q
