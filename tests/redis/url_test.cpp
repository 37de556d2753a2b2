// The redis URL parser (queue.redis.url): what it accepts, what it refuses, and that no message
// ever carries the password.
#include <catch2/catch.hpp>

#include "drivers/redis/redis_url.hpp"
#include "libqueue/errors.hpp"

using libqueue::ConfigError;
using libqueue::redis::display_url;
using libqueue::redis::parse_redis_url;

namespace {

// The ConfigError message for a URL that must be refused.
std::string refusal(const std::string& url) {
    try {
        parse_redis_url(url);
    } catch (const ConfigError& error) {
        return error.what();
    }
    FAIL("accepted " << url);
    return {};
}

}  // namespace

TEST_CASE("host, port and database") {
    auto url = parse_redis_url("redis://cache.internal:6380/2");
    CHECK(url.host == "cache.internal");
    CHECK(url.port == 6380);
    CHECK(url.db == 2);
    CHECK_FALSE(url.password);
    CHECK_FALSE(url.username);
    CHECK(url.describe() == "cache.internal:6380/2");
}

TEST_CASE("defaults: port 6379, database 0") {
    auto url = parse_redis_url("redis://example.org");
    CHECK(url.host == "example.org");
    CHECK(url.port == 6379);
    CHECK(url.db == 0);
    CHECK(parse_redis_url("redis://example.org/").db == 0);
    CHECK(parse_redis_url("redis://").host == "127.0.0.1");
}

TEST_CASE("password without a user, the seed's form") {
    auto url = parse_redis_url("redis://:s3cret@127.0.0.1:6379/0");
    REQUIRE(url.password);
    CHECK(*url.password == "s3cret");
    CHECK_FALSE(url.username);
    CHECK(url.describe().find("s3cret") == std::string::npos);
}

TEST_CASE("ACL user and a percent-encoded password") {
    auto url = parse_redis_url("redis://worker:p%40ss%2Fw%3Ard@10.0.0.5:7000/15");
    REQUIRE(url.username);
    CHECK(*url.username == "worker");
    REQUIRE(url.password);
    CHECK(*url.password == "p@ss/w:rd");
    CHECK(url.host == "10.0.0.5");
    CHECK(url.port == 7000);
    CHECK(url.db == 15);
}

TEST_CASE("an unescaped '@' or '/' stays in the password: the last '@' ends it") {
    auto url = parse_redis_url("redis://:a@b/c@db.example:6390/1");
    REQUIRE(url.password);
    CHECK(*url.password == "a@b/c");
    CHECK(url.host == "db.example");
    CHECK(url.port == 6390);
    CHECK(url.db == 1);
}

TEST_CASE("IPv6 hosts in brackets") {
    auto url = parse_redis_url("redis://[::1]:7001/3");
    CHECK(url.host == "::1");
    CHECK(url.port == 7001);
    CHECK(url.db == 3);
    CHECK(url.describe() == "[::1]:7001/3");
    CHECK(parse_redis_url("redis://[fe80::2]").port == 6379);
}

TEST_CASE("refused URLs name the problem") {
    CHECK_THAT(refusal("http://localhost:6379"), Catch::Contains("redis://"));
    CHECK_THAT(refusal("rediss://localhost:6379"), Catch::Contains("TLS"));
    CHECK_THAT(refusal("redis://localhost:port"), Catch::Contains("port"));
    CHECK_THAT(refusal("redis://localhost:0"), Catch::Contains("port"));
    CHECK_THAT(refusal("redis://localhost:65536"), Catch::Contains("port"));
    CHECK_THAT(refusal("redis://localhost:"), Catch::Contains("empty port"));
    CHECK_THAT(refusal("redis://localhost/db1"), Catch::Contains("database"));
    CHECK_THAT(refusal("redis://localhost/-1"), Catch::Contains("database"));
    CHECK_THAT(refusal("redis://[::1:6379"), Catch::Contains("'['"));
    CHECK_THAT(refusal("redis://localhost/0?timeout=5"), Catch::Contains("query"));
    CHECK_THAT(refusal("redis://:bad%zzescape@h"), Catch::Contains("percent"));
    CHECK_THAT(refusal("localhost:6379"), Catch::Contains("queue.redis.url"));
}

TEST_CASE("no refusal carries the password") {
    for (const std::string url :
         {"redis://:hunter2@host:notaport/0", "redis://user:hunter2@host/x",
          "rediss://:hunter2@host", "redis://:hunter2@[::1/0", "http://:hunter2@host",
          "redis://:hunter2@host/0?x=1", "hunter2@host", "redis://:hunter2", "redis://:hunter2/x",
          "redis://:hunter2%@h"}) {
        INFO(url);
        auto message = refusal(url);
        CHECK(message.find("hunter2") == std::string::npos);
    }
}

TEST_CASE("display_url rebuilds the URL with the password as ***") {
    CHECK(display_url("redis://:pw@h:1/0") == "redis://:***@h:1/0");
    CHECK(display_url("redis://me:pw@h:1/0") == "redis://me:***@h:1/0");
    CHECK(display_url("redis://me@h:1/0") == "redis://me@h:1/0");
    CHECK(display_url("redis://h") == "redis://h:6379/0");
    CHECK(display_url("redis://:a@b/c?d#e@h/0") == "redis://:***@h:6379/0");
    CHECK(display_url("redis://m%C3%A9:pw@[::1]:2/3") == "redis://m%C3%A9:***@[::1]:2/3");
}

TEST_CASE("display_url shows only the scheme of a URL it cannot parse") {
    CHECK(display_url("redis://:S3CRET") == "redis://... (unparseable, not shown)");
    CHECK(display_url("redis://:S3C%RET@h") == "redis://... (unparseable, not shown)");
    CHECK(display_url("rediss://:S3CRET@h") == "rediss://... (unparseable, not shown)");
    CHECK(display_url(":S3CRET@h") == "(unparseable, not shown)");
}
