#include "harness/backends.hpp"

#include <hiredis/hiredis.h>
#include <unistd.h>

#include <cstdlib>
#include <pqxx/pqxx>
#include <stdexcept>

#include "drivers/redis/redis_url.hpp"
#include "libqueue/config.hpp"
#include "libqueue/registry.hpp"

namespace bench {

namespace {

std::string env(const char* name) {
    const char* value = std::getenv(name);
    return value == nullptr ? std::string() : std::string(value);
}

void postgres_exec(const std::string& statement) {
    pqxx::connection db(Backend::postgres_dsn());
    pqxx::nontransaction tx(db);
    tx.exec(statement);
}

// Deletes every key under prefix (the driver has no "drop everything" call; clear() keeps
// processing jobs and the totals).
void redis_drop_prefix(const std::string& prefix) {
    auto url = libqueue::redis::parse_redis_url(env("Q_TEST_REDIS_URL"));
    std::unique_ptr<redisContext, decltype(&redisFree)> c(redisConnect(url.host.c_str(), url.port),
                                                          &redisFree);
    if (!c || c->err)
        return;
    auto command = [&](const std::vector<std::string>& args) {
        std::vector<const char*> argv;
        std::vector<size_t> lengths;
        for (const auto& a : args) {
            argv.push_back(a.c_str());
            lengths.push_back(a.size());
        }
        return std::unique_ptr<redisReply, decltype(&freeReplyObject)>(
            static_cast<redisReply*>(
                redisCommandArgv(c.get(), int(argv.size()), argv.data(), lengths.data())),
            &freeReplyObject);
    };
    if (url.password) {
        if (url.username)
            command({"AUTH", *url.username, *url.password});
        else
            command({"AUTH", *url.password});
    }
    command({"SELECT", std::to_string(url.db)});
    std::string cursor = "0";
    do {
        auto reply = command({"SCAN", cursor, "MATCH", prefix + ":*", "COUNT", "1000"});
        if (!reply || reply->type != REDIS_REPLY_ARRAY || reply->elements != 2)
            return;
        cursor.assign(reply->element[0]->str, reply->element[0]->len);
        const redisReply* keys = reply->element[1];
        for (size_t i = 0; i < keys->elements; ++i) {
            command({"DEL", std::string(keys->element[i]->str, keys->element[i]->len)});
        }
    } while (cursor != "0");
}

}  // namespace

std::vector<std::string> Backend::names() {
    return {"sqlite-full", "sqlite-normal", "postgres", "postgres-async",
            "redis",       "file",          "memory"};
}

bool Backend::available(const std::string& name) {
    if (names_postgres(name))
        return !postgres_dsn().empty();
    if (name == "redis")
        return !env("Q_TEST_REDIS_URL").empty();
    for (const auto& known : names())
        if (known == name)
            return true;
    return false;
}

Backend::Backend(std::string name, bool keep_completed)
    : name_(std::move(name)),
      keep_completed_(keep_completed),
      suffix_("q_bench_" + std::to_string(::getpid())) {
    if (!available(name_))
        throw std::runtime_error("backend " + name_ + " is not available");
    if (name_.rfind("sqlite", 0) == 0 || name_ == "file") {
        auto base = std::filesystem::temp_directory_path();
        const char* tmp = std::getenv("TMPDIR");
        if (tmp != nullptr && *tmp != '\0')
            base = tmp;
        dir_ = base / suffix_;
        std::filesystem::create_directories(dir_);
    }
}

Backend::~Backend() {
    memory_.reset();
    try {
        if (is_postgres()) {
            for (const char* part : {"", "_q_unique", "_q_totals", "_q_counts", "_q_records",
                                     "_q_logs", "_q_log_groups", "_q_meta"}) {
                postgres_exec("DROP TABLE IF EXISTS \"" + suffix_ + part + "\"");
            }
            // The counts' trigger function outlives the table its triggers were on.
            postgres_exec("DROP FUNCTION IF EXISTS \"" + suffix_ + "_q_count\"()");
        } else if (name_ == "redis") {
            redis_drop_prefix(suffix_);
        }
        if (!dir_.empty())
            std::filesystem::remove_all(dir_);
    } catch (const std::exception&) {
        // Cleaning up a throwaway store: nothing worth failing a run for.
    }
}

std::shared_ptr<libqueue::QueueDriver> Backend::open() {
    libqueue::Config config;
    config.keep_completed = keep_completed_;
    if (is_sqlite()) {
        config.driver = "sqlite";
        config.driver_sections["sqlite"] = {{"path", sqlite_path().string()},
                                            {"synchronous", sqlite_synchronous()}};
    } else if (name_ == "file") {
        config.driver = "file";
        config.driver_sections["file"] = {{"path", (dir_ / "queue.json").string()}};
    } else if (is_postgres()) {
        config.driver = "postgres";
        config.driver_sections["postgres"] = {{"dsn", postgres_dsn()}, {"table", suffix_}};
        if (name_ == "postgres-async")  // the worker's writes without waiting for the disk
            config.driver_sections["postgres"]["synchronous_commit"] = "off";
    } else if (name_ == "redis") {
        config.driver = "redis";
        config.driver_sections["redis"] = {{"url", env("Q_TEST_REDIS_URL")}, {"prefix", suffix_}};
    } else if (name_ == "memory") {
        if (!memory_) {
            config.driver = "memory";
            memory_ = libqueue::create_driver(config);
        }
        return memory_;
    }
    return libqueue::create_driver(config);
}

std::string Backend::postgres_dsn() {
    return env("Q_TEST_PG_DSN");
}

void Backend::analyze() {
    if (is_postgres())
        postgres_exec("ANALYZE \"" + suffix_ + "\"");
}

void Backend::set_table_options(const std::string& options) {
    if (!is_postgres())
        return;
    open()->size("default");  // the driver creates its table on first use
    postgres_exec("ALTER TABLE \"" + suffix_ + "\" SET (" + options + ")");
}

}  // namespace bench
