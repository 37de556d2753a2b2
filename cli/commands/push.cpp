#include "commands/commands.hpp"

namespace q {

void add_push_command(CLI::App&, Context&) {}

}  // namespace q
