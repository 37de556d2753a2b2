// The config file: lookup order, validation messages naming the key path, path resolution,
// redaction of secrets.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <string>

#include "libqueue/config.hpp"
#include "libqueue/errors.hpp"
#include "libqueue/registry.hpp"

namespace fs = std::filesystem;
using namespace libqueue;
using Catch::Matchers::Contains;
using Catch::Matchers::Equals;
using Catch::Matchers::StartsWith;
using nlohmann::json;

namespace {

struct TempDir {
    fs::path path;
    TempDir() {
        std::random_device device;
        path = fs::temp_directory_path() /
               ("q-config-test-" + std::to_string(getpid()) + "-" + std::to_string(device()));
        fs::create_directories(path);
        path = fs::canonical(path);
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
};

// Sets (or, with nullopt, unsets) a variable for one scope.
class EnvVar {
  public:
    EnvVar(std::string name, std::optional<std::string> value) : name_(std::move(name)) {
        if (const char* old = std::getenv(name_.c_str()))
            old_ = old;
        if (value) {
            setenv(name_.c_str(), value->c_str(), 1);
        } else {
            unsetenv(name_.c_str());
        }
    }
    ~EnvVar() {
        if (old_) {
            setenv(name_.c_str(), old_->c_str(), 1);
        } else {
            unsetenv(name_.c_str());
        }
    }

  private:
    std::string name_;
    std::optional<std::string> old_;
};

class ChangeDir {
  public:
    explicit ChangeDir(const fs::path& dir) : old_(fs::current_path()) { fs::current_path(dir); }
    ~ChangeDir() { fs::current_path(old_); }

