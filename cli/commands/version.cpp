// q version: what is installed and which backends it can use.
#include <fmt/format.h>

#include "commands/commands.hpp"
#include "output.hpp"

#ifndef Q_VERSION
#define Q_VERSION "unknown"
#endif

namespace q {

void add_version_command(CLI::App& app, Context& context) {
    auto* cmd = app.add_subcommand("version",
                                   "Print the versions of q and libqueue and the drivers built in\n"
                                   "\n"
                                   "The drivers are the names queue.driver and --driver accept.");
    cmd->footer(
        "Examples:\n"
        "  q version\n"
        "  q version --json | jq -r '.drivers[]'\n"
        "\n"
        "Output:\n"
        "Lines \"q VERSION\", \"libqueue VERSION\", \"drivers: a, b, ...\"; with --json\n"
        "{\"q\": VERSION, \"libqueue\": VERSION, \"drivers\": [...]}.\n"
        "\n"
        "Exit status:\n"
        "  0   always");
    cmd->callback([&context] {
        // q and libqueue are built from one source tree and share its version.
        const std::string version = Q_VERSION;
        const auto drivers = libqueue::driver_names();
        if (context.json()) {
            emit_json({{"q", version}, {"libqueue", version}, {"drivers", drivers}});
            return;
        }
        print_line("q " + version);
        print_line("libqueue " + version);
        print_line(fmt::format("drivers: {}", fmt::join(drivers, ", ")));
    });
}

}  // namespace q
