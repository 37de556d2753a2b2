#include "libqueue/limits.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "libqueue/duration.hpp"
#include "libqueue/errors.hpp"

namespace libqueue {

namespace {

// Until a job of the name has ended, a run is taken to last as long as the oldest running one
// has so far, and at least this long: short turns at first cost a few jobs an extra trip, long
// ones would leave places idle.
constexpr double shortest_assumed_run_ms = 100;
// A place held this many average runs plus suspect_slack is worth checking before waiting on it.
constexpr double suspect_after_runs = 3;
constexpr Milliseconds suspect_slack{5'000};
// The farthest a turn is given out: a name whose jobs hang does not send the rest away for days.
constexpr Milliseconds longest_turn{3'600'000};
// A reserved start time no job came for within this long (or the burst's span, if longer) is
// given up: whoever comes later reserves anew, so late returns do not add up to a burst.
constexpr Milliseconds reservation_grace{1'000};

// What a limit record may hold (LimitState::parse): times up to the year 5000, a million
// reservations, runs of up to a year on average.
constexpr std::int64_t latest_time_ms = 95'617'584'000'000;
constexpr std::int64_t most_reserved = 1'000'000;
constexpr double longest_average_run_ms = 366.0 * 24 * 3'600'000;
// The longest rate period: a start per year at most (longer would overflow with a large burst).
constexpr Milliseconds longest_rate_period{366LL * 24 * 3'600'000};

[[noreturn]] void bad_rate(std::string_view text) {
    throw UsageError("bad rate '" + std::string(text) +
                     "' (expected COUNT/DURATION, e.g. 100/1m, 5/s, 1/250ms)");
}

std::int64_t ms(TimePoint t) {
    return t.time_since_epoch().count();
}
TimePoint at_ms(std::int64_t ms) {
    return TimePoint(Milliseconds(ms));
}

}  // namespace

Milliseconds Rate::interval() const {
    return std::max(Milliseconds{1}, per / std::max<std::uint32_t>(count, 1));
}

Rate parse_rate(std::string_view text) {
    const auto slash = text.find('/');
    if (slash == std::string_view::npos || slash == 0)
        bad_rate(text);
    const auto count_text = text.substr(0, slash);
    std::uint32_t count = 0;
    const auto [end, error] =
        std::from_chars(count_text.data(), count_text.data() + count_text.size(), count);
    if (error != std::errc{} || end != count_text.data() + count_text.size() || count == 0)
        bad_rate(text);
    std::string per_text(text.substr(slash + 1));
    if (!per_text.empty() && std::isalpha(static_cast<unsigned char>(per_text.front())))
        per_text.insert(0, "1");  // "5/s": one second
    Milliseconds per{0};
    try {
        per = parse_duration(per_text);
    } catch (const UsageError&) {
        bad_rate(text);
    }
    if (per.count() <= 0 || per > longest_rate_period)
        bad_rate(text);
    return Rate{count, per};
}

std::string format_rate(const Rate& rate) {
    return std::to_string(rate.count) + "/" + format_duration(rate.per);
}

LimitState LimitState::parse(const std::optional<std::string>& text) {
    LimitState state;
    if (!text)
        return state;
    const auto json = nlohmann::json::parse(*text, nullptr, false);
    if (!json.is_object())
        return state;
    // Numbers far outside what q writes would overflow the arithmetic above: such a record is
    // not q's.
    auto time_at = [](std::int64_t ms) {
        if (ms < 0 || ms > latest_time_ms)
            throw std::out_of_range("time");
        return at_ms(ms);
    };
    try {
        state.next_start = time_at(json.value("next_start", std::int64_t{0}));
        const auto reserved = json.value("reserved", std::int64_t{0});
        if (reserved < 0 || reserved > most_reserved)
            return LimitState{};
        state.reserved = static_cast<std::uint32_t>(reserved);
        state.first_reserved = time_at(json.value("first_reserved", std::int64_t{0}));
        state.started_tat = time_at(json.value("started_tat", std::int64_t{0}));
        state.next_turn = time_at(json.value("next_turn", std::int64_t{0}));
        state.average_run_ms = json.value("average_run_ms", -1.0);
        if (!std::isfinite(state.average_run_ms) || state.average_run_ms > longest_average_run_ms)
            return LimitState{};
        for (const auto& place : json.value("running", nlohmann::json::array())) {
            state.running.push_back(Place{place.at("id").get<std::string>(),
                                          place.at("token").get<std::string>(),
                                          time_at(place.at("since").get<std::int64_t>())});
        }
    } catch (const nlohmann::json::exception&) {
        return LimitState{};
    } catch (const std::out_of_range&) {
        return LimitState{};
    }
    return state;
}

std::string LimitState::dump() const {
    auto places = nlohmann::json::array();
    for (const auto& place : running) {
        places.push_back({{"id", place.id}, {"token", place.token}, {"since", ms(place.since)}});
    }
    const nlohmann::json json = {
        {"next_start", ms(next_start)},         {"reserved", reserved},
        {"first_reserved", ms(first_reserved)}, {"started_tat", ms(started_tat)},
        {"running", std::move(places)},         {"next_turn", ms(next_turn)},
        {"average_run_ms", average_run_ms}};
    return json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

namespace {

double run_estimate_ms(const LimitState& state, TimePoint now) {
    if (state.average_run_ms >= 0)
        return std::max(state.average_run_ms, 1.0);
    double oldest = shortest_assumed_run_ms;
    for (const auto& place : state.running)
        oldest = std::max(oldest, static_cast<double>((now - place.since).count()));
    return oldest;
}

Admission wait_for(TimePoint turn, TimePoint now) {
    return Admission{Admission::Kind::wait, std::max(Milliseconds{1}, turn - now), {}};
}

// Concurrency: a turn for a job that found every place taken. Places free about every
// average run / concurrency, so consecutive turns are that far apart.
Admission take_turn(LimitState& state, std::uint32_t concurrency, TimePoint now) {
    const Milliseconds step{std::max<std::int64_t>(
        1, static_cast<std::int64_t>(run_estimate_ms(state, now) /
                                     std::max<std::uint32_t>(concurrency, 1)))};
    const auto turn = std::min(std::max(state.next_turn, now + step), now + longest_turn);
    state.next_turn = turn + step;
    return wait_for(turn, now);
}

// How late a reserved start time may still be used: reservation_grace, or the burst's span.
Milliseconds grace_of(Milliseconds interval, std::uint32_t burst) {
    return std::max(reservation_grace, interval * std::max<std::uint32_t>(burst, 1));
}

// Rate (GCRA with reservations): start now, or reserve the next start time. Returns the time to
// wait for, or nullopt to start now.
std::optional<TimePoint> take_start(LimitState& state, const Rate& rate, std::uint32_t burst,
                                    TimePoint now) {
    const auto interval = rate.interval();
    const auto tolerance = interval * (std::max<std::uint32_t>(burst, 1) - 1);
    // A state from other limits (the config changed) or another clock: start over.
    if (state.next_start > now + interval * (std::int64_t(state.reserved) + 1) + tolerance) {
        state = LimitState{.running = std::move(state.running),
                           .next_turn = state.next_turn,
                           .average_run_ms = state.average_run_ms};
    }
    const auto grace = grace_of(interval, burst);
    if (state.reserved > 0 && state.first_reserved + grace < now) {
        const auto missed = (now - grace - state.first_reserved) / interval + 1;
        const auto given_up = std::min<std::int64_t>(state.reserved, missed);
        state.reserved -= static_cast<std::uint32_t>(given_up);
        state.first_reserved += interval * given_up;
    }
    if (state.reserved > 0 && state.first_reserved <= now) {
        --state.reserved;
        state.first_reserved += interval;
        return std::nullopt;
    }
    if (state.reserved == 0 && now >= state.next_start - tolerance) {
        state.next_start = std::max(state.next_start, now) + interval;
        return std::nullopt;
    }
    const auto start = state.next_start - tolerance;
    if (state.reserved == 0)
        state.first_reserved = start;
    ++state.reserved;
    state.next_start += interval;
    return start;
}

// A start was given (now or at a reserved time that came): when it may happen. Reserved times
// stay on their grid, so that held jobs coming back a little late still use every one; but one
// used late would then start close to the next used on time, and a backlog of late returns would
// go over the rate. The starts themselves keep GCRA's spacing: a start too soon after the one
// before waits out the rest in its worker, which is never more than the latest a reserved time
// is used plus a burst.
Milliseconds space_start(LimitState& state, const Rate& rate, std::uint32_t burst, TimePoint now) {
    const auto interval = rate.interval();
    const auto tolerance = interval * (std::max<std::uint32_t>(burst, 1) - 1);
    const auto longest = grace_of(interval, burst) + interval + tolerance;
    // A state from before this rule, another clock or other limits: spacing starts over.
    if (state.started_tat > now + longest + tolerance)
        state.started_tat = TimePoint{};
    const auto start = std::max(now, state.started_tat - tolerance);
    state.started_tat = std::max(state.started_tat, start) + interval;
    return std::chrono::duration_cast<Milliseconds>(start - now);
}

}  // namespace

Admission admit(LimitState& state, const JobLimits& limits, const Claim& claim, TimePoint now,
                const std::set<std::string>& gone, bool verified) {
    // A job claimed again (recovered, retried) holds no place under its old claim.
    std::erase_if(state.running, [&](const LimitState::Place& place) {
        return place.id == claim.id || gone.contains(place.token);
    });
    if (limits.concurrency && state.running.size() >= *limits.concurrency) {
        if (!verified) {
            const double known_ms = std::max(state.average_run_ms, 0.0);
            const auto usual =
                Milliseconds{static_cast<std::int64_t>(known_ms * suspect_after_runs)} +
                suspect_slack;
            Admission check{Admission::Kind::verify, {}, {}};
            for (const auto& place : state.running) {
                if (now - place.since > usual)
                    check.suspects.push_back(Claim{place.id, place.token});
            }
            if (!check.suspects.empty())
                return check;
        }
        return take_turn(state, *limits.concurrency, now);
    }
    Milliseconds start_in{0};
    if (limits.rate) {
        if (const auto start = take_start(state, *limits.rate, limits.burst, now))
            return wait_for(*start, now);
        start_in = space_start(state, *limits.rate, limits.burst, now);
    }
    if (limits.concurrency)
        state.running.push_back(LimitState::Place{claim.id, claim.token, now});
    return Admission{Admission::Kind::start, start_in, {}};
}

void leave(LimitState& state, const Claim& claim, std::optional<Milliseconds> ran_for) {
    std::erase_if(state.running,
                  [&](const LimitState::Place& place) { return place.token == claim.token; });
    if (!ran_for)
        return;
    const double ran = static_cast<double>(ran_for->count());
    state.average_run_ms = state.average_run_ms < 0 ? ran : 0.8 * state.average_run_ms + 0.2 * ran;
}

}  // namespace libqueue
