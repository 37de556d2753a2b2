#include "libqueue/attempt_log.hpp"

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

std::string attempt_log_body(const AttemptLog& log) {
    json lines = json::array();
    for (const auto& line : log.lines) {
        lines.push_back(json::array(
            {line.stream == OutputLine::Stream::err ? "e" : "o", line.at.count(), line.text}));
    }
    json body = {{"worker", log.worker},
                 {"started_at", ms_since_epoch(log.started_at)},
                 {"outcome", to_string(log.outcome)},
                 {"lines", std::move(lines)}};
    if (log.ended_at)
        body["ended_at"] = ms_since_epoch(*log.ended_at);
    if (log.exit_status)
        body["exit_status"] = *log.exit_status;
    if (!log.error.empty())
        body["error"] = log.error;
    if (log.cut_lines > 0)
        body["cut"] = json::array({log.cut_after, log.cut_lines, log.cut_bytes});
    // Replacement characters for anything that is not UTF-8: the texts came from a handler.
    return body.dump(-1, ' ', false, json::error_handler_t::replace);
}

AttemptLog attempt_log_from_body(const std::string& job_id, int attempt, const std::string& body) {
    AttemptLog log;
    log.job_id = job_id;
    log.attempt = attempt;
    try {
        const json doc = json::parse(body);
        log.worker = doc.at("worker").get<std::string>();
        log.started_at = from_ms(doc.at("started_at").get<std::int64_t>());
        log.outcome = outcome_from(doc.at("outcome").get<std::string>());
        if (doc.contains("ended_at"))
            log.ended_at = from_ms(doc["ended_at"].get<std::int64_t>());
        if (doc.contains("exit_status"))
            log.exit_status = doc["exit_status"].get<int>();
        if (doc.contains("error"))
            log.error = doc["error"].get<std::string>();
        for (const auto& line : doc.at("lines")) {
            OutputLine out;
            out.stream = line.at(0).get<std::string>() == "e" ? OutputLine::Stream::err
                                                              : OutputLine::Stream::out;
            out.at = Milliseconds{line.at(1).get<std::int64_t>()};
            out.text = line.at(2).get<std::string>();
            log.lines.push_back(std::move(out));
        }
        if (doc.contains("cut")) {
            const auto& cut = doc["cut"];
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
