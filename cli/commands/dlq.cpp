#include "commands/commands.hpp"

namespace q {

void add_dlq_command(CLI::App&, Context&) {}

}  // namespace q
