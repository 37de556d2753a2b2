#include "commands/commands.hpp"

namespace q {

void add_wait_command(CLI::App&, Context&) {}

}  // namespace q
