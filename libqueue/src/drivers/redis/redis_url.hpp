// The redis URL of queue.redis.url: redis://[[user]:password@]host[:port][/db]. Debian's hiredis
// 0.14 has no parser of its own.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace libqueue::redis {

struct RedisUrl {
    std::string host = "127.0.0.1";
    int port = 6379;
    int db = 0;
    std::optional<std::string> username;  // Redis 6 ACL user; AUTH user password
    std::optional<std::string> password;  // percent-decoded

    // "host:port/db": what messages name. Never contains the password.
    std::string describe() const;
};

// Throws ConfigError "queue.redis.url: redis://... (unparseable, not shown): WHY": of a URL that
// does not parse, only the scheme is shown (without '@' a password reads as the port). Percent
// escapes in user and password are decoded; IPv6 hosts are written in brackets.
RedisUrl parse_redis_url(std::string_view url);

// The URL for q config and messages, rebuilt from its parsed form with the password as "***":
// redis://user:***@host:port/db. A URL that does not parse shows only its scheme.
std::string display_url(std::string_view url);

}  // namespace libqueue::redis
