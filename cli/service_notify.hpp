// `q work --notify`: tells the service manager (systemd, Type=notify) when the worker is ready and
// when it stops, keeps its watchdog fed while the worker is responsive, and shows the counts in
// `systemctl status`. Messages go to $NOTIFY_SOCKET through libsystemd's sd_notify (loaded when
// --notify asks for it); without that variable (q started by hand) nothing is sent.
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "libqueue/worker.hpp"

namespace q {

// Whether this q was built with libsystemd (`q version` lists "notify").
bool service_notify_available();
// Why --notify cannot work here (refused, exit 69): built without libsystemd, or the library
// cannot be loaded. nullopt when it can.
std::optional<std::string> service_notify_missing();

class ServiceNotifier {
  public:
    // Reads the watchdog interval ($WATCHDOG_USEC for this process) once.
    ServiceNotifier();
    ~ServiceNotifier();
    ServiceNotifier(const ServiceNotifier&) = delete;
    ServiceNotifier& operator=(const ServiceNotifier&) = delete;

    // READY=1, then, on a thread of its own until stopping(): WATCHDOG=1 at half the watchdog
    // interval and a STATUS= line, each only after progress() returned, so a wedged worker stops
    // feeding the watchdog and the manager restarts it.
    void ready(std::function<libqueue::WorkerProgress()> progress);
    // STOPPING=1 with the last counts (once), after the feeding thread ended. progress() must
    // still be callable: call this before the worker goes.
    void stopping();

  private:
    void feed(const std::function<libqueue::WorkerProgress()>& progress);

    std::function<libqueue::WorkerProgress()> progress_;
    std::chrono::microseconds watchdog_{0};
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    std::thread feeder_;
};

}  // namespace q
