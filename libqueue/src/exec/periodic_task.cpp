#include "exec/periodic_task.hpp"

#include <algorithm>
#include <chrono>

namespace libqueue::exec {

PeriodicTask::PeriodicTask(Milliseconds period, std::function<void()> task)
    : period_(std::max(period, Milliseconds{1})),
      task_(std::move(task)),
      thread_([this](std::stop_token stop) { loop(stop); }) {}

PeriodicTask::~PeriodicTask() {
    thread_.request_stop();  // wakes the wait below through its stop_token
}

void PeriodicTask::loop(std::stop_token stop) {
    auto due = std::chrono::steady_clock::now() + period_;
    std::unique_lock lock(mutex_);
    while (true) {
        // Nothing but the stop request ends the wait early.
        wake_.wait_until(lock, stop, due, [] { return false; });
        if (stop.stop_requested())
            return;
        lock.unlock();
        task_();
        lock.lock();
        due = std::chrono::steady_clock::now() + period_;
    }
}

}  // namespace libqueue::exec
