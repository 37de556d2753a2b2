#include "drivers/file/file_format.hpp"

#include <climits>
#include <tuple>

#include <nlohmann/json.hpp>

#include "libqueue/errors.hpp"
#include "libqueue/json_limits.hpp"
#include "libqueue/time.hpp"

namespace libqueue::file_queue {

namespace {

using ordered = nlohmann::ordered_json;
using nlohmann::json;

// Reads one entry's fields, naming "jobs[3].status" in every complaint.
class FieldReader {
  public:
    FieldReader(const json& object, std::string where, const std::string& origin)
        : object_(object), where_(std::move(where)), origin_(origin) {
        if (!object_.is_object())
            fail("", "expected an object");
    }

    [[noreturn]] void fail(const std::string& key, const std::string& what) const {
        throw DataError(origin_ + ": " + where_ + (key.empty() ? "" : "." + key) + ": " + what);
    }

    const json* find(const std::string& key) const {
        auto it = object_.find(key);
        return it == object_.end() ? nullptr : &*it;
    }

    std::string text(const std::string& key) const {
        const json* v = find(key);
        if (!v)
            fail(key, "missing");
        if (!v->is_string())
            fail(key, "expected a string");
        return v->get<std::string>();
    }

    std::optional<std::string> optional_text(const std::string& key) const {
        const json* v = find(key);
        if (!v || v->is_null())
            return std::nullopt;
        if (!v->is_string())
            fail(key, "expected a string or null");
        return v->get<std::string>();
    }

    std::int64_t integer(const std::string& key, std::int64_t min = 0) const {
        const json* v = find(key);
        if (!v)
            fail(key, "missing");
        // A number beyond int64 parses as unsigned or floating point: not an integer here.
        if (!v->is_number_integer() ||
            (v->is_number_unsigned() && v->get<std::uint64_t>() > std::uint64_t(INT64_MAX)))
            fail(key, "expected an integer");
        auto n = v->get<std::int64_t>();
        if (n < min)
            fail(key, "must be at least " + std::to_string(min));
        return n;
    }

    // A count kept in an int (attempts, max_retries): out of its range is refused, never wrapped.
    // One below INT_MAX, so that a claim's attempts + 1 still fits.
    int small_integer(const std::string& key) const {
        const std::int64_t n = integer(key);
        if (n >= INT_MAX)
            fail(key, "must be at most " + std::to_string(INT_MAX - 1));
        return int(n);
    }

    // A job's priority: 0 when the entry has none (files written before q had priorities).
    int priority(const std::string& key) const {
        if (!find(key))
            return 0;
        const std::int64_t n = integer(key);
        if (n > max_priority)
            fail(key, "must be at most " + std::to_string(max_priority));
        return int(n);
    }

    TimePoint time(const std::string& key) const {
        auto t = optional_time(key);
        if (!t)
            fail(key, "missing");
        return *t;
    }

    std::optional<TimePoint> optional_time(const std::string& key) const {
        auto s = optional_text(key);
        if (!s)
            return std::nullopt;
        try {
            return parse_stored_time(*s);
        } catch (const Error&) {
            fail(key, "not an ISO 8601 time: '" + *s + "'");
        }
    }

    Status status(const std::string& key) const {
        auto s = text(key);
        try {
            return status_from_string(s);
        } catch (const Error& e) {
            fail(key, e.what());
        }
    }

