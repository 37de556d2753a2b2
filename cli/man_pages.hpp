// The man pages that are no command's --help text: q.json(5), made from libqueue's config key
// table (config_keys.hpp), and q-handlers(7), the handler contract; and the ENVIRONMENT and FILES
// sections every page of q ends with.
#pragma once

#include <string>

namespace q {

// "Environment:" and "Files:" sections in the --help text format (roff.hpp's render_text).
const std::string& environment_and_files_text();

// The pages, as roff. `version` goes in the header line.
std::string render_config_page(const std::string& version);
std::string render_handlers_page(const std::string& version);

}  // namespace q
