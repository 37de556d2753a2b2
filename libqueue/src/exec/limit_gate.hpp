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
    // nullopt: start the job now (its place is taken). Else the job may not start yet: the caller
    // puts it back for the time returned. Throws what the driver throws.
    std::optional<Milliseconds> enter(const Job& job);
    // The job's handler has ended: frees its place (names with a concurrency limit only).
    void leave(const Job& job, Milliseconds ran_for);

  private:
    Admission ask(const std::string& name, const JobLimits& limits, const Claim& claim,
                  const std::set<std::string>& gone, bool verified);
    // The claims among `suspects` whose jobs are no longer processing under them.
    std::set<std::string> gone(const std::vector<Claim>& suspects);

    QueueDriver& driver_;
    std::map<std::string, JobLimits> limits_;
};

}  // namespace libqueue::exec
