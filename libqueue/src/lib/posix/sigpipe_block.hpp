// Writing to a pipe or socket whose reader is gone (a handler that exited early, a Redis server
// that closed the connection) raises SIGPIPE, which would kill the process. While a block lives,
// SIGPIPE is blocked in this thread and one raised meanwhile is consumed, so the write fails
// with EPIPE instead; the process's own signal setup stays untouched.
#pragma once

#include <csignal>
#include <ctime>

namespace libqueue::posix {

class SigpipeBlock {
  public:
    SigpipeBlock() {
        sigemptyset(&pipe_);
        sigaddset(&pipe_, SIGPIPE);
        pthread_sigmask(SIG_BLOCK, &pipe_, &saved_);
        sigset_t pending;
        sigpending(&pending);
        // One that was pending before is not ours to consume.
        already_pending_ = sigismember(&pending, SIGPIPE) == 1;
    }
    ~SigpipeBlock() {
        if (!already_pending_) {
            sigset_t pending;
            sigpending(&pending);
            if (sigismember(&pending, SIGPIPE) == 1) {
                const timespec no_wait{};
                sigtimedwait(&pipe_, nullptr, &no_wait);
            }
        }
        pthread_sigmask(SIG_SETMASK, &saved_, nullptr);
    }
    SigpipeBlock(const SigpipeBlock&) = delete;
    SigpipeBlock& operator=(const SigpipeBlock&) = delete;

  private:
    sigset_t pipe_;
    sigset_t saved_;
    bool already_pending_ = false;
};

}  // namespace libqueue::posix
