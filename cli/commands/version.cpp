// q version: what is installed and which backends it can use.
#include <fmt/format.h>

#include "commands/commands.hpp"
#include "metrics_listener.hpp"
#include "output.hpp"
#include "service_notify.hpp"

#ifndef Q_VERSION
#define Q_VERSION "unknown"
#endif

namespace q {

namespace {

// The optional parts this q was built with: the options that need them are refused (exit 69)
// when they are missing.
std::vector<std::string> features() {
    std::vector<std::string> built;
    if (metrics_listener_available())
        built.emplace_back("metrics-listen");
    if (service_notify_available())
        built.emplace_back("notify");
    return built;
}

}  // namespace

void add_version_command(CLI::App& app, Context& context) {
    auto* cmd =
        app.add_subcommand("version",
                           "Print the versions of q and libqueue, the drivers and the optional "
                           "features built in\n"
                           "\n"
                           "The drivers are the names queue.driver and --driver accept. The "
                           "features: metrics-listen (q work --metrics-listen, cpp-httplib) "
                           "and notify (q work --notify, libsystemd).");
    cmd->footer(
        "Examples:\n"
        "  q version\n"
        "  q version --json | jq -r '.drivers[]'\n"
        "\n"
        "Output:\n"
        "Lines \"q VERSION\", \"libqueue VERSION\", \"drivers: a, b, ...\", one \"missing driver "
        "NAME: WHY\"\n"
        "per driver whose module is not installed, and \"features: ...\"; with --json {\"q\": "
        "VERSION,\n"
        "\"libqueue\": VERSION, \"drivers\": [...], \"missing_drivers\": {NAME: WHY}, "
        "\"features\": [...]}.\n"
        "\n"
        "Exit status:\n"
        "  0   always");
    cmd->callback([&context] {
        // q and libqueue are built from one source tree and share its version.
        const std::string version = Q_VERSION;
        // A driver whose module is not installed is not usable here: listed apart, with why.
        std::vector<std::string> drivers;
        nlohmann::json missing = nlohmann::json::object();
        for (const auto& name : libqueue::driver_names()) {
            if (const auto why = libqueue::driver_missing(name))
                missing[name] = *why;
            else
                drivers.push_back(name);
        }
        if (context.json()) {
            emit_json({{"q", version},
                       {"libqueue", version},
                       {"drivers", drivers},
                       {"missing_drivers", missing},
                       {"features", features()}});
            return;
        }
        print_line("q " + version);
        print_line("libqueue " + version);
        print_line(fmt::format("drivers: {}", fmt::join(drivers, ", ")));
        for (const auto& [name, why] : missing.items())
            print_line(fmt::format("missing driver {}: {}", name, why.get<std::string>()));
        print_line(fmt::format("features: {}", fmt::join(features(), ", ")));
    });
}

}  // namespace q
