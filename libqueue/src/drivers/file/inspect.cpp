// `q inspect-file`: reading a queue file of q's format or the Dart file driver's, entry by entry,
// so one corrupt entry is reported by its index instead of hiding the rest.
#include "libqueue/inspect.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include "drivers/file/file_format.hpp"
#include "libqueue/errors.hpp"

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
    if (!it->is_number_integer() || it->get<std::int64_t>() < 0) {
        throw DataError(std::string(key) + ": expected a non-negative integer");
    }
    return int(it->get<std::int64_t>());
}

std::optional<TimePoint> time_field(const json& entry, const char* key, bool required) {
    auto it = entry.find(key);
    if (it == entry.end() || it->is_null()) {
        if (required)
            throw DataError(std::string(key) + ": missing");
        return std::nullopt;
    }
    if (!it->is_string())
        throw DataError(std::string(key) + ": expected an ISO 8601 string");
    try {
        return parse_stored_time(it->get<std::string>());
    } catch (const Error&) {
        throw DataError(std::string(key) + ": not an ISO 8601 time: '" + it->get<std::string>() +
                        "'");
    }
}

// One entry of the Dart file driver's file: {id, type, payload, scheduledAt, createdAt,
// attempts, maxRetries}, and the status the Dart queue system's troubleshooting scripts read
// when present.
Job dart_entry(const json& entry) {
    if (!entry.is_object())
        throw DataError("expected an object, found " + std::string(entry.type_name()));
    Job job;
    auto id = entry.find("id");
    if (id == entry.end() || !(id->is_string() || id->is_number_integer())) {
        throw DataError("id: missing or not a string");
    }
    job.id = id->is_string() ? id->get<std::string>() : id->dump();
    auto type = entry.find("type");
    if (type == entry.end() || !type->is_string() || type->get<std::string>().empty()) {
        throw DataError("type: missing or not a string");
    }
    job.name = type->get<std::string>();
    if (auto queue = entry.find("queue"); queue != entry.end() && queue->is_string()) {
        job.queue = queue->get<std::string>();
    }
    auto payload = entry.find("payload");
    job.payload = payload == entry.end() ? "null" : payload->dump();
    job.available_at = time_field(entry, "scheduledAt", true);
    job.created_at = time_field(entry, "createdAt", false).value_or(TimePoint{});
    job.attempts = integer_field(entry, "attempts", 0);
    job.max_retries = integer_field(entry, "maxRetries", 3);
    if (auto status = entry.find("status"); status != entry.end() && !status->is_null()) {
        if (!status->is_string())
            throw DataError("status: expected a string");
        job.status = status_from_string(status->get<std::string>());
    }
    for (const char* key : {"lastError", "last_error", "error"}) {
        if (auto e = entry.find(key); e != entry.end() && e->is_string()) {
            job.last_error = e->get<std::string>();
        }
    }
    return job;
}

void add_job(FileInspection& out, std::string entry, Job job) {
    bool due = job.status == Status::pending && (!job.available_at || *job.available_at <= out.now);
    out.jobs.push_back({std::move(entry), std::move(job), due});
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
                Job job = std::string(array) == "jobs" ? parse_job_entry((*it)[i], i, origin).job
                                                       : parse_completed_entry((*it)[i], i, origin);
                add_job(out, entry_name(array, i), std::move(job));
            } catch (const DataError& e) {
                out.problems.push_back({entry_name(array, i), without_origin(e.what(), origin)});
            }
        }
    }
}

void inspect_dart_entries(const json& entries, const std::string& prefix, FileInspection& out) {
    for (std::size_t i = 0; i < entries.size(); ++i) {
        std::string name = entry_name(prefix, i);
        try {
            add_job(out, name, dart_entry(entries[i]));
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
    }
    return "unknown";
}

FileInspection inspect_queue_text(std::string_view text, const std::string& origin, TimePoint now) {
    json root = file_queue::parse_json_text(text, origin);
    FileInspection out;
    out.path = origin;
    out.now = now;
    if (root.is_array()) {
        out.layout = FileLayout::dart_array;
        inspect_dart_entries(root, "", out);
    } else if (root.is_object() && root.contains("format")) {
        if (root["format"] != file_queue::kFormatName) {
            throw DataError(origin + ": format: " + root["format"].dump() +
                            " is not a queue file format q knows");
        }
        out.layout = FileLayout::q_queue_file;
        inspect_q_layout(root, origin, out);
    } else if (root.is_object() && root.contains("jobs") && root["jobs"].is_array()) {
        out.layout = FileLayout::dart_object;
        inspect_dart_entries(root["jobs"], "jobs", out);
    } else {
        throw DataError(origin +
                        ": not a queue file: expected q's format, a JSON array of jobs, "
                        "or an object with a \"jobs\" array");
    }
    return out;
}

FileInspection inspect_queue_file(const std::filesystem::path& path) {
    std::string text;
    {
        std::error_code ec;
        if (std::filesystem::is_directory(path, ec))
            throw NotFoundError(path.string() + ": is a directory, not a queue file");
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
    return inspect_queue_text(text, path.string(), system_now());
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
    out["total"] = inspection.jobs.size();
    json jobs = json::array();
    for (const auto& j : inspection.jobs) {
        if (limit != 0 && jobs.size() >= limit)
            break;
        json record = job_to_json(j.job);
        record["entry"] = j.entry;
        record["due"] = j.due;
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
