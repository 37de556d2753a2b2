// Progress lines on stderr for long work: Progress for work done piece by piece (q prune,
// q dlq retry --all, q run, reading a batch): "pruned 12000 of 40000 (30%), 4100/s, about 7s
// left"; WaitLine for one long call that cannot count (q push --batch storing all or nothing,
// q clear): "storing 100000 jobs (all or nothing), 3s". Redrawn in place and erased at the end.
// Only on a terminal and without -q: a script or a log never sees them.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "context.hpp"

namespace q {

class Progress {
  public:
    // verb: "pruned", "retried"; total: when known beforehand; noun: what is counted, when the
    // verb does not say ("lines").
    Progress(const Context& context, std::string verb, std::optional<std::uint64_t> total,
             std::string noun = "");
    ~Progress();  // erases the line
    Progress(const Progress&) = delete;
    Progress& operator=(const Progress&) = delete;

    void advance(std::uint64_t done_now);
    // Prints a whole line (an event of q run) on stderr above the progress line.
    void print_above(const std::string& line);

    // The line for `done` after `elapsed` (what advance draws); for tests of the wording.
    static std::string line(const std::string& verb, std::uint64_t done,
                            std::optional<std::uint64_t> total,
                            std::chrono::duration<double> elapsed, const std::string& noun = "");

  private:
    using Clock = std::chrono::steady_clock;
    bool shown_;
    std::string verb_;
    std::optional<std::uint64_t> total_;
    std::string noun_;
    std::uint64_t done_ = 0;
    Clock::time_point started_ = Clock::now();
    Clock::time_point drawn_{};
    bool drew_ = false;
    std::string drawn_text_;
};

// "q: TEXT, 3s" while one long call runs, drawn from a thread of its own once the call has taken
// longer than a moment (a quick call leaves no trace), and erased when it goes out of scope.
class WaitLine {
  public:
    WaitLine(const Context& context, std::string text);
    ~WaitLine();
    WaitLine(const WaitLine&) = delete;
    WaitLine& operator=(const WaitLine&) = delete;

  private:
    std::string text_;
    std::mutex mutex_;
    std::condition_variable done_changed_;
    bool done_ = false;
    std::thread drawer_;  // joined by the destructor, after done_ is set
};

}  // namespace q
