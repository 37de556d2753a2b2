#include "exec/claim_keeper.hpp"

#include <algorithm>

namespace libqueue::exec {

using Clock = std::chrono::steady_clock;

ClaimKeeper::~ClaimKeeper() {
    shutdown();
}

void ClaimKeeper::shutdown() {
    std::jthread thread;
    {
        std::lock_guard lock(mutex_);
        thread = std::move(thread_);
        periodic_.reset();
    }
    if (thread.joinable()) {
        thread.request_stop();
        thread.join();
    }
    std::lock_guard lock(mutex_);
    entries_.clear();
}

std::uint64_t ClaimKeeper::add(QueueDriver& driver, Claim claim, Milliseconds interval,
                               std::stop_source lost, ErrorFn on_error) {
    interval = std::max(interval, Milliseconds{1});
    std::lock_guard lock(mutex_);
    const std::uint64_t id = next_id_++;
    entries_.emplace(id, Entry{&driver, std::move(claim), interval, Clock::now() + interval,
                               std::move(lost), std::move(on_error)});
    const Milliseconds half = std::max(interval / 2, Milliseconds{1});
    if (half < tick_) {
        tick_ = half;
        ++generation_;
        wake_.notify_all();
    }
    start_locked();
    return id;
}

void ClaimKeeper::remove(std::uint64_t id) {
    std::unique_lock lock(mutex_);
    idle_.wait(lock, [&] { return in_flight_ != id; });
    entries_.erase(id);
}

void ClaimKeeper::every(Milliseconds period, std::function<void()> task) {
    std::lock_guard lock(mutex_);
    period = std::max(period, Milliseconds{1});
    periodic_ = Periodic{period, std::move(task), Clock::now() + period};
    ++generation_;
    wake_.notify_all();
    start_locked();
}

void ClaimKeeper::start_locked() {
    if (!thread_.joinable())
        thread_ = std::jthread([this](std::stop_token stop) { loop(stop); });
}

void ClaimKeeper::loop(std::stop_token stop) {
    std::unique_lock lock(mutex_);
    while (!stop.stop_requested()) {
        const auto now = Clock::now();
        if (periodic_ && now >= periodic_->due) {
            periodic_->due = now + periodic_->period;
            auto task = periodic_->task;
            lock.unlock();
            task();
            lock.lock();
            continue;
        }
        auto due = std::find_if(entries_.begin(), entries_.end(),
                                [&](const auto& e) { return e.second.due <= now; });
        if (due != entries_.end()) {
            Entry& entry = due->second;
            entry.due = now + entry.interval;
            in_flight_ = due->first;
            QueueDriver* driver = entry.driver;
            const Claim claim = entry.claim;
            std::stop_source lost = entry.lost;
            const ErrorFn on_error = entry.on_error;
            lock.unlock();
            try {
                if (!driver->heartbeat(claim))
                    lost.request_stop();
            } catch (const std::exception& e) {
                if (on_error)
                    on_error(e);
            }
            lock.lock();
            in_flight_ = 0;
            idle_.notify_all();
            continue;
        }
        auto wake_at = now + tick_;
        if (periodic_)
            wake_at = std::min(wake_at, periodic_->due);
        for (const auto& [id, entry] : entries_) wake_at = std::min(wake_at, entry.due);
        const auto seen = generation_;
        wake_.wait_until(lock, stop, wake_at, [&] { return generation_ != seen; });
    }
}

ClaimKeeper& shared_claim_keeper() {
    static ClaimKeeper keeper;
    return keeper;
}

}  // namespace libqueue::exec
