// The backends the benchmark runs q on, each a fresh store of its own (a temp file, a table named
// after the process, a key prefix), and removed again when the Backend object goes away.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "libqueue/driver.hpp"

namespace bench {

class Backend {
  public:
    // names(): sqlite-full, sqlite-normal, postgres, postgres-async, redis, file, memory. The
    // postgres ones and redis need Q_TEST_PG_DSN / Q_TEST_REDIS_URL; available() says whether
    // they are set.
    static std::vector<std::string> names();
    static bool available(const std::string& name);

    explicit Backend(std::string name, bool keep_completed = true);
    ~Backend();
    Backend(const Backend&) = delete;
    Backend& operator=(const Backend&) = delete;

    const std::string& name() const { return name_; }
    // sqlite-full and sqlite-normal: one database file, opened with synchronous FULL or NORMAL.
    bool is_sqlite() const { return name_ == "sqlite-full" || name_ == "sqlite-normal"; }
    // postgres-async: queue.postgres.synchronous_commit "off" for the worker's writes.
    static bool names_postgres(const std::string& name) {
        return name == "postgres" || name == "postgres-async";
    }
    bool is_postgres() const { return names_postgres(name_); }
    std::filesystem::path sqlite_path() const { return dir_ / "queue.db"; }
    std::string sqlite_synchronous() const { return name_ == "sqlite-full" ? "FULL" : "NORMAL"; }
    // is_postgres(): the jobs table q makes for this backend (in $Q_TEST_PG_DSN's database).
    const std::string& postgres_table() const { return suffix_; }
    static std::string postgres_dsn();
    // A new driver object on the same store, as another process would open it. The memory
    // driver cannot be shared that way: it returns the one shared object every time.
    std::shared_ptr<libqueue::QueueDriver> open();
    // Refresh the planner's statistics after a bulk load (postgres: ANALYZE; others: nothing),
    // so a claim right after a fill is planned as it would be in a steady state.
    void analyze();
    // postgres: sets storage parameters ("NAME = VALUE, ...") on the jobs table, which a driver
    // creates first if none has yet; others: nothing.
    void set_table_options(const std::string& options);

  private:
    std::string name_;
    bool keep_completed_;
    std::string suffix_;  // bench_PID: table name, key prefix
    std::filesystem::path dir_;
    std::shared_ptr<libqueue::QueueDriver> memory_;
};

}  // namespace bench
