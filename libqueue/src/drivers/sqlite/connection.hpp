// One SQLite connection: opening with q's pragmas, a cache of prepared statements, write
// transactions, and the translation of SQLite errors into libqueue's.
#pragma once

#include <SQLiteCpp/Column.h>
#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Exception.h>
#include <SQLiteCpp/Statement.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>

namespace libqueue::sqlite {

// How long a writer waits for another connection's lock before giving up (TemporaryError).
inline constexpr int kBusyTimeoutMs = 5000;

class Connection {
  public:
    // Creates the parent folders and the file (mode 0600) when missing, opens it in WAL mode with
    // the given synchronous level. Throws UnavailableError for a path that cannot be opened,
    // DataError for a file that is not a database.
    Connection(const std::filesystem::path& path, const std::string& synchronous);
    // The busy handler holds `this`.
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    // Statements are used through Query, which takes one from the cache for its lifetime.
    friend class Query;

    // Runs a statement that returns no rows; returns the number of changed rows.
    int run(const std::string& sql);

    SQLite::Database& db() { return db_; }
    const std::string& path() const { return path_; }

    // The libqueue error for a SQLite failure on this database.
    [[noreturn]] void raise(const SQLite::Exception& error) const;

    // Runs `step` again while it fails with SQLITE_BUSY, up to the busy timeout: for the steps
    // where SQLite reports BUSY without calling the busy handler (opening a new file, creating
    // the schema while another process does).
    void retry_while_busy(const std::function<void()>& step);

  private:
    static int on_busy(void* self, int attempt);

    std::string path_;
    SQLite::Database db_;
    std::chrono::steady_clock::time_point busy_since_;
    struct Cached {
        std::unique_ptr<SQLite::Statement> statement;
        bool in_use = false;
    };
    std::unordered_map<std::string, Cached> cache_;
};

// One use of a prepared statement for `sql`: the cached one, or a statement of its own when the
// cached one is in use by a live Query (so two live queries never share a statement). Resets it
// when done, so no read snapshot stays open.
class Query {
  public:
    Query(Connection& connection, const std::string& sql);
    ~Query();
    Query(const Query&) = delete;
    Query& operator=(const Query&) = delete;

    SQLite::Statement* operator->() { return statement_; }
    SQLite::Statement& operator*() { return *statement_; }

  private:
    Connection::Cached* cached_ = nullptr;    // the cache entry taken, if any
    std::unique_ptr<SQLite::Statement> own_;  // when the cached one was taken
    SQLite::Statement* statement_ = nullptr;
};

// BEGIN IMMEDIATE: takes the write lock up front, so a transaction that reads and then writes
// never fails halfway with a stale snapshot. Rolls back unless committed.
class WriteTransaction {
  public:
    explicit WriteTransaction(Connection& connection);
    ~WriteTransaction();
    WriteTransaction(const WriteTransaction&) = delete;
    WriteTransaction& operator=(const WriteTransaction&) = delete;

    void commit();

  private:
    Connection& connection_;
    bool open_ = true;
};

// A consistent snapshot for several reads (BEGIN DEFERRED); ends when destroyed.
class ReadTransaction {
  public:
    explicit ReadTransaction(Connection& connection);
    ~ReadTransaction();
    ReadTransaction(const ReadTransaction&) = delete;
    ReadTransaction& operator=(const ReadTransaction&) = delete;

  private:
    Connection& connection_;
};

}  // namespace libqueue::sqlite
