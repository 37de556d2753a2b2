#include "progress.hpp"

#include <fmt/format.h>

#include <iostream>

#include "libqueue/duration.hpp"
#include "output.hpp"

namespace q {

namespace {

constexpr std::chrono::milliseconds redraw_every{100};

}  // namespace

Progress::Progress(const Context& context, std::string verb, std::optional<std::uint64_t> total)
    : shown_(!context.quiet() && stderr_is_tty()), verb_(std::move(verb)), total_(total) {}

Progress::~Progress() {
    if (drew_)
        std::cerr << "\r\033[K" << std::flush;
}

void Progress::advance(std::uint64_t done_now) {
    done_ += done_now;
    if (!shown_)
        return;
    const auto now = Clock::now();
    if (drew_ && now - drawn_ < redraw_every)
        return;
    drawn_ = now;
    drew_ = true;
    std::cerr << '\r' << line(verb_, done_, total_, now - started_) << "\033[K" << std::flush;
}

std::string Progress::line(const std::string& verb, std::uint64_t done,
                           std::optional<std::uint64_t> total,
                           std::chrono::duration<double> elapsed) {
    std::string text = fmt::format("q: {} {}", verb, done);
    if (total && *total > 0)
        text +=
            fmt::format(" of {} ({}%)", *total, std::min<std::uint64_t>(100, done * 100 / *total));
    if (elapsed.count() <= 0 || done == 0)
        return text;
    const double rate = double(done) / elapsed.count();
    text += fmt::format(", {:.0f}/s", rate);
    if (total && *total > done) {
        const auto left = libqueue::Milliseconds(std::int64_t(double(*total - done) / rate * 1000));
        text += ", about " +
                libqueue::format_duration(std::chrono::duration_cast<std::chrono::seconds>(left) +
                                          std::chrono::seconds(1)) +
                " left";
    }
    return text;
}

}  // namespace q
