#include "commands/commands.hpp"

namespace q {

void add_version_command(CLI::App&, Context&) {}

}  // namespace q
