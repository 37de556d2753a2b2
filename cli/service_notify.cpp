#include "service_notify.hpp"

#include <fmt/format.h>

#include <algorithm>

#ifdef Q_HAVE_SYSTEMD
#include <dlfcn.h>
#include <systemd/sd-daemon.h>
#endif

namespace q {

namespace {

// How often `systemctl status` gets fresh counts when no watchdog asks for more.
constexpr std::chrono::seconds status_interval{2};

#ifdef Q_HAVE_SYSTEMD
// libsystemd is loaded by `q work --notify` only: linked into q, it and the compression and
// crypto libraries it needs (lz4, zstd, lzma, gcrypt, ...) cost every q call about 1.5 ms of
// dynamic loading. Its soname has been libsystemd.so.0 since it exists; the prototypes come
// from its header, so the calls are checked as if linked.
constexpr const char* systemd_library = "libsystemd.so.0";

struct Systemd {
    decltype(&sd_notify) notify = nullptr;
    decltype(&sd_watchdog_enabled) watchdog_enabled = nullptr;
    std::string error;  // why it could not be loaded; empty when it was
};

// Loaded once, never unloaded (the feeding thread may call it until the process ends).
const Systemd& systemd() {
    static const Systemd loaded = [] {
        Systemd s;
        void* handle = dlopen(systemd_library, RTLD_NOW | RTLD_LOCAL);
        if (handle == nullptr) {
            const char* text = dlerror();
            s.error = std::string(systemd_library) +
                      " cannot be loaded: " + (text != nullptr ? text : "unknown error");
            return s;
        }
        s.notify = reinterpret_cast<decltype(&sd_notify)>(dlsym(handle, "sd_notify"));
        s.watchdog_enabled =
            reinterpret_cast<decltype(&sd_watchdog_enabled)>(dlsym(handle, "sd_watchdog_enabled"));
        if (s.notify == nullptr || s.watchdog_enabled == nullptr)
            s.error = std::string(systemd_library) + " has no sd_notify or sd_watchdog_enabled";
        return s;
    }();
    return loaded;
}
#endif

void notify(const std::string& message) {
#ifdef Q_HAVE_SYSTEMD
    // A manager that went away is not the worker's problem: the result is not checked.
    if (systemd().error.empty())
        (void)systemd().notify(0, message.c_str());
#else
    (void)message;
#endif
}

std::string status_line(const libqueue::WorkerProgress& p) {
    const auto& s = p.so_far;
    return fmt::format("STATUS={}: {} running; {} completed, {} retried, {} dead",
                       p.stopping ? "stopping" : "working", p.running, s.completed, s.retried,
                       s.dead);
}

}  // namespace

bool service_notify_available() {
#ifdef Q_HAVE_SYSTEMD
    return true;
#else
    return false;
#endif
}

std::optional<std::string> service_notify_missing() {
#ifdef Q_HAVE_SYSTEMD
    if (systemd().error.empty())
        return std::nullopt;
    return systemd().error;
#else
    return "this q was built without libsystemd (sd_notify)";
#endif
}

ServiceNotifier::ServiceNotifier() {
#ifdef Q_HAVE_SYSTEMD
    std::uint64_t usec = 0;
    if (systemd().error.empty() && systemd().watchdog_enabled(0, &usec) > 0)
        watchdog_ = std::chrono::microseconds(usec);
#endif
}

ServiceNotifier::~ServiceNotifier() {
    stopping();
}

void ServiceNotifier::ready(std::function<libqueue::WorkerProgress()> progress) {
    progress_ = std::move(progress);
    notify("READY=1\n" + status_line(progress_()));
    feeder_ = std::thread([this] { feed(progress_); });
}

void ServiceNotifier::stopping() {
    {
        std::lock_guard lock(mutex_);
        if (stopping_)
            return;
        stopping_ = true;
    }
    wake_.notify_all();
    if (feeder_.joinable())
        feeder_.join();
    // The final counts stay on the status line while the unit is stopping.
    notify(progress_ ? "STOPPING=1\n" + status_line(progress_()) : "STOPPING=1");
}

void ServiceNotifier::feed(const std::function<libqueue::WorkerProgress()>& progress) {
    std::chrono::microseconds every = status_interval;
    if (watchdog_.count() > 0)
        every = std::min<std::chrono::microseconds>(every, watchdog_ / 2);
    std::unique_lock lock(mutex_);
    while (!wake_.wait_for(lock, every, [this] { return stopping_; })) {
        lock.unlock();
        // progress() blocks while the worker's lock is held: a worker stuck holding it starves
        // the watchdog, as it should.
        const auto now = progress();
        notify(watchdog_.count() > 0 ? "WATCHDOG=1\n" + status_line(now) : status_line(now));
        lock.lock();
    }
}

}  // namespace q
