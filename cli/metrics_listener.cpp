#include "metrics_listener.hpp"

#include <fmt/format.h>

#include <charconv>
#include <filesystem>
#include <optional>
#include <vector>

#include "libqueue/errors.hpp"
#include "libqueue/modules.hpp"
#include "metrics_server.hpp"

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

namespace {

// The module's open function; nullptr, with *why saying so, when it cannot be loaded.
OpenMetricsServer load_module(std::string* why) {
#ifdef Q_HAVE_HTTPLIB
    return reinterpret_cast<OpenMetricsServer>(
        libqueue::module_symbol(metrics_module_file, open_metrics_server_symbol, why));
#else
    *why = "this q was built without cpp-httplib";
    return nullptr;
#endif
}

}  // namespace

bool metrics_listener_available() {
    return !metrics_listener_missing();
}

std::optional<std::string> metrics_listener_missing() {
#ifdef Q_HAVE_HTTPLIB
    if (libqueue::find_module(metrics_module_file))
        return std::nullopt;
    return libqueue::module_places(metrics_module_file);
#else
    return "this q was built without cpp-httplib";
#endif
}

struct MetricsListener::Impl {
    std::unique_ptr<MetricsServer> server;
    std::string host;
    int port = 0;
};

MetricsListener::MetricsListener(const ListenAddress& address, Render render)
    : impl_(std::make_unique<Impl>()) {
    impl_->host = address.host;
    impl_->port = address.port;
    std::string why;
    const auto open = load_module(&why);
    if (open == nullptr) {
        throw libqueue::UnavailableError(
            fmt::format("{}: {}; use --metrics-textfile", option, why));
    }
    impl_->server.reset(open(
        address.host, address.port,
        [render](bool openmetrics) {
            return render(openmetrics ? libqueue::MetricsFormat::openmetrics
                                      : libqueue::MetricsFormat::prometheus);
        },
        &why));
    if (!impl_->server) {
        throw libqueue::UnavailableError(fmt::format(
            "{}: cannot listen on {}: {}", option, address.port == 0 ? address.host : url(), why));
    }
    impl_->port = impl_->server->port();
}

MetricsListener::~MetricsListener() = default;

std::string MetricsListener::url() const {
    const bool v6 = impl_->host.find(':') != std::string::npos;
    return fmt::format("http://{}{}{}:{}/metrics", v6 ? "[" : "", impl_->host, v6 ? "]" : "",
                       impl_->port);
}

}  // namespace q
