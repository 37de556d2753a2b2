// queue.redis.url: parse_redis_url, describe and display_url. display_url must never throw, and
// must not show a password that parse_redis_url found.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "drivers/redis/redis_url.hpp"
#include "leak_check.hpp"
#include "libqueue/errors.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view url(reinterpret_cast<const char*>(data), size);
    const std::string shown = libqueue::redis::display_url(url);
    try {
        const libqueue::redis::RedisUrl parsed = libqueue::redis::parse_redis_url(url);
        const std::string described = parsed.describe();
        if (parsed.password) {
            const std::string everything_else =
                "redis\n***\n" + parsed.username.value_or("") + "\n" + parsed.host + "\n" +
                std::to_string(parsed.port) + "\n" + std::to_string(parsed.db) + "\n";
            if (q_fuzz::shows_password(shown, *parsed.password, everything_else) ||
                q_fuzz::shows_password(described, *parsed.password, everything_else))
                std::abort();  // the password was shown
        }
    } catch (const libqueue::Error&) {
    }
    return 0;
}
