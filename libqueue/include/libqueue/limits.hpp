// Limits on how a job name runs across every worker of a backend (handlers.NAME.rate, .burst,
// .concurrency): for handlers that call an API with a quota, or a service that takes only so many
// requests at once.
//
// How they hold: a worker asks before it starts a job of a limited name. The answer comes from
// one record per name (kind "limit") that the backend changes atomically (change_record), so
// workers on any number of hosts share it. A job that may not start yet is put back with a delay
// (its attempt given back: it did not run) until its turn:
//   rate         a start every per/count (GCRA). A job that would start too early reserves the
//                next free start time and is put back until then; when it comes back, the
//                reservation is its to use (or any job's that is there first). So a backlog is
//                spread over its start times instead of being tried again all at once. `burst`
//                starts may go at once after a quiet spell: in any stretch of time T, at most
//                burst + T·count/per jobs start, plus those that were held and came back late.
//   concurrency  at most this many jobs of the name run at once. A job that finds every place
//                taken is put back until its turn: the turns are spread by the name's average
//                run time divided by the concurrency, so waiting jobs come back about when
//                places free instead of all at once.
// Places are freed when a job's handler ends. A place whose job is no longer processing under the
// same claim (its worker was lost, recovery took it back) is freed by the next worker that finds
// every place taken and the place older than usual: it checks that job in the backend.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "libqueue/driver.hpp"
#include "libqueue/time.hpp"

namespace libqueue {

struct Rate {
    std::uint32_t count = 1;        // starts ...
    Milliseconds per{1'000};        // ... per this long
    Milliseconds interval() const;  // between two starts: per / count (at least 1 ms)
};

// "100/1m", "5/s", "1/250ms": COUNT/DURATION (a duration as parse_duration reads it; a bare unit
// means one of it). Throws UsageError naming the text.
Rate parse_rate(std::string_view text);
std::string format_rate(const Rate& rate);

struct JobLimits {
    std::optional<Rate> rate;
    std::uint32_t burst = 1;                   // starts that may go at once (rate only)
    std::optional<std::uint32_t> concurrency;  // jobs of the name running at once

    bool any() const { return rate.has_value() || concurrency.has_value(); }
};

// The record kind that holds the limiter state, keyed by job name.
inline constexpr const char* limit_record_kind = "limit";

// One name's shared state, as its record holds it (JSON).
struct LimitState {
    struct Place {
        std::string id;     // the job running in it
        std::string token;  // under this claim
        TimePoint since;
    };
    // rate
    TimePoint next_start{};      // GCRA's theoretical arrival time over the start times given
    std::uint32_t reserved = 0;  // start times given to held jobs and not used yet ...
    TimePoint first_reserved{};  // ... the earliest of them; the rest follow a rate interval apart
    TimePoint started_tat{};     // GCRA's theoretical arrival time over the starts themselves
    // concurrency
    std::vector<Place> running;
    TimePoint next_turn{};       // the turn the next job that finds every place taken gets
    double average_run_ms = -1;  // < 0 until a job of the name has ended

    // A record that is not valid JSON or not this shape reads as a fresh state: limits start
    // over rather than stop the name's jobs for good.
    static LimitState parse(const std::optional<std::string>& text);
    std::string dump() const;
};

struct Admission {
    enum class Kind {
        start,   // take the place and start after `wait` (a rate's spacing after a start that
                 // came late, at most about a second): the state was changed for it
        wait,    // put the job back for `wait`: its turn was reserved
        verify,  // every place is taken, some for longer than usual: check `suspects` (are their
                 // jobs still processing under those claims?) and ask again; nothing changed
    };
    Kind kind = Kind::start;
    Milliseconds wait{0};
    std::vector<Claim> suspects;
};

// Whether the job holding `claim` may start now, and the state after it. `gone`: claims
// verified no longer running (their places are freed); `verified`: suspects were checked, so
// the answer is start or wait.
Admission admit(LimitState& state, const JobLimits& limits, const Claim& claim, TimePoint now,
                const std::set<std::string>& gone = {}, bool verified = false);

// The job holding `claim` ended after running `ran_for`: frees its place. Without `ran_for` it
// never started (given back while it waited for its start): the place is freed, nothing learnt.
void leave(LimitState& state, const Claim& claim, std::optional<Milliseconds> ran_for);

}  // namespace libqueue
