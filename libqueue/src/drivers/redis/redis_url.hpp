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

// Throws ConfigError "queue.redis.url: ..." naming the URL with its password replaced by "***".
// Percent escapes in user and password are decoded; IPv6 hosts are written in brackets.
RedisUrl parse_redis_url(std::string_view url);

// The URL with the password (if any) replaced by "***", for messages about a URL that did not
// parse as far as the password.
std::string redact_url(std::string_view url);

}  // namespace libqueue::redis
