// SIGINT/SIGTERM for long-running commands (q work, q run): a thread waits for them with
// sigwait, so the reaction (Worker::stop) runs as ordinary code, not in a signal handler.
#pragma once

#include <signal.h>

#include <atomic>
#include <functional>
#include <thread>

namespace q {

class SignalWatcher {
  public:
    // Blocks SIGINT and SIGTERM in the calling thread (and so in every thread it starts later:
    // construct this before the worker's threads) and starts the watching thread. The first
    // signal calls on_first_signal(signo) on that thread; a second one ends the process at once
    // with 128 + signo, leaving running jobs to stale recovery.
    explicit SignalWatcher(std::function<void(int)> on_first_signal);
    // Stops the watching thread and restores the previous signal mask.
    ~SignalWatcher();

    SignalWatcher(const SignalWatcher&) = delete;
    SignalWatcher& operator=(const SignalWatcher&) = delete;

    // The signal received so far, 0 when none.
    int received() const { return received_.load(); }

  private:
    void watch();

    std::function<void(int)> on_first_signal_;
    std::atomic<int> received_{0};
    std::atomic<bool> closing_{false};
    sigset_t previous_mask_;
    std::thread thread_;
};

}  // namespace q
