#include "drivers/redis/pool.hpp"

#include <algorithm>
#include <thread>

#include "libqueue/errors.hpp"

namespace libqueue::redis {

Pool::Pool(RedisUrl url, PoolSettings settings)
    : url_(std::move(url)), settings_(settings), where_("redis at " + url_.describe()) {}

void Pool::Lease::open() {
    if (connection_)
        return;
    {
        std::lock_guard lock(pool_.mutex_);
        if (!pool_.idle_.empty()) {
            connection_ = std::move(pool_.idle_.back());
            pool_.idle_.pop_back();
            return;
        }
    }
    connection_ = std::make_unique<Connection>(pool_.url_, pool_.settings_.connect_timeout,
                                               pool_.settings_.command_timeout);
    pool_.ever_connected_ = true;
}

Pool::Lease::~Lease() {
    if (!connection_ || connection_->broken())
        return;
    std::lock_guard lock(pool_.mutex_);
    if (pool_.idle_.size() < pool_.settings_.max_idle)
        pool_.idle_.push_back(std::move(connection_));
}

void Pool::wait_before_retry(int attempt, Clock::time_point failing_since,
                             const ConnectionLost& lost) {
    // Every idle connection went to the same server: after a restart they are all dead.
    {
        std::lock_guard lock(mutex_);
        idle_.clear();
    }
    auto limit = ever_connected_ ? settings_.reconnect_wait : settings_.first_connect_wait;
    auto waited = std::chrono::duration_cast<Milliseconds>(Clock::now() - failing_since);
    if (waited >= limit) {
        // lost.what() names host:port/db and the socket error, never the password.
        throw UnavailableError(std::string(lost.what()) + " (gave up after " +
                               std::to_string(waited.count()) + " ms)");
    }
    auto backoff = Milliseconds(std::min<long>(1'000, 25L << std::min(attempt, 6)));
    std::this_thread::sleep_for(std::min(backoff, limit - waited));
}

}  // namespace libqueue::redis
