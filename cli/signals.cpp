#include "signals.hpp"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <cstring>

#include "libqueue/handler.hpp"

namespace q {

namespace {

sigset_t watched_signals() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    return set;
}

// Only async-signal-safe calls: this may run while other threads hold locks.
void write_stderr(const char* text) {
    auto ignored = ::write(STDERR_FILENO, text, std::strlen(text));
    (void)ignored;
}

}  // namespace

SignalWatcher::SignalWatcher(std::function<void(int)> on_first_signal)
    : on_first_signal_(std::move(on_first_signal)) {
    sigset_t set = watched_signals();
    pthread_sigmask(SIG_BLOCK, &set, &previous_mask_);
    thread_ = std::thread([this] { watch(); });
}

SignalWatcher::~SignalWatcher() {
    closing_ = true;
    // Wake the watcher with a signal aimed at its thread only; it sees closing_ and returns.
    pthread_kill(thread_.native_handle(), SIGTERM);
    thread_.join();
    pthread_sigmask(SIG_SETMASK, &previous_mask_, nullptr);
}

void SignalWatcher::watch() {
    const sigset_t set = watched_signals();
    for (;;) {
        int signo = 0;
        if (sigwait(&set, &signo) != 0)
            continue;
        if (closing_)
            return;
        if (received_.exchange(signo) == 0) {
            if (on_first_signal_)
                on_first_signal_(signo);
            continue;
        }
        // sigwait runs on an ordinary thread, so taking the runner's lock here is safe.
        libqueue::kill_running_commands();
        write_stderr(
            "q: second signal: running jobs killed, exiting now; they are left to stale "
            "recovery\n");
        ::_exit(128 + signo);
    }
}

}  // namespace q
