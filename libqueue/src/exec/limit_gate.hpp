// The worker's side of job limits (limits.hpp): before a job of a limited name starts, ask the
// backend whether it may; when its handler has ended, give its place back.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "libqueue/driver.hpp"
#include "libqueue/limits.hpp"

namespace libqueue::exec {

class LimitGate {
  public:
    LimitGate(QueueDriver& driver, const std::map<std::string, JobLimits>& limits);

    bool limits(const std::string& name) const { return limits_.contains(name); }
    // Kind::start: the job's place is taken; it starts once `wait` is over (its worker keeps it
    // meanwhile). Kind::wait: it may not start yet, and the caller puts it back for `wait`. Never
    // verify. Throws what the driver throws.
    Admission enter(const Job& job);
    // The job's handler has ended after `ran_for`, or (nullopt) the job was given back before it
    // started: frees its place (names with a concurrency limit only).
    void leave(const Job& job, std::optional<Milliseconds> ran_for);

  private:
    Admission ask(const std::string& name, const JobLimits& limits, const Claim& claim,
                  const std::set<std::string>& gone, bool verified);
    // The claims among `suspects` whose jobs are no longer processing under them.
    std::set<std::string> gone(const std::vector<Claim>& suspects);

    QueueDriver& driver_;
    std::map<std::string, JobLimits> limits_;
};

}  // namespace libqueue::exec
