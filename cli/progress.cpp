#include "progress.hpp"

#include <fmt/format.h>

#include <iostream>

#include "libqueue/duration.hpp"
#include "output.hpp"

namespace q {

namespace {

constexpr std::chrono::milliseconds redraw_every{100};
// A WaitLine appears only for a call slower than this, then ticks every second.
constexpr std::chrono::milliseconds wait_line_after{300};

}  // namespace

Progress::Progress(const Context& context, std::string verb, std::optional<std::uint64_t> total,
                   std::string noun)
    : shown_(!context.quiet() && stderr_is_tty()),
      verb_(std::move(verb)),
      total_(total),
      noun_(std::move(noun)) {}

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
    drawn_text_ = line(verb_, done_, total_, now - started_, noun_);
    std::cerr << '\r' << drawn_text_ << "\033[K" << std::flush;
}

void Progress::print_above(const std::string& text) {
    if (!drew_) {
        std::cerr << text << '\n';
        return;
    }
    std::cerr << "\r\033[K" << text << '\n' << drawn_text_ << std::flush;
}

WaitLine::WaitLine(const Context& context, std::string text) : text_(std::move(text)) {
    if (context.quiet() || !stderr_is_tty())
        return;
    drawer_ = std::thread([this] {
        const auto started = std::chrono::steady_clock::now();
        bool drew = false;
        std::unique_lock lock(mutex_);
        auto next = started + wait_line_after;
        while (!done_changed_.wait_until(lock, next, [this] { return done_; })) {
            const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(
                std::chrono::steady_clock::now() - started);
            std::cerr << "\rq: " << text_ << ", " << libqueue::format_duration(seconds) << "\033[K"
                      << std::flush;
            drew = true;
            next = std::chrono::steady_clock::now() + std::chrono::seconds(1);
        }
        if (drew)
            std::cerr << "\r\033[K" << std::flush;
    });
}

WaitLine::~WaitLine() {
    if (!drawer_.joinable())
        return;
    {
        std::lock_guard lock(mutex_);
        done_ = true;
    }
    done_changed_.notify_one();
    drawer_.join();
}

std::string Progress::line(const std::string& verb, std::uint64_t done,
                           std::optional<std::uint64_t> total,
                           std::chrono::duration<double> elapsed, const std::string& noun) {
    std::string text = fmt::format("q: {} {}", verb, done);
    if (total && *total > 0)
        text +=
            fmt::format(" of {} ({}%)", *total, std::min<std::uint64_t>(100, done * 100 / *total));
    if (!noun.empty())
        text += " " + noun;
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
