// The interface between q and its metrics HTTP module (cli/modules/metrics_http.cpp): the module
// holds cpp-httplib, which brings OpenSSL, brotli and zlib, about 2.5 ms of dynamic loading on
// every q call; q loads it only for `q work --metrics-listen`. Nothing but std types cross, and
// no exception: the module reports failure as text.
#pragma once

#include <functional>
#include <string>

namespace q {

class MetricsServer {
  public:
    // The body of GET /metrics: OpenMetrics when the scraper's Accept header asks for it, else
    // Prometheus' text format.
    using Render = std::function<std::string(bool openmetrics)>;

    virtual ~MetricsServer() = default;  // stops serving and waits for its thread
    virtual int port() const = 0;        // the port bound (the one chosen, for port 0)
};

// What the module exports (C linkage, so dlsym finds it by this name). Listening when it returns;
// nullptr with *error set when the address cannot be bound.
using OpenMetricsServer = MetricsServer* (*)(const std::string& host, int port,
                                             MetricsServer::Render render, std::string* error);
inline constexpr const char* open_metrics_server_symbol = "q_open_metrics_server";
inline constexpr const char* metrics_module_file = "q-metrics-http.so";

}  // namespace q
