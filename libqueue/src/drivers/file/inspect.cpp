// `q inspect-file`: reading a queue file of q's format or the Dart file driver's, entry by entry,
// so one corrupt entry is reported by its index instead of hiding the rest.
#include "libqueue/inspect.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>
#include <thread>

#include "drivers/file/file_format.hpp"
#include "libqueue/errors.hpp"
#include "libqueue/input_limits.hpp"
#include "libqueue/json_limits.hpp"

namespace libqueue {

namespace {

using nlohmann::json;

// Shared flock on PATH.lock for the one read, if the lock file exists; never creates it (an
// inspection changes nothing on disk). Gives up waiting after a while and reads anyway: the
// writers' rename makes every read see a whole file.
class SharedReadLock {
  public:
    explicit SharedReadLock(const std::filesystem::path& lock_path) {
        fd_ = ::open(lock_path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd_ < 0)
            return;
        for (int i = 0; i < 500; ++i) {
            if (::flock(fd_, LOCK_SH | LOCK_NB) == 0)
                return;
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
    }
    ~SharedReadLock() {
        if (fd_ >= 0)
            ::close(fd_);  // closing releases the flock
    }
    SharedReadLock(const SharedReadLock&) = delete;
    SharedReadLock& operator=(const SharedReadLock&) = delete;

  private:
    int fd_ = -1;
};

std::string entry_name(const std::string& array, std::size_t i) {
    return array + "[" + std::to_string(i) + "]";
}

// "jobs[3]: " prefixes of the format's errors name the entry already; keep only the rest.
std::string without_origin(const std::string& message, const std::string& origin) {
    if (message.rfind(origin + ": ", 0) == 0)
        return message.substr(origin.size() + 2);
    return message;
}

int integer_field(const json& entry, const char* key, int fallback) {
    auto it = entry.find(key);
    if (it == entry.end() || it->is_null())
        return fallback;
    if (!it->is_number_integer() || it->get<std::int64_t>() < 0 ||
        it->get<std::int64_t>() > std::numeric_limits<int>::max()) {
        throw DataError(std::string(key) + ": expected a non-negative integer");
    }
    return int(it->get<std::int64_t>());
}

// Reads the times of Dart entries, counting those written without a zone (local time in zone).
class DartTimes {
  public:
    explicit DartTimes(const LocalZone& zone) : zone_(zone) {}

    // entry[key]: a time, or nullopt when missing or null (an error when required).
    std::optional<TimePoint> field(const json& entry, const char* key, bool required) {
        auto it = entry.find(key);
        if (it == entry.end() || it->is_null()) {
            if (required)
                throw DataError(std::string(key) + ": missing");
            return std::nullopt;
        }
        if (!it->is_string())
            throw DataError(std::string(key) + ": expected an ISO 8601 string");
        try {
            bool zoneless = false;
            TimePoint t = zone_.read(it->get<std::string>(), &zoneless);
            zoneless_ += zoneless ? 1 : 0;
            return t;
        } catch (const Error& e) {
            throw DataError(std::string(key) + ": " + e.what());
        }
    }

    std::size_t zoneless() const { return zoneless_; }

