#include "commands/commands.hpp"

namespace q {

void add_work_command(CLI::App&, Context&) {}

}  // namespace q