  private:
    const json& object_;
    std::string where_;
    const std::string& origin_;
};

StoredJob read_job_impl(const json& value, std::size_t index, const std::string& origin) {
    FieldReader r(value, "jobs[" + std::to_string(index) + "]", origin);
    StoredJob stored;
    Job& job = stored.job;
    job.id = r.text("id");
    if (job.id.empty())
        r.fail("id", "empty");
    job.name = r.text("name");
    job.queue = r.text("queue");
    job.status = r.status("status");
    if (job.status == Status::completed)
        r.fail("status", "completed jobs belong in \"completed\"");
    job.attempts = r.small_integer("attempts");
    job.max_retries = r.small_integer("max_retries");
    job.payload = r.text("payload");
    job.last_error = r.optional_text("last_error");
    job.created_at = r.time("created_at");
    job.available_at = r.optional_time("available_at");
    job.finished_at = r.optional_time("finished_at");
    job.reserved_by = r.optional_text("reserved_by");
    if (job.status == Status::processing && !job.reserved_by) {
        r.fail("reserved_by", "a processing job needs its claim token");
    }
    job.priority = r.priority("priority");
    stored.unique_key = r.optional_text("unique_key");
    return stored;
}

Job read_completed_impl(const json& value, std::size_t index, const std::string& origin) {
    FieldReader r(value, "completed[" + std::to_string(index) + "]", origin);
    Job job;
    job.id = r.text("id");
    job.name = r.text("name");
    job.queue = r.text("queue");
    job.status = Status::completed;
    job.attempts = r.small_integer("attempts");
    job.max_retries = r.small_integer("max_retries");
    job.payload = r.optional_text("payload").value_or("null");
    job.last_error = r.optional_text("last_error");
    job.created_at = r.time("created_at");
    job.available_at = r.optional_time("available_at");
    job.finished_at = r.time("finished_at");
    job.priority = r.priority("priority");
    return job;
}

void read_totals(const json& value, std::size_t index, const std::string& origin, QueueFile& file) {
    FieldReader r(value, "totals[" + std::to_string(index) + "]", origin);
    Totals t;
    t.pushed = std::uint64_t(r.integer("pushed"));
    t.completed = std::uint64_t(r.integer("completed"));
    t.dead = std::uint64_t(r.integer("dead"));
    t.retries = std::uint64_t(r.integer("retries"));
    t.processing_ms = std::uint64_t(r.integer("processing_ms"));
    file.totals()[r.text("queue")][r.text("name")] = t;
}

const json& array_member(const json& root, const char* key, const std::string& origin) {
    static const json empty = json::array();
    auto it = root.find(key);
    if (it == root.end())
        return empty;
    if (!it->is_array())
        throw DataError(origin + ": " + key + ": expected an array");
    return *it;
}

ordered nullable(const std::optional<std::string>& s) {
    return s ? ordered(*s) : ordered();
}
ordered nullable(const std::optional<TimePoint>& t) {
    return t ? ordered(format_iso8601(*t)) : ordered();
}

// The fields an entry of "jobs" and one of "completed" share, in the file's order.
void common_fields(ordered& o, const Job& j, bool with_status) {
    o["id"] = j.id;
    o["name"] = j.name;
    o["queue"] = j.queue;
    if (with_status)
        o["status"] = std::string(to_string(j.status));
    o["attempts"] = j.attempts;
    o["max_retries"] = j.max_retries;
    o["payload"] = j.payload;
    o["last_error"] = nullable(j.last_error);
    o["created_at"] = format_iso8601(j.created_at);
    o["available_at"] = nullable(j.available_at);
    o["finished_at"] = nullable(j.finished_at);
    if (j.priority != 0)
        o["priority"] = j.priority;
}

ordered job_record(const StoredJob& stored) {
    ordered o;
    common_fields(o, stored.job, true);
    o["reserved_by"] = nullable(stored.job.reserved_by);
    if (stored.unique_key)
        o["unique_key"] = *stored.unique_key;
    return o;
}

ordered completed_record(const Job& j) {
    ordered o;
    common_fields(o, j, false);
    return o;
}

// One entry per line: diffs and `grep` stay readable, and the file stays compact.
template <class Range, class ToRecord>
void append_array(std::string& out, const char* key, const Range& items, ToRecord to_record,
                  bool last) {
    out += "  \"";
    out += key;
    out += "\": [";
    bool first = true;
    for (const auto& item : items) {
        out += first ? "\n    " : ",\n    ";
        out += to_record(item).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
        first = false;
    }
    out += first ? "]" : "\n  ]";
    out += last ? "\n" : ",\n";
}

}  // namespace

StoredJob parse_job_entry(const json& value, std::size_t index, const std::string& origin) {
    return read_job_impl(value, index, origin);
}

Job parse_completed_entry(const json& value, std::size_t index, const std::string& origin) {
    return read_completed_impl(value, index, origin);
}

std::pair<std::size_t, std::size_t> line_and_column(std::string_view text, std::size_t offset) {
    std::size_t line = 1, column = 1;
    for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
        if (text[i] == '\n') {
            ++line;
            column = 1;
        } else {
            ++column;
        }
    }
    return {line, column};
}

