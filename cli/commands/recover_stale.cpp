#include "commands/commands.hpp"

namespace q {

void add_recover_stale_command(CLI::App&, Context&) {}

}  // namespace q
