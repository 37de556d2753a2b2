// q work --metrics-listen ADDRESS: serves the worker's own metrics over HTTP at /metrics for a
// Prometheus scrape, through the metrics module (metrics_server.hpp: cpp-httplib, loaded only
// when asked for). Prometheus' text format by default; OpenMetrics when the scraper's Accept
// header asks for it.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "libqueue/metrics_text.hpp"

namespace q {

// Whether the metrics module can be loaded (this q was built with cpp-httplib and the module is
// installed); --metrics-listen is refused (exit 69) when not.
bool metrics_listener_available();
// Why it is not ("this q was built without cpp-httplib", "q-metrics-http.so is not installed in
// DIR"); nullopt when it is.
std::optional<std::string> metrics_listener_missing();

struct ListenAddress {
    std::string host;  // as given: a name, an IPv4 address or an IPv6 one (without brackets)
    int port = 0;      // 0: any free port (the listener says which)
};

// "PORT", "HOST:PORT" or "[IPv6]:PORT"; a bare port listens on 127.0.0.1 only, so metrics are
// never exposed beyond the host unless asked. Throws UsageError naming the option.
ListenAddress parse_listen_address(const std::string& text);

class MetricsListener {
  public:
    using Render = std::function<std::string(libqueue::MetricsFormat)>;

    // Listening when it returns; throws UnavailableError when the address cannot be bound (in
    // use, not this host's), before the worker starts.
    MetricsListener(const ListenAddress& address, Render render);
    ~MetricsListener();  // stops serving and waits for the thread
    MetricsListener(const MetricsListener&) = delete;
    MetricsListener& operator=(const MetricsListener&) = delete;

    // Where it listens, for the start-up line: http://127.0.0.1:9464/metrics
    std::string url() const;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace q
