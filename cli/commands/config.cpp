#include "commands/commands.hpp"

namespace q {

void add_config_command(CLI::App&, Context&) {}

}  // namespace q
