// Runs a task on a thread of its own every period until destroyed (the worker's stale
// recovery), so a slow run never delays the claim keeper's heartbeats.
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

#include "libqueue/time.hpp"

namespace libqueue::exec {

class PeriodicTask {
  public:
    // First run one period from now. The task must not throw.
    PeriodicTask(Milliseconds period, std::function<void()> task);
    // Waits for a run in progress, then stops.
    ~PeriodicTask();
    PeriodicTask(const PeriodicTask&) = delete;
    PeriodicTask& operator=(const PeriodicTask&) = delete;

  private:
    void loop(std::stop_token stop);

    Milliseconds period_;
    std::function<void()> task_;
    std::mutex mutex_;
    std::condition_variable_any wake_;
    std::jthread thread_;  // last: started once the rest exists, joined before it goes
};

}  // namespace libqueue::exec
