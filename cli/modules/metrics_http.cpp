// The metrics HTTP module: q work --metrics-listen's /metrics endpoint through cpp-httplib (a
// small, well-kept server in Debian), on a thread of its own. Loaded by cli/metrics_listener.cpp.
#include <httplib.h>
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "metrics_server.hpp"

namespace {

class HttpMetricsServer final : public q::MetricsServer {
  public:
    explicit HttpMetricsServer(const Render& render) {
        // One scrape at a time is plenty, and a slow or silent client holds no thread for long.
        server_.new_task_queue = [] { return new httplib::ThreadPool(1); };
        server_.set_read_timeout(std::chrono::seconds(5));
        server_.set_write_timeout(std::chrono::seconds(5));
        server_.set_keep_alive_timeout(5);
        server_.set_payload_max_length(64 * 1024);
        // SO_REUSEADDR (a restarted worker gets its port back at once) but not httplib's default
        // SO_REUSEPORT, which would let a second worker share the port and answer half the
        // scrapes.
        server_.set_socket_options([](socket_t sock) {
            int yes = 1;
            (void)setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
        });
        server_.Get(
            "/metrics", [render](const httplib::Request& request, httplib::Response& response) {
                const bool openmetrics = request.get_header_value("Accept").find(
                                             "application/openmetrics-text") != std::string::npos;
                response.set_content(
                    render(openmetrics),
                    openmetrics ? "application/openmetrics-text; version=1.0.0; charset=utf-8"
                                : "text/plain; version=0.0.4; charset=utf-8");
            });
        server_.set_error_handler([](const httplib::Request&, httplib::Response& response) {
            if (response.status == 404)
                response.set_content("q serves /metrics only\n", "text/plain; charset=utf-8");
        });
    }

    ~HttpMetricsServer() override {
        server_.stop();
        if (thread_.joinable())
            thread_.join();
    }

    bool bind(const std::string& host, int port) {
        port_ = port;
        if (port == 0)
            return (port_ = server_.bind_to_any_port(host)) > 0;
        return server_.bind_to_port(host, port);
    }

    void serve() {
        thread_ = std::thread([this] {
            server_.listen_after_bind();
            ended_ = true;
        });
        // stop() before the thread started listening would be lost; wait until it listens (or
        // gave up at once).
        while (!server_.is_running() && !ended_)
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }

    int port() const override { return port_; }

  private:
    httplib::Server server_;
    int port_ = 0;
    std::atomic<bool> ended_{false};
    std::thread thread_;
};

}  // namespace

extern "C" __attribute__((visibility("default"))) q::MetricsServer* q_open_metrics_server(
    const std::string& host, int port, q::MetricsServer::Render render, std::string* error) {
    try {
        auto server = std::make_unique<HttpMetricsServer>(render);
        if (!server->bind(host, port)) {
            *error = "the port is in use or the address is not this host's";
            return nullptr;
        }
        server->serve();
        return server.release();
    } catch (const std::exception& e) {
        *error = e.what();
        return nullptr;
    }
}
