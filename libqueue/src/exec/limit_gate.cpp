#include "exec/limit_gate.hpp"

namespace libqueue::exec {

LimitGate::LimitGate(QueueDriver& driver, const std::map<std::string, JobLimits>& limits)
    : driver_(driver) {
    for (const auto& [name, of_name] : limits) {
        if (of_name.any())
            limits_.emplace(name, of_name);
    }
}

Admission LimitGate::enter(const Job& job) {
    const auto found = limits_.find(job.name);
    if (found == limits_.end())
        return Admission{};
    const Claim claim = claim_of(job);
    auto admission = ask(job.name, found->second, claim, {}, false);
    if (admission.kind == Admission::Kind::verify)
        admission = ask(job.name, found->second, claim, gone(admission.suspects), true);
    return admission;
}

void LimitGate::leave(const Job& job, std::optional<Milliseconds> ran_for) {
    const auto found = limits_.find(job.name);
    if (found == limits_.end() || !found->second.concurrency)
        return;
    driver_.change_record(limit_record_kind, job.name,
                          [&](const std::optional<std::string>& value, TimePoint) {
                              auto state = LimitState::parse(value);
                              libqueue::leave(state, claim_of(job), ran_for);
                              return std::optional(state.dump());
                          });
}

Admission LimitGate::ask(const std::string& name, const JobLimits& limits, const Claim& claim,
                         const std::set<std::string>& gone, bool verified) {
    Admission admission;
    driver_.change_record(
        limit_record_kind, name,
        [&](const std::optional<std::string>& value, TimePoint now) -> std::optional<std::string> {
            auto state = LimitState::parse(value);
            admission = admit(state, limits, claim, now, gone, verified);
            return state.dump();
        });
    return admission;
}

std::set<std::string> LimitGate::gone(const std::vector<Claim>& suspects) {
    std::set<std::string> out;
    for (const auto& suspect : suspects) {
        const auto job = driver_.find(suspect.id);
        if (!job || job->status != Status::processing || job->reserved_by != suspect.token)
            out.insert(suspect.token);
    }
    return out;
}

}  // namespace libqueue::exec
