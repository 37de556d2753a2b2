#include "roff.hpp"

#include <cctype>
#include <sstream>

namespace q {

std::string upper(std::string text) {
    for (auto& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return text;
}

std::vector<std::string> split_lines(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

std::string roff_escape(const std::string& text) {
    std::string out;
    for (char c : text) {
        if (c == '\\') {
            out += "\\e";
        } else if (c == '-') {
            out += "\\-";
        } else {
            out += c;
        }
    }
    if (!out.empty() && (out.front() == '.' || out.front() == '\''))
        out.insert(0, "\\&");
    return out;
}

namespace {

bool is_heading(const std::string& line) {
    return !line.empty() && line.back() == ':' && line.front() != ' ' &&
           line.find(' ', 0) == line.rfind(' ', line.size()) /* at most two words */;
}

}  // namespace

// Paragraphs become .PP, indented lines a verbatim block, "Heading:" lines .SH HEADING.
void render_text(std::ostream& out, const std::string& text, bool allow_headings) {
    bool in_verbatim = false;
    bool need_paragraph = true;
    for (const auto& line : split_lines(text)) {
        const bool indented = line.rfind("  ", 0) == 0;
        if (in_verbatim && !indented) {
            out << ".fi\n.RE\n";
            in_verbatim = false;
            need_paragraph = true;
        }
        if (line.find_first_not_of(' ') == std::string::npos) {
            need_paragraph = true;
            continue;
        }
        if (!indented && is_heading(line)) {
            if (allow_headings) {
                out << ".SH " << upper(roff_escape(line.substr(0, line.size() - 1))) << '\n';
            } else {  // inside a section already: a bold line of its own
                out << ".PP\n\\fB" << roff_escape(line) << "\\fR\n.br\n";
            }
            need_paragraph = false;
            continue;
        }
        if (indented) {
            if (!in_verbatim) {
                out << ".RS 4\n.nf\n";
                in_verbatim = true;
            }
            out << roff_escape(line.substr(2)) << '\n';
            continue;
        }
        if (need_paragraph) {
            out << ".PP\n";
            need_paragraph = false;
        }
        out << roff_escape(line) << '\n';
    }
    if (in_verbatim)
        out << ".fi\n.RE\n";
}

}  // namespace q
