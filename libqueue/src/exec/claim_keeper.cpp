#include "exec/claim_keeper.hpp"

#include <algorithm>
#include <exception>
#include <vector>

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
    idle_.wait(lock, [&] { return !in_flight_.contains(id); });
    entries_.erase(id);
}

void ClaimKeeper::refresh_due_locked(Clock::time_point now, std::unique_lock<std::mutex>& lock) {
    // Every entry due now, and every one due within half its interval (early is harmless), goes
    // out together: one heartbeat_batch per driver. A driver that rewrites a whole file for a
    // heartbeat then writes once per interval for all of this process's jobs, and cannot fall
    // behind however many jobs run.
    struct Batch {
        std::vector<std::uint64_t> ids;
        std::vector<Claim> claims;
    };
    std::map<QueueDriver*, Batch> batches;
    for (auto& [id, entry] : entries_) {
        if (entry.due > now + entry.interval / 2)
            continue;
        entry.due = now + entry.interval;
        in_flight_.insert(id);
        Batch& batch = batches[entry.driver];
        batch.ids.push_back(id);
        batch.claims.push_back(entry.claim);
    }
    for (auto& [driver, batch] : batches) {
        lock.unlock();
        std::vector<bool> kept;
        std::optional<std::exception_ptr> error;
        try {
            kept = driver->heartbeat_batch(batch.claims);
        } catch (...) {
            error = std::current_exception();
        }
        lock.lock();
        for (std::size_t i = 0; i < batch.ids.size(); ++i) {
            auto entry = entries_.find(batch.ids[i]);
            if (entry == entries_.end())
                continue;
            if (error) {
                // Tried again next interval; the job stays ours until it is stale.
                if (entry->second.on_error) {
                    try {
                        std::rethrow_exception(*error);
                    } catch (const std::exception& e) {
                        entry->second.on_error(e);
                    } catch (...) {
                    }
                }
            } else if (i < kept.size() && !kept[i]) {
                entry->second.lost.request_stop();  // recovered: someone else's now
            }
        }
    }
    in_flight_.clear();
    idle_.notify_all();
}

void ClaimKeeper::start_locked() {
    if (!thread_.joinable())
        thread_ = std::jthread([this](std::stop_token stop) { loop(stop); });
}

void ClaimKeeper::loop(std::stop_token stop) {
    std::unique_lock lock(mutex_);
    while (!stop.stop_requested()) {
        const auto now = Clock::now();
        const bool any_due = std::any_of(entries_.begin(), entries_.end(),
                                         [&](const auto& e) { return e.second.due <= now; });
        if (any_due) {
            refresh_due_locked(now, lock);
            continue;
        }
        auto wake_at = now + tick_;
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
