// queue.postgres.dsn read by libpq itself (PQconninfoParse), so q sees the options exactly as libpq
// will use them, and can show them with every password replaced.
#pragma once

#include <libpq-fe.h>

#include <memory>
#include <string>
#include <vector>

namespace libqueue::pg {

// Owns what PQconninfoParse and PQconndefaults return.
struct ConninfoFree {
    void operator()(PQconninfoOption* options) const { PQconninfoFree(options); }
};
using ConninfoPtr = std::unique_ptr<PQconninfoOption, ConninfoFree>;

// `value` as a quoted libpq key=value value: single quotes, backslash before ' and \.
std::string conninfo_quote(const std::string& value);

struct DsnOption {
    std::string keyword;  // libpq's keyword: host, port, user, password, dbname, sslmode, ...
    std::string value;    // decoded
    bool secret = false;  // libpq marks it a password field (dispchar "*")
};

struct ParsedDsn {
    std::string scheme;              // "postgresql" or "postgres" for a URI; empty for key=value
    std::vector<DsnOption> options;  // the options the DSN sets, in libpq's order

    const std::string* find(const std::string& keyword) const;
};

// Throws ConfigError "queue.postgres.dsn: ...: WHY" in q's own words. libpq's parse errors quote
// the offending token, which may be the password, so they are never passed on. A URI whose '@'
// libpq would not read as the end of the user info (an unescaped '/' in the password makes libpq
// read the password as the port) is refused too, rather than connected to a host made of it.
ParsedDsn parse_dsn(const std::string& dsn);

// The DSN for q config and for messages: rebuilt from the parsed options in the form it was
// written in, every password as "***". A DSN that does not parse shows only its scheme.
std::string display_dsn(const std::string& dsn);

}  // namespace libqueue::pg