json parse_json_text(std::string_view text, const std::string& origin) {
    // Refused before parsing: printing such a document recurses. A queue file holds each
    // payload a few levels down (root, jobs, job), so it may nest a little deeper than one.
    constexpr std::size_t levels_above_payloads = 8;
    check_json_depth(text, origin, levels_above_payloads);
    try {
        return json::parse(text.begin(), text.end());
    } catch (const json::parse_error& e) {
        // nlohmann's byte is 1-based and points just past the offending character.
        auto [line, column] = line_and_column(text, e.byte > 0 ? e.byte - 1 : 0);
        std::string reason = e.what();
        if (auto colon = reason.find(": "); colon != std::string::npos) {
            reason = reason.substr(colon + 2);
        }
        throw DataError(origin + ": line " + std::to_string(line) + ", column " +
                        std::to_string(column) + ": not valid JSON: " + reason);
    } catch (const json::out_of_range&) {
        // A number such as 1e999, which no double holds.
        throw DataError(origin + ": not valid JSON: a number is out of range");
    }
}

QueueFile parse_queue_file(std::string_view text, const std::string& origin) {
    json root = parse_json_text(text, origin);
    if (!root.is_object()) {
        throw DataError(
            origin + ": line 1, column 1: not a q queue file (expected an object " +
            "with \"format\": \"q-queue-file\"; for the Dart queue system's layout use " +
            "`q inspect-file`)");
    }
    auto format = root.find("format");
    if (format == root.end() || *format != kFormatName) {
        throw DataError(origin + ": format: not a q queue file (expected \"format\": \"" +
                        std::string(kFormatName) + "\")");
    }
    auto version = root.find("version");
    if (version == root.end() || !version->is_number_integer()) {
        throw DataError(origin + ": version: missing or not an integer");
    }
    if (*version != kFormatVersion) {
        throw DataError(origin + ": version: format version " + version->dump() +
                        " is not one this q reads (version " + std::to_string(kFormatVersion) +
                        ")");
    }
    QueueFile file;
    auto add = [&](StoredJob record, const char* array, std::size_t i) {
        if (file.jobs().contains(record.job.id)) {
            throw DataError(origin + ": " + array + "[" + std::to_string(i) + "].id: '" +
                            record.job.id + "' appears more than once");
        }
        file.jobs().insert(std::move(record));
    };
    const json& jobs = array_member(root, "jobs", origin);
    for (std::size_t i = 0; i < jobs.size(); ++i) add(read_job_impl(jobs[i], i, origin), "jobs", i);
    const json& completed = array_member(root, "completed", origin);
    for (std::size_t i = 0; i < completed.size(); ++i) {
        add(StoredJob{read_completed_impl(completed[i], i, origin), std::nullopt}, "completed", i);
    }
    const json& totals = array_member(root, "totals", origin);
    for (std::size_t i = 0; i < totals.size(); ++i) read_totals(totals[i], i, origin, file);
    return file;
}

std::vector<std::string> completed_oldest_first(const QueueFile& file) {
    std::vector<std::string> ids;
    for (const auto& id : file.jobs().finished_before(TimePoint::max(), 0)) {
        if (file.jobs().find(id)->job.status == Status::completed)
            ids.push_back(id);
    }
    return ids;
}

std::string serialize_queue_file(const QueueFile& file, std::string_view generation) {
    std::vector<const StoredJob*> active;
    for (const auto& [id, record] : file.jobs().jobs()) {
        if (record.job.status != Status::completed)
            active.push_back(&record);
    }
    std::vector<const Job*> completed;
    for (const auto& id : completed_oldest_first(file))
        completed.push_back(&file.jobs().find(id)->job);
    std::vector<std::tuple<const std::string*, const std::string*, const Totals*>> totals;
    for (const auto& [queue, by_name] : file.totals()) {
        for (const auto& [name, t] : by_name) totals.emplace_back(&queue, &name, &t);
    }

    std::string out;
    out.reserve(256 + active.size() * 320 + completed.size() * 180);
    out += "{\n  \"format\": \"";
    out += kFormatName;
    out += "\",\n  \"version\": " + std::to_string(kFormatVersion) + ",\n  \"generation\": \"";
    out += generation;
    out += "\",\n";
    append_array(
        out, "jobs", active, [](const StoredJob* s) { return job_record(*s); }, false);
    append_array(
        out, "completed", completed, [](const Job* j) { return completed_record(*j); }, false);
    append_array(
        out, "totals", totals,
        [](const auto& entry) {
            const auto& [queue, name, t] = entry;
            ordered o;
            o["queue"] = *queue;
            o["name"] = *name;
            o["pushed"] = t->pushed;
            o["completed"] = t->completed;
            o["dead"] = t->dead;
            o["retries"] = t->retries;
            o["processing_ms"] = t->processing_ms;
            return o;
        },
        true);
    out += "}\n";
    return out;
}

}  // namespace libqueue::file_queue
