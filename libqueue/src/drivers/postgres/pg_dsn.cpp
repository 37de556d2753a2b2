#include "drivers/postgres/pg_dsn.hpp"

#include <libpq-fe.h>

#include <algorithm>
#include <memory>
#include <set>
#include <string_view>

#include "libqueue/errors.hpp"
#include "percent_encoding.hpp"
#include "secrets.hpp"

namespace libqueue::pg {

std::string conninfo_quote(const std::string& value) {
    std::string out = "'";
    for (char c : value) {
        if (c == '\'' || c == '\\')
            out += '\\';
        out += c;
    }
    return out + "'";
}

namespace {

struct LibpqFree {
    void operator()(char* text) const { PQfreemem(text); }
};

[[noreturn]] void refuse(std::string_view dsn, const std::string& why) {
    throw ConfigError("queue.postgres.dsn: " + unparseable_display(dsn) + ": " + why);
}

// The URI prefixes libpq recognizes (case-sensitive, as libpq compares them); "" for key=value.
std::string uri_scheme(std::string_view dsn) {
    for (std::string_view scheme : {"postgresql", "postgres"}) {
        if (dsn.substr(0, scheme.size()) == scheme && dsn.substr(scheme.size(), 3) == "://")
            return std::string(scheme);
    }
    return "";
}

// libpq's parse errors in q's words, matched on libpq's English wording; a message not known here
// (or translated) gets the general line. libpq's own text quotes the token it stopped at.
std::string parse_problem(std::string_view libpq_message) {
    struct Known {
        std::string_view opening;
        const char* ours;
    };
    static constexpr Known known[] = {
        {"invalid percent-encoded token", "a '%' that starts no percent escape (write % as %25)"},
        {"forbidden value %00", "a %00 escape (a NUL byte is not allowed)"},
        {"missing \"=\" after", "a word without '=' (quote values with spaces: password='a b')"},
        {"unterminated quoted string", "a quoted value without its closing quote"},
        {"invalid connection option", "an option libpq does not know"},
        {"invalid URI query parameter", "a URI query parameter libpq does not know"},
        {"extra key/value separator", "a URI query parameter with a second '='"},
        {"missing key/value separator", "a URI query parameter without '='"},
        {"end of string reached when looking for matching", "a '[' without its ']' in the host"},
        {"IPv6 host address may not be empty", "an empty IPv6 host"},
        {"unexpected character", "an unexpected character after the host"},
    };
    for (const auto& [opening, ours] : known) {
        if (libpq_message.substr(0, opening.size()) == opening)
            return ours;
    }
    return "libpq cannot parse it";
}

constexpr const char* kEscapeHint =
    " (percent-encode '/', '?', '#' and '@' in the user name and password: %2F %3F %23 %40)";

// libpq ends a URI's user info at the first '@', provided no '/' comes before it. A password with
// an unescaped '/' or '@' is split elsewhere than its writer meant, and libpq reads the rest of it
// as the host, port or database, which messages show. Such a URI is refused instead.
void check_user_info_end(std::string_view dsn, std::size_t prefix_length) {
    const auto rest = dsn.substr(prefix_length);
    const auto slash = rest.find('/');
    const auto at = rest.find('@');
    if (at == std::string_view::npos)
        return;
    if (slash == std::string_view::npos || at < slash) {
        // libpq's user info ends here; another '@' before the query is a split password.
        const auto query = rest.find('?', at);
        if (rest.find('@', at + 1) < query)
            refuse(dsn, std::string("more than one '@' before the query") + kEscapeHint);
        return;
    }
    // An '@' after the first '/' is in the database name, or in a query value (?user=a@b).
    if (at < rest.find('?', slash))
        refuse(dsn, std::string("an '@' after a '/'") + kEscapeHint);
}

// Each of a comma-separated port list is a number or empty. libpq checks this only when it
// connects, with a message that quotes the value (a piece of a mis-split password).
bool ports_are_numbers(std::string_view ports) {
    return std::all_of(ports.begin(), ports.end(),
                       [](char c) { return (c >= '0' && c <= '9') || c == ','; });
}

std::vector<std::string_view> split_commas(std::string_view text) {
    std::vector<std::string_view> parts;
    std::size_t start = 0;
    for (;;) {
        const auto comma = text.find(',', start);
        parts.push_back(text.substr(start, comma - start));
        if (comma == std::string_view::npos)
            return parts;
        start = comma + 1;
    }
}

// A host list that can be written in a URI's authority as it is: names, IPv4 and IPv6 addresses.
// Socket directories, zone ids and anything unusual go to the query instead.
bool plain_hosts(const std::vector<std::string_view>& hosts) {
    return std::all_of(hosts.begin(), hosts.end(), [](std::string_view host) {
        return !host.empty() && std::all_of(host.begin(), host.end(), [](unsigned char c) {
            return is_unreserved(c) || c == ':';
        });
    });
}

std::string host_in_uri(std::string_view host) {
    return host.find(':') == std::string_view::npos ? std::string(host)
                                                    : "[" + std::string(host) + "]";
}

// scheme://user:***@host:port,host:port/dbname?key=value&...
std::string uri_form(const ParsedDsn& dsn) {
    std::set<std::string> written;
    std::string out = dsn.scheme + "://";
    const auto* user = dsn.find("user");
    const auto* password = dsn.find("password");
    if (user || password) {
        out += user ? percent_encoded(*user) : "";
        out += password ? ":***" : "";
        out += '@';
        written.insert({"user", "password"});
    }
    if (const auto* host = dsn.find("host")) {
        const auto hosts = split_commas(*host);
        const auto* port = dsn.find("port");
        const auto ports = port ? split_commas(*port) : std::vector<std::string_view>{};
        if (plain_hosts(hosts) && (ports.empty() || ports.size() == hosts.size())) {
            for (std::size_t i = 0; i < hosts.size(); ++i) {
                out += (i ? "," : "") + host_in_uri(hosts[i]);
                if (!ports.empty() && !ports[i].empty())
                    out += ":" + std::string(ports[i]);
            }
            written.insert({"host", "port"});
        }
    }
    if (const auto* dbname = dsn.find("dbname")) {
        out += "/" + percent_encoded(*dbname);
        written.insert("dbname");
    }
    char separator = '?';
    for (const auto& option : dsn.options) {
        if (written.count(option.keyword))
            continue;
        out += separator + option.keyword + "=" +
               (option.secret ? "***" : percent_encoded(option.value));
        separator = '&';
    }
    return out;
}

// A key=value value, quoted only where libpq needs it.
std::string conninfo_value(const std::string& value) {
    if (!value.empty() && value.find_first_of(" \t\n\r\f\v'\\") == std::string::npos)
        return value;
    return conninfo_quote(value);
}

std::string key_value_form(const ParsedDsn& dsn) {
    std::string out;
    for (const auto& option : dsn.options) {
        out += (out.empty() ? "" : " ") + option.keyword + "=" +
               (option.secret ? "***" : conninfo_value(option.value));
    }
    return out;
}

}  // namespace

const std::string* ParsedDsn::find(const std::string& keyword) const {
    for (const auto& option : options) {
        if (option.keyword == keyword)
            return &option.value;
    }
    return nullptr;
}

ParsedDsn parse_dsn(const std::string& dsn) {
    ParsedDsn parsed;
    parsed.scheme = uri_scheme(dsn);
    if (!parsed.scheme.empty())
        check_user_info_end(dsn, parsed.scheme.size() + 3);

    char* raw_error = nullptr;
    ConninfoPtr options(PQconninfoParse(dsn.c_str(), &raw_error));
    std::unique_ptr<char, LibpqFree> error(raw_error);
    if (!options)
        refuse(dsn, parse_problem(error ? error.get() : ""));

    for (const auto* option = options.get(); option->keyword; ++option) {
        if (!option->val)
            continue;
        const bool secret = option->dispchar && option->dispchar[0] == '*';
        parsed.options.push_back({option->keyword, option->val, secret});
    }
    if (const auto* port = parsed.find("port"); port && !ports_are_numbers(*port))
        refuse(dsn, std::string("the port is not a number") +
                        (parsed.scheme.empty() ? "" : kEscapeHint));
    return parsed;
}

std::string display_dsn(const std::string& dsn) {
    try {
        const auto parsed = parse_dsn(dsn);
        return parsed.scheme.empty() ? key_value_form(parsed) : uri_form(parsed);
    } catch (const ConfigError&) {
        return unparseable_display(dsn);
    }
}

}  // namespace libqueue::pg
