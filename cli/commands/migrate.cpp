#include "commands/commands.hpp"

namespace q {

void add_migrate_command(CLI::App&, Context&) {}

}  // namespace q
