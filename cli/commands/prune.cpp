#include "commands/commands.hpp"

namespace q {

void add_prune_command(CLI::App&, Context&) {}

}  // namespace q
