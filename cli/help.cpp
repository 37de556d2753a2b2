#include "help.hpp"

#include "man_pages.hpp"
#include "roff.hpp"

#include <cctype>
#include <iostream>
#include <sstream>
#include <vector>

namespace q {

namespace {

// Words of text re-flowed to lines of at most width characters; '\n' in the text is kept.
std::string wrap(const std::string& text, std::size_t width) {
    std::string out;
    std::size_t column = 0;
    std::size_t start = 0;
    while (start <= text.size()) {
        auto end = text.find_first_of(" \n", start);
        if (end == std::string::npos)
            end = text.size();
        const auto word = text.substr(start, end - start);
        if (!word.empty()) {
            if (column > 0 && column + 1 + word.size() > width) {
                out += '\n';
                column = 0;
            } else if (column > 0) {
                out += ' ';
                ++column;
            }
            out += word;
            column += word.size();
        }
        if (end < text.size() && text[end] == '\n') {
            out += '\n';
            column = 0;
        }
        start = end + 1;
    }
    return out;
}

// "N:INT in [0 - 10]" -> "N": validators explain themselves in their error messages.
std::string plain_type_name(const CLI::Option& opt) {
    auto name = opt.get_type_name();
    return name.substr(0, name.find(':'));
}

bool is_positional(const CLI::Option& opt) {
    return opt.get_positional() && !opt.nonpositional();
}

class HelpFormatter : public CLI::Formatter {
  public:
    std::string make_description(const CLI::App* app) const override {
        const auto text = app->get_description();
        return text.empty() ? std::string{} : wrap(text, 88) + "\n\n";
    }
    std::string make_subcommand(const CLI::App* sub) const override {
        std::stringstream out;
        CLI::detail::format_help(out, sub->get_display_name(true),
                                 summary_of(sub->get_description()), get_column_width());
        return out.str();
    }
    std::string make_option_name(const CLI::Option* opt, bool positional) const override {
        if (positional)
            return upper(opt->get_name(true, false));
        return CLI::Formatter::make_option_name(opt, positional);
    }
    std::string make_option_opts(const CLI::Option* opt) const override {
        if (is_positional(*opt) || opt->get_expected_max() == 0)
            return {};
        return " " + plain_type_name(*opt);
    }
    std::string make_option_desc(const CLI::Option* opt) const override {
        std::string text = opt->get_description();
        if (!opt->get_default_str().empty())
            text += " (default: " + opt->get_default_str() + ")";
        return wrap(text, 88 - get_column_width());
    }
};

std::string details_of(const std::string& description) {
    auto end = description.find('\n');
    if (end == std::string::npos)
        return {};
    return description.substr(end + 1);
}

std::string full_name(const CLI::App& command) {
    std::vector<std::string> names;
    for (const CLI::App* app = &command; app != nullptr; app = app->get_parent()) {
        names.insert(names.begin(), app->get_name());
    }
    std::string result;
    for (const auto& n : names) result += (result.empty() ? "" : " ") + n;
    return result;
}

bool visible(const CLI::App* sub) {
    return !sub->get_group().empty() && !sub->get_name().empty();
}

std::string option_value(const CLI::Option& opt) {
    if (opt.get_expected_max() == 0)
        return {};  // a flag
    auto name = plain_type_name(opt);
    return name.empty() ? "VALUE" : name;
}

void render_options(std::ostream& out, const CLI::App& command, bool positionals,
                    bool skip_help = false) {
    for (const CLI::Option* opt : command.get_options()) {
        if (opt->get_group().empty())
            continue;  // hidden
        if (skip_help && (opt == command.get_help_ptr() || opt == command.get_version_ptr())) {
            continue;
        }
        if (positionals != (opt->get_positional() && !opt->nonpositional()))
            continue;
        out << ".TP\n";
        if (positionals) {
            out << "\\fI" << roff_escape(upper(opt->get_name(true, false))) << "\\fR\n";
        } else {
            std::string names;
            for (const auto& s : opt->get_snames()) {
                names += (names.empty() ? "" : ", ") + std::string("\\fB\\-") + s + "\\fR";
            }
            for (const auto& l : opt->get_lnames()) {
                names += (names.empty() ? "" : ", ") + std::string("\\fB\\-\\-") + roff_escape(l) +
                         "\\fR";
            }
            auto value = option_value(*opt);
            if (!value.empty())
                names += " \\fI" + roff_escape(value) + "\\fR";
            out << names << '\n';
        }
        std::string description = opt->get_description();
        if (!opt->get_default_str().empty()) {
            description += " (default: " + opt->get_default_str() + ")";
        }
        out << roff_escape(description) << '\n';
    }
}

void render_synopsis(std::ostream& out, const CLI::App& command) {
    out << ".SH SYNOPSIS\n.B " << roff_escape(full_name(command)) << '\n';
    if (!command
             .get_options(
                 [](const CLI::Option* o) { return o->nonpositional() && !o->get_group().empty(); })
             .empty()) {
        out << "[\\fIOPTIONS\\fR]\n";
    }
    for (const CLI::Option* opt : command.get_options()) {
        if (!opt->get_positional() || opt->nonpositional())
            continue;
        std::string name = "\\fI" + roff_escape(upper(opt->get_name(true, false))) + "\\fR";
        if (opt->get_expected_max() > 1)
            name += "...";
        out << (opt->get_required() ? name : "[" + name + "]") << '\n';
    }
    if (!command.get_subcommands(visible).empty())
        out << "\\fICOMMAND\\fR ...\n";
}

}  // namespace

std::string summary_of(const std::string& description) {
    return description.substr(0, description.find('\n'));
}

void install_help_formatter(CLI::App& app) {
    app.formatter(std::make_shared<HelpFormatter>());
}

std::string render_man_page(const CLI::App& root, const CLI::App& command,
                            const std::string& version) {
    std::ostringstream out;
    std::string page = full_name(command);
    for (auto& c : page) {
        if (c == ' ')
            c = '-';
    }
    out << ".\\\" Generated by `q __man`: the text is q's --help text. Edit cli/commands/*.cpp.\n";
    out << ".TH " << upper(roff_escape(page)) << " 1 \"\" \"q " << version << "\" \"q manual\"\n";
    out << ".SH NAME\n"
        << roff_escape(page) << " \\- " << roff_escape(summary_of(command.get_description()))
        << '\n';
    render_synopsis(out, command);

    const auto details = details_of(command.get_description());
    if (!details.empty()) {
        out << ".SH DESCRIPTION\n";
        render_text(out, details, false);
    }

    const bool has_positionals = !command
                                      .get_options([](const CLI::Option* o) {
                                          return o->get_positional() && !o->nonpositional();
                                      })
                                      .empty();
    if (has_positionals) {
        out << ".SH ARGUMENTS\n";
        render_options(out, command, true);
    }
    out << ".SH OPTIONS\n";
    render_options(out, command, false);
    if (&command != &root) {
        out << ".SH GLOBAL OPTIONS\n"
            << ".PP\nThese go before or after the command name.\n";
        render_options(out, root, false, true);
    }

    const auto subcommands = command.get_subcommands(visible);
    if (!subcommands.empty()) {
        out << ".SH COMMANDS\n";
        for (const CLI::App* sub : subcommands) {
            out << ".TP\n\\fB" << roff_escape(full_name(*sub)) << "\\fR\n"
                << roff_escape(summary_of(sub->get_description())) << '\n';
        }
        // Nested commands (q dlq list ...) have no page of their own: their text goes here.
        if (&command != &root) {
            for (const CLI::App* sub : subcommands) {
                out << ".SS " << roff_escape(full_name(*sub)) << '\n';
                render_text(out, sub->get_description(), false);
                render_options(out, *sub, true);
                render_options(out, *sub, false, true);
                render_text(out, sub->get_footer(), false);
            }
        }
    }

    render_text(out, command.get_footer(), true);
    render_text(out, environment_and_files_text(), true);

    out << ".SH SEE ALSO\n";
    std::string see;
    if (&command == &root) {
        for (const CLI::App* sub : subcommands) {
            see += std::string("\\fBq\\-") + roff_escape(sub->get_name()) + "\\fR(1),\n";
        }
    } else {
        see = "\\fBq\\fR(1),\n";
    }
    out << see << "\\fBq.json\\fR(5),\n\\fBq\\-handlers\\fR(7)\n";
    return out.str();
}

void add_man_command(CLI::App& app, const std::string& version) {
    auto* man = app.add_subcommand("__man", "Print a man page (roff) built from the --help text");
    man->group("");  // hidden: a build step, not a user command
    auto name = std::make_shared<std::string>();
    man->add_option("command", *name,
                    "The subcommand; none for q(1); q.json for q.json(5), q-handlers for "
                    "q-handlers(7)");
    man->callback([&app, man, name, version] {
        if (*name == "q.json") {
            std::cout << render_config_page(version);
            return;
        }
        if (*name == "q-handlers") {
            std::cout << render_handlers_page(version);
            return;
        }
        const CLI::App* command = &app;
        if (!name->empty()) {
            // File names use '-' where a command might use '_' and the other way round.
            command = nullptr;
            for (const CLI::App* sub : app.get_subcommands({})) {
                if (sub == man)
                    continue;
                std::string n = sub->get_name();
                std::string alt = *name;
                for (auto& c : alt) c = (c == '_') ? '-' : c;
                std::string n_alt = n;
                for (auto& c : n_alt) c = (c == '_') ? '-' : c;
                if (n_alt == alt)
                    command = sub;
            }
            if (command == nullptr)
                throw CLI::ValidationError("__man", "no command '" + *name + "'");
        }
        std::cout << render_man_page(app, *command, version);
    });
}

}  // namespace q
