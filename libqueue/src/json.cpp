// The JSON forms of jobs and stats that `q ... --json` prints and scripts read.
#include <nlohmann/json.hpp>

#include "libqueue/errors.hpp"
#include "libqueue/job.hpp"
#include "libqueue/json_limits.hpp"
#include "libqueue/stats.hpp"

namespace libqueue {

using nlohmann::json;

namespace {

json time_or_null(const std::optional<TimePoint>& t) {
    return t ? json(format_iso8601(*t)) : json(nullptr);
}

json string_or_null(const std::optional<std::string>& s) {
    return s ? json(*s) : json(nullptr);
}

[[noreturn]] void bad_field(const std::string& field, const std::string& why) {
    throw DataError("job JSON: field '" + field + "': " + why);
}

const json* field(const json& value, const std::string& name, bool required) {
    auto it = value.find(name);
    if (it == value.end() || (it->is_null() && !required)) {
        if (required)
            bad_field(name, "missing");
        return nullptr;
    }
    return &*it;
}

std::string string_field(const json& value, const std::string& name) {
    const json* f = field(value, name, true);
    if (!f->is_string())
        bad_field(name, "expected a string, got " + std::string(f->type_name()));
    return f->get<std::string>();
}

std::optional<std::string> optional_string(const json& value, const std::string& name) {
    const json* f = field(value, name, false);
    if (!f)
        return std::nullopt;
    if (!f->is_string())
        bad_field(name, "expected a string or null, got " + std::string(f->type_name()));
    return f->get<std::string>();
}

std::optional<TimePoint> optional_time(const json& value, const std::string& name) {
    auto text = optional_string(value, name);
    if (!text)
        return std::nullopt;
    try {
        return parse_iso8601(*text);
    } catch (const DataError& e) {
        bad_field(name, e.what());
    }
}

int int_field(const json& value, const std::string& name, int fallback) {
    const json* f = field(value, name, false);
    if (!f)
        return fallback;
    if (!f->is_number_integer())
        bad_field(name, "expected an integer, got " + std::string(f->type_name()));
    return f->get<int>();
}

json totals_to_json(const Totals& totals) {
    return {{"pushed", totals.pushed},
            {"completed", totals.completed},
            {"dead", totals.dead},
            {"retries", totals.retries},
            {"processing_ms", totals.processing_ms}};
}

json number_or_null(const std::optional<double>& value) {
    return value ? json(*value) : json(nullptr);
}

void add_counts(json& out, const StateCounts& counts) {
    out["due"] = counts.due;
    out["delayed"] = counts.delayed;
    out["processing"] = counts.processing;
    out["completed"] = counts.completed;
    out["failed"] = counts.failed;
}

void add_totals(json& out, const Totals& totals) {
    out["totals"] = totals_to_json(totals);
    out["success_rate"] = number_or_null(success_rate(totals));
    out["average_processing_ms"] = number_or_null(average_processing_ms(totals));
}

}  // namespace

json job_to_json(const Job& job) {
    // A payload that parses is embedded as JSON; anything else (rows other programs wrote) as text.
    // A payload nested beyond max_json_depth is text too: printing it as JSON would recurse
    // that deep.
    json payload = json_depth_ok(job.payload) ? json::parse(job.payload, nullptr, false)
                                              : json(json::value_t::discarded);
    if (payload.is_discarded())
        payload = job.payload;
    json out = {{"id", job.id},
                {"name", job.name},
                {"queue", job.queue},
                {"status", std::string(to_string(job.status))},
                {"attempts", job.attempts},
                {"max_retries", job.max_retries},
                {"payload", payload},
                {"last_error", string_or_null(job.last_error)},
                {"created_at", format_iso8601(job.created_at)},
                {"available_at", time_or_null(job.available_at)},
                {"finished_at", time_or_null(job.finished_at)},
                {"reserved_by", string_or_null(job.reserved_by)},
                {"priority", job.priority}};
    if (job.unreadable)
        out["unreadable"] = *job.unreadable;
    return out;
}

Job job_from_json(const json& value) {
    if (!value.is_object())
        throw DataError("job JSON: expected an object, got " + std::string(value.type_name()));
    Job job;
    job.id = string_field(value, "id");
    job.name = string_field(value, "name");
    if (auto queue = optional_string(value, "queue"))
        job.queue = *queue;
    job.status = status_from_string(string_field(value, "status"));
    job.attempts = int_field(value, "attempts", 0);
    job.max_retries = int_field(value, "max_retries", 3);
    // Every payload becomes JSON text: a string is read as a JSON string value, so what q
    // stores from this form is always valid JSON.
    if (auto payload = value.find("payload"); payload != value.end())
        job.payload = payload->dump();
    job.last_error = optional_string(value, "last_error");
    auto created = optional_time(value, "created_at");
    if (!created)
        bad_field("created_at", "missing");
    job.created_at = *created;
    job.available_at = optional_time(value, "available_at");
    job.finished_at = optional_time(value, "finished_at");
    job.reserved_by = optional_string(value, "reserved_by");
    job.priority = int_field(value, "priority", 0);
    return job;
}

json stats_to_json(const Stats& stats) {
    json queues = json::array();
    for (const auto& q : stats.queues) {
        json out = {{"queue", q.queue}};
        add_counts(out, q.counts);
        out["oldest_due_age_ms"] =
            q.oldest_due_age ? json(q.oldest_due_age->count()) : json(nullptr);
        add_totals(out, q.totals);

        // A name may have live rows, lifetime totals, or both.
        json by_name = json::object();
        for (const auto& [name, counts] : q.by_name) {
            json entry;
            add_counts(entry, counts);
            by_name[name] = entry;
        }
        for (const auto& [name, totals] : q.totals_by_name) {
            if (!by_name.contains(name)) {
                json entry;
                add_counts(entry, StateCounts{});
                by_name[name] = entry;
            }
        }
        for (auto& [name, entry] : by_name.items()) {
            auto it = q.totals_by_name.find(name);
            add_totals(entry, it == q.totals_by_name.end() ? Totals{} : it->second);
        }
        out["by_name"] = by_name;
        queues.push_back(out);
    }
    return {{"now", format_iso8601(stats.now)}, {"queues", queues}};
}

}  // namespace libqueue
