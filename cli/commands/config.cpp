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
        "found by --config, then $Q_CONFIG, then ./q.json, then $XDG_CONFIG_HOME/q/config.json; "
        "with none, the defaults apply (SQLite at $XDG_DATA_HOME/q/queue.db). Loading the config "
        "also validates it: an unknown key or a wrong type is reported with its key path.");
    cmd->footer(
        "Examples:\n"
        "  q config\n"
        "  q --config /etc/q.json config --path\n"
        "\n"
        "Output:\n"
        "\"q: config from FILE\" on stderr, then the config as indented JSON on\n"
        "stdout. With --json one line: {\"source\": FILE or null, \"config\": {...},\n"
        "\"notes\": [...]}; a note says what was read differently from how it was\n"
        "written (\"driver\": \"database\", the Dart queue system's name, is postgres).\n"
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
        if (context.json()) {
            emit_json({{"source", source.empty() ? nlohmann::json() : nlohmann::json(source)},
                       {"config", document},
                       {"notes", config.notes}});
            return;
        }
        note(context,
             source.empty() ? "no config file found: the defaults apply" : "config from " + source);
        for (const auto& line : config.notes) note(context, "note: " + line);
        emit_json_pretty(document);
    });
}

}  // namespace q
