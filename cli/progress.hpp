// A progress line on stderr for commands that work through many jobs page by page (q prune,
// q dlq retry --all): "pruned 12000 of 40000 (30%), 4100/s, about 7s left", redrawn in place at
// most ten times a second and erased at the end. Only on a terminal and without -q: a script or a
// log never sees it.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "context.hpp"

namespace q {

class Progress {
  public:
    // verb: "pruned", "retried"; total: when known beforehand.
    Progress(const Context& context, std::string verb, std::optional<std::uint64_t> total);
    ~Progress();  // erases the line
    Progress(const Progress&) = delete;
    Progress& operator=(const Progress&) = delete;

    void advance(std::uint64_t done_now);

    // The line for `done` after `elapsed` (what advance draws); for tests of the wording.
    static std::string line(const std::string& verb, std::uint64_t done,
                            std::optional<std::uint64_t> total,
                            std::chrono::duration<double> elapsed);

  private:
    using Clock = std::chrono::steady_clock;
    bool shown_;
    std::string verb_;
    std::optional<std::uint64_t> total_;
    std::uint64_t done_ = 0;
    Clock::time_point started_ = Clock::now();
    Clock::time_point drawn_{};
    bool drew_ = false;
};

}  // namespace q
