#include "command_words.hpp"

#include <algorithm>

#include "libqueue/errors.hpp"
#include "libqueue/text.hpp"
#include "options.hpp"

namespace q {

namespace {

// Optimal string alignment distance: a swap of two neighbours ("psuh") counts as one edit.
std::size_t edit_distance(const std::string& a, const std::string& b) {
    std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
    for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
    for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
        }
    }
    return d[a.size()][b.size()];
}

std::vector<std::string> visible_subcommands(const CLI::App& app) {
    std::vector<std::string> names;
    for (const CLI::App* sub : app.get_subcommands(
             [](const CLI::App* s) { return !s->get_group().empty() && !s->get_name().empty(); })) {
        names.push_back(sub->get_name());
    }
    return names;
}

const CLI::App* subcommand_named(const CLI::App& app, const std::string& word) {
    for (const CLI::App* sub : app.get_subcommands({})) {
        if (sub->check_name(word))
            return sub;
    }
    return nullptr;
}

// The option `token` names on app or a command above it (fallthrough), or nullptr.
const CLI::Option* option_named(const CLI::App* app, const std::string& token) {
    const auto name = token.substr(0, token.find('='));
    for (; app != nullptr; app = app->get_parent()) {
        if (const auto* opt = app->get_option_no_throw(name))
            return opt;
    }
    return nullptr;
}

std::string command_path(const CLI::App* app) {
    std::string path;
    for (; app != nullptr && app->get_parent() != nullptr; app = app->get_parent()) {
        path = app->get_name() + (path.empty() ? "" : " " + path);
    }
    return path;
}

}  // namespace

std::string closest_name(const std::string& word, const std::vector<std::string>& candidates) {
    std::string best;
    // Up to two edits (a third of a long word), and never a change of every character: "y" is
    // not a typo of "x".
    std::size_t best_distance =
        std::min(std::max<std::size_t>(2, word.size() / 3) + 1, word.size());
    for (const auto& candidate : candidates) {
        if (word.size() >= 2 && candidate.rfind(word, 0) == 0)
            return candidate;  // "q pu": the start of one command
        const auto distance = edit_distance(word, candidate);
        if (distance < best_distance) {
            best_distance = distance;
            best = candidate;
        }
    }
    return best;
}

void check_command_words(const CLI::App& root, const std::vector<std::string>& args) {
    const CLI::App* current = &root;
    bool words_done = false;  // past the command words, only options are checked
    for (std::size_t i = 0; i < args.size(); ++i) {
        const auto& token = args[i];
        if (token == "--")
            return;
        if (token.size() > 1 && token[0] == '-') {
            const auto* opt = option_named(current, token);
            // CLI11 reads "--config=" as "--config" and takes the next word as its value.
            if (opt != nullptr && opt->get_expected_max() > 0 && token.back() == '=' &&
                token.find('=') == token.size() - 1 && token.rfind("--", 0) == 0) {
                throw libqueue::UsageError(token.substr(0, token.size() - 1) + ": " +
                                           empty_value_message);
            }
            // "--queue x": the next word is the option's value, not a command.
            if (opt != nullptr && opt->get_expected_max() > 0 &&
                token.find('=') == std::string::npos && !(token.size() > 2 && token[1] != '-'))
                ++i;
            continue;
        }
        if (words_done)
            continue;
        const auto names = visible_subcommands(*current);
        if (names.empty()) {
            words_done = true;  // the first argument of a command without subcommands
            continue;
        }
        const auto* sub = subcommand_named(*current, token);
        if (sub == nullptr) {
            const auto where = command_path(current);
            auto message =
                "unknown command " + libqueue::quoted((where.empty() ? "" : where + " ") + token);
            const auto suggestion = closest_name(token, names);
            message += suggestion.empty()
                           ? "; try 'q " + (where.empty() ? "" : where + " ") + "--help'"
                           : "; did you mean '" + suggestion + "'?";
            throw libqueue::UsageError(message);
        }
        current = sub;
    }
}

}  // namespace q
