#include "drivers/sqlite/connection.hpp"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <random>
#include <thread>

#include "libqueue/errors.hpp"
#include "libqueue/input_limits.hpp"

namespace libqueue::sqlite {

namespace {

// sqlite3 creates the -wal and -shm files with the database file's mode, so creating the
// database file ourselves is enough to keep all three private.
void create_private_file(const std::filesystem::path& path) {
    std::error_code error;
    if (path.has_parent_path()) {
        std::filesystem::create_directories(path.parent_path(), error);
        if (error) {
            throw UnavailableError(path.string() + ": cannot create folder " +
                                   path.parent_path().string() + ": " + error.message());
        }
    }
    int fd = ::open(path.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
    if (fd >= 0) {
        ::close(fd);
    } else if (errno != EEXIST) {
        throw UnavailableError(path.string() +
                               ": cannot create database file: " + std::strerror(errno));
    }
}

SQLite::Database open_database(const std::string& path) {
    if (path != ":memory:") {
        // SQLite would answer a directory, FIFO or device only with "disk I/O error".
        require_regular_file(path, "database file");
        create_private_file(path);
    }
    try {
        // NOMUTEX: the driver never lets two threads use one connection at once (its own mutex).
        return SQLite::Database(path,
                                SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE | SQLite::OPEN_NOMUTEX,
                                kBusyTimeoutMs);
    } catch (const SQLite::Exception& e) {
        throw UnavailableError(path + ": cannot open database: " + e.what());
    }
}

// One wait between tries on a busy database: short and jittered (see on_busy).
void busy_pause(int attempt) {
    thread_local std::minstd_rand jitter{std::random_device{}()};
    auto pause = attempt < 10 ? 100 + int(jitter() % 400) : 500 + int(jitter() % 1500);
    std::this_thread::sleep_for(std::chrono::microseconds(pause));
}

// What a read-only error comes from when this user lacks the write access SQLite needs: to the
// file, and to its folder for the -wal and -shm files of a WAL database (even to read it, when
// no other process has them open). Empty when both are writable.
std::string missing_write_access(const std::filesystem::path& path) {
    if (::access(path.c_str(), W_OK) != 0)
        return " (this user cannot write the file)";
    const auto folder = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
    if (::access(folder.c_str(), W_OK) != 0) {
        return " (this user cannot write " + folder.string() +
               ", where SQLite keeps the database's -wal and -shm files)";
    }
    return {};
}

}  // namespace

Connection::Connection(const std::filesystem::path& path, const std::string& synchronous)
    : path_(path.string()), db_(open_database(path_)) {
    sqlite3_busy_handler(db_.getHandle(), &Connection::on_busy, this);
    try {
        // The first statement reads the header: a file that is not a database fails here. On a
        // new file another process may be switching it to WAL at this moment; SQLite then says
        // BUSY at once, without calling the busy handler.
        retry_while_busy([&] { db_.exec("PRAGMA journal_mode=WAL"); });
        db_.exec("PRAGMA synchronous=" + synchronous);
        db_.exec("PRAGMA foreign_keys=OFF");
        db_.exec("PRAGMA temp_store=MEMORY");
    } catch (const SQLite::Exception& e) {
        raise(e);
    }
}

void Connection::retry_while_busy(const std::function<void()>& step) {
    const auto give_up =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(kBusyTimeoutMs);
    for (int attempt = 0;; ++attempt) {
        try {
            step();
            return;
        } catch (const SQLite::Exception& e) {
            if ((e.getErrorCode() & 0xff) != SQLITE_BUSY ||
                std::chrono::steady_clock::now() >= give_up)
                throw;
        }
        busy_pause(attempt);
    }
}

// SQLite's own busy_timeout sleeps up to 100ms between tries, so under steady contention (several
// processes committing with fsync) a long waiter keeps missing the short gaps between other
// writers and starves past its timeout. Short, jittered sleeps give every waiter a fair chance.
int Connection::on_busy(void* self, int attempt) {
    auto& connection = *static_cast<Connection*>(self);
    auto now = std::chrono::steady_clock::now();
    if (attempt == 0)
        connection.busy_since_ = now;
    if (now - connection.busy_since_ >= std::chrono::milliseconds(kBusyTimeoutMs))
        return 0;
    busy_pause(attempt);
    return 1;
}

Query::Query(Connection& connection, const std::string& sql) {
    auto& cached = connection.cache_[sql];
    if (cached.in_use) {
        own_ = std::make_unique<SQLite::Statement>(connection.db_, sql);
        statement_ = own_.get();
        return;
    }
    if (!cached.statement) {
        cached.statement = std::make_unique<SQLite::Statement>(connection.db_, sql);
    } else {
        cached.statement->tryReset();
    }
    cached.in_use = true;
    cached_ = &cached;
    statement_ = cached.statement.get();
}

Query::~Query() {
    statement_->tryReset();
    if (cached_ != nullptr)
        cached_->in_use = false;
}

int Connection::run(const std::string& sql) {
    Query query(*this, sql);
    return query->exec();
}

void Connection::raise(const SQLite::Exception& error) const {
    const std::string what = path_ + ": " + error.what();
    switch (error.getErrorCode() & 0xff) {
        case SQLITE_BUSY:
        case SQLITE_LOCKED:
            throw TemporaryError(path_ + ": database is locked (gave up after " +
                                 std::to_string(kBusyTimeoutMs / 1000) + "s)");
        case SQLITE_FULL:
            throw TemporaryError(path_ + ": disk or database full");
        case SQLITE_NOTADB:
            throw DataError(path_ + ": file is not a database");
        case SQLITE_CORRUPT:
            throw DataError(path_ + ": database is corrupt: " + error.what());
        case SQLITE_READONLY:
            throw UnavailableError(what + missing_write_access(path_));
        case SQLITE_CANTOPEN:
        case SQLITE_PERM:
        case SQLITE_IOERR:
        case SQLITE_AUTH:
            throw UnavailableError(what);
        default:
            throw InternalError("sqlite " + what);
    }
}

WriteTransaction::WriteTransaction(Connection& connection) : connection_(connection) {
    connection_.run("BEGIN IMMEDIATE");
}

WriteTransaction::~WriteTransaction() {
    if (open_)
        sqlite3_exec(connection_.db().getHandle(), "ROLLBACK", nullptr, nullptr, nullptr);
}

void WriteTransaction::commit() {
    connection_.run("COMMIT");
    open_ = false;
}

ReadTransaction::ReadTransaction(Connection& connection) : connection_(connection) {
    connection_.run("BEGIN");
}

ReadTransaction::~ReadTransaction() {
    sqlite3_exec(connection_.db().getHandle(), "COMMIT", nullptr, nullptr, nullptr);
}

}  // namespace libqueue::sqlite
