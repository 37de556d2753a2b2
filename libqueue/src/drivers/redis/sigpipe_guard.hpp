// hiredis writes with write(2): a server that closed the connection (restart, CLIENT KILL) makes
// the next write raise SIGPIPE, which would kill the process. While a guard lives, SIGPIPE is
// blocked in this thread; one raised meanwhile is consumed, so it shows as the write error
// (EPIPE) the connection reports, and the process's own signal setup stays untouched.
#pragma once

#include <csignal>
#include <ctime>

namespace libqueue::redis {

class SigpipeGuard {
  public:
    SigpipeGuard() {
        sigemptyset(&pipe_);
        sigaddset(&pipe_, SIGPIPE);
        pthread_sigmask(SIG_BLOCK, &pipe_, &saved_);
        sigset_t pending;
        sigpending(&pending);
        // One that was pending before is not ours to consume.
        already_pending_ = sigismember(&pending, SIGPIPE) == 1;
    }
    ~SigpipeGuard() {
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
    SigpipeGuard(const SigpipeGuard&) = delete;
    SigpipeGuard& operator=(const SigpipeGuard&) = delete;

  private:
    sigset_t pipe_;
    sigset_t saved_;
    bool already_pending_ = false;
};

}  // namespace libqueue::redis
