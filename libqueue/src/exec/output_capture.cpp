#include "exec/output_capture.hpp"

#include <algorithm>

#include "libqueue/text.hpp"

namespace libqueue::exec {

namespace {

thread_local OutputCapture* current = nullptr;

// A line is cut to this share of the budget: one endless line must not crowd out the rest.
std::string_view cut_to(std::string_view text, std::size_t limit) {
    if (text.size() <= limit)
        return text;
    std::size_t end = limit;
    while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
    return text.substr(0, end);
}

}  // namespace

OutputCapture::OutputCapture(std::size_t max_bytes, Clock::time_point started)
    : half_(std::max<std::size_t>(max_bytes / 2, 1)), started_(started) {}

void OutputCapture::feed(OutputLine::Stream stream, std::string_view data) {
    std::string& partial = partial_[stream == OutputLine::Stream::err ? 1 : 0];
    while (!data.empty()) {
        const auto newline = data.find('\n');
        if (newline == std::string_view::npos) {
            partial.append(data);
            // A stream that never ends its line still shows up, in pieces of the line limit.
            if (partial.size() >= half_) {
                add_line(stream, partial);
                partial.clear();
            }
            return;
        }
        if (partial.empty()) {
            add_line(stream, data.substr(0, newline));
        } else {
            partial.append(data.substr(0, newline));
            add_line(stream, partial);
            partial.clear();
        }
        data.remove_prefix(newline + 1);
    }
}

void OutputCapture::finish() {
    for (int i = 0; i < 2; ++i) {
        if (!partial_[i].empty()) {
            add_line(i == 1 ? OutputLine::Stream::err : OutputLine::Stream::out, partial_[i]);
            partial_[i].clear();
        }
    }
}

void OutputCapture::add_line(OutputLine::Stream stream, std::string_view raw) {
    if (!raw.empty() && raw.back() == '\r')
        raw.remove_suffix(1);
    const auto kept = cut_to(raw, half_);
    std::string text = valid_utf8(kept);
    if (kept.size() < raw.size())
        text += " … " + std::to_string(raw.size() - kept.size()) + " bytes cut";
    const auto at = std::chrono::duration_cast<Milliseconds>(Clock::now() - started_);
    const std::size_t bytes = text.size() + 1;
    unpublished_ = true;
    if (!head_full_ && head_bytes_ + bytes <= half_) {
        head_bytes_ += bytes;
        head_.push_back(OutputLine{stream, at, std::move(text)});
        return;
    }
    head_full_ = true;
    tail_bytes_ += bytes;
    tail_.push_back(OutputLine{stream, at, std::move(text)});
    while (tail_bytes_ > half_ && !tail_.empty()) {
        tail_bytes_ -= tail_.front().text.size() + 1;
        cut_bytes_ += tail_.front().text.size() + 1;
        ++cut_lines_;
        tail_.pop_front();
    }
}

void OutputCapture::fill(AttemptLog& log) const {
    log.lines.assign(head_.begin(), head_.end());
    log.lines.insert(log.lines.end(), tail_.begin(), tail_.end());
    log.cut_after = cut_lines_ > 0 ? head_.size() : 0;
    log.cut_lines = cut_lines_;
    log.cut_bytes = cut_bytes_;
}

void OutputCapture::on_publish(std::function<void()> publish, Clock::duration every) {
    publish_ = std::move(publish);
    publish_every_ = every;
    published_at_ = started_;
}

std::optional<OutputCapture::Clock::time_point> OutputCapture::publish_due() const {
    if (!publish_ || !unpublished_)
        return std::nullopt;
    return published_at_ + publish_every_;
}

void OutputCapture::publish_if_due(Clock::time_point now) {
    const auto due = publish_due();
    if (!due || now < *due)
        return;
    unpublished_ = false;
    published_at_ = now;
    publish_();
}

OutputCapture* current_capture() {
    return current;
}

CaptureScope::CaptureScope(OutputCapture* capture) : previous_(current) {
    current = capture;
}

CaptureScope::~CaptureScope() {
    current = previous_;
}

}  // namespace libqueue::exec
