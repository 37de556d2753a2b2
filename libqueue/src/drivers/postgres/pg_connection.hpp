// Connections to PostgreSQL: a small pool shared by the driver's threads, reconnecting with
// backoff when the server restarts or kills a backend, and errors that never show a password.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "libqueue/errors.hpp"

namespace libqueue::pg {

// Where to connect: the libpq conninfo q uses, and "host:port/db" for messages.
struct Target {
    std::string conninfo;  // the DSN, normalized to key=value, with q's timeouts added
    std::string where;     // "127.0.0.1:5432/q_test" (never a password)
    std::string password;  // the DSN's or $PGPASSWORD's, to take out of libpq's messages

    // libpq's connection errors name the host, user and database, not the password; this is the
    // second line of defence in case one ever quotes it.
    std::string without_password(std::string text) const;
};

// Parses the DSN (URI or key=value; empty: PG* variables) with parse_dsn. Adds connect_timeout
// and TCP keepalives when the DSN does not set them, so a dead server is noticed in bounded time.
// Throws parse_dsn's ConfigError, which shows no part of the DSN that could be a password.
Target make_target(const std::string& dsn);

// One server connection and its per-connection state.
struct Connection {
    std::unique_ptr<pqxx::connection> db;
    int shard = 0;  // 0-7, from the backend's pid: spreads q's counter rows, so concurrent
                    // workers (in this process or others) do not queue on one row

    // An idle connection has nothing to read; if the socket is readable the server has closed
    // it or sent a termination notice (restart, pg_terminate_backend), so do not use it.
    bool looks_dead() const;
};

// How an error from libpqxx is handled.
enum class Failure {
    connection,  // the connection is gone: reconnect and retry (the statement may have run)
    retry,       // serialization failure or deadlock: retry on the same connection
    data,        // the statement's data was refused (bad bytes, too large): the caller's to fix
    fatal,       // anything else: report
};
Failure classify(const std::exception& error);

// A bounded set of connections shared by threads. run() takes one (connecting if needed), calls
// fn(connection, attempt), and on a lost connection reconnects with backoff and calls fn again
// with attempt+1, until `retry_budget` has passed; then throws UnavailableError
// "cannot connect to PostgreSQL at host:port/db: ...". Other pqxx errors become InternalError
// (or stay libqueue errors when fn throws those).
class Pool {
  public:
    using Setup = std::function<void(Connection&)>;  // runs on every new connection

    Pool(Target target, Setup setup, std::size_t max_connections);
    ~Pool();
    Pool(const Pool&) = delete;
    Pool& operator=(const Pool&) = delete;

    template <class Fn>
    auto run(const char* what, Fn&& fn) {
        using Result = decltype(fn(std::declval<Connection&>(), 0));
        if constexpr (std::is_void_v<Result>) {
            run_erased(what, [&](Connection& c, int attempt) { fn(c, attempt); });
        } else {
            std::optional<Result> result;
            run_erased(what, [&](Connection& c, int attempt) { result.emplace(fn(c, attempt)); });
            return std::move(*result);
        }
    }

    // Opens one connection now (used at driver creation, so a dead server is reported at once).
    void check_connection();

    // A new connection outside the pool (the LISTEN connection). Throws UnavailableError.
    std::unique_ptr<pqxx::connection> connect_once() const;

    const Target& target() const { return target_; }

    // The time budget for reconnecting once the server has been reached at least once, and before.
    std::chrono::milliseconds retry_budget{15'000};
    std::chrono::milliseconds first_connect_budget{2'000};

  private:
    void run_erased(const char* what, const std::function<void(Connection&, int)>& fn);
    std::unique_ptr<Connection> acquire(std::chrono::steady_clock::time_point deadline);
    void give_back(std::unique_ptr<Connection> connection);
    void discard();
    [[noreturn]] void unavailable(const std::string& detail) const;

    Target target_;
    Setup setup_;
    std::size_t max_connections_;

    std::mutex mutex_;
    std::condition_variable returned_;
    std::vector<std::unique_ptr<Connection>> idle_;
    std::size_t open_ = 0;  // idle + lent out
    std::atomic<bool> ever_connected_{false};
};

}  // namespace libqueue::pg