  private:
    const LocalZone& zone_;
    std::size_t zoneless_ = 0;
};

// A Dart driver's status word as the q state that says what happens to the job next. khadem runs
// again anything it finds pending, retrying, failed or timedOut (the last two are an attempt
// whose outcome was not yet written), never one it left processing; it drops a job once
// completed or deadLettered. In the older layout the words are q's own ("failed": dead).
Status status_of_dart_word(const std::string& word, bool khadem) {
    if (khadem && word == "failed")
        return Status::pending;
    static const std::map<std::string, Status, std::less<>> words = {
        {"pending", Status::pending},     {"retrying", Status::pending},
        {"timedOut", Status::pending},    {"processing", Status::processing},
        {"completed", Status::completed}, {"deadLettered", Status::failed},
    };
    if (auto it = words.find(word); it != words.end())
        return it->second;
    return status_from_string(word);  // throws DataError naming the word
}

// One entry of a Dart file driver's file, in either layout: the older {id, type, payload,
// scheduledAt, createdAt, attempts, maxRetries} (a status too when troubleshooting scripts wrote
// one), or khadem's {id, jobType, payload, queuedAt, scheduledFor (null: due at once), attempts,
// status, metadata (its scheduledFor is the due time of a retry), error}.
InspectedJob dart_entry(const json& entry, DartTimes& times) {
    if (!entry.is_object())
        throw DataError("expected an object, found " + std::string(entry.type_name()));
    InspectedJob out;
    Job& job = out.job;
    auto id = entry.find("id");
    if (id == entry.end() || !(id->is_string() || id->is_number_integer())) {
        throw DataError("id: missing or not a string");
    }
    job.id = id->is_string() ? id->get<std::string>() : id->dump();
    const bool khadem = entry.contains("jobType");
    const char* name_key = khadem ? "jobType" : "type";
    auto type = entry.find(name_key);
    if (type == entry.end() || !type->is_string() || type->get<std::string>().empty()) {
        throw DataError(std::string(name_key) + ": missing or not a string");
    }
    job.name = type->get<std::string>();
    if (auto queue = entry.find("queue"); queue != entry.end() && queue->is_string()) {
        job.queue = queue->get<std::string>();
    }
    auto payload = entry.find("payload");
    job.payload = payload == entry.end() ? "null" : payload->dump();
    std::optional<TimePoint> created;
    if (khadem) {
        created = times.field(entry, "queuedAt", false);
        auto metadata = entry.find("metadata");
        if (metadata != entry.end() && !metadata->is_null()) {
            if (!metadata->is_object())
                throw DataError("metadata: expected an object");
            out.metadata = *metadata;
        }
        auto retry_at = out.metadata.is_object() ? times.field(out.metadata, "scheduledFor", false)
                                                 : std::nullopt;
        job.available_at = retry_at ? retry_at : times.field(entry, "scheduledFor", false);
    } else {
        job.available_at = times.field(entry, "scheduledAt", true);
        created = times.field(entry, "createdAt", false);
    }
    out.created_known = created.has_value();
    job.created_at = created.value_or(TimePoint{});
    job.attempts = integer_field(entry, "attempts", 0);
    job.max_retries = integer_field(entry, "maxRetries", 3);
    if (auto status = entry.find("status"); status != entry.end() && !status->is_null()) {
        if (!status->is_string())
            throw DataError("status: expected a string");
        const auto word = status->get<std::string>();
        job.status = status_of_dart_word(word, khadem);
        if (word != to_string(job.status))
            out.dart_status = word;
    }
    // What a processing entry holds is when it was due, not when it was claimed: q shows no
    // claim time rather than a wrong one.
    if (job.status == Status::processing)
        job.available_at.reset();
    for (const char* key : {"lastError", "last_error", "error"}) {
        if (auto e = entry.find(key); e != entry.end() && e->is_string()) {
            job.last_error = e->get<std::string>();
        }
    }
    return out;
}

void add_job(FileInspection& out, std::string entry, InspectedJob job) {
    const Job& j = job.job;
    job.due = j.status == Status::pending && (!j.available_at || *j.available_at <= out.now);
    job.entry = std::move(entry);
    out.jobs.push_back(std::move(job));
}

void inspect_q_layout(const json& root, const std::string& origin, FileInspection& out) {
    using namespace file_queue;
    auto version = root.find("version");
    if (version == root.end() || *version != kFormatVersion) {
        throw DataError(
            origin +
            ": version: " + (version == root.end() ? std::string("missing") : version->dump()) +
            " is not a format version this q reads (" + std::to_string(kFormatVersion) + ")");
    }
    for (const char* array : {"jobs", "completed"}) {
        auto it = root.find(array);
        if (it == root.end())
            continue;
        if (!it->is_array()) {
            out.problems.push_back({array, "expected an array"});
            continue;
        }
        for (std::size_t i = 0; i < it->size(); ++i) {
            try {
                InspectedJob job;
                job.job = std::string(array) == "jobs" ? parse_job_entry((*it)[i], i, origin).job
                                                       : parse_completed_entry((*it)[i], i, origin);
                add_job(out, entry_name(array, i), std::move(job));
            } catch (const DataError& e) {
                out.problems.push_back({entry_name(array, i), without_origin(e.what(), origin)});
            }
        }
    }
}

void inspect_dart_entries(const json& entries, const std::string& prefix, const LocalZone& zone,
                          FileInspection& out) {
    DartTimes times(zone);
    for (std::size_t i = 0; i < entries.size(); ++i) {
        std::string name = entry_name(prefix, i);
        try {
            add_job(out, name, dart_entry(entries[i], times));
        } catch (const DataError& e) {
            out.problems.push_back({name, e.what()});
        }
    }
    out.zoneless_times = times.zoneless();
}

// Only whitespace: what a Dart driver leaves when it created the file but had nothing to write.
bool blank(std::string_view text) {
    return text.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

// The lines of `q export` (NDJSON, one job record per line): read when the first line that is not
// blank is a job record by itself, which no other layout's first line is.
bool export_lines(std::string_view text) {
    std::size_t start = text.find_first_not_of(" \t\r\n");
    std::size_t end = text.find('\n', start);
    std::string_view first = text.substr(start, end == std::string_view::npos ? end : end - start);
    if (!json_depth_ok(first, 1))
        return false;
    json line = json::parse(first.begin(), first.end(), nullptr, false);
    return line.is_object() && line.contains("id") && line.contains("name") &&
           line.contains("status") && !line.contains("format") && !line.contains("jobs");
}

void inspect_export_lines(std::string_view text, FileInspection& out) {
    std::size_t number = 0;
    while (!text.empty()) {
        std::size_t end = text.find('\n');
        std::string_view line = text.substr(0, end);
        text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
        ++number;
        if (blank(line))
            continue;
        const std::string name = "line " + std::to_string(number);
        try {
            check_json_depth(line, "line", 1);
            json record = json::parse(line.begin(), line.end(), nullptr, false);
            if (record.is_discarded())
                throw DataError("not valid JSON");
            InspectedJob job;
            job.job = job_from_json(record);
            add_job(out, name, std::move(job));
        } catch (const DataError& e) {
            out.problems.push_back({name, e.what()});
        }
    }
}

}  // namespace

std::string_view to_string(FileLayout layout) {
    switch (layout) {
        case FileLayout::q_queue_file:
            return "q-queue-file";
        case FileLayout::dart_array:
            return "dart-array";
        case FileLayout::dart_object:
            return "dart-object";
        case FileLayout::empty:
            return "empty";
        case FileLayout::q_export:
            return "q-export";
    }
    return "unknown";
}

FileInspection inspect_queue_text(std::string_view text, const std::string& origin, TimePoint now,
                                  const LocalZone& zone) {
    FileInspection out;
    out.path = origin;
    out.now = now;
    out.zone = zone.name();
    if (blank(text)) {
        out.layout = FileLayout::empty;
        return out;
    }
    if (export_lines(text)) {
        out.layout = FileLayout::q_export;
        inspect_export_lines(text, out);
        return out;
    }
    json root = file_queue::parse_json_text(text, origin);
    if (root.is_array()) {
        out.layout = FileLayout::dart_array;
        inspect_dart_entries(root, "", zone, out);
    } else if (root.is_object() && root.contains("format")) {
        if (root["format"] != file_queue::kFormatName) {
            throw DataError(origin + ": format: " + root["format"].dump() +
                            " is not a queue file format q knows");
        }
        out.layout = FileLayout::q_queue_file;
        inspect_q_layout(root, origin, out);
    } else if (root.is_object() && root.contains("jobs") && root["jobs"].is_array()) {
        out.layout = FileLayout::dart_object;
        inspect_dart_entries(root["jobs"], "jobs", zone, out);
    } else {
        throw DataError(origin +
                        ": not a queue file: expected q's format, a JSON array of jobs, "
                        "or an object with a \"jobs\" array");
    }
    return out;
}

FileInspection inspect_queue_file(const std::filesystem::path& path, const LocalZone& zone) {
    std::string text;
    {
        require_regular_file(path, "queue file");
        SharedReadLock lock(path.string() + ".lock");
        std::ifstream in(path, std::ios::binary);
        if (!in) {
            if (!std::filesystem::exists(path))
                throw NotFoundError(path.string() + ": no such file");
            throw UnavailableError(path.string() + ": cannot read: " + std::strerror(errno));
        }
        std::ostringstream buffer;
        buffer << in.rdbuf();
        text = buffer.str();
    }
    return inspect_queue_text(text, path.string(), system_now(), zone);
}

InspectionSummary summarize(const FileInspection& inspection) {
    InspectionSummary summary;
    for (const auto& j : inspection.jobs) {
        std::string status = j.job.status == Status::pending ? (j.due ? "due" : "delayed")
                                                             : std::string(to_string(j.job.status));
        summary.total++;
        summary.by_status[status]++;
        summary.by_name[j.job.name][status]++;
    }
    return summary;
}

json inspection_to_json(const FileInspection& inspection, std::size_t limit) {
    json out;
    out["path"] = inspection.path.string();
    out["layout"] = std::string(to_string(inspection.layout));
    out["now"] = format_iso8601(inspection.now);
    out["zone"] = inspection.zone;
    out["zoneless_times"] = inspection.zoneless_times;
    out["total"] = inspection.jobs.size();
    json jobs = json::array();
    for (const auto& j : inspection.jobs) {
        if (limit != 0 && jobs.size() >= limit)
            break;
        json record = job_to_json(j.job);
        record["entry"] = j.entry;
        record["due"] = j.due;
        if (!j.created_known)
            record["created_at"] = nullptr;
        if (j.dart_status)
            record["dart_status"] = *j.dart_status;
        if (!j.metadata.is_null())
            record["metadata"] = j.metadata;
        jobs.push_back(std::move(record));
    }
    out["shown"] = jobs.size();
    out["jobs"] = std::move(jobs);
    json problems = json::array();
    for (const auto& p : inspection.problems)
        problems.push_back({{"entry", p.entry}, {"error", p.error}});
    out["problems"] = std::move(problems);
    InspectionSummary summary = summarize(inspection);
    out["summary"] = {{"by_status", summary.by_status}, {"by_name", summary.by_name}};
    return out;
}

}  // namespace libqueue