  private:
    fs::path old_;
};

void write_file(const fs::path& file, const std::string& text) {
    fs::create_directories(file.parent_path());
    std::ofstream(file) << text;
}

TEST_CASE("a mistake in the section of a driver not in use is a warning, not an error") {
    TempDir dir;
    ChangeDir cd(dir.path);
    // file and sqlite: drivers every build has (redis and postgres may be compiled out).
    write_file(dir.path / "q.json",
               R"({"queue": {"driver": "memory", "sqlite": {"pathh": "x"}, "file": []}})");
    const Config config = load_config("q.json");
    REQUIRE(config.warnings.size() == 2);
    CHECK_THAT(config.warnings[0], StartsWith("q.json: queue.file: expected an object"));
    CHECK_THAT(config.warnings[1], StartsWith("q.json: queue.sqlite.pathh: unknown key"));
    Config chosen = config;
    CHECK_THROWS_AS(use_driver(chosen, "sqlite"), ConfigError);
    CHECK_THROWS_AS(use_driver(chosen, "nosuch"), ConfigError);
    use_driver(chosen, "sync");
    CHECK(chosen.driver == "sync");
}

// The message of the ConfigError that parsing `text` (as file "q.json" in a temp dir) throws.
std::string config_error(const std::string& text) {
    TempDir dir;
    ChangeDir cd(dir.path);
    write_file(dir.path / "q.json", text);
    try {
        load_config("q.json");
    } catch (const ConfigError& e) {
        return e.what();
    }
    FAIL("no ConfigError for " << text);
    return "";
}

// A scope where no lookup location holds a config: empty cwd, XDG and HOME in the temp dir.
struct IsolatedEnv {
    TempDir dir;
    ChangeDir cd{dir.path};
    EnvVar q_config{"Q_CONFIG", std::nullopt};
    EnvVar xdg_config{"XDG_CONFIG_HOME", std::nullopt};
    EnvVar xdg_data{"XDG_DATA_HOME", std::nullopt};
    EnvVar home{"HOME", dir.path.string()};
};

}  // namespace

TEST_CASE("lookup order: --config, $Q_CONFIG, ./q.json, XDG config, ~/.config") {
    IsolatedEnv env;
    const fs::path root = env.dir.path;
    REQUIRE_FALSE(find_config_file(std::nullopt).has_value());

    write_file(root / "home-config" / "q" / "config.json", "{}");
    {
        EnvVar xdg("XDG_CONFIG_HOME", (root / "home-config").string());
        CHECK(find_config_file(std::nullopt) == root / "home-config" / "q" / "config.json");
    }
    REQUIRE_FALSE(find_config_file(std::nullopt).has_value());
    write_file(root / ".config" / "q" / "config.json", "{}");
    CHECK(find_config_file(std::nullopt) == root / ".config" / "q" / "config.json");

    write_file(root / "q.json", "{}");
    CHECK(find_config_file(std::nullopt) == fs::path("q.json"));

    write_file(root / "env.json", "{}");
    EnvVar q_config("Q_CONFIG", (root / "env.json").string());
    CHECK(find_config_file(std::nullopt) == root / "env.json");

    write_file(root / "explicit.json", "{}");
    CHECK(find_config_file(root / "explicit.json") == root / "explicit.json");
}

TEST_CASE("an explicit or $Q_CONFIG path that does not exist is a config error") {
    IsolatedEnv env;
    write_file(env.dir.path / "q.json", "{}");  // would be found otherwise
    CHECK_THROWS_WITH(
        find_config_file(fs::path("missing.json")),
        Contains("missing.json") && Contains("no such config file") && Contains("--config"));
    EnvVar q_config("Q_CONFIG", "nowhere.json");
    CHECK_THROWS_AS(find_config_file(std::nullopt), ConfigError);
    CHECK_THROWS_WITH(find_config_file(std::nullopt),
                      Contains("nowhere.json") && Contains("$Q_CONFIG"));
    CHECK_THROWS_WITH(find_config_file(env.dir.path), Contains("is a directory"));
}

TEST_CASE("no config file: SQLite under XDG_DATA_HOME, else ~/.local/share") {
    IsolatedEnv env;
    Config fallback = resolve_config(std::nullopt);
    CHECK(fallback.driver == "sqlite");
    CHECK(fallback.source.empty());
    CHECK(fallback.section("sqlite")["path"] ==
          (env.dir.path / ".local/share/q/queue.db").string());

    EnvVar data("XDG_DATA_HOME", "/var/lib/data");
    Config config = resolve_config(std::nullopt);
    CHECK(config.section("sqlite")["path"] == "/var/lib/data/q/queue.db");
    CHECK(config.retry.base == Milliseconds(30'000));
    CHECK(config.retry.max == Milliseconds(3'600'000));
    CHECK(config.stale_after == Milliseconds(300'000));
    CHECK(config.keep_completed);
    CHECK(config.worker.concurrency == 1);
    CHECK_FALSE(config.worker.prefetch);
    CHECK(config.handlers.empty());
}

TEST_CASE("a full config is read into its fields", "[postgres][redis]") {
    IsolatedEnv env;
    write_file(env.dir.path / "q.json", R"({
      "queue": {"driver": "postgres",
                "postgres": {"dsn": "host=db password=pw", "table": "jobs", "schema": "q",
                             "auto_migrate": false},
                "retry": {"base": "250ms", "max": "1m30s"},
                "stale_after": 90,
                "keep_completed": false,
                "worker": {"delay": 1, "max_jobs": 1000, "timeout": 3600, "concurrency": 4,
                           "prefetch": 0}},
      "handlers": {"send_email": {"command": ["./bin/send", "--fast"], "timeout": "30s",
                                  "env": {"SMTP_HOST": "mail"}, "cwd": "work"}}})");
    Config config = resolve_config(std::nullopt);
    CHECK(config.source == env.dir.path / "q.json");
    CHECK(config.base_dir == env.dir.path);
    CHECK(config.driver == "postgres");
    CHECK(config.section("postgres")["table"] == "jobs");
    CHECK(config.section("sqlite").empty());
    CHECK(config.retry.base == Milliseconds(250));
    CHECK(config.retry.max == Milliseconds(90'000));
    CHECK(config.stale_after == Milliseconds(90'000));
    CHECK_FALSE(config.keep_completed);
    CHECK(config.worker.delay == Milliseconds(1000));
    CHECK(config.worker.max_jobs == 1000u);
    CHECK(config.worker.timeout == Milliseconds(3'600'000));
    CHECK(config.worker.concurrency == 4);
    CHECK(config.worker.prefetch == 0u);
    REQUIRE(config.handlers.count("send_email") == 1);
    const CommandSpec& handler = config.handlers.at("send_email");
    // A relative program is found from the config's folder; arguments stay as written.
    CHECK(handler.command ==
          std::vector<std::string>{(env.dir.path / "bin/send").string(), "--fast"});
    CHECK(handler.timeout == Milliseconds(30'000));
    CHECK(handler.env == std::map<std::string, std::string>{{"SMTP_HOST", "mail"}});
    CHECK(handler.cwd == env.dir.path / "work");
}

TEST_CASE("relative paths resolve against the config file's folder") {
    TempDir dir;
    write_file(dir.path / "etc" / "q.json", R"({
      "queue": {"sqlite": {"path": "data/queue.db"}, "file": {"path": "../spool/jobs.json"}},
      "handlers": {"a": {"command": ["x"], "cwd": "."}, "b": {"command": ["x"], "cwd": "/abs"},
                   "c": {"command": ["x"], "cwd": "~/jobs"}}})");
    EnvVar home("HOME", "/home/someone");
    Config config = load_config(dir.path / "etc" / "q.json");
    CHECK(config.section("sqlite")["path"] == (dir.path / "etc/data/queue.db").string());
    CHECK(config.section("file")["path"] == (dir.path / "spool/jobs.json").string());
    CHECK(config.handlers.at("a").cwd == dir.path / "etc");
    CHECK(config.handlers.at("b").cwd == fs::path("/abs"));
    CHECK(config.handlers.at("c").cwd == fs::path("/home/someone/jobs"));

    Config memory =
        parse_config(json::parse(R"({"queue": {"sqlite": {"path": ":memory:"}}})"), "/base");
    CHECK(memory.section("sqlite")["path"] == ":memory:");
}

TEST_CASE("the seed's redis.retry_after is read as stale_after; queue.stale_after wins",
          "[postgres][redis]") {
    Config seed = parse_config(
        json::parse(R"({"queue": {"driver": "redis", "redis": {"retry_after": 90}}})"), "/");
    CHECK(seed.stale_after == Milliseconds(90'000));
    Config both = parse_config(json::parse(R"({"queue": {"stale_after": "2m",
                                                "redis": {"retry_after": 90}}})"),
                               "/");
    CHECK(both.stale_after == Milliseconds(120'000));
    CHECK_THROWS_WITH(parse_config(json::parse(R"({"queue": {"stale_after": 0}})"), "/", "x.json"),
                      StartsWith("x.json: queue.stale_after: must be longer than 0s"));
}

TEST_CASE("a section named after an application's registered driver passes unchecked") {
    const std::string doc = R"({"queue": {"driver": "acme", "acme": {"anything": [1, 2]}}})";
    CHECK_THROWS_WITH(parse_config(json::parse(doc), "/", "q.json"),
                      StartsWith("q.json: queue.acme: unknown key"));
    register_driver("acme",
                    [](const DriverContext&) -> std::unique_ptr<QueueDriver> { return nullptr; });
    Config config = parse_config(json::parse(doc), "/", "q.json");
    CHECK(config.driver == "acme");
    CHECK(config.section("acme")["anything"] == json::array({1, 2}));
}

TEST_CASE("a driver that is not registered is refused at load, naming the ones that are") {
    CHECK_THROWS_WITH(
        parse_config(json::parse(R"({"queue": {"driver": "nosuch"}})"), "/", "q.json"),
        StartsWith("q.json: queue.driver: unknown driver 'nosuch' (built in: ") &&
            Contains("sqlite"));
}

TEST_CASE("the Dart queue system's \"database\" driver is read as postgres, with a note",
          "[postgres]") {
    Config config = parse_config(json::parse(R"({"queue": {"driver": "database"}})"), "/");
    CHECK(config.driver == "postgres");
    REQUIRE(config.notes.size() == 1);
    CHECK_THAT(config.notes.front(), StartsWith("queue.driver: \"database\""));
    CHECK(parse_config(json::parse(R"({"queue": {"driver": "sqlite"}})"), "/").notes.empty());
}

TEST_CASE("the Dart guide's redis.connection and redis.queue are read, with deprecations",
          "[redis]") {
    // The guide's shape, unchanged: a connection name q cannot resolve, and a queue.
    Config guide =
        parse_config(json::parse(R"({"queue": {"driver": "redis", "redis": {"connection": "default",
                                   "queue": "emails", "retry_after": "90s"}}})"),
                     "/");
    CHECK(guide.default_queue == "emails");
    CHECK(guide.stale_after == libqueue::Milliseconds(90'000));
    CHECK_FALSE(guide.section("redis").contains("url"));
    REQUIRE(guide.deprecations.size() == 2);
    CHECK_THAT(guide.deprecations[0], StartsWith("queue.redis.queue is the Dart queue system's"));
    CHECK_THAT(guide.deprecations[1], Contains("cannot read: ignored"));

    // A connection that is a URL is the url, unless url is given too.
    Config url = parse_config(
        json::parse(R"({"queue": {"redis": {"connection": "redis://10.0.0.5:6380/2"}}})"), "/");
    CHECK(url.section("redis").value("url", "") == "redis://10.0.0.5:6380/2");
    CHECK(url.default_queue == "default");
    REQUIRE(url.deprecations.size() == 1);
    CHECK_THAT(url.deprecations[0], Contains("read as queue.redis.url"));
    Config both = parse_config(json::parse(R"({"queue": {"redis": {"connection": "redis://a",
                                           "url": "redis://b"}}})"),
                               "/");
    CHECK(both.section("redis").value("url", "") == "redis://b");
    CHECK_THAT(both.deprecations.at(0), Contains("connection is ignored"));

    CHECK(parse_config(json::parse(R"({"queue": {"redis": {}}})"), "/").deprecations.empty());
    CHECK_THAT(config_error(R"({"queue": {"driver": "redis", "redis": {"queue": 5}}})"),
               StartsWith("q.json: queue.redis.queue: expected a string"));
}

TEST_CASE("every validation error names the file and the key path") {
    CHECK_THAT(config_error(R"({"queue": {"retry": {"base": "fast"}}})"),
               Equals("q.json: queue.retry.base: bad duration 'fast' (expected e.g. 250ms, 30s, "
                      "5m, 2h, 1d)"));
    CHECK_THAT(config_error(R"({"queue": {"sqlite": {"pathh": "x.db"}}})"),
               StartsWith("q.json: queue.sqlite.pathh: unknown key"));
    CHECK_THAT(config_error(R"({"queue": {"sqlite": {"pathh": "x.db"}}})"),
               Contains("path, synchronous"));
    CHECK_THAT(config_error(R"({"queues": {}})"), StartsWith("q.json: queues: unknown key"));
    CHECK_THAT(config_error(R"({"queue": {"drivr": "x"}})"),
               StartsWith("q.json: queue.drivr: unknown key"));
    CHECK_THAT(config_error(R"({"queue": {"driver": 5}})"),
               Equals("q.json: queue.driver: expected a string, got number 5"));
    CHECK_THAT(config_error(R"({"queue": {"driver": ""}})"),
               Equals("q.json: queue.driver: must not be empty"));
    CHECK_THAT(config_error(R"({"queue": {"keep_completed": "yes"}})"),
               Equals("q.json: queue.keep_completed: expected true or false, got string \"yes\""));
    CHECK_THAT(config_error(R"({"queue": {"stale_after": -5}})"),
               StartsWith("q.json: queue.stale_after: bad duration"));
    CHECK_THAT(config_error(R"({"queue": {"stale_after": true}})"),
               StartsWith("q.json: queue.stale_after: bad duration"));
    CHECK_THAT(config_error(R"({"queue": {"retry": 5}})"),
               Equals("q.json: queue.retry: expected an object, got number 5"));
    CHECK_THAT(config_error(R"({"queue": {"retry": {"min": "1s"}}})"),
               StartsWith("q.json: queue.retry.min: unknown key"));
    CHECK_THAT(config_error(R"({"queue": {"worker": {"max_jobs": -1}}})"),
               StartsWith("q.json: queue.worker.max_jobs: expected a whole number"));
    CHECK_THAT(config_error(R"({"queue": {"worker": {"max_jobs": 1.5}}})"),
               StartsWith("q.json: queue.worker.max_jobs: expected a whole number"));
    CHECK_THAT(config_error(R"({"queue": {"worker": {"concurrency": 0}}})"),
               StartsWith("q.json: queue.worker.concurrency: expected a whole number from 1"));
    CHECK_THAT(config_error(R"({"queue": {"worker": {"prefetch": 257}}})"),
               StartsWith("q.json: queue.worker.prefetch: expected a whole number from 0 to 256"));
    CHECK_THAT(config_error(R"({"queue": {"worker": {"delay": "soon"}}})"),
               StartsWith("q.json: queue.worker.delay: bad duration 'soon'"));
    CHECK_THAT(config_error(R"({"queue": {"worker": {"sleep": 1}}})"),
               StartsWith("q.json: queue.worker.sleep: unknown key"));
    CHECK_THAT(config_error(R"({"queue": {"sqlite": {"path": ""}}})"),
               Equals("q.json: queue.sqlite.path: must not be empty"));
    CHECK_THAT(config_error(R"({"queue": {"sqlite": {"synchronous": "fast"}}})"),
               StartsWith("q.json: queue.sqlite.synchronous: expected \"FULL\""));
    CHECK_THAT(config_error(R"({"queue": {"sqlite": []}})"),
               StartsWith("q.json: queue.sqlite: expected an object"));
    CHECK_THAT(config_error(R"({"queue": {"driver": "file", "file": {"max_file_size": "5MB"}}})"),
               StartsWith("q.json: queue.file.max_file_size: expected a whole number"));
    CHECK_THAT(config_error(R"({"queue": {"driver": "file", "file": {"max_backups": -2}}})"),
               StartsWith("q.json: queue.file.max_backups: expected a whole number"));
    CHECK_THAT(config_error(R"({"queue": {"driver": "file", "file": {"rotate": true}}})"),
               StartsWith("q.json: queue.file.rotate: unknown key"));
    CHECK_THAT(config_error(R"({"queue": {"driver": "memory", "memory": {"size": 5}}})"),
               Equals("q.json: queue.memory: the memory driver takes no settings"));
    CHECK_THAT(config_error(R"({"queue": {"driver": "sync", "sync": {"x": 1}}})"),
               Equals("q.json: queue.sync: the sync driver takes no settings"));
    CHECK_THAT(config_error(R"([1, 2])"), StartsWith("q.json: expected a JSON object"));
}

TEST_CASE("the postgres and redis sections are checked by their drivers", "[postgres][redis]") {
    CHECK_THAT(config_error(R"({"queue": {"driver": "postgres", "postgres": {"table": ")" +
                            std::string(49, 't') + R"("}}})"),
               Contains("is longer than 48 characters"));
    CHECK_THAT(
        config_error(R"({"queue": {"driver": "postgres", "postgres": {"table": "jobs; drop"}}})"),
        StartsWith("q.json: queue.postgres.table: 'jobs; drop' is not a plain identifier"));
    CHECK_THAT(config_error(R"({"queue": {"driver": "redis", "redis": {"prefix": ""}}})"),
               Equals("q.json: queue.redis.prefix: must not be empty"));
    CHECK_THAT(
        config_error(R"({"queue": {"driver": "postgres", "postgres": {"auto_migrate": 1}}})"),
        StartsWith("q.json: queue.postgres.auto_migrate: expected true or false"));
    CHECK_THAT(config_error(R"({"queue": {"driver": "postgres", "postgres": {"host": "db"}}})"),
               StartsWith("q.json: queue.postgres.host: unknown key"));
    CHECK_THAT(config_error(R"({"queue": {"driver": "redis", "redis": {"url": 6379}}})"),
               StartsWith("q.json: queue.redis.url: expected a string"));
    CHECK_THAT(config_error(R"({"queue": {"driver": "redis", "redis": {"retry_after": "later"}}})"),
               StartsWith("q.json: queue.redis.retry_after: bad duration 'later'"));
    CHECK_THAT(config_error(R"({"queue": {"driver": "redis", "redis": {"connection": 6379}}})"),
               StartsWith("q.json: queue.redis.connection: expected a string"));
    CHECK_THAT(config_error(R"({"queue": {"driver": "redis", "redis": {"host": "cache"}}})"),
               StartsWith("q.json: queue.redis.host: unknown key"));
}

TEST_CASE("handler errors name handlers.NAME and the key") {
    CHECK_THAT(config_error(R"({"handlers": {"mail": {"command": "send --fast"}}})"),
               StartsWith("q.json: handlers.mail.command: expected an array") &&
                   Contains("never through a shell"));
    CHECK_THAT(config_error(R"({"handlers": {"mail": {"command": []}}})"),
               StartsWith("q.json: handlers.mail.command: must not be empty"));
    CHECK_THAT(config_error(R"({"handlers": {"mail": {"command": ["send", 5]}}})"),
               Equals("q.json: handlers.mail.command[1]: expected a string, got number 5"));
    CHECK_THAT(config_error(R"({"handlers": {"mail": {"command": [""]}}})"),
               Equals("q.json: handlers.mail.command[0]: must not be empty"));
    CHECK_THAT(config_error(R"({"handlers": {"mail": {"timeout": "30s"}}})"),
               StartsWith("q.json: handlers.mail.command: missing"));
    CHECK_THAT(config_error(R"({"handlers": {"mail": {"command": ["x"], "timeout": "1x"}}})"),
               StartsWith("q.json: handlers.mail.timeout: bad duration '1x'"));
    CHECK_THAT(config_error(R"({"handlers": {"mail": {"command": ["x"], "env": {"N": 1}}}})"),
               Equals("q.json: handlers.mail.env.N: expected a string, got number 1"));
    CHECK_THAT(config_error(R"({"handlers": {"mail": {"command": ["x"], "env": ["A=1"]}}})"),
               StartsWith("q.json: handlers.mail.env: expected an object"));
    CHECK_THAT(config_error(R"({"handlers": {"mail": {"command": ["x"], "cwd": 1}}})"),
               StartsWith("q.json: handlers.mail.cwd: expected a string"));
    CHECK_THAT(config_error(R"({"handlers": {"mail": {"command": ["x"], "shell": true}}})"),
               StartsWith("q.json: handlers.mail.shell: unknown key"));
    CHECK_THAT(config_error(R"({"handlers": {"mail": ["x"]}})"),
               StartsWith("q.json: handlers.mail: expected an object"));
    CHECK_THAT(config_error(R"({"handlers": []})"),
               StartsWith("q.json: handlers: expected an object"));
}

TEST_CASE("invalid JSON names the file, line and column") {
    CHECK_THAT(config_error("{\n  \"queue\": {\n    \"driver\": sqlite\n  }\n}"),
               StartsWith("q.json:3:15: invalid JSON: "));
    CHECK_THAT(config_error("{\"queue\": {}"), StartsWith("q.json:1:13: invalid JSON: "));
    CHECK_THAT(config_error(""), StartsWith("q.json:1:1: invalid JSON: "));
    CHECK_THAT(config_error("{\"queue\": {},}"), StartsWith("q.json:1:14: invalid JSON: "));
}

TEST_CASE("a key given twice is refused, named by its path") {
    CHECK_THAT(config_error(R"({"queue": {"driver": "sqlite", "driver": "file"}})"),
               StartsWith("q.json: key 'queue.driver' is given twice"));
    CHECK_THAT(config_error(R"({"queue": {}, "queue": {}})"),
               StartsWith("q.json: key 'queue' is given twice"));
    CHECK_THAT(
        config_error(R"({"handlers": {"a": {"command": ["x"], "env": {"K": "1", "K": "2"}}}})"),
        StartsWith("q.json: key 'handlers.a.env.K' is given twice"));
    // The same key in two different objects is fine.
    CHECK_NOTHROW(parse_config(json::parse(R"({"queue": {"sqlite": {"path": "a"}}})"), "/"));
}

TEST_CASE("a number no double holds is invalid JSON, not a crash") {
    CHECK_THAT(config_error(R"({"queue": {"worker": {"concurrency": 1e999}}})"),
               StartsWith("q.json: invalid JSON: a number is out of range"));
}

TEST_CASE("an unreadable file is a config error naming it") {
    TempDir dir;
    CHECK_THROWS_AS(load_config(dir.path / "absent.json"), ConfigError);
    CHECK_THROWS_WITH(load_config(dir.path / "absent.json"),
                      Contains("absent.json") && Contains("cannot read"));
}

namespace {

// q config's view of one connection string.
json shown_section(const std::string& driver, const std::string& key, const std::string& value) {
    Config config = parse_config(json{{"queue", {{driver, {{key, value}}}}}}, "/");
    return redacted_json(config)["queue"][driver][key];
}

}  // namespace

// Rebuilt from the parsed form, so a password is hidden whatever characters it holds.
TEST_CASE("redacted_json rebuilds DSNs and URLs with the password as ***", "[postgres][redis]") {
    CHECK(shown_section("redis", "url", "redis://:S3C/RET@127.0.0.1:1/0") ==
          "redis://:***@127.0.0.1:1/0");
    CHECK(shown_section("redis", "url", "redis://u:S3C?RET#x@h") == "redis://u:***@h:6379/0");
    CHECK(shown_section("redis", "url", "redis://:S3CRET") ==
          "redis://... (unparseable, not shown)");
    CHECK(shown_section("postgres", "dsn", "postgresql://u:S3C%23RET@db:5433/app") ==
          "postgresql://u:***@db:5433/app");
    CHECK(shown_section("postgres", "dsn", "postgresql://u:S3C#RET@db/app") ==
          "postgresql://u:***@db/app");
    CHECK(shown_section("postgres", "dsn", "postgresql://u:S3C/RET@db/app") ==
          "postgresql://... (unparseable, not shown)");
    CHECK(shown_section("postgres", "dsn", "host=db password='S3C RET' dbname=q") ==
          "password=*** dbname=q host=db");
    CHECK(shown_section("postgres", "dsn", "host=db password=S3C RET") ==
          "(unparseable, not shown)");
}

TEST_CASE("redacted_json hides what it cannot parse generously") {
    Config config = parse_config(json::parse(R"({
      "handlers": {"a": {"command": ["psql", "host=db password=S3C RET dbname=x"],
                         "env": {"PGPASSWORD": "S3CRET", "DB_PASSWORD": "S3CRET",
                                 "URL": "http://u:S3C/RET@h/x", "PLAIN": "kept"}}}})"),
                                 "/");
    json shown = redacted_json(config)["handlers"]["a"];
    CHECK(shown.dump().find("S3C") == std::string::npos);
    CHECK(shown["command"][1] == "host=db password=***");
    CHECK(shown["env"]["PGPASSWORD"] == "***");
    CHECK(shown["env"]["DB_PASSWORD"] == "***");
    CHECK(shown["env"]["URL"] == "http://***@h/x");
    CHECK(shown["env"]["PLAIN"] == "kept");
}

TEST_CASE("redacted_json hides secrets and reads back as the same config", "[postgres][redis]") {
    Config config = parse_config(json::parse(R"({
      "queue": {"driver": "redis", "redis": {"url": "redis://:hunter2@cache:6379", "prefix": "q:"},
                "postgres": {"dsn": "host=db password=hunter2"},
                "retry": {"base": "1.5s"}, "worker": {"max_jobs": 5, "timeout": "1h"}},
      "handlers": {"a": {"command": ["run", "x"], "env": {"URL": "postgres://u:hunter2@h/db"},
                         "timeout": 10, "cwd": "/tmp"}}})"),
                                 "/");
    json shown = redacted_json(config);
    CHECK(shown.dump().find("hunter2") == std::string::npos);
    CHECK(shown["queue"]["redis"]["url"] == "redis://:***@cache:6379/0");
    CHECK(shown["queue"]["postgres"]["dsn"] == "password=*** host=db");
    CHECK(shown["queue"]["retry"]["base"] == "1.5s");
    CHECK(shown["queue"]["stale_after"] == "5m");
    CHECK(shown["handlers"]["a"]["env"]["URL"] == "postgres://***@h/db");

    Config again = parse_config(shown, "/");
    CHECK(again.driver == config.driver);
    CHECK(again.retry.base == config.retry.base);
    CHECK(again.retry.max == config.retry.max);
    CHECK(again.stale_after == config.stale_after);
    CHECK(again.worker.max_jobs == config.worker.max_jobs);
    CHECK(again.worker.timeout == config.worker.timeout);
    CHECK(again.handlers.at("a").command == config.handlers.at("a").command);
    CHECK(again.handlers.at("a").timeout == Milliseconds(10'000));
    CHECK(again.handlers.at("a").cwd == fs::path("/tmp"));
    CHECK(again.section("redis")["prefix"] == "q:");
}

TEST_CASE("a driver's registry entry checks its section, at load and at create_driver") {
    // A hand-built config never went through the loader: create_driver checks it the same way.
    Config config;
    config.driver = "sqlite";
    config.driver_sections["sqlite"] = {{"synchronous", "sometimes"}};
    try {
        create_driver(config);
        FAIL("a bad section was accepted");
    } catch (const ConfigError& e) {
        CHECK_THAT(std::string(e.what()),
                   StartsWith("config: queue.sqlite.synchronous: expected \"FULL\""));
    }

    // The check resolves and normalizes; checking again changes nothing.
    const auto check = ConfigChecker("q.json", "/etc/q");
    const json section = {{"path", "data/../jobs.db"}, {"synchronous", "normal"}};
    const auto once = check_driver_section("sqlite", check, section);
    CHECK(once["path"] == "/etc/q/jobs.db");
    CHECK(once["synchronous"] == "NORMAL");
    CHECK(check_driver_section("sqlite", check, once) == once);

    // A driver without a check (an application's own) gets its section as written.
    register_driver("unchecked-test", [](const DriverContext&) { return nullptr; });
    CHECK(check_driver_section("unchecked-test", check, json{{"any", 1}}) == json{{"any", 1}});
}

TEST_CASE("unknown keys of queue list the registered drivers") {
    CHECK_THAT(config_error(R"({"queue": {"sqllite": {}}})"),
               Contains("known: driver, stale_after, keep_completed, retry, worker, "));
    for (const auto& name : driver_names())
        CHECK_THAT(config_error(R"({"queue": {"sqllite": {}}})"), Contains(name));
}
