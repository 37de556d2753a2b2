// q: the command-line front end of libqueue. Parses the global options, runs one subcommand,
// and maps every error to one stderr line and a sysexits.h code, here and nowhere else.
#include <sysexits.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <exception>
#include <iostream>
#include <string>

#include "command_words.hpp"
#include "commands/commands.hpp"
#include "context.hpp"
#include "help.hpp"
#include "libqueue/text.hpp"
#include "options.hpp"

#ifndef Q_VERSION
#define Q_VERSION "unknown"
#endif

namespace {

constexpr const char* description =
    "Background job queues from the shell: push jobs, work them with handler commands\n"
    "\n"
    "q stores jobs in a queue backend (SQLite by default; a queue file, PostgreSQL or Redis by "
    "configuration) and runs each job by executing the handler command the config names for "
    "the job's name, with the payload on stdin. Failed jobs are retried with exponential "
    "backoff; jobs that use up their retries become dead letters (see q dlq).";

constexpr const char* footer =
    "Configuration:\n"
    "The config is found by --config FILE, then $Q_CONFIG, then ./q.json, then\n"
    "$XDG_CONFIG_HOME/q/config.json, then /etc/q/config.json; with none, jobs live in\n"
    "SQLite at $XDG_DATA_HOME/q/queue.db (q push and q work say so on stderr). Relative\n"
    "paths in the config, handler programs included, are found from the config's folder.\n"
    "q config shows what is in effect.\n"
    "\n"
    "Examples:\n"
    "  q push send_email '{\"to\": \"ada@example.com\"}'\n"
    "  q work --concurrency 4\n"
    "  q stats\n"
    "\n"
    "Exit status:\n"
    "  0   success\n"
    "  1   the job failed (q wait), a threshold was breached (q stats)\n"
    "  64  usage: a bad option, argument or duration\n"
    "  65  bad data: a payload, batch line or queue file\n"
    "  66  no such job\n"
    "  69  the backend cannot be reached\n"
    "  70  internal error\n"
    "  75  temporary failure (queue file full, lock timeout, q wait timed out): try again\n"
    "  78  configuration error";

int exit_code_of(libqueue::ErrorKind kind) {
    switch (kind) {
        case libqueue::ErrorKind::usage:
            return EX_USAGE;
        case libqueue::ErrorKind::data:
            return EX_DATAERR;
        case libqueue::ErrorKind::not_found:
            return EX_NOINPUT;
        case libqueue::ErrorKind::unavailable:
            return EX_UNAVAILABLE;
        case libqueue::ErrorKind::temporary:
            return EX_TEMPFAIL;
        case libqueue::ErrorKind::config:
            return EX_CONFIG;
        case libqueue::ErrorKind::internal:
            return EX_SOFTWARE;
    }
    return EX_SOFTWARE;
}

// One line: messages from backends may carry newlines. (Passwords are kept out where a message
// is made: each driver names its server by the parsed, password-free form.)
// Messages quote what users and other programs gave q (ids, names, file contents): on the
// terminal they are one line of valid UTF-8, with other control characters shown as '?'.
// A message that still runs long (a whole argument quoted by CLI11) keeps its start and its end,
// where the hint to --help is.
std::string one_line_message(const std::string& text) {
    std::string line = libqueue::valid_utf8(text);
    for (auto& c : line) {
        if (c == '\n' || c == '\r' || c == '\t')
            c = ' ';
        else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
            c = '?';
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    constexpr std::size_t max_bytes = 1000, kept_start = 600, kept_end = 200;
    if (line.size() > max_bytes) {
        const auto char_start = [&line](std::size_t at) {
            while (at > 0 && (static_cast<unsigned char>(line[at]) & 0xC0) == 0x80) --at;
            return at;
        };
        const auto cut_from = char_start(kept_start);
        const auto cut_to = char_start(line.size() - kept_end);
        line = line.substr(0, cut_from) + "… (" + std::to_string(cut_to - cut_from) +
               " bytes left out) …" + line.substr(cut_to);
    }
    return line;
}

int report(const std::string& message, int code) {
    std::cerr << "q: " << one_line_message(message) << '\n';
    return code;
}

// "q push" for a parse error inside push, to point at the right --help.
std::string deepest_command(const CLI::App& app) {
    std::string name = "q";
    const CLI::App* current = &app;
    for (;;) {
        auto parsed = current->get_subcommands();
        if (parsed.empty())
            break;
        current = parsed.front();
        name += " " + current->get_name();
    }
    return name;
}

void add_global_options(CLI::App& app, q::Context& context) {
    auto& o = context.options;
    app.add_option("--config", o.config_path,
                   "Read the config from FILE (else $Q_CONFIG, ./q.json, ...)")
        ->type_name("FILE");
    app.add_option("--driver", o.driver, "Use this backend instead of the config's queue.driver")
        ->type_name("NAME");
    app.add_option(
           "--queue", o.queue,
           "Only this queue (default: every queue; push and work: default); q work takes a,b")
        ->type_name("NAME");
    app.add_flag("--json", o.json, "Machine-readable output: one JSON document per line");
    app.add_flag("-q,--quiet", o.quiet, "Print only results and errors");
    app.add_flag("-v,--verbose", o.verbose, "Say more on stderr (repeat for more)");
}

using AddCommand = void (*)(CLI::App&, q::Context&);

struct Command {
    const char* name;  // as in command_list.hpp: recover_stale is typed "recover-stale"
    AddCommand add;
};

constexpr Command all_commands[] = {
#define Q_COMMAND(name) {#name, &q::add_##name##_command},
#include "command_list.hpp"  // Q_COMMAND(name) for every subcommand
#undef Q_COMMAND
};

std::string command_word(std::string name) {
    std::replace(name.begin(), name.end(), '_', '-');
    return name;
}

// The word that names the subcommand of a command line, read with the global options alone:
// the first word that is neither a global option nor the value of one. Empty when the line
// has no such word or holds anything else before it (help, --version, an option q's top level
// does not have): CLI11 then judges the line on the whole tree.
std::string named_command_word(const CLI::App& root, int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
        const std::string token = argv[i];
        if (token.empty() || token[0] != '-')
            return token;
        if (token == "-" || token == "--")
            return {};
        std::vector<std::string> names;  // "-qv" is -q and -v
        if (token[1] == '-')
            names.push_back(token.substr(0, token.find('=')));
        else
            for (std::size_t k = 1; k < token.size(); ++k) names.push_back({'-', token[k]});
        for (const auto& name : names) {
            const CLI::Option* option = root.get_option_no_throw(name);
            if (option == nullptr || option == root.get_help_ptr() ||
                option == root.get_help_all_ptr() || option == root.get_version_ptr())
                return {};
            if (option->get_expected_max() > 0) {
                if (names.size() > 1)
                    return {};  // a value option inside a cluster of short ones
                if (token.find('=') == std::string::npos)
                    ++i;  // its value is the next argument
            }
        }
    }
    return {};
}

// The subcommands a command line needs. Building the options of every command costs about a
// millisecond of each call, more than any one command's own work in q version, so a line that
// names a command by its exact word gets that command alone. Help, completion scripts and the
// man pages (the hidden __man) describe the whole tree, and a typo is answered with the closest
// of every name, so these get the whole tree, as does any line whose command cannot be told
// without it.
void add_commands(CLI::App& app, q::Context& context, const std::string& word) {
    if (word != "help" && word != "completion") {
        for (const auto& command : all_commands) {
            if (command_word(command.name) == word) {
                command.add(app, context);
                return;
            }
        }
    }
    for (const auto& command : all_commands) command.add(app, context);
    q::add_man_command(app, Q_VERSION);
}

}  // namespace

int main(int argc, char** argv) {
    q::Context context;
    CLI::App app{description, "q"};
    q::install_help_formatter(app);
    app.footer(footer);
    app.set_version_flag("--version", "q " Q_VERSION);
    app.require_subcommand(1);
    app.fallthrough();  // global options may follow the subcommand: q push x --json
    add_global_options(app, context);
    add_commands(app, context, named_command_word(app, argc, argv));
    q::refuse_empty_values(app);

    try {
        q::check_command_words(app, std::vector<std::string>(argv + 1, argv + argc));
        app.parse(argc, argv);
        return context.exit_code;
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        auto where = deepest_command(app);
        return report(std::string(e.what()) + " (try '" + where + " --help')", EX_USAGE);
    } catch (const CLI::Error& e) {
        // CLI::RuntimeError(code): a command asking for a plain exit status.
        if (std::string(e.what()).empty())
            return e.get_exit_code();
        return report(e.what(), e.get_exit_code());
    } catch (const libqueue::Error& e) {
        return report(e.what(), exit_code_of(e.kind()));
    } catch (const std::exception& e) {
        return report(std::string("internal error: ") + e.what(), EX_SOFTWARE);
    }
}
