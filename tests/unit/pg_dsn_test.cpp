// queue.postgres.dsn as libpq reads it: the display form q shows, and refusals that never quote
// the password.
#include <catch2/catch.hpp>
#include <string>

#include "drivers/postgres/pg_dsn.hpp"
#include "libqueue/errors.hpp"

using libqueue::ConfigError;
using libqueue::pg::display_dsn;
using libqueue::pg::parse_dsn;

namespace {

std::string refusal(const std::string& dsn) {
    try {
        parse_dsn(dsn);
    } catch (const ConfigError& error) {
        return error.what();
    }
    FAIL("accepted " << dsn);
    return {};
}

}  // namespace

TEST_CASE("a URI is shown as a URI, the password as ***") {
    CHECK(display_dsn("postgresql://alice:pw@db.example:5433/jobs") ==
          "postgresql://alice:***@db.example:5433/jobs");
    CHECK(display_dsn("postgres://alice:p%2Fw%40x@db/jobs?sslmode=require") ==
          "postgres://alice:***@db/jobs?sslmode=require");
    CHECK(display_dsn("postgresql://alice@db/jobs?password=pw&connect_timeout=3") ==
          "postgresql://alice:***@db/jobs?connect_timeout=3");
    CHECK(display_dsn("postgresql://u:S3C#RET@h/d") == "postgresql://u:***@h/d");
    CHECK(display_dsn("postgresql://u:S3C?RET@h/d") == "postgresql://u:***@h/d");
    CHECK(display_dsn("postgresql://h1:5432,[::1]:5433/d") == "postgresql://h1:5432,[::1]:5433/d");
    CHECK(display_dsn("postgresql:///d?host=%2Fvar%2Frun") == "postgresql:///d?host=%2Fvar%2Frun");
    CHECK(display_dsn("postgresql://") == "postgresql://");
}

TEST_CASE("a key=value DSN is shown as key=value, quoted where libpq needs it") {
    CHECK(display_dsn("host=db user=app password=secret dbname=q") ==
          "user=app password=*** dbname=q host=db");
    CHECK(display_dsn("host=db password='a b\\' c' application_name='my app'") ==
          "password=*** host=db application_name='my app'");
    CHECK(display_dsn("") == "");
}

TEST_CASE("a DSN libpq cannot parse shows only its scheme") {
    CHECK(display_dsn("postgresql://u:S3C%RET@h/d") == "postgresql://... (unparseable, not shown)");
    CHECK(display_dsn("host=db password=S3C RET") == "(unparseable, not shown)");
    CHECK(display_dsn("password='S3CRET") == "(unparseable, not shown)");
}

TEST_CASE("a URI whose password libpq would split elsewhere is refused") {
    // libpq ends the user info at '@' only before the first '/': it would read S3C as the port.
    CHECK_THAT(refusal("postgresql://u:S3C/RET@h/d"), Catch::Contains("%2F"));
    CHECK_THAT(refusal("postgresql://u:S3C@RET@h/d"), Catch::Contains("%40"));
    CHECK_THAT(refusal("postgresql://u:123/RET@h/d"), Catch::Contains("'@'"));
    CHECK(display_dsn("postgresql://u:S3C/RET@h/d") == "postgresql://... (unparseable, not shown)");
    // An '@' in a query value is not in the user info.
    CHECK(display_dsn("postgresql://h/d?user=a@b") == "postgresql://a%40b@h/d");
}

TEST_CASE("no refusal quotes any part of the DSN") {
    for (const std::string dsn :
         {"postgresql://u:S3C/RET@h/d", "postgresql://u:S3C%RET@h/d", "postgresql://u:S3C%00RET@h",
          "host=h password=S3C RET", "password='S3CRET", "S3CRET=x", "postgresql://h/d?S3CRET",
          "postgresql://h/d?S3CRET=1", "postgresql://h/d?a==S3CRET", "postgresql://[S3CRET",
          "postgresql://h:S3CRET/d"}) {
        INFO(dsn);
        auto message = refusal(dsn);
        CHECK(message.find("S3C") == std::string::npos);
        CHECK(message.find("RET") == std::string::npos);
        CHECK(message.find("queue.postgres.dsn") != std::string::npos);
    }
}
