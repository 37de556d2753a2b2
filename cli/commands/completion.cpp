// q completion SHELL: the shell completion script; and the hidden q __values KIND it calls
// for what only the backend knows (queue names, job names, dead job ids).
#include <iostream>
#include <memory>
#include <set>

#include "commands/commands.hpp"
#include "completion.hpp"
#include "libqueue/config_keys.hpp"
#include "output.hpp"

namespace q {

namespace {

void print_values(Context& context, const std::string& kind, const CLI::App& root) {
    if (kind == "commands") {
        for (const CLI::App* sub : root.get_subcommands({})) {
            if (!sub->get_group().empty() && !sub->get_name().empty())
                print_line(sub->get_name());
        }
        return;
    }
    if (kind == "config-keys") {  // also what the man page test checks q.json(5) against
        for (const auto& key : libqueue::config_keys()) print_line(key.path);
        return;
    }
    auto& driver = context.driver();
    if (kind == "queues" || kind == "names") {
        std::set<std::string> values;
        for (const auto& queue : driver.stats().queues) {
            if (kind == "queues") {
                values.insert(queue.queue);
                continue;
            }
            for (const auto& [name, counts] : queue.by_name) values.insert(name);
            for (const auto& [name, totals] : queue.totals_by_name) values.insert(name);
        }
        for (const auto& value : values) print_line(value);
        return;
    }
    if (kind == "dead-ids") {
        libqueue::ListFilter filter;
        filter.status = libqueue::Status::failed;
        filter.limit = 200;  // a shell offers a screenful, not a table's worth
        for (const auto& job : driver.list(filter)) print_line(job.id);
        return;
    }
    throw libqueue::UsageError("__values: unknown kind '" + kind + "'");
}

}  // namespace

void add_completion_command(CLI::App& app, Context& context) {
    auto shell = std::make_shared<std::string>();
    auto* cmd = app.add_subcommand(
        "completion",
        "Print the shell completion script for bash, zsh or fish\n"
        "\n"
        "The script completes commands, options, driver names and status words from q's own "
        "command table, and asks the configured backend for queue names (--queue), job names "
        "(--name) and dead job ids (q dlq retry). zsh uses the bash script through "
        "bashcompinit. ninja install puts the scripts where bash-completion and fish look.");
    cmd->footer(
        "Examples:\n"
        "  source <(q completion bash)\n"
        "  q completion fish > ~/.config/fish/completions/q.fish\n"
        "  autoload -U +X bashcompinit && bashcompinit && source <(q completion zsh)\n"
        "\n"
        "Exit status:\n"
        "  0   printed\n"
        "  64  an unknown shell");
    cmd->add_option("SHELL", *shell, "bash, zsh or fish")
        ->required()
        ->check(CLI::IsMember({"bash", "zsh", "fish"}))
        ->type_name("SHELL");
    cmd->callback([&app, shell] {
        std::cout << (*shell == "fish" ? fish_completion(app) : bash_completion(app));
    });

    auto kind = std::make_shared<std::string>();
    auto* values = app.add_subcommand("__values", "Print completion values, one per line");
    values->group("");  // hidden: called by the completion scripts
    values->add_option("KIND", *kind, "queues, names, dead-ids, commands or config-keys")
        ->required();
    values->callback([&context, &app, kind] { print_values(context, *kind, app); });
}

}  // namespace q
