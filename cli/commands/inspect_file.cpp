#include "commands/commands.hpp"

namespace q {

void add_inspect_file_command(CLI::App&, Context&) {}

}  // namespace q
