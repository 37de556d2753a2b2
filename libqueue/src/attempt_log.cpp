#include "libqueue/attempt_log.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "libqueue/errors.hpp"

namespace libqueue {

namespace {

using nlohmann::json;

constexpr const char* outcome_names[] = {"running", "completed", "retried", "dead", "interrupted"};

AttemptOutcome outcome_from(const std::string& text) {
    for (std::size_t i = 0; i < std::size(outcome_names); ++i) {
        if (text == outcome_names[i])
            return AttemptOutcome(i);
    }
    throw DataError("an attempt log names an unknown outcome '" + text + "'");
}

std::int64_t ms_since_epoch(TimePoint t) {
    return t.time_since_epoch().count();
}

TimePoint from_ms(std::int64_t ms) {
    return TimePoint{Milliseconds{ms}};
}

}  // namespace

std::string to_string(AttemptOutcome outcome) {
    return outcome_names[std::size_t(outcome)];
}

// The body is written once per attempt of every job, so it is kept short: one-letter keys,
// the end as a duration, and nothing for what is empty. w worker, s start (ms since the epoch),
// d duration (ms; absent while running), o outcome, x exit status, e error, l lines
// ([stream "o"/"e", ms since the start, text]), c cut ([after, lines, bytes]).
namespace {

// Text that JSON takes as it is between quotes.
bool plain_json_text(const std::string& text) {
    return std::all_of(text.begin(), text.end(),
                       [](char c) { return c >= 0x20 && c < 0x7f && c != '"' && c != '\\'; });
}

}  // namespace

std::string attempt_log_body(const AttemptLog& log) {
    // The common case, a quiet attempt that ended, written directly: this runs once per job on
    // the worker's hot path, where building a JSON document showed in the no-op throughput.
    if (log.lines.empty() && log.error.empty() && log.ended_at && plain_json_text(log.worker)) {
        std::string out = R"({"w":")" + log.worker + R"(","s":)" +
                          std::to_string(ms_since_epoch(log.started_at)) + R"(,"o":")" +
                          to_string(log.outcome) + R"(","d":)" +
                          std::to_string((*log.ended_at - log.started_at).count());
        if (log.exit_status)
            out += R"(,"x":)" + std::to_string(*log.exit_status);
        out += '}';
        return out;
    }
    json body = {
        {"w", log.worker}, {"s", ms_since_epoch(log.started_at)}, {"o", to_string(log.outcome)}};
    if (log.ended_at)
        body["d"] = (*log.ended_at - log.started_at).count();
    if (log.exit_status)
        body["x"] = *log.exit_status;
    if (!log.error.empty())
        body["e"] = log.error;
    if (!log.lines.empty()) {
        json lines = json::array();
        for (const auto& line : log.lines) {
            lines.push_back(json::array(
                {line.stream == OutputLine::Stream::err ? "e" : "o", line.at.count(), line.text}));
        }
        body["l"] = std::move(lines);
    }
    if (log.cut_lines > 0)
        body["c"] = json::array({log.cut_after, log.cut_lines, log.cut_bytes});
    // Replacement characters for anything that is not UTF-8: the texts came from a handler.
    return body.dump(-1, ' ', false, json::error_handler_t::replace);
}

AttemptLog attempt_log_from_body(const std::string& job_id, int attempt, const std::string& body) {
    AttemptLog log;
    log.job_id = job_id;
    log.attempt = attempt;
    try {
        const json doc = json::parse(body);
        log.worker = doc.at("w").get<std::string>();
        log.started_at = from_ms(doc.at("s").get<std::int64_t>());
        log.outcome = outcome_from(doc.at("o").get<std::string>());
        if (doc.contains("d"))
            log.ended_at = log.started_at + Milliseconds{doc["d"].get<std::int64_t>()};
        if (doc.contains("x"))
            log.exit_status = doc["x"].get<int>();
        if (doc.contains("e"))
            log.error = doc["e"].get<std::string>();
        if (doc.contains("l")) {
            for (const auto& line : doc["l"]) {
                OutputLine out;
                out.stream = line.at(0).get<std::string>() == "e" ? OutputLine::Stream::err
                                                                  : OutputLine::Stream::out;
                out.at = Milliseconds{line.at(1).get<std::int64_t>()};
                out.text = line.at(2).get<std::string>();
                log.lines.push_back(std::move(out));
            }
        }
        if (doc.contains("c")) {
            const auto& cut = doc["c"];
            log.cut_after = cut.at(0).get<std::size_t>();
            log.cut_lines = cut.at(1).get<std::size_t>();
            log.cut_bytes = cut.at(2).get<std::size_t>();
        }
    } catch (const json::exception& e) {
        throw DataError("the log of attempt " + std::to_string(attempt) + " of job " + job_id +
                        " is not one q wrote: " + e.what());
    }
    return log;
}

std::vector<AttemptLog> attempt_logs_from_bodies(const std::string& job_id,
                                                 const std::map<int, std::string>& bodies) {
    std::vector<AttemptLog> out;
    out.reserve(bodies.size());
    for (const auto& [attempt, body] : bodies)
        out.push_back(attempt_log_from_body(job_id, attempt, body));
    return out;
}

}  // namespace libqueue
