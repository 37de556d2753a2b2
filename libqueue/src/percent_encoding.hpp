// URL percent-encoding, for connection URLs that q rebuilds from their parsed parts to show them.
#pragma once

#include <string>
#include <string_view>

namespace libqueue {

// RFC 3986's unreserved characters (A-Z a-z 0-9 - . _ ~) as they are; every other byte as %XX.
bool is_unreserved(unsigned char c);
std::string percent_encoded(std::string_view text);

}  // namespace libqueue
