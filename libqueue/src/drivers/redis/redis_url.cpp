#include "drivers/redis/redis_url.hpp"

#include <charconv>

#include "libqueue/errors.hpp"
#include "percent_encoding.hpp"
#include "secrets.hpp"

namespace libqueue::redis {

namespace {

constexpr std::string_view kScheme = "redis://";

// The user info ends at the LAST '@': a password with an unescaped '/' or '@' still splits where
// the user meant, and never leaks into the host part of a message.
struct Split {
    std::string_view userinfo;  // empty when there is no '@'
    std::string_view rest;      // host[:port][/db]
    bool has_userinfo = false;
};

Split split_userinfo(std::string_view after_scheme) {
    auto at = after_scheme.rfind('@');
    if (at == std::string_view::npos)
        return {{}, after_scheme, false};
    return {after_scheme.substr(0, at), after_scheme.substr(at + 1), true};
}

// A URL that did not parse has no known password to cut out, so none of it is shown.
[[noreturn]] void fail(std::string_view url, const std::string& why) {
    throw ConfigError("queue.redis.url: " + unparseable_display(url) + ": " + why +
                      " (expected redis://[[user]:password@]host[:port][/db])");
}

int hex_digit(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

std::optional<std::string> percent_decode(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '%') {
            out += text[i];
            continue;
        }
        if (i + 2 >= text.size())
            return std::nullopt;
        int high = hex_digit(text[i + 1]);
        int low = hex_digit(text[i + 2]);
        if (high < 0 || low < 0)
            return std::nullopt;
        out += char(high * 16 + low);
        i += 2;
    }
    return out;
}

std::optional<int> parse_int(std::string_view text, int min, int max) {
    int value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size() || value < min || value > max) {
        return std::nullopt;
    }
    return value;
}

}  // namespace

std::string RedisUrl::describe() const {
    bool ipv6 = host.find(':') != std::string::npos;
    return (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port) + "/" + std::to_string(db);
}

std::string display_url(std::string_view url) {
    RedisUrl parsed;
    try {
        parsed = parse_redis_url(url);
    } catch (const ConfigError&) {
        return unparseable_display(url);
    }
    std::string userinfo = parsed.username ? percent_encoded(*parsed.username) : "";
    if (parsed.password)
        userinfo += ":***";
    return std::string(kScheme) + (userinfo.empty() ? "" : userinfo + "@") + parsed.describe();
}

RedisUrl parse_redis_url(std::string_view url) {
    if (url.substr(0, kScheme.size()) != kScheme) {
        if (url.substr(0, 9) == "rediss://")
            fail(url, "TLS is not supported by this build");
        fail(url, "it must start with redis://");
    }
    RedisUrl out;
    auto split = split_userinfo(url.substr(kScheme.size()));

    if (split.has_userinfo) {
        auto colon = split.userinfo.find(':');
        auto user = split.userinfo.substr(0, colon);
        if (!user.empty()) {
            auto decoded = percent_decode(user);
            if (!decoded)
                fail(url, "bad percent escape in the user name");
            out.username = *decoded;
        }
        if (colon != std::string_view::npos) {
            auto decoded = percent_decode(split.userinfo.substr(colon + 1));
            if (!decoded)
                fail(url, "bad percent escape in the password");
            if (!decoded->empty())
                out.password = *decoded;
        }
    }

    std::string_view rest = split.rest;
    // A query string (?timeout=...) is not supported; say so rather than ignore it.
    if (rest.find('?') != std::string_view::npos)
        fail(url, "query parameters are not supported");

    auto slash = rest.find('/');
    std::string_view hostport = rest.substr(0, slash);
    if (slash != std::string_view::npos) {
        auto db_text = rest.substr(slash + 1);
        if (!db_text.empty()) {
            auto db = parse_int(db_text, 0, 1 << 20);
            if (!db)
                fail(url, "the database must be a number (e.g. /0)");
            out.db = *db;
        }
    }

    std::string_view host = hostport;
    std::string_view port_text;
    if (!hostport.empty() && hostport.front() == '[') {
        auto close = hostport.find(']');
        if (close == std::string_view::npos)
            fail(url, "unclosed '[' in the host");
        host = hostport.substr(1, close - 1);
        auto after = hostport.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':')
                fail(url, "unexpected text after the IPv6 host");
            port_text = after.substr(1);
            if (port_text.empty())
                fail(url, "empty port");
        }
    } else {
        auto colon = hostport.find(':');
        if (colon != std::string_view::npos) {
            host = hostport.substr(0, colon);
            port_text = hostport.substr(colon + 1);
            if (port_text.empty())
                fail(url, "empty port");
        }
    }
    if (!host.empty())
        out.host = std::string(host);
    if (!port_text.empty()) {
        auto port = parse_int(port_text, 1, 65535);
        if (!port)
            fail(url, "the port must be a number from 1 to 65535");
        out.port = *port;
    }
    return out;
}

}  // namespace libqueue::redis
