// roff for q's man pages, from the text q's --help shows (help.hpp's conventions): every page is
// rendered by these, whether from a command's CLI11 text or from man_pages.cpp.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace q {

std::string upper(std::string text);
std::vector<std::string> split_lines(const std::string& text);

// Text as roff: backslashes and hyphens escaped, a line never starting with a control character.
std::string roff_escape(const std::string& text);

// Paragraphs become .PP, lines indented by two spaces a verbatim block, and "Heading:" lines (one
// or two words) .SH HEADING when allow_headings, else a bold line inside the current section.
void render_text(std::ostream& out, const std::string& text, bool allow_headings);

}  // namespace q
