// queue.postgres.dsn: parse_dsn and display_dsn. display_dsn must never throw, and must not show
// a password that parse_dsn found.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "drivers/postgres/pg_dsn.hpp"
#include "leak_check.hpp"
#include "libqueue/errors.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string dsn(reinterpret_cast<const char*>(data), size);
    const std::string shown = libqueue::pg::display_dsn(dsn);
    try {
        const libqueue::pg::ParsedDsn parsed = libqueue::pg::parse_dsn(dsn);
        std::string everything_else = parsed.scheme + "\n***\n";
        for (const auto& option : parsed.options) {
            (void)libqueue::pg::conninfo_quote(option.value);
            everything_else += option.keyword + "\n";
            if (!option.secret)
                everything_else += option.value + "\n";
        }
        for (const auto& option : parsed.options) {
            if (option.secret && q_fuzz::shows_password(shown, option.value, everything_else))
                std::abort();  // display_dsn showed the password
        }
    } catch (const libqueue::Error&) {
    }
    return 0;
}
