// q help [COMMAND...]: the --help text of a command, for those who type the word first.
#include <iostream>
#include <memory>

#include "command_words.hpp"
#include "commands/commands.hpp"

namespace q {

void add_help_command(CLI::App& app, Context& context) {
    (void)context;
    auto words = std::make_shared<std::vector<std::string>>();
    auto* cmd = app.add_subcommand("help",
                                   "Print the help of q or of a command\n"
                                   "\n"
                                   "q help COMMAND is q COMMAND --help; nested commands are "
                                   "named in turn (q help dlq retry).");
    cmd->footer(
        "Examples:\n"
        "  q help push\n"
        "  q help dlq retry\n"
        "\n"
        "Exit status:\n"
        "  0   printed\n"
        "  64  no such command");
    cmd->add_option("COMMAND", *words, "The command (and subcommand) to explain")
        ->type_name("COMMAND");
    cmd->callback([&app, words] {
        check_command_words(app, *words);
        const CLI::App* command = &app;
        std::string path = app.get_name();
        for (const auto& word : *words) {
            const CLI::App* sub = nullptr;
            for (const CLI::App* candidate : command->get_subcommands({})) {
                if (candidate->check_name(word))
                    sub = candidate;
            }
            if (sub == nullptr)
                throw libqueue::UsageError("'" + path + "' has no command '" + word + "'");
            command = sub;
            path += " " + sub->get_name();
        }
        // The formatter, not App::help: that one shows the parsed subcommand (help itself).
        std::cout << command->get_formatter()->make_help(command, path, CLI::AppFormatMode::Normal);
    });
}

}  // namespace q
