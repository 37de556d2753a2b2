// Connections shared by the threads of one process: each operation borrows one (opening a new
// one when none is free), and a lost connection is replaced and the operation retried with
// backoff for a bounded time, then UnavailableError.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "drivers/redis/connection.hpp"
#include "lib/posix/sigpipe_block.hpp"

namespace libqueue::redis {

struct PoolSettings {
    Milliseconds connect_timeout{2'000};
    Milliseconds command_timeout{30'000};
    // How long an operation keeps reconnecting after the connection was lost (a server restart
    // takes about a second) before it gives up with UnavailableError.
    Milliseconds reconnect_wait{15'000};
    // The same before the first successful connection: a server that is not there fails fast.
    Milliseconds first_connect_wait{1'000};
    std::size_t max_idle = 64;
};

class Pool {
  public:
    Pool(RedisUrl url, PoolSettings settings);

    // Runs fn(connection, attempt) with a borrowed connection. On ConnectionLost the connection is
    // dropped, and fn runs again on a new one (attempt counts from 0, so fn knows a retry may
    // follow a command that did run). Other exceptions pass through; the connection is kept
    // unless it broke.
    template <class Fn>
    auto run(Fn&& fn) -> decltype(fn(std::declval<Connection&>(), 0)) {
        posix::SigpipeBlock no_sigpipe;
        std::optional<Clock::time_point> failing_since;
        for (int attempt = 0;; ++attempt) {
            Lease lease(*this);
            try {
                lease.open();
                return fn(lease.connection(), attempt);
            } catch (const ConnectionLost& lost) {
                lease.discard();
                if (!failing_since)
                    failing_since = Clock::now();
                wait_before_retry(attempt, *failing_since, lost);
            }
        }
    }

    // fn(connection) once; ConnectionLost passes through (the connection is dropped).
    template <class Fn>
    auto run_once(Fn&& fn) -> decltype(fn(std::declval<Connection&>())) {
        posix::SigpipeBlock no_sigpipe;
        Lease lease(*this);
        try {
            lease.open();
            return fn(lease.connection());
        } catch (const ConnectionLost&) {
            lease.discard();
            throw;
        }
    }

    const std::string& where() const { return where_; }

  private:
    // A borrowed connection, given back when it goes out of scope (unless broken or discarded).
    class Lease {
      public:
        explicit Lease(Pool& pool) : pool_(pool) {}
        ~Lease();
        Lease(const Lease&) = delete;
        Lease& operator=(const Lease&) = delete;
        void open();
        Connection& connection() { return *connection_; }
        void discard() { connection_.reset(); }

      private:
        Pool& pool_;
        std::unique_ptr<Connection> connection_;
    };

    using Clock = std::chrono::steady_clock;
    // Sleeps with exponential backoff, or throws UnavailableError once the wait is used up.
    void wait_before_retry(int attempt, Clock::time_point failing_since,
                           const ConnectionLost& lost);

    RedisUrl url_;
    PoolSettings settings_;
    std::string where_;
    std::mutex mutex_;
    std::vector<std::unique_ptr<Connection>> idle_;
    std::atomic<bool> ever_connected_{false};
};

}  // namespace libqueue::redis
