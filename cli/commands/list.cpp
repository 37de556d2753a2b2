#include "commands/commands.hpp"

namespace q {

void add_list_command(CLI::App&, Context&) {}

}  // namespace q
