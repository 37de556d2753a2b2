#include "exec/output_lines.hpp"

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <mutex>

#include "libqueue/text.hpp"

namespace libqueue::exec {

namespace {

// A line longer than this is forwarded in pieces, so a command printing without newlines cannot
// grow the worker's memory without bound.
constexpr std::size_t max_line = 64 * 1024;

std::mutex& output_mutex() {
    static std::mutex mutex;
    return mutex;
}

}  // namespace

void write_fully(int fd, std::string_view data) {
    while (!data.empty()) {
        const ssize_t n = ::write(fd, data.data(), data.size());
        if (n > 0) {
            data.remove_prefix(std::size_t(n));
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && errno == EAGAIN) {
            pollfd p{fd, POLLOUT, 0};
            ::poll(&p, 1, 1000);
        } else {
            return;  // the output is gone (closed pipe, full disk): the job's result still counts
        }
    }
}

LineForwarder::LineForwarder(int fd, std::string prefix)
    : fd_(fd), terminal_(fd >= 0 && ::isatty(fd) == 1), prefix_(std::move(prefix)) {}

std::string LineForwarder::shown(std::string_view text) const {
    if (!terminal_)
        return std::string(text);
    if (!text.empty() && text.back() == '\r')
        text.remove_suffix(1);  // a CRLF line end: nothing to see
    return escape_controls(text);
}

void LineForwarder::feed(std::string_view data) {
    if (fd_ < 0)
        return;
    const auto last_newline = data.rfind('\n');
    if (last_newline == std::string_view::npos) {
        partial_.append(data);
        if (partial_.size() >= max_line) {
            emit(partial_, true);
            partial_.clear();
        }
        return;
    }
    std::string out;
    out.reserve(partial_.size() + last_newline + 1 + 4 * prefix_.size());
    std::string_view complete = data.substr(0, last_newline + 1);
    bool first = true;
    while (!complete.empty()) {
        const auto end = complete.find('\n');
        out += prefix_;
        if (first) {
            out += shown(partial_);
            first = false;
        }
        out += shown(complete.substr(0, end));
        out += '\n';
        complete.remove_prefix(end + 1);
    }
    partial_.assign(data.substr(last_newline + 1));
    std::lock_guard lock(output_mutex());
    write_fully(fd_, out);
}

void LineForwarder::finish() {
    if (fd_ < 0 || partial_.empty())
        return;
    emit(partial_, true);
    partial_.clear();
}

void LineForwarder::emit(std::string_view text, bool add_newline) {
    std::string out = prefix_;
    out += shown(text);
    if (add_newline)
        out += '\n';
    std::lock_guard lock(output_mutex());
    write_fully(fd_, out);
}

void TailBuffer::feed(std::string_view data) {
    if (data.size() >= limit_) {
        data_.assign(data.substr(data.size() - limit_));
        return;
    }
    data_.append(data);
    // Trim in large steps so feeding many small chunks stays linear.
    if (data_.size() > 2 * limit_)
        data_.erase(0, data_.size() - limit_);
}

std::string TailBuffer::text() const {
    std::string_view view = data_;
    if (view.size() > limit_)
        view.remove_prefix(view.size() - limit_);
    // Do not start in the middle of a multi-byte character.
    while (!view.empty() && (static_cast<unsigned char>(view.front()) & 0xC0) == 0x80) {
        view.remove_prefix(1);
    }
    while (!view.empty() && (view.back() == '\n' || view.back() == '\r' || view.back() == ' ' ||
                             view.back() == '\t')) {
        view.remove_suffix(1);
    }
    return std::string(view);
}

}  // namespace libqueue::exec
