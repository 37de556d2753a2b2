#include "metrics_listener.hpp"

#include <fmt/format.h>
#include <sys/socket.h>

#include <atomic>
#include <charconv>
#include <chrono>
#include <thread>

#include "libqueue/errors.hpp"

#ifdef Q_HAVE_HTTPLIB
#include <httplib.h>
#endif

namespace q {

namespace {

constexpr const char* option = "--metrics-listen";

int parse_port(const std::string& text, const std::string& whole) {
    int port = -1;
    const auto* end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, port);
    if (text.empty() || ec != std::errc{} || ptr != end || port < 0 || port > 65535) {
        throw libqueue::UsageError(
            fmt::format("{}: '{}' has no port from 0 to 65535 (PORT, HOST:PORT or [IPv6]:PORT)",
                        option, whole));
    }
    return port;
}

}  // namespace

ListenAddress parse_listen_address(const std::string& text) {
    if (text.empty())
        throw libqueue::UsageError(fmt::format("{}: give PORT, HOST:PORT or [IPv6]:PORT", option));
    if (text.front() == '[') {
        const auto close = text.find(']');
        if (close == std::string::npos || close == 1 || close + 1 >= text.size() ||
            text[close + 1] != ':') {
            throw libqueue::UsageError(fmt::format("{}: '{}' is not [IPv6]:PORT", option, text));
        }
        return {text.substr(1, close - 1), parse_port(text.substr(close + 2), text)};
    }
    const auto colon = text.rfind(':');
    if (colon == std::string::npos)
        return {"127.0.0.1", parse_port(text, text)};
    if (colon == 0 || text.find(':') != colon) {
        throw libqueue::UsageError(fmt::format(
            "{}: '{}' is not HOST:PORT (an IPv6 address goes in brackets)", option, text));
    }
    return {text.substr(0, colon), parse_port(text.substr(colon + 1), text)};
}

#ifdef Q_HAVE_HTTPLIB

bool metrics_listener_available() {
    return true;
}

struct MetricsListener::Impl {
    httplib::Server server;
    std::string host;
    int port = 0;
    std::atomic<bool> ended{false};
    std::thread thread;
};

MetricsListener::MetricsListener(const ListenAddress& address, Render render)
    : impl_(std::make_unique<Impl>()) {
    auto& server = impl_->server;
    // One scrape at a time is plenty, and a slow or silent client holds no thread for long.
    server.new_task_queue = [] { return new httplib::ThreadPool(1); };
    server.set_read_timeout(std::chrono::seconds(5));
    server.set_write_timeout(std::chrono::seconds(5));
    server.set_keep_alive_timeout(5);
    server.set_payload_max_length(64 * 1024);
    // SO_REUSEADDR (a restarted worker gets its port back at once) but not httplib's default
    // SO_REUSEPORT, which would let a second worker share the port and answer half the scrapes.
    server.set_socket_options([](socket_t sock) {
        int yes = 1;
        (void)setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    });
    server.Get("/metrics", [render](const httplib::Request& request, httplib::Response& response) {
        const bool openmetrics = request.get_header_value("Accept").find(
                                     "application/openmetrics-text") != std::string::npos;
        if (openmetrics) {
            response.set_content(render(libqueue::MetricsFormat::openmetrics),
                                 "application/openmetrics-text; version=1.0.0; charset=utf-8");
        } else {
            response.set_content(render(libqueue::MetricsFormat::prometheus),
                                 "text/plain; version=0.0.4; charset=utf-8");
        }
    });
    server.set_error_handler([](const httplib::Request&, httplib::Response& response) {
        if (response.status == 404)
            response.set_content("q serves /metrics only\n", "text/plain; charset=utf-8");
    });

    impl_->host = address.host;
    impl_->port = address.port;
    const bool bound = address.port == 0 ? (impl_->port = server.bind_to_any_port(address.host)) > 0
                                         : server.bind_to_port(address.host, address.port);
    if (!bound) {
        impl_->port = address.port;
        throw libqueue::UnavailableError(fmt::format(
            "{}: cannot listen on {}: the port is in use or the address is not this host's", option,
            address.port == 0 ? address.host : url()));
    }
    impl_->thread = std::thread([this] {
        impl_->server.listen_after_bind();
        impl_->ended = true;
    });
    // stop() before the thread started listening would be lost; wait until it listens (or gave
    // up at once).
    while (!impl_->server.is_running() && !impl_->ended)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

MetricsListener::~MetricsListener() {
    impl_->server.stop();
    if (impl_->thread.joinable())
        impl_->thread.join();
}

std::string MetricsListener::url() const {
    const bool v6 = impl_->host.find(':') != std::string::npos;
    return fmt::format("http://{}{}{}:{}/metrics", v6 ? "[" : "", impl_->host, v6 ? "]" : "",
                       impl_->port);
}

#else

bool metrics_listener_available() {
    return false;
}

struct MetricsListener::Impl {};

MetricsListener::MetricsListener(const ListenAddress&, Render) {
    throw libqueue::UnavailableError(
        fmt::format("{}: this q was built without cpp-httplib; use --metrics-textfile", option));
}

MetricsListener::~MetricsListener() = default;

std::string MetricsListener::url() const {
    return {};
}

#endif

}  // namespace q
