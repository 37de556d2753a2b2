// q config: the config in effect, as resolved, with secrets hidden.
#include <memory>

#include "commands/commands.hpp"
#include "output.hpp"

namespace q {

void add_config_command(CLI::App& app, Context& context) {
    auto path_only = std::make_shared<bool>(false);
    auto* cmd = app.add_subcommand(
        "config",
        "Show the config in effect and the file it came from\n"
        "\n"
        "Prints the resolved config (every default filled in, relative paths resolved, "
        "--driver applied) as JSON. DSNs and URLs are shown as their driver parsed them, with the "
        "password as ***; one that does not parse is shown as its scheme only. The file is "
        "found by --config, then $Q_CONFIG, then ./q.json, then $XDG_CONFIG_HOME/q/config.json, "
        "then /etc/q/config.json; with none, the defaults apply (SQLite at "
        "$XDG_DATA_HOME/q/queue.db). Loading the config also validates it: an unknown key or a "
        "wrong type is reported with its key path (exit 78). The chosen driver's section is "
        "checked in full; a mistake in the section of a driver not in use is a warning (every "
        "command prints it), as is a handler program q work could not start.");
    cmd->footer(
        "Examples:\n"
        "  q config\n"
        "  q --config /etc/q.json config --path\n"
        "\n"
        "Output:\n"
        "\"q: config from FILE\" on stderr, then the config as indented JSON on\n"
        "stdout. With --json one line: {\"source\": FILE or null, \"config\": {...},\n"
        "\"notes\": [...], \"warnings\": [...]}; a note says what was read differently\n"
        "from how it was written (\"driver\": \"database\", the Dart queue system's name,\n"
        "is postgres).\n"
        "With --path only the file's path (nothing when no file was found).\n"
        "\n"
        "Exit status:\n"
        "  0   shown\n"
        "  78  the config is invalid (the message names the key)");
    cmd->add_flag("--path", *path_only, "Print only the path of the config file");
    cmd->callback([&context, path_only] {
        const auto& config = context.config();
        const std::string source = config.source.empty() ? "" : config.source.string();
        if (*path_only) {
            if (!source.empty())
                print_line(source);
            return;
        }
        const auto document = libqueue::redacted_json(config);
        // What would stop `q work` (a handler program that cannot run), said before it does.
        auto warnings = config.warnings;
        for (const auto& line : libqueue::unrunnable_handlers(config)) warnings.push_back(line);
        if (context.json()) {
            emit_json({{"source", source.empty() ? nlohmann::json() : nlohmann::json(source)},
                       {"config", document},
                       {"notes", config.notes},
                       {"warnings", warnings}});
            return;
        }
        note(context,
             source.empty() ? "no config file found: the defaults apply" : "config from " + source);
        for (const auto& line : config.notes) note(context, "note: " + line);
        // config.warnings were printed when the config was loaded; these are q config's own.
        for (const auto& line : libqueue::unrunnable_handlers(config))
            note(context, "warning: " + line + " (q work will refuse to start)");
        emit_json_pretty(document);
    });
}

}  // namespace q
