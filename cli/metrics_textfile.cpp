#include "metrics_textfile.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>

#include "libqueue/errors.hpp"

namespace q {

MetricsTextfile::MetricsTextfile(std::filesystem::path path, libqueue::Milliseconds interval,
                                 std::function<std::string()> render)
    : path_(std::move(path)), render_(std::move(render)) {
    write();
    thread_ = std::thread([this, interval] {
        std::unique_lock lock(mutex_);
        while (!wake_.wait_for(lock, interval, [this] { return stopping_; })) {
            lock.unlock();
            try {
                write();
            } catch (const std::exception& e) {
                // A full disk must not stop the worker; the next interval tries again.
                std::cerr << "q: --metrics-textfile: " << e.what() << '\n';
            }
            lock.lock();
        }
    });
}

MetricsTextfile::~MetricsTextfile() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    thread_.join();
    try {
        write();
    } catch (const std::exception& e) {
        std::cerr << "q: --metrics-textfile: " << e.what() << '\n';
    }
}

void MetricsTextfile::write() const {
    const std::string text = render_();
    const auto tmp = path_.string() + ".tmp." + std::to_string(::getpid());
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        throw libqueue::UnavailableError("cannot write " + tmp + ": " + std::strerror(errno));
    }
    std::size_t written = 0;
    while (written < text.size()) {
        const ssize_t n = ::write(fd, text.data() + written, text.size() - written);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            const int error = errno;
            ::close(fd);
            ::unlink(tmp.c_str());
            throw libqueue::UnavailableError("cannot write " + tmp + ": " + std::strerror(error));
        }
        written += std::size_t(n);
    }
    ::close(fd);
    if (::rename(tmp.c_str(), path_.c_str()) != 0) {
        const int error = errno;
        ::unlink(tmp.c_str());
        throw libqueue::UnavailableError("cannot rename " + tmp + " to " + path_.string() + ": " +
                                         std::strerror(error));
    }
}

}  // namespace q
