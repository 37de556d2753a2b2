#include "commands/commands.hpp"

namespace q {

void add_show_command(CLI::App&, Context&) {}

}  // namespace q
