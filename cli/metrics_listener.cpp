#include "metrics_listener.hpp"

#include <dlfcn.h>
#include <fmt/format.h>

#include <charconv>
#include <filesystem>
#include <optional>
#include <vector>

#include "libqueue/errors.hpp"
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

// Where the module is: beside the q binary in a build tree, in the module folder once
// installed; nullopt when this q has none.
std::optional<std::filesystem::path> module_path() {
#ifdef Q_HAVE_HTTPLIB
    std::error_code ec;
    const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (!ec && std::filesystem::exists(self.parent_path() / metrics_module_file, ec))
        return self.parent_path() / metrics_module_file;
    const auto installed = std::filesystem::path(Q_MODULE_DIR) / metrics_module_file;
    if (std::filesystem::exists(installed, ec))
        return installed;
#endif
    return std::nullopt;
}

// The module's open function, loaded once (and never unloaded: its server may outlive any
// scope); nullptr, with *why saying so, when it cannot be loaded.
OpenMetricsServer load_module(std::string* why) {
    static std::string load_error;
    static const OpenMetricsServer open = []() -> OpenMetricsServer {
        const auto path = module_path();
        if (!path) {
            load_error = metrics_listener_missing().value_or("no metrics module");
            return nullptr;
        }
        void* handle = dlopen(path->c_str(), RTLD_NOW | RTLD_LOCAL);
        if (handle == nullptr) {
            const char* text = dlerror();
            load_error = path->string() + ": " + (text != nullptr ? text : "cannot be loaded");
            return nullptr;
        }
        if (void* symbol = dlsym(handle, open_metrics_server_symbol))
            return reinterpret_cast<OpenMetricsServer>(symbol);
        load_error = path->string() + ": not q's metrics module";
        return nullptr;
    }();
    *why = load_error;
    return open;
}

}  // namespace

bool metrics_listener_available() {
    return module_path().has_value();
}

std::optional<std::string> metrics_listener_missing() {
    if (module_path())
        return std::nullopt;
#ifdef Q_HAVE_HTTPLIB
    return std::string(metrics_module_file) + " is not installed in " + Q_MODULE_DIR;
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
