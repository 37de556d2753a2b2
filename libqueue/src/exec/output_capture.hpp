// Keeps what one attempt of a command prints, for its attempt log (attempt_log.hpp): whole lines
// of stdout and stderr in arrival order, each with its stream and time. Past `max_bytes` the
// middle goes: the first half of the budget keeps the first lines, the second half the latest.
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "libqueue/attempt_log.hpp"

namespace libqueue::exec {

class OutputCapture {
  public:
    using Clock = std::chrono::steady_clock;

    explicit OutputCapture(std::size_t max_bytes, Clock::time_point started = Clock::now());

    void feed(OutputLine::Stream stream, std::string_view data);
    // Keeps the unterminated last line of each stream.
    void finish();

    // Sets log.lines and log.cut_* to what is kept so far.
    void fill(AttemptLog& log) const;

    // The live view: `publish` is called (from the thread feeding the capture) at most every
    // `every` while lines keep arriving, so `q log --follow` on another host sees a running job's
    // output. publish_due() is when the next call is owed, if lines are waiting for one.
    void on_publish(std::function<void()> publish, Clock::duration every);
    std::optional<Clock::time_point> publish_due() const;
    void publish_if_due(Clock::time_point now);

  private:
    void add_line(OutputLine::Stream stream, std::string_view text);

    std::size_t half_;
    Clock::time_point started_;
    std::string partial_[2];
    std::vector<OutputLine> head_;
    std::size_t head_bytes_ = 0;
    bool head_full_ = false;
    std::deque<OutputLine> tail_;
    std::size_t tail_bytes_ = 0;
    std::size_t cut_lines_ = 0;
    std::size_t cut_bytes_ = 0;

    std::function<void()> publish_;
    Clock::duration publish_every_{};
    Clock::time_point published_at_{};
    bool unpublished_ = false;
};

// The capture of the attempt running on this thread, or null. run_claimed_job sets it for the
// length of the handler's run and the command runner feeds it: JobExecutor::execute (a public
// interface) carries only the job and the stop token, and a command runs on the calling thread.
OutputCapture* current_capture();

class CaptureScope {
  public:
    explicit CaptureScope(OutputCapture* capture);
    ~CaptureScope();
    CaptureScope(const CaptureScope&) = delete;
    CaptureScope& operator=(const CaptureScope&) = delete;

  private:
    OutputCapture* previous_;
};

}  // namespace libqueue::exec
